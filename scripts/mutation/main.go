// Command mutate is the project's mutation tester for the operators gremlins
// (github.com/go-gremlins/gremlins) lacks. It changes one thing at a time in
// the library's source, runs the tests, and reports the mutants the tests did
// not notice ("lived"): each is a behaviour no test pins, or an equivalent
// mutant to record in equivalent.txt with the reason.
//
// Operators:
//
//	error-nil    a returned error replaced by nil (functions whose last result is error)
//	drop-stmt    a call statement, an assignment or an early bare return deleted
//	drop-call    a chained .Where/.Or/.Not/.Limit/.Unscoped/.Order/.Clauses/.Select/.Omit/.Session call dropped
//	sql-literal  an SQL literal swapped: IS NULL <-> IS NOT NULL, AND <-> OR, < <-> <=, IN -> NOT IN, ...
//	const        an integer constant +1 / -1
//	bool         true <-> false
//
// It edits the files of -dir in place (always a scratch copy: see run.sh) and
// restores each one after its mutant ran. Usage:
//
//	go run . -dir /tmp/copy [-files a.go,b.go] [-ops error-nil,const] [-sample 50 -seed 1]
package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// mutant is one change to one file: the bytes [start, end) become repl.
type mutant struct {
	file       string // path relative to the module root
	op         string
	start, end int
	repl       string
	line       int
	id         string // stable across unrelated edits: file, op and the changed line's text
	before     string // the changed line(s), before and after
	after      string
}

// status is what running the tests on a mutant gave.
type status string

const (
	killed     status = "KILLED"
	timedOut   status = "TIMEOUT"
	lived      status = "LIVED"
	notViable  status = "NOT VIABLE"
	equivalent status = "EQUIVALENT"
)

func main() {
	var (
		dir     = flag.String("dir", "", "module root to mutate in place (a scratch copy)")
		files   = flag.String("files", "", "comma-separated files to mutate, relative to -dir (default: the root package and internal/dialect)")
		ops     = flag.String("ops", "", "comma-separated operators (default: all)")
		sample  = flag.Int("sample", 0, "test at most this many mutants, chosen at random (0: all)")
		seed    = flag.Int64("seed", 0, "seed for -sample (0: the current time)")
		timeout = flag.Duration("timeout", 0, "per-mutant test timeout (0: run the tests unmutated first, then 3x that + 30s)")
		equiv   = flag.String("equivalent", "", "file listing accepted equivalent mutants by id")
		list    = flag.Bool("list", false, "list the mutants and exit")
		verbose = flag.Bool("v", false, "print every mutant, not only the lived ones")
		report  = flag.String("gremlins-report", "", "summarise this gremlins JSON output (-o) instead of mutating")
		retest  = flag.Bool("retest-uncovered", false, "with -gremlins-report: run the tests again on the mutants gremlins calls NOT COVERED or TIMED OUT")
	)
	flag.Parse()
	if *dir == "" {
		fatalf("-dir is required")
	}
	if *report != "" {
		if err := gremlinsReport(*report, *dir, *equiv, *retest, *timeout); err != nil {
			fatalf("%v", err)
		}
		return
	}
	if err := run(*dir, *files, *ops, *sample, *seed, *timeout, *equiv, *list, *verbose); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mutate: "+format+"\n", args...)
	os.Exit(2)
}

