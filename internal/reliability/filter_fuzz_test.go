package reliability_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// Item is the fuzzed table: small integer columns a, b, c over 40 rows, about
// half of them soft-deleted.
type Item struct {
	ID        uint `gorm:"primarykey"`
	A, B, C   int
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// itemRows is the number of seeded rows.
const itemRows = 40

// itemDeleted says which seeded rows are soft-deleted (19 of 40, spread over
// every value of a, b and c).
func itemDeleted(id uint) bool { return (id*37)%11 < 5 }

// fuzzModel is a model the filter fuzzers query: the grammar's struct
// conditions and table-qualified raw columns are spelled for it.
type fuzzModel struct {
	name       string             // Go type name, for descriptions
	table      string             // table (or relation-join alias) raw SQL qualifies columns with
	model      func() any         // a pointer to a zero value, for Model(...)
	structCond func(a, b int) any // a struct condition with A and B set
}

// itemModel is Item (softdelete.DeletedAt).
var itemModel = fuzzModel{"Item", "items", func() any { return &Item{} }, func(a, b int) any { return &Item{A: a, B: b} }}

// filterFixture is a seeded database for the filter properties.
type filterFixture struct {
	db      *gorm.DB
	m       *fuzzModel
	deleted map[uint]bool // id -> soft-deleted
}

// seedItems creates and fills the items table on db (plugin registered).
func seedItems(t testing.TB, db *gorm.DB) *filterFixture {
	t.Helper()
	registerForFuzz(t, db)
	return &filterFixture{db: db, m: &itemModel, deleted: seedFuzzRows(t, db, func(id uint, a, b, c int) Item {
		return Item{ID: id, A: a, B: b, C: c}
	})}
}

// registerForFuzz registers the plugin on db unless it already is.
func registerForFuzz(t testing.TB, db *gorm.DB) {
	t.Helper()
	if _, ok := db.Config.Plugins["softdelete"]; ok {
		return
	}
	if err := db.Use(softdelete.New(softdelete.WithClock(newClock().Now))); err != nil {
		t.Fatal(err)
	}
}

// seedFuzzRows migrates T with softdelete.AutoMigrate (registering its
// table), creates itemRows rows (ids 1..40, a = id%5, b = id/5%4,
// c = id*7%3) and soft-deletes those itemDeleted picks; it returns them.
func seedFuzzRows[T any](t testing.TB, db *gorm.DB, row func(id uint, a, b, c int) T) map[uint]bool {
	t.Helper()
	var zero T
	if err := softdelete.AutoMigrate(db, &zero); err != nil {
		t.Fatal(err)
	}
	rows := make([]T, itemRows)
	for i := range rows {
		id := uint(i + 1)
		rows[i] = row(id, int(id%5), int(id/5)%4, int(id*7)%3)
	}
	if err := db.Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
	deleted := map[uint]bool{}
	var del []uint
	for id := uint(1); id <= itemRows; id++ {
		if itemDeleted(id) {
			del = append(del, id)
			deleted[id] = true
		}
	}
	if err := db.Delete(&zero, del).Error; err != nil {
		t.Fatal(err)
	}
	return deleted
}

// processFixtures are the SQLite databases of the fuzz loops, opened once
// per process (each fuzz worker is a process) and fixture: in memory, one
// connection that is never closed, so the database lives as long as the
// process.
var processFixtures struct {
	mu     sync.Mutex
	byName map[string]any
}

// processFixture returns the process's in-memory SQLite database named
// name, seeded by seed on first use.
func processFixture[F any](t testing.TB, name string, seed func(testing.TB, *gorm.DB) F) F {
	processFixtures.mu.Lock()
	defer processFixtures.mu.Unlock()
	if fx, ok := processFixtures.byName[name]; ok {
		return fx.(F)
	}
	db, err := gorm.Open(sqlite.Open("file::memory:"), quietConfig())
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	fx := seed(t, db)
	if processFixtures.byName == nil {
		processFixtures.byName = map[string]any{}
	}
	processFixtures.byName[name] = fx
	return fx
}

// fuzzFixture returns the process's seeded in-memory SQLite items fixture.
func fuzzFixture(t testing.TB) *filterFixture { return processFixture(t, "items", seedItems) }

// FuzzFilter decodes its input into a tree of Where/Or/Not conditions,
// groups (db.Where(db.Where(...).Or(...))), raw SQL with OR/AND joined by
// spaces, newlines, tabs or nothing, clause.Expr, named and structured
// conditions, on a Model or a registered Table, and checks on SQLite that
//
//   - the default query returns no deleted row;
//   - WithDeleted(Q) = Unscoped(Q) = Q ∪ OnlyDeleted(Q), and Q, OnlyDeleted(Q)
//     are disjoint;
//   - Q is exactly the live rows of WithDeleted(Q), OnlyDeleted(Q) exactly its
//     deleted rows (the predicate is ANDed at top level, semantically);
//   - Count(Q) = len(Q), and reusing one chain (Session) for every variant
//     gives the same sets as building each afresh (no shared clause mutated);
//   - the SQL of Q and OnlyDeleted(Q) has no OR and no line comment at
//     parenthesis depth 0 of its WHERE, and the predicate there (syntactically).
//
// Any failure fails. The seed corpus (f.Add
// and testdata/fuzz/FuzzFilter) runs in every go test;
// TestFilterCorpusPostgres runs it on PostgreSQL.
func FuzzFilter(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFilter(t, fuzzFixture(t), data)
	})
}

