package reliability_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// Sibling fuzz targets of FuzzFilter: the same grammar of conditions, on a
// gorm.Model model (GORM's own gorm.DeletedAt filter, grouped by the plugin)
// and in the ON condition of relation joins. Their seeds and committed
// corpora (testdata/fuzz/<target>) run in every go test on SQLite, and on
// PostgreSQL in TestFilterFuzzCorporaPostgres.

// GItem is Item as a gorm.Model model.
type GItem struct {
	gorm.Model
	A, B, C int
}

// gitemModel is GItem for the fuzz grammar.
var gitemModel = fuzzModel{"GItem", "g_items", func() any { return &GItem{} }, func(a, b int) any { return &GItem{A: a, B: b} }}

// seedGItems creates and fills the g_items table on db (plugin registered)
// exactly as seedItems fills items.
func seedGItems(t testing.TB, db *gorm.DB) *filterFixture {
	t.Helper()
	registerForFuzz(t, db)
	return &filterFixture{db: db, m: &gitemModel, deleted: seedFuzzRows(t, db, func(id uint, a, b, c int) GItem {
		return GItem{Model: gorm.Model{ID: id}, A: a, B: b, C: c}
	})}
}

// FuzzFilterGormModel is FuzzFilter on GItem, a gorm.Model model: every
// property of FuzzFilter (the default query is exactly the live rows of
// WithDeleted, OnlyDeleted exactly its deleted rows, WithDeleted =
// Unscoped, Count = len(Find), a reused chain agrees, and the predicate is
// ANDed at the top level of the SQL).
func FuzzFilterGormModel(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFilter(t, processFixture(t, "g_items", seedGItems), data)
	})
}