func run(dir, files, ops string, sample int, seed int64, timeout time.Duration, equivFile string, list, verbose bool) error {
	targets, err := targetFiles(dir, files)
	if err != nil {
		return err
	}
	enabled := map[string]bool{}
	for _, op := range strings.Split(ops, ",") {
		if op = strings.TrimSpace(op); op != "" {
			enabled[op] = true
		}
	}
	var all []mutant
	for _, f := range targets {
		ms, err := findMutants(dir, f)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if len(enabled) == 0 || enabled[m.op] {
				all = append(all, m)
			}
		}
	}
	accepted, err := readEquivalents(equivFile)
	if err != nil {
		return err
	}
	if sample > 0 && sample < len(all) {
		if seed == 0 {
			seed = time.Now().UnixNano()
		}
		fmt.Printf("sampling %d of %d mutants, seed %d\n", sample, len(all), seed)
		r := rand.New(rand.NewSource(seed))
		perm := r.Perm(len(all))[:sample]
		sort.Ints(perm)
		picked := make([]mutant, len(perm))
		for i, p := range perm {
			picked[i] = all[p]
		}
		all = picked
	}
	if list {
		for _, m := range all {
			fmt.Printf("%s:%d %s [%s]\n\t- %s\n\t+ %s\n", m.file, m.line, m.op, m.id, m.before, m.after)
		}
		fmt.Printf("%d mutants\n", len(all))
		return nil
	}

	if timeout == 0 {
		fmt.Println("unmutated run...")
		start := time.Now()
		if out, err := goTest(dir, packagesFor(targets), 30*time.Minute); err != nil {
			return fmt.Errorf("the tests fail without any mutant (fix them first): %v\n%s", err, tail(out, 40))
		}
		base := time.Since(start)
		timeout = 3*base + 30*time.Second
		fmt.Printf("unmutated run took %s\n", base.Round(time.Second))
	}
	fmt.Printf("per-mutant timeout %s; %d mutants\n", timeout, len(all))

	counts := map[status]int{}
	var survivors []mutant
	for i, m := range all {
		st := equivalent
		if reason, ok := accepted[m.id]; ok {
			if verbose {
				fmt.Printf("[%d/%d] %-10s %s:%d %s (%s)\n", i+1, len(all), st, m.file, m.line, m.op, reason)
			}
		} else {
			st, err = test(dir, m, timeout)
			if err != nil {
				return err
			}
			if st == lived {
				survivors = append(survivors, m)
			}
			if verbose || st == lived {
				fmt.Printf("[%d/%d] %-10s %s:%d %s [%s]\n\t- %s\n\t+ %s\n", i+1, len(all), st, m.file, m.line, m.op, m.id, m.before, m.after)
			}
		}
		counts[st]++
	}
	detected := counts[killed] + counts[timedOut]
	fmt.Printf("\nmutants: %d (killed %d, timed out %d, lived %d, accepted equivalent %d, not viable %d)\n",
		len(all), counts[killed], counts[timedOut], counts[lived], counts[equivalent], counts[notViable])
	if detected+counts[lived] > 0 {
		fmt.Printf("score: %d/%d = %.1f%% of the viable, non-equivalent mutants killed\n",
			detected, detected+counts[lived], 100*float64(detected)/float64(detected+counts[lived]))
	}
	fmt.Printf("SUMMARY detected=%d viable=%d\n", detected, detected+counts[lived])
	if len(survivors) > 0 {
		fmt.Println("\nlived (read each: a missing test, or an equivalent mutant for equivalent.txt):")
		for _, m := range survivors {
			fmt.Printf("%s\t%s:%d %s: %s -> %s\n", m.id, m.file, m.line, m.op, m.before, m.after)
		}
	}
	return nil
}