// TestFilterCorpusPostgres runs FuzzFilter's seeds and committed corpus on
// PostgreSQL (FuzzFilter itself runs them on SQLite).
func TestFilterCorpusPostgres(t *testing.T) {
	corpus := append([][]byte(nil), filterSeeds...)
	corpus = append(corpus, readCorpus(t, filepath.Join("testdata", "fuzz", "FuzzFilter"))...)
	fx := seedItems(t, testdb.Open(t, "postgres", quietConfig()))
	for i, data := range corpus {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkFilter(t, fx, data) })
	}
}

// readCorpus reads the []byte inputs of a Go fuzz corpus directory (files
// "go test fuzz v1" followed by one []byte("...") line).
func readCorpus(t *testing.T, dir string) [][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	var out [][]byte
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		if !sc.Scan() || sc.Text() != "go test fuzz v1" {
			t.Fatalf("corpus file %s: not a go test fuzz v1 file", e.Name())
		}
		if !sc.Scan() {
			t.Fatalf("corpus file %s: no value", e.Name())
		}
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "[]byte(") || !strings.HasSuffix(line, ")") {
			t.Fatalf("corpus file %s: want one []byte value, got %q", e.Name(), line)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "[]byte("), ")"))
		if err != nil {
			t.Fatalf("corpus file %s: %v", e.Name(), err)
		}
		out = append(out, []byte(s))
	}
	return out
}

// filterSeeds are hand-written inputs covering every construct of the
// grammar (see decoder.cond); the comment shows what each decodes to.
var filterSeeds = [][]byte{
	{},                       // db.Model(&Item{})
	{0, 0, 0, 0, 0, 0, 0, 1}, // db.Model(&Item{}).Where("a = ?", [1])
	{0, 1, 0, 1, 0, 0, 0, 2}, // db.Model(&Item{}).Or("b = ?", [2])
	{0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 2},          // db.Model(&Item{}).Where("a = ? OR\nb = ?", [1 2])
	{1, 0, 0, 0, 0, 0, 1, 1, 2, 2, 1, 0, 0, 1, 2},          // db.Table("items").Where("a = ?\tor\tb = ?", [1 2])
	{0, 0, 0, 0, 1, 1, 1, 0, 5, 5, 1, 1, 1, 1, 2},          // db.Model(&Item{}).Where("(\"a\" = ?)OR(\"b\" = ?)", [1 2])
	{0, 0, 7, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 2}, // db.Model(&Item{}).Where(db.Where("a = ?", [1]).Or("b = ?", [2]))
	{0, 2, 7, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 2}, // db.Model(&Item{}).Not(db.Where("a = ?", [1]).Or("b = ?", [2]))
	{0, 2, 2, 3, 1},          // db.Model(&Item{}).Not(&Item{A: 3, B: 1})
	{1, 0, 3, 1, 3, 1, 2, 4}, // db.Table("items").Where(map[b:3 c:4])
	{0, 0, 4, 2, 2, 4, 1, 3, 0, 0, 1, 0, 0, 1, 3, 0}, // db.Model(&Item{}).Where(gorm.Expr("items.c BETWEEN ? AND ? AND b = ?", [1 3 0]))
	{0, 0, 5, 2, 1, 0},                                                       // db.Model(&Item{}).Where(clause.Gt{c, 1})
	{0, 1, 6, 0, 1, 2, 0, 0, 0, 2, 0, 0, 0, 1},                               // db.Model(&Item{}).Or("a IN ?", [1 2]).Where("items.a = ?", [0]).Or("a = ?", [0])
	{0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1, 3, 2, 1, 2},                            // db.Model(&Item{}).Where("a = (@p0) OR \"items\".\"b\" IN ((@p1), (@p2))", map[p0:1 p1:2 p2:0])
	{0, 0, 0, 2, 3, 3, 0, 2, 0, 1, 7, 1, 0, 0, 0, 3, 2, 2, 1, 1, 0, 0, 0, 2}, // db.Model(&Item{}).Where("? < \"items\".\"c\"", [2]).Where("\"b\" = ?", [0]).Where(&Item{A: 2, B: 1}).Or("a IN (?, ?)", [0 0])
}