// Holder belongs to an Item and to a GItem: relation joins from holders
// filter the joined row in their ON condition.
type Holder struct {
	ID        uint `gorm:"primarykey"`
	ItemID    *uint
	Item      *Item
	GItemID   *uint
	GItem     *GItem
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// holderRows is the number of seeded holders.
const holderRows = 48

// holderDeleted says which holders are soft-deleted.
func holderDeleted(id uint) bool { return id%4 == 0 }

// holderRef is the id holder id points at through relation salt (0: none,
// so LEFT JOIN finds nothing): every item, live or deleted, is pointed at.
func holderRef(id uint, salt uint) uint { return (id * salt) % (itemRows + 1) }

// joinFixture is a seeded database for the relation-join properties: items,
// g_items and holders pointing at both.
type joinFixture struct {
	db      *gorm.DB
	items   *filterFixture
	gitems  *filterFixture
	holders map[uint]bool // id -> soft-deleted
}

// seedJoins creates and fills items, g_items and holders on db.
func seedJoins(t testing.TB, db *gorm.DB) *joinFixture {
	t.Helper()
	fx := &joinFixture{db: db, items: seedItems(t, db), gitems: seedGItems(t, db), holders: map[uint]bool{}}
	if err := softdelete.AutoMigrate(db, &Holder{}); err != nil {
		t.Fatal(err)
	}
	holders := make([]Holder, holderRows)
	var del []uint
	for i := range holders {
		id := uint(i + 1)
		holders[i] = Holder{ID: id}
		if ref := holderRef(id, 13); ref != 0 {
			holders[i].ItemID = &ref
		}
		if ref := holderRef(id, 17); ref != 0 {
			holders[i].GItemID = &ref
		}
		if holderDeleted(id) {
			del = append(del, id)
			fx.holders[id] = true
		}
	}
	if err := db.Create(&holders).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(&Holder{}, del).Error; err != nil {
		t.Fatal(err)
	}
	return fx
}

// joinRelations are the relations a join program joins: their alias (the
// relation's name, which GORM uses as the joined table's alias and which
// raw conditions qualify columns with) and model.
var joinRelations = []fuzzModel{
	{"Item", "Item", func() any { return &Item{} }, func(a, b int) any { return &Item{A: a, B: b} }},
	{"GItem", "GItem", func() any { return &GItem{} }, func(a, b int) any { return &GItem{A: a, B: b} }},
}

// joinProg is a decoded join fuzz input: holders joined to a relation
// (Joins or InnerJoins) under conditions of FuzzFilter's grammar.
type joinProg struct {
	rel   *fuzzModel
	inner bool
	ops   []filterOp // the join's conditions: Joins(rel, db.<ops>); none: Joins(rel)
}

// decodeJoin turns fuzz input into a join program: a byte choosing the
// relation and the join type, then FuzzFilter's conditions.
func decodeJoin(data []byte) joinProg {
	d := &decoder{data: data}
	k := d.intn(4)
	p := joinProg{rel: &joinRelations[k%2], inner: k >= 2}
	d.m = p.rel
	for i := 0; i < maxTopOps && d.more(); i++ {
		p.ops = append(p.ops, d.op(0))
	}
	return p
}

// String describes the program as Go code.
func (p joinProg) String() string {
	join := "Joins"
	if p.inner {
		join = "InnerJoins"
	}
	if len(p.ops) == 0 {
		return fmt.Sprintf("db.Model(&Holder{}).%s(%q)", join, p.rel.name)
	}
	return fmt.Sprintf("db.Model(&Holder{}).%s(%q, db.%s)", join, p.rel.name, describeOps(p.ops))
}

// build returns the program's query on db, selecting the holder's id and
// the joined row's.
func (p joinProg) build(db *gorm.DB) *gorm.DB {
	q := db.Model(&Holder{})
	var args []any
	if len(p.ops) > 0 {
		args = []any{apply(db, db, p.ops)}
	}
	if p.inner {
		q = q.InnerJoins(p.rel.name, args...)
	} else {
		q = q.Joins(p.rel.name, args...)
	}
	return q.Select(`"holders"."id" AS hid, "` + p.rel.name + `"."id" AS rid`)
}

// joinRow is one result row: a holder and the joined row (nil: none).
type joinRow struct {
	Hid uint
	Rid *uint
}

// key renders a row for set comparisons.
func (r joinRow) key() string {
	if r.Rid == nil {
		return fmt.Sprintf("%d->none", r.Hid)
	}
	return fmt.Sprintf("%d->%d", r.Hid, *r.Rid)
}

// FuzzFilterJoin decodes its input into a relation join from holders to a
// softdelete.DeletedAt or a gorm.DeletedAt model (Joins or InnerJoins) whose
// ON carries conditions of FuzzFilter's grammar (db.Where/Or/Not, groups,
// raw SQL with OR/AND and comments, named, struct, map and clause
// conditions), and checks on SQLite that the default query, WithDeleted and
// OnlyDeleted (which scope the holders only) return exactly:
//
//   - each holder their scope admits, joined to the row it points at when
//     that row matches the conditions and is live, else (LEFT JOIN) with no
//     row or (INNER JOIN) not at all — where "matches the conditions" is what
//     the same conditions select alone, as the WHERE of an unfiltered query
//     on the joined table under the join's alias: the filter in the ON means
//     "and the row is live", whatever the conditions;
//   - an error exactly when that WHERE query fails;
//
// and that the ON of the default query's SQL has the joined model's
// predicate ANDed at its top level, with no OR or line comment there.
//
// The oracle is not the Unscoped join: plain GORM puts an OR the join's
// conditions hold without " OR " spelled with spaces ("a = 1\nOR b = 2")
// next to the join's own key condition unparenthesised, which then joins
// every holder to every matching row (GORM's behaviour, which Unscoped
// keeps).
func FuzzFilterJoin(f *testing.F) {
	for _, s := range joinSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJoin(t, processFixture(t, "joins", seedJoins), data)
	})
}

// joinSeeds are FuzzFilter's seeds after each choice of relation and join
// type.
func joinSeeds() [][]byte {
	var out [][]byte
	for _, s := range filterSeeds {
		for k := range byte(4) {
			out = append(out, append([]byte{k}, s...))
		}
	}
	return out
}

