package conformance

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmePath is the repository's README, relative to this package.
const readmePath = "../../README.md"

const (
	startMarker = "<!-- differences:start -->"
	endMarker   = "<!-- differences:end -->"
)

// diffRow is one row of the README's table of intended differences.
type diffRow struct {
	id, what, why string
}

var idCell = regexp.MustCompile("^`([a-z0-9][a-z0-9-]*)`$")

// readDifferences parses the table between the differences markers.
func readDifferences(path string) (map[string]diffRow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseDifferences(string(b))
}

func parseDifferences(text string) (map[string]diffRow, error) {
	_, rest, ok := strings.Cut(text, startMarker)
	if !ok {
		return nil, fmt.Errorf("README: marker %s not found", startMarker)
	}
	body, _, ok := strings.Cut(rest, endMarker)
	if !ok {
		return nil, fmt.Errorf("README: marker %s not found after %s", endMarker, startMarker)
	}
	rows := map[string]diffRow{}
	header := false
	for n, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") {
			return nil, fmt.Errorf("README differences table, line %d: not a table row: %q", n, line)
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 3 {
			return nil, fmt.Errorf("README differences table, line %d: want 3 cells (id | what differs | why), got %d: %q", n, len(cells), line)
		}
		switch {
		case !header:
			if cells[0] != "id" || cells[1] != "what differs" || cells[2] != "why" {
				return nil, fmt.Errorf("README differences table: header is %q, want | id | what differs | why |", line)
			}
			header = true
			continue
		case strings.Trim(cells[0], "-: ") == "" && strings.Trim(cells[1], "-: ") == "":
			continue // separator
		}
		m := idCell.FindStringSubmatch(cells[0])
		if m == nil {
			return nil, fmt.Errorf("README differences table, line %d: id %q is not a `lower-case-id` in backticks", n, cells[0])
		}
		if cells[1] == "" || cells[2] == "" {
			return nil, fmt.Errorf("README differences table: row %s needs both what differs and why", m[1])
		}
		if _, dup := rows[m[1]]; dup {
			return nil, fmt.Errorf("README differences table: id %s appears twice", m[1])
		}
		rows[m[1]] = diffRow{id: m[1], what: cells[1], why: cells[2]}
	}
	if !header {
		return nil, errors.New("README differences table: no header row")
	}
	return rows, nil
}

// checkCatalogue checks the catalogue against the README table: every
// declared id is a row, every row is declared by some scenario, names are
// unique and every scenario can run.
func checkCatalogue(scenarios []scenario, rows map[string]diffRow) error {
	var errs []error
	names := map[string]bool{}
	used := map[string]bool{}
	for _, sc := range scenarios {
		if sc.name == "" || sc.run == nil {
			errs = append(errs, fmt.Errorf("scenario %q: needs a name and a run function", sc.name))
		}
		if names[sc.name] {
			errs = append(errs, fmt.Errorf("scenario %q: name used twice", sc.name))
		}
		names[sc.name] = true
		if sc.only != "" && sc.only != "sqlite" && sc.only != "postgres" {
			errs = append(errs, fmt.Errorf("scenario %q: only %q is not a target", sc.name, sc.only))
		}
		for _, id := range sc.differs {
			if _, ok := rows[id]; !ok {
				errs = append(errs, fmt.Errorf("scenario %q declares differs %q, which is not a row of the README's differences table", sc.name, id))
			}
			used[id] = true
		}
	}
	for _, id := range sortedKeys(rows) {
		if !used[id] {
			errs = append(errs, fmt.Errorf("README differences row %q is declared by no scenario: show it or drop it", id))
		}
	}
	return errors.Join(errs...)
}

// TestDifferencesTable checks the README table and the declarations,
// without a database.
func TestDifferencesTable(t *testing.T) {
	rows, err := readDifferences(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkCatalogue(catalogue(), rows); err != nil {
		t.Error(err)
	}
	if n := len(catalogue()); n < 150 {
		t.Errorf("the catalogue has %d scenarios, want at least 150", n)
	}
}

// TestParseDifferences checks the parser on good and bad tables.
func TestParseDifferences(t *testing.T) {
	good := "x\n" + startMarker + "\n| id | what differs | why |\n|---|---|---|\n| `a-b` | this | that |\n" + endMarker + "\n"
	rows, err := parseDifferences(good)
	if err != nil || len(rows) != 1 || rows["a-b"].why != "that" {
		t.Errorf("parse good table: %v, %v", rows, err)
	}
	empty := startMarker + "\n| id | what differs | why |\n|---|---|---|\n" + endMarker
	if rows, err := parseDifferences(empty); err != nil || len(rows) != 0 {
		t.Errorf("parse empty table: %v, %v", rows, err)
	}
	for name, bad := range map[string]string{
		"no start":   "| id | what differs | why |\n" + endMarker,
		"no end":     startMarker + "\n| id | what differs | why |\n",
		"bad header": startMarker + "\n| key | what | why |\n" + endMarker,
		"bare id":    startMarker + "\n| id | what differs | why |\n|---|---|---|\n| a | b | c |\n" + endMarker,
		"two cells":  startMarker + "\n| id | what differs | why |\n|---|---|---|\n| `a` | b |\n" + endMarker,
		"duplicate":  startMarker + "\n| id | what differs | why |\n|---|---|---|\n| `a` | b | c |\n| `a` | d | e |\n" + endMarker,
		"no why":     startMarker + "\n| id | what differs | why |\n|---|---|---|\n| `a` | b |  |\n" + endMarker,
	} {
		if _, err := parseDifferences(bad); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
	rows = map[string]diffRow{"used": {id: "used"}, "unused": {id: "unused"}}
	run := func(*call) (any, error) { return nil, nil }
	err = checkCatalogue([]scenario{
		{name: "a", differs: []string{"used"}, run: run},
		{name: "b", differs: []string{"nope"}, run: run},
		{name: "a", run: run},
	}, rows)
	for _, want := range []string{`"nope"`, `"unused"`, "name used twice"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("checkCatalogue error %v, want it to mention %s", err, want)
		}
	}
}