// filterProg is a decoded fuzz input: a function building the query on a
// base *gorm.DB, and a Go-like description of it for failure messages.
type filterProg struct {
	m     *fuzzModel
	table bool // Table("items") instead of Model(&Item{})
	ops   []filterOp
}

// filterOp is one chain call (Where, Or or Not) with its condition.
type filterOp struct {
	verb string // "Where", "Or", "Not"
	cond filterCond
}

// filterCond is one condition: either a query with args, or a group.
type filterCond struct {
	query any
	args  []any
	group []filterOp // when set, the condition is db.<ops> on a fresh chain
	desc  string
}

// decoder reads fuzz bytes; past the end it reads zeros, so every input
// decodes to a (possibly empty) program.
type decoder struct {
	m    *fuzzModel // what struct conditions and qualified columns are spelled for
	data []byte
	pos  int
}

// next returns the next byte.
func (d *decoder) next() byte {
	if d.pos >= len(d.data) {
		d.pos++
		return 0
	}
	b := d.data[d.pos]
	d.pos++
	return b
}

// intn returns a number in [0, n).
func (d *decoder) intn(n int) int { return int(d.next()) % n }

// more reports whether unread input is left.
func (d *decoder) more() bool { return d.pos < len(d.data) }

// Grammar limits.
const (
	maxTopOps   = 6
	maxGroupOps = 3
	maxDepth    = 3
)

// decodeFilter turns fuzz input into a program on m.
func decodeFilter(m *fuzzModel, data []byte) filterProg {
	d := &decoder{m: m, data: data}
	p := filterProg{m: m, table: d.intn(2) == 1}
	for i := 0; i < maxTopOps && d.more(); i++ {
		p.ops = append(p.ops, d.op(0))
	}
	return p
}

// verbs are the chain calls a condition is applied with.
var verbs = []string{"Where", "Or", "Not", "Where"}

// op decodes one chain call.
func (d *decoder) op(depth int) filterOp {
	return filterOp{verb: verbs[d.intn(len(verbs))], cond: d.cond(depth)}
}

// columns render a, b, c (argument 1) in the spellings raw SQL uses: bare,
// quoted, qualified with the table (argument 2), quoted and qualified.
// quotedStart/End report whether a spelling starts/ends with a quote (it may
// then touch a keyword).
var columns = []struct {
	sql                    string
	quotedStart, quotedEnd bool
}{
	{"%[1]s", false, false},
	{`"%[1]s"`, true, true},
	{"%[2]s.%[1]s", false, false},
	{`"%[2]s"."%[1]s"`, true, true},
}

// atom is one raw comparison; open/closed report whether it starts/ends with
// a parenthesis or quote, so that it may touch a keyword without a space.
type atom struct {
	sql          string
	vars         int
	open, closed bool
}

// atom decodes one raw comparison on a random column.
func (d *decoder) atom() atom {
	name := string(rune('a' + d.intn(3)))
	col := columns[d.intn(len(columns))]
	c := fmt.Sprintf(col.sql, name, d.m.table)
	switch d.intn(7) {
	case 0:
		return atom{c + " = ?", 1, col.quotedStart, false}
	case 1:
		return atom{"(" + c + " = ?)", 1, true, true}
	case 2:
		return atom{c + " IN (?, ?)", 2, col.quotedStart, true}
	case 3:
		return atom{"? < " + c, 1, false, col.quotedEnd}
	case 4:
		return atom{c + " BETWEEN ? AND ?", 2, col.quotedStart, false}
	case 5:
		return atom{"NOT " + c + " = ?", 1, false, false}
	default:
		return atom{c + " <> ?", 1, col.quotedStart, false}
	}
}