// checkJoin checks every property of FuzzFilterJoin for one input.
func checkJoin(t *testing.T, fx *joinFixture, data []byte) {
	p := decodeJoin(data)
	db := fx.db
	matching, matchErr := p.matching(db)
	var problems []string
	for _, v := range variants[:3] { // default, WithDeleted, OnlyDeleted
		var rows []joinRow
		err := v.scope(p.build(db)).Find(&rows).Error
		switch {
		case matchErr != nil && err == nil:
			problems = append(problems, fmt.Sprintf("%s succeeded where the conditions alone fail (%v)", v.name, matchErr))
		case matchErr == nil && err != nil:
			problems = append(problems, fmt.Sprintf("%s failed where the conditions alone succeed: %v", v.name, err))
		case err == nil:
			got := make([]string, len(rows))
			for i, r := range rows {
				got[i] = r.key()
			}
			slices.Sort(got)
			if want := fx.expected(p, v.name, matching); !slices.Equal(got, want) {
				problems = append(problems, fmt.Sprintf("%s returned %v,\n  want %v", v.name, got, want))
			}
		}
	}
	if matchErr == nil {
		if msg := onProblem(p.sql(db), p.rel.name); msg != "" {
			problems = append(problems, "ON: "+msg)
		}
	}
	if len(problems) > 0 {
		t.Fatalf("%s\n%s\nSQL: %s", p, strings.Join(problems, "\n"), p.sql(db))
	}
}