// targetFiles lists the files to mutate: those named, or every non-test Go
// file of the root package and internal/dialect.
func targetFiles(dir, files string) ([]string, error) {
	if files != "" {
		var out []string
		for _, f := range strings.Split(files, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
		return out, nil
	}
	var out []string
	for _, pattern := range []string{"*.go", "internal/dialect/*.go"} {
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			if !strings.HasSuffix(m, "_test.go") {
				rel, _ := filepath.Rel(dir, m)
				out = append(out, rel)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Go files under %s", dir)
	}
	return out, nil
}

// packagesFor returns the test packages that run for mutants of files: each
// file's package and the root package (whose tests exercise internal/dialect
// end to end).
func packagesFor(files []string) []string {
	seen := map[string]bool{".": true}
	pkgs := []string{"."}
	for _, f := range files {
		p := "./" + filepath.ToSlash(filepath.Dir(f))
		if p == "./." {
			continue
		}
		if !seen[p] {
			seen[p] = true
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

// test applies m, runs the tests of its package (and the root package), and
// restores the file.
func test(dir string, m mutant, timeout time.Duration) (status, error) {
	path := filepath.Join(dir, m.file)
	orig, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	mutated := append(append(append([]byte(nil), orig[:m.start]...), m.repl...), orig[m.end:]...)
	if err := os.WriteFile(path, mutated, 0o644); err != nil {
		return "", err
	}
	defer func() {
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			fatalf("restore %s: %v", path, err)
		}
	}()
	out, err := goTest(dir, packagesFor([]string{m.file}), timeout)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return timedOut, nil
	case err == nil:
		return lived, nil
	case bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")):
		return notViable, nil
	}
	return killed, nil
}

// goTest runs go test -count=1 -failfast on pkgs in dir.
func goTest(dir string, pkgs []string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append([]string{"test", "-count=1", "-failfast", "-timeout", (timeout + time.Minute).String()}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, err
}

func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// readEquivalents reads "id<TAB or spaces>reason" lines; # starts a comment.
func readEquivalents(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(id, '\t'); i >= 0 {
			id, reason = id[:i], id[i+1:]
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out, nil
}

// finder collects the mutants of one file.
type finder struct {
	fset *token.FileSet
	file string
	src  []byte
	out  []mutant
	skip map[ast.Node]bool // struct tags and import paths: not SQL
}

func findMutants(dir, file string) ([]mutant, error) {
	src, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	fd := &finder{fset: fset, file: file, src: src, skip: map[ast.Node]bool{}}
	for _, imp := range f.Imports {
		fd.skip[imp.Path] = true
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if field, ok := n.(*ast.Field); ok && field.Tag != nil {
			fd.skip[field.Tag] = true
		}
		return true
	})
	ast.Inspect(f, fd.visit)
	fd.assignIDs()
	return fd.out, nil
}

func (fd *finder) offset(p token.Pos) int { return fd.fset.Position(p).Offset }

func (fd *finder) text(n ast.Node) string {
	return string(fd.src[fd.offset(n.Pos()):fd.offset(n.End())])
}

// add records a mutant replacing node n's source with repl.
func (fd *finder) add(op string, n ast.Node, repl string) {
	fd.addRange(op, fd.offset(n.Pos()), fd.offset(n.End()), repl)
}

func (fd *finder) addRange(op string, start, end int, repl string) {
	fd.out = append(fd.out, mutant{file: fd.file, op: op, start: start, end: end, repl: repl,
		line: bytes.Count(fd.src[:start], []byte("\n")) + 1})
}

func (fd *finder) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.FuncDecl:
		if n.Body != nil {
			fd.returns(n.Type, n.Body)
		}
	case *ast.FuncLit:
		fd.returns(n.Type, n.Body)
	case *ast.BlockStmt:
		fd.statements(n.List)
	case *ast.CaseClause:
		fd.statements(n.Body)
	case *ast.CommClause:
		fd.statements(n.Body)
	case *ast.IfStmt:
		for _, s := range n.Body.List {
			if r, ok := s.(*ast.ReturnStmt); ok && len(r.Results) == 0 {
				fd.add("drop-stmt", r, "")
			}
		}
	case *ast.CallExpr:
		fd.call(n)
	case *ast.BasicLit:
		fd.literal(n)
	case *ast.Ident:
		if (n.Name == "true" || n.Name == "false") && n.Obj == nil {
			fd.add("bool", n, map[string]string{"true": "false", "false": "true"}[n.Name])
		}
	}
	return true
}

// returns adds error-nil mutants for the return statements of one function
// whose last result is error (nested function literals are visited on their
// own).
func (fd *finder) returns(ft *ast.FuncType, body *ast.BlockStmt) {
	if ft.Results == nil || len(ft.Results.List) == 0 {
		return
	}
	last := ft.Results.List[len(ft.Results.List)-1]
	if id, ok := last.Type.(*ast.Ident); !ok || id.Name != "error" {
		return
	}
	n := 0
	for _, f := range ft.Results.List {
		n += max(1, len(f.Names))
	}
	ast.Inspect(body, func(node ast.Node) bool {
		switch node := node.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			if len(node.Results) != n {
				return true
			}
			res := node.Results[n-1]
			if id, ok := res.(*ast.Ident); ok && id.Name == "nil" {
				return true
			}
			fd.add("error-nil", res, "nil")
		}
		return true
	})
}

// statements adds drop-stmt mutants: call statements and plain assignments.
func (fd *finder) statements(list []ast.Stmt) {
	for _, s := range list {
		switch s := s.(type) {
		case *ast.ExprStmt:
			if _, ok := s.X.(*ast.CallExpr); ok {
				fd.add("drop-stmt", s, "")
			}
		case *ast.AssignStmt:
			if s.Tok == token.ASSIGN {
				fd.add("drop-stmt", s, "")
			}
		}
	}
}

// droppable are the chain methods whose call drop-call removes.
var droppable = map[string]bool{
	"Where": true, "Or": true, "Not": true, "Limit": true, "Unscoped": true, "Order": true,
	"Clauses": true, "Select": true, "Omit": true, "Session": true,
}

func (fd *finder) call(c *ast.CallExpr) {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok || !droppable[sel.Sel.Name] {
		return
	}
	if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil && !strings.Contains(fd.text(sel.X), ".") && isPackageLike(id.Name) {
		return // a package function (clause.Where is a type, not a call)
	}
	fd.add("drop-call", c, fd.text(sel.X))
}

// isPackageLike reports whether an unresolved identifier names a package.
func isPackageLike(name string) bool {
	switch name {
	case "clause", "gorm", "schema", "strings", "fmt", "errors", "reflect", "dialect", "slices", "sort", "logger":
		return true
	}
	return false
}

// sqlWord recognises string literals that hold SQL.
var sqlWord = regexp.MustCompile(`\b(SELECT|UPDATE|DELETE|INSERT|WHERE|FROM|JOIN|IS NULL|IS NOT NULL|AND|OR|CREATE|INDEX|LIMIT|ORDER BY|SAVEPOINT|ROLLBACK|RELEASE|CASE WHEN|UNION|EXISTS|COALESCE|IN|ANY|HAVING|GROUP BY)\b`)

// sqlSwaps are the sql-literal replacements, each applied to one occurrence.
var sqlSwaps = []struct{ from, to string }{
	{"IS NOT NULL", "IS NULL"},
	{"IS NULL", "IS NOT NULL"},
	{" AND ", " OR "},
	{" OR ", " AND "},
	{" IN (", " NOT IN ("},
	{" <= ", " < "},
	{" >= ", " > "},
	{" < ", " <= "},
	{" > ", " >= "},
	{"<>", "="},
	{" = ", " <> "},
	{"UNIQUE ", ""},
	{"UNION ", "UNION ALL "},
	{" DESC", " ASC"},
	{"DISTINCT ", ""},
}

func (fd *finder) literal(lit *ast.BasicLit) {
	if fd.skip[lit] {
		return
	}
	switch lit.Kind {
	case token.INT:
		v, err := strconv.ParseInt(lit.Value, 0, 64)
		if err != nil {
			return
		}
		fd.add("const", lit, strconv.FormatInt(v+1, 10))
		if v > 0 {
			fd.add("const", lit, strconv.FormatInt(v-1, 10))
		}
	case token.STRING:
		s, err := strconv.Unquote(lit.Value)
		if err != nil || !sqlWord.MatchString(s) {
			return
		}
		for _, sw := range sqlSwaps {
			for i := 0; ; {
				j := strings.Index(s[i:], sw.from)
				if j < 0 {
					break
				}
				j += i
				if sw.from == "UNION " && strings.HasPrefix(s[j:], "UNION ALL") {
					i = j + len(sw.from)
					continue
				}
				fd.add("sql-literal", lit, quoteLike(lit.Value, s[:j]+sw.to+s[j+len(sw.from):]))
				i = j + len(sw.from)
			}
		}
	}
}

// quoteLike quotes s as a raw string when orig was one and s allows it.
func quoteLike(orig, s string) string {
	if strings.HasPrefix(orig, "`") && !strings.Contains(s, "`") {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// assignIDs describes each mutant by the line(s) it changes and derives its
// id from the file, the operator and that text, numbering repeats.
func (fd *finder) assignIDs() {
	seen := map[string]int{}
	for i := range fd.out {
		m := &fd.out[i]
		ls := bytes.LastIndexByte(fd.src[:m.start], '\n') + 1
		le := m.end + bytes.IndexByte(append(fd.src[m.end:], '\n'), '\n')
		m.before = oneLine(string(fd.src[ls:le]))
		m.after = oneLine(string(fd.src[ls:m.start]) + m.repl + string(fd.src[m.end:le]))
		sum := sha1.Sum([]byte(m.file + "\x00" + m.op + "\x00" + m.before + "\x00" + m.after))
		id := m.op + "-" + hex.EncodeToString(sum[:])[:10]
		seen[id]++
		if seen[id] > 1 {
			id = fmt.Sprintf("%s.%d", id, seen[id])
		}
		m.id = id
	}
}

// oneLine collapses whitespace so a multi-line statement prints on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// gremlinsOutput is the part of gremlins' JSON output (-o) the report reads.
type gremlinsOutput struct {
	Files []struct {
		Filename  string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

// gremlinsReport prints gremlins' surviving and uncovered mutants with their
// source line and id (for equivalent.txt), and the SUMMARY line. A mutant no
// test covers counts as lived: the behaviour it changes is not pinned. But
// gremlins takes coverage from go test -cover, whose blocks leave out the
// expressions of switch cases: with retest, such "NOT COVERED" mutants are
// applied and tested here instead. So are the ones gremlins timed out: its
// timeout is a multiple of one coverage run, which a loaded machine (or a
// slower PostgreSQL) easily exceeds, and a timeout counts as killed; here they
// run again under the script's generous per-mutant timeout, so only a mutant
// that really hangs counts as detected by timing out.
func gremlinsReport(path, dir, equivFile string, retest bool, timeout time.Duration) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var out gremlinsOutput
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	accepted, err := readEquivalents(equivFile)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	var survivors []string
	for _, f := range out.Files {
		src, _ := os.ReadFile(filepath.Join(dir, f.Filename))
		lines := strings.Split(string(src), "\n")
		for _, m := range f.Mutations {
			text := ""
			if m.Line >= 1 && m.Line <= len(lines) {
				text = lines[m.Line-1]
			}
			indent := len(text) - len(strings.TrimLeft(text, " \t"))
			sum := sha1.Sum([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d", f.Filename, m.Type, oneLine(text), m.Column-indent)))
			id := "gremlins-" + strings.ToLower(m.Type) + "-" + hex.EncodeToString(sum[:])[:10]
			st := m.Status
			if (st == "NOT COVERED" || st == "TIMED OUT") && retest {
				if tm, ok := tokenMutant(f.Filename, src, m.Type, m.Line, m.Column); ok {
					was := st
					res, err := test(dir, tm, timeout)
					if err != nil {
						return err
					}
					st = map[status]string{killed: "KILLED", timedOut: "TIMED OUT", lived: "LIVED", notViable: "NOT VIABLE"}[res]
					fmt.Printf("retested %s:%d:%d %s (%s per gremlins): %s\n", f.Filename, m.Line, m.Column, m.Type, strings.ToLower(was), st)
				}
			}
			if _, ok := accepted[id]; ok && (st == "LIVED" || st == "NOT COVERED") {
				st = "EQUIVALENT"
			}
			counts[st]++
			if st == "LIVED" || st == "NOT COVERED" {
				survivors = append(survivors, fmt.Sprintf("%s\t%s:%d:%d %s %s: %s", id, f.Filename, m.Line, m.Column, m.Type, st, oneLine(text)))
			}
		}
	}
	detected := counts["KILLED"] + counts["TIMED OUT"]
	viable := detected + counts["LIVED"] + counts["NOT COVERED"]
	fmt.Printf("gremlins: killed %d, timed out %d, lived %d, not covered %d, accepted equivalent %d, not viable %d\n",
		counts["KILLED"], counts["TIMED OUT"], counts["LIVED"], counts["NOT COVERED"], counts["EQUIVALENT"], counts["NOT VIABLE"])
	if viable > 0 {
		fmt.Printf("score: %d/%d = %.1f%%\n", detected, viable, 100*float64(detected)/float64(viable))
	}
	fmt.Printf("SUMMARY detected=%d viable=%d\n", detected, viable)
	for _, s := range survivors {
		fmt.Println(s)
	}
	return nil
}

// gremlinsTokens maps a gremlins mutator type to its token replacements.
var gremlinsTokens = map[string]map[string]string{
	"CONDITIONALS_NEGATION": {"==": "!=", "!=": "==", "<": ">=", ">": "<=", "<=": ">", ">=": "<"},
	"CONDITIONALS_BOUNDARY": {"<": "<=", ">": ">=", "<=": "<", ">=": ">"},
	"ARITHMETIC_BASE":       {"+": "-", "-": "+", "*": "/", "/": "*", "%": "*"},
	"INCREMENT_DECREMENT":   {"++": "--", "--": "++"},
	"INVERT_LOGICAL":        {"&&": "||", "||": "&&"},
	"INVERT_LOOPCTRL":       {"break": "continue", "continue": "break"},
	"INVERT_ASSIGNMENTS":    {"+=": "-=", "-=": "+=", "*=": "/=", "/=": "*=", "%=": "*="},
	"INVERT_NEGATIVES":      {"-": ""},
}

// tokenMutant rebuilds a gremlins mutant: the operator at line:column of
// src replaced as gremlins' mutator type replaces it.
func tokenMutant(file string, src []byte, typ string, line, col int) (mutant, bool) {
	repl, ok := gremlinsTokens[typ]
	if !ok {
		return mutant{}, false
	}
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return mutant{}, false
		}
		off += i + 1
	}
	off += col - 1
	// the longest operator that starts at the position
	best := ""
	for from := range repl {
		if len(from) > len(best) && bytes.HasPrefix(src[off:], []byte(from)) {
			best = from
		}
	}
	if best == "" {
		return mutant{}, false
	}
	return mutant{file: file, op: typ, start: off, end: off + len(best), repl: repl[best], line: line}, true
}