// keywords join raw atoms; separators surround them ("" only where the
// neighbouring atom ends or starts with a parenthesis or quote).
var (
	keywords   = []string{"OR", "or", "Or", "AND", "and", "OR"}
	separators = []string{" ", "\n", "\t", "\r\n", "  ", ""}
)

// raw decodes raw SQL of 1 to 3 atoms joined by OR/AND with varied
// whitespace, and its placeholder count.
func (d *decoder) raw() (string, int) {
	a := d.atom()
	sql, vars := a.sql, a.vars
	prev := a
	for n := d.intn(3); n > 0; n-- {
		kw := keywords[d.intn(len(keywords))]
		left, right := separators[d.intn(len(separators))], separators[d.intn(len(separators))]
		next := d.atom()
		if left == "" && !prev.closed {
			left = " "
		}
		if right == "" && !next.open {
			right = " "
		}
		sql += left + kw + right + next.sql
		vars += next.vars
		prev = next
	}
	return sql, vars
}

// values decodes n small integers (bound placeholders).
func (d *decoder) values(n int) []any {
	vs := make([]any, n)
	for i := range vs {
		vs[i] = d.intn(5)
	}
	return vs
}

// cond decodes one condition.
func (d *decoder) cond(depth int) filterCond {
	switch k := d.intn(10); {
	case k == 0 || k == 1: // raw SQL with placeholders
		sql, n := d.raw()
		args := d.values(n)
		return filterCond{query: sql, args: args, desc: fmt.Sprintf("%q, %v", sql, args)}
	case k == 2: // struct (zero fields are ignored by GORM)
		a, b := d.intn(5), d.intn(3)
		return filterCond{query: d.m.structCond(a, b), desc: fmt.Sprintf("&%s{A: %d, B: %d}", d.m.name, a, b)}
	case k == 3: // map
		m := map[string]any{string(rune('a' + d.intn(3))): d.intn(5)}
		if d.intn(2) == 1 {
			m[string(rune('a'+d.intn(3)))] = d.intn(5)
		}
		return filterCond{query: m, desc: fmt.Sprintf("%v", m)}
	case k == 4: // clause.Expr (gorm.Expr) carrying raw SQL
		sql, n := d.raw()
		e := gorm.Expr(sql, d.values(n)...)
		return filterCond{query: e, desc: fmt.Sprintf("gorm.Expr(%q, %v)", sql, e.Vars)}
	case k == 5: // structured clause
		col := clause.Column{Name: string(rune('a' + d.intn(3)))}
		v := d.intn(5)
		exprs := []clause.Expression{clause.Gt{Column: col, Value: v}, clause.Eq{Column: col, Value: v},
			clause.Neq{Column: col, Value: v}, clause.Lte{Column: col, Value: v}}
		i := d.intn(len(exprs))
		return filterCond{query: exprs[i], desc: fmt.Sprintf("%T{%s, %d}", exprs[i], col.Name, v)}
	case k == 6: // IN with a slice
		name := string(rune('a' + d.intn(3)))
		vs := []int{d.intn(5), d.intn(5)}
		return filterCond{query: name + " IN ?", args: []any{vs}, desc: fmt.Sprintf("%q, %v", name+" IN ?", vs)}
	case (k == 7 || k == 8) && depth < maxDepth: // group
		var g []filterOp
		for n := 1 + d.intn(maxGroupOps); n > 0; n-- {
			g = append(g, d.op(depth+1))
		}
		return filterCond{group: g, desc: "db." + describeOps(g)}
	case k == 9: // named parameters, each in parentheses: GORM's NamedExpr
		// parser ends a name only at a space, newline, comma, quote or ')',
		// so "@p0\tOR" would be read as one name
		sql, n := d.raw()
		named := map[string]any{}
		for i := range n {
			sql = strings.Replace(sql, "?", "(@p"+strconv.Itoa(i)+")", 1)
			named["p"+strconv.Itoa(i)] = d.intn(5)
		}
		if n == 0 {
			return filterCond{query: sql, desc: fmt.Sprintf("%q", sql)}
		}
		return filterCond{query: sql, args: []any{named}, desc: fmt.Sprintf("%q, %v", sql, named)}
	default:
		v := d.intn(3)
		return filterCond{query: "c = ?", args: []any{v}, desc: fmt.Sprintf("\"c = ?\", [%d]", v)}
	}
}

// describeOps renders ops as a Go-like chain.
func describeOps(ops []filterOp) string {
	parts := make([]string, len(ops))
	for i, o := range ops {
		parts[i] = fmt.Sprintf("%s(%s)", o.verb, o.cond.desc)
	}
	return strings.Join(parts, ".")
}