// matching returns the ids of the joined table's rows, live or deleted, that
// the join's conditions select alone: an unfiltered query FROM "items"
// "Item" with the same chain calls, its statement's table the alias (as the
// ON's), so that raw columns and CurrentTable resolve as in the ON.
func (p joinProg) matching(db *gorm.DB) (map[uint]bool, error) {
	table := "items"
	if p.rel.name == "GItem" {
		table = "g_items"
	}
	q := db.Unscoped().Table(p.rel.name).Clauses(clause.From{Tables: []clause.Table{{Name: table, Alias: p.rel.name}}})
	q = apply(q, db, p.ops)
	var ids []uint
	if err := q.Pluck(`"`+p.rel.name+`"."id"`, &ids).Error; err != nil {
		return nil, err
	}
	out := map[uint]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// expected is what scope returns for p: every holder the scope admits,
// joined to the row it points at if that row matches and is live.
func (fx *joinFixture) expected(p joinProg, scope string, matching map[uint]bool) []string {
	salt, deleted := uint(13), fx.items.deleted
	if p.rel.name == "GItem" {
		salt, deleted = 17, fx.gitems.deleted
	}
	want := []string{}
	for h := uint(1); h <= holderRows; h++ {
		if scope == "default" && fx.holders[h] || scope == "OnlyDeleted" && !fx.holders[h] {
			continue
		}
		r := holderRef(h, salt)
		switch {
		case r != 0 && matching[r] && !deleted[r]:
			want = append(want, joinRow{Hid: h, Rid: &r}.key())
		case !p.inner:
			want = append(want, joinRow{Hid: h}.key())
		}
	}
	slices.Sort(want)
	return want
}

// sql renders the default query's SQL without running it.
func (p joinProg) sql(db *gorm.DB) string {
	var rows []joinRow
	stmt := p.build(db.Session(&gorm.Session{DryRun: true, NewDB: true})).Find(&rows).Statement
	return db.Dialector.Explain(stmt.SQL.String(), stmt.Vars...)
}

// onProblem checks that the ON of the first join in sql has alias's
// soft-delete predicate as a conjunct: at the ON's top level, or inside
// parenthesised groups that are themselves conjuncts (GORM renders the
// filter and the join's conditions as one group "(pred AND conds)"), with no
// OR at the top level or in any of those groups, and no line comment at the
// top level.
func onProblem(sql, alias string) string {
	toks := tokenize(sql)
	start := -1
	for i, tk := range toks {
		if tk.depth == 0 && tk.kind == tokWord && strings.EqualFold(tk.text, "ON") {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return "no ON in the SQL"
	}
	// group[i]: the index of the "(" opening the group token i is in (-1:
	// the ON's top level); parent[g]: the group g is in; splits[g]: g has an
	// OR or a line comment at its own level, or is no conjunct (it follows
	// neither ON, AND nor another group's "(": NOT (...), IN (...), f(...)).
	group := map[int]int{}
	parent := map[int]int{}
	splits := map[int]bool{}
	stack := []int{-1}
	var preds []int
	for i := start; i < len(toks); i++ {
		tk := toks[i]
		if len(stack) == 1 && tk.kind == tokWord && strings.EqualFold(tk.text, "WHERE") {
			break // the ON ends here
		}
		cur := stack[len(stack)-1]
		switch {
		case tk.text == "(" && tk.kind == tokPunct:
			group[i], parent[i] = cur, cur
			prev := toks[i-1]
			splits[i] = !(prev.text == "(" || strings.EqualFold(prev.text, "ON") || strings.EqualFold(prev.text, "AND"))
			stack = append(stack, i)
			continue
		case tk.text == ")" && tk.kind == tokPunct:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		group[i] = cur
		switch {
		case tk.kind == tokComment && cur == -1, tk.kind == tokWord && strings.EqualFold(tk.text, "OR"):
			// (a comment in a group ends before its ")", else the SQL does
			// not parse; one that hides the predicate leaves no predicate)
			splits[cur] = true
		case tk.kind == tokQuoted && strings.Trim(tk.text, "\"`") == "deleted_at" && i >= 2 && i+2 < len(toks) &&
			strings.Trim(toks[i-2].text, "\"`") == alias &&
			strings.EqualFold(toks[i+1].text, "IS") && strings.EqualFold(toks[i+2].text, "NULL") &&
			(i+3 >= len(toks) || !strings.EqualFold(toks[i+3].text, "NOT")):
			preds = append(preds, i)
		}
	}
	if splits[-1] {
		return "an OR or a line comment at the top level of the ON (the predicate is not ANDed)"
	}
	for _, i := range preds {
		ok := true
		for g := group[i]; g != -1; g = parent[g] {
			ok = ok && !splits[g]
		}
		if ok {
			return ""
		}
	}
	return "no " + alias + " soft-delete predicate ANDed at the top level of the ON"
}

// TestOnProblemRecognisesABypassedPredicate pins the ON checker of
// FuzzFilterJoin on hand-written SQL.
func TestOnProblemRecognisesABypassedPredicate(t *testing.T) {
	const join = "SELECT * FROM `h` LEFT JOIN `items` `Item` ON `h`.`item_id` = `Item`.`id` AND "
	for on, ok := range map[string]bool{
		"(`Item`.`deleted_at` IS NULL AND (a = 1 OR b = 2)) WHERE `h`.`deleted_at` IS NULL": true,
		"`Item`.`deleted_at` IS NULL AND a = 1":                                             true,
		"(`Item`.`deleted_at` IS NULL AND a = 1 OR b = 2)":                                  false,
		"`Item`.`deleted_at` IS NULL AND a = 1 OR b = 2":                                    false,
		"NOT (`Item`.`deleted_at` IS NULL AND a = 1)":                                       false,
		"(`Item`.`deleted_at` IS NULL AND a = 1 -- c\n)":                                    true,
		"(a = 1 -- c `Item`.`deleted_at` IS NULL\n)":                                        false,
		"`Item`.`deleted_at` IS NULL AND a = 1 -- c":                                        false,
		"(`Item`.`deleted_at` IS NOT NULL AND a = 1)":                                       false,
		"a = 1 WHERE `Item`.`deleted_at` IS NULL":                                           false,
	} {
		if got := onProblem(join+on, "Item"); (got == "") != ok {
			t.Errorf("onProblem(%q) = %q, want ok=%v", on, got, ok)
		}
	}
}

// TestFilterFuzzCorporaPostgres runs the seeds and committed corpora of
// FuzzFilterGormModel and FuzzFilterJoin on PostgreSQL (the fuzz targets
// run them on SQLite).
func TestFilterFuzzCorporaPostgres(t *testing.T) {
	corpus := func(target string, seeds [][]byte) [][]byte {
		out := append([][]byte(nil), seeds...)
		dir := filepath.Join("testdata", "fuzz", target)
		if _, err := os.Stat(dir); err != nil {
			return out // nothing committed yet
		}
		return append(out, readCorpus(t, dir)...)
	}
	t.Run("FuzzFilterGormModel", func(t *testing.T) {
		fx := seedGItems(t, testdb.Open(t, "postgres", quietConfig()))
		for i, data := range corpus("FuzzFilterGormModel", filterSeeds) {
			t.Run(strconv.Itoa(i), func(t *testing.T) { checkFilter(t, fx, data) })
		}
	})
	t.Run("FuzzFilterJoin", func(t *testing.T) {
		fx := seedJoins(t, testdb.Open(t, "postgres", quietConfig()))
		for i, data := range corpus("FuzzFilterJoin", joinSeeds()) {
			t.Run(strconv.Itoa(i), func(t *testing.T) { checkJoin(t, fx, data) })
		}
	})
}