// String describes the program as Go code.
func (p filterProg) String() string {
	base := "db.Model(&" + p.m.name + "{})"
	if p.table {
		base = `db.Table("` + p.m.table + `")`
	}
	if len(p.ops) == 0 {
		return base
	}
	return base + "." + describeOps(p.ops)
}

// apply applies ops to q; fresh is the root *gorm.DB groups are built on.
func apply(q, fresh *gorm.DB, ops []filterOp) *gorm.DB {
	for _, o := range ops {
		var query any
		var args []any
		if o.cond.group != nil {
			query = apply(fresh, fresh, o.cond.group)
		} else {
			query, args = o.cond.query, o.cond.args
		}
		switch o.verb {
		case "Where":
			q = q.Where(query, args...)
		case "Or":
			q = q.Or(query, args...)
		case "Not":
			q = q.Not(query, args...)
		}
	}
	return q
}

// build returns the program's query on db.
func (p filterProg) build(db *gorm.DB) *gorm.DB {
	q := db.Model(p.m.model())
	if p.table {
		q = db.Table(p.m.table)
	}
	return apply(q, db, p.ops)
}

// variant is one way of running the program.
type variant struct {
	name  string
	scope func(*gorm.DB) *gorm.DB
}

// variants are the scopes every program runs under.
var variants = []variant{
	{"default", func(db *gorm.DB) *gorm.DB { return db }},
	{"WithDeleted", func(db *gorm.DB) *gorm.DB { return db.Scopes(softdelete.WithDeleted) }},
	{"OnlyDeleted", func(db *gorm.DB) *gorm.DB { return db.Scopes(softdelete.OnlyDeleted) }},
	{"Unscoped", func(db *gorm.DB) *gorm.DB { return db.Unscoped() }},
}

// checkFilter checks every property of FuzzFilter for one input.
func checkFilter(t *testing.T, fx *filterFixture, data []byte) {
	p := decodeFilter(fx.m, data)
	db := fx.db
	ids := func(q *gorm.DB) []uint {
		var out []uint
		if err := q.Pluck("id", &out).Error; err != nil {
			t.Fatalf("%s: %v\nSQL: %s", p, err, p.sql(db, variants[0]))
		}
		return sortIDs(out)
	}
	got := map[string][]uint{}
	for _, v := range variants {
		got[v.name] = ids(v.scope(p.build(db)))
	}
	def, with, only := got["default"], got["WithDeleted"], got["OnlyDeleted"]

	// leaks: the filter does not hold (a deleted row in the default query, a
	// live one in OnlyDeleted, the predicate not ANDed at top level)
	var leaks []string
	for _, id := range def {
		if fx.deleted[id] {
			leaks = append(leaks, fmt.Sprintf("default query returned deleted row %d", id))
		}
	}
	for _, id := range only {
		if !fx.deleted[id] {
			leaks = append(leaks, fmt.Sprintf("OnlyDeleted returned live row %d", id))
		}
	}
	for _, v := range []variant{variants[0], variants[2]} {
		if msg := topLevelProblem(p.sql(db, v), v.name == "OnlyDeleted"); msg != "" {
			leaks = append(leaks, v.name+": "+msg)
		}
	}

	// mismatches: the variants disagree about what the query means
	var mismatches []string
	chain := p.build(db).Session(&gorm.Session{}) // one reused chain, variants in another order
	for i := len(variants) - 1; i >= 0; i-- {
		v := variants[i]
		if again := ids(v.scope(chain)); !slices.Equal(again, got[v.name]) {
			mismatches = append(mismatches, fmt.Sprintf("%s on a reused chain returned %v, built afresh %v", v.name, again, got[v.name]))
		}
	}
	if !slices.Equal(with, got["Unscoped"]) {
		mismatches = append(mismatches, fmt.Sprintf("WithDeleted %v != Unscoped %v", with, got["Unscoped"]))
	}
	var wantDef, wantOnly []uint
	for _, id := range with {
		if fx.deleted[id] {
			wantOnly = append(wantOnly, id)
		} else {
			wantDef = append(wantDef, id)
		}
	}
	if !slices.Equal(def, sortIDs(wantDef)) {
		mismatches = append(mismatches, fmt.Sprintf("default %v != live rows of WithDeleted %v", def, wantDef))
	}
	if !slices.Equal(only, sortIDs(wantOnly)) {
		mismatches = append(mismatches, fmt.Sprintf("OnlyDeleted %v != deleted rows of WithDeleted %v", only, wantOnly))
	}
	var n int64
	if err := p.build(db).Count(&n).Error; err != nil {
		t.Fatalf("%s: Count: %v", p, err)
	}
	if n != int64(len(def)) {
		mismatches = append(mismatches, fmt.Sprintf("Count %d != len(Find) %d", n, len(def)))
	}

	if len(leaks)+len(mismatches) == 0 {
		return
	}
	msg := strings.Join(append(leaks, mismatches...), "\n")
	sql := p.sql(db, variants[0])
	t.Fatalf("%s\n%s\nSQL: %s", p, msg, sql)
}

// sql renders the variant's SQL without running it (DryRun on a fresh
// session, so groups are built exactly as when the query runs; db.ToSQL's
// session renders groups built on it differently).
func (p filterProg) sql(db *gorm.DB, v variant) string {
	var out []uint
	stmt := v.scope(p.build(db.Session(&gorm.Session{DryRun: true, NewDB: true}))).Pluck("id", &out).Statement
	return db.Dialector.Explain(stmt.SQL.String(), stmt.Vars...)
}

// topLevelProblem checks that sql's WHERE has the soft-delete predicate
// (IS NULL, or IS NOT NULL when only) as a conjunct at parenthesis depth 0,
// and no OR or line comment at depth 0 that could bypass it.
func topLevelProblem(sql string, only bool) string {
	where := whereClause(sql)
	toks := tokenize(where)
	want := []string{"IS", "NULL"}
	if only {
		want = []string{"IS", "NOT", "NULL"}
	}
	found := false
	for i, tk := range toks {
		if tk.depth != 0 {
			continue
		}
		switch {
		case tk.kind == tokComment:
			return "a line comment at the top level of the WHERE"
		case tk.kind == tokWord && strings.EqualFold(tk.text, "OR"):
			return "an OR at the top level of the WHERE (the predicate is not ANDed)"
		case tk.kind == tokQuoted && strings.Trim(tk.text, "\"`") == "deleted_at" && i+len(want) < len(toks):
			ok := true
			for j, w := range want {
				ok = ok && strings.EqualFold(toks[i+1+j].text, w)
			}
			found = found || ok
		}
	}
	if !found {
		return "no soft-delete predicate at the top level of the WHERE"
	}
	return ""
}

// whereClause returns what follows the first WHERE at depth 0 ("" if none).
func whereClause(sql string) string {
	for _, tk := range tokenize(sql) {
		if tk.depth == 0 && tk.kind == tokWord && strings.EqualFold(tk.text, "WHERE") {
			return sql[tk.end:]
		}
	}
	return ""
}

// token kinds of the small SQL tokenizer.
const (
	tokWord    = iota // keyword, identifier, number
	tokQuoted         // "identifier" or `identifier`
	tokString         // 'literal'
	tokComment        // -- to end of line
	tokPunct          // anything else
)

// token is one SQL token with its parenthesis depth and byte offsets.
type token struct {
	kind       int
	text       string
	depth      int
	start, end int
}

// tokenize splits sql into tokens, tracking parenthesis depth; it knows
// enough SQL (quotes, literals, comments) to find top-level keywords.
func tokenize(sql string) []token {
	var toks []token
	depth := 0
	for i := 0; i < len(sql); {
		c := sql[i]
		start := i
		kind := tokPunct
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			i++
			continue
		case c == '(':
			i++
			toks = append(toks, token{tokPunct, "(", depth, start, i})
			depth++
			continue
		case c == ')':
			depth--
			i++
			toks = append(toks, token{tokPunct, ")", depth, start, i})
			continue
		case c == '\'' || c == '"' || c == '`':
			kind = tokQuoted
			if c == '\'' {
				kind = tokString
			}
			i++
			for i < len(sql) {
				if sql[i] == c {
					if i+1 < len(sql) && sql[i+1] == c {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			kind = tokComment
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '_' || c == '$' || c == '?' || c == '@' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z'):
			kind = tokWord
			for i < len(sql) && (sql[i] == '_' || sql[i] == '$' || ('0' <= sql[i] && sql[i] <= '9') ||
				('a' <= sql[i] && sql[i] <= 'z') || ('A' <= sql[i] && sql[i] <= 'Z')) {
				i++
			}
			if i == start {
				i++
			}
		default:
			i++
		}
		if i > len(sql) {
			i = len(sql)
		}
		toks = append(toks, token{kind, sql[start:i], depth, start, i})
	}
	return toks
}
