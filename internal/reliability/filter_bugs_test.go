package reliability_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// liveAndDeleted splits ids by the fixture's deleted flags.
func (fx *filterFixture) split(ids []uint) (live, deleted []uint) {
	for _, id := range ids {
		if fx.deleted[id] {
			deleted = append(deleted, id)
		} else {
			live = append(live, id)
		}
	}
	return sortIDs(live), sortIDs(deleted)
}

// pluck returns the ids q selects, sorted.
func pluck(t *testing.T, q *gorm.DB) []uint {
	t.Helper()
	var ids []uint
	require.NoError(t, q.Pluck("id", &ids).Error)
	return sortIDs(ids)
}

// assertFiltered checks the metamorphic properties of one query: the default
// query returns exactly the live rows of WithDeleted, OnlyDeleted exactly its
// deleted rows.
func assertFiltered(t *testing.T, fx *filterFixture, build func(*gorm.DB) *gorm.DB) {
	t.Helper()
	with := pluck(t, build(fx.db).Scopes(softdelete.WithDeleted))
	live, deleted := fx.split(with)
	def := pluck(t, build(fx.db))
	_, leaked := fx.split(def)
	assert.Empty(t, leaked, "deleted rows returned by the default query")
	assert.Equal(t, live, def, "default query = live rows of WithDeleted")
	assert.Equal(t, deleted, pluck(t, build(fx.db).Scopes(softdelete.OnlyDeleted)), "OnlyDeleted = deleted rows of WithDeleted")
}

// TestBugOrInsideNotOrGroupLeaks: raw SQL with an OR that GORM does not
// parenthesise (an OR not spelled " OR " with spaces, or any OR in a named
// expression under Not) reaches the top level of the WHERE through Not(...),
// a lone Or(...) or a one-condition group, so the predicate ANDed after it
// binds to the last operand only. groupRawOr (callbacks.go) only looks at
// top-level clause.Expr/NamedExpr, not inside clause.NotConditions,
// clause.OrConditions or clause.AndConditions. Reads leak deleted rows, and
// Update/Delete reach them (a Delete re-stamps tombstones, breaking
// zombie-free restore).
func TestBugOrInsideNotOrGroupLeaks(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedItems(t, db)
		cases := map[string]func(*gorm.DB) *gorm.DB{
			"Not(raw, newline)": func(q *gorm.DB) *gorm.DB { return q.Model(&Item{}).Not("a = 1 OR\nb = 2") },
			"Not(named, spaces)": func(q *gorm.DB) *gorm.DB {
				return q.Model(&Item{}).Not("a = @x OR b = @y", map[string]any{"x": 1, "y": 2})
			},
			"lone Or(raw, newline)": func(q *gorm.DB) *gorm.DB { return q.Model(&Item{}).Or("a <> 1 OR\nb = 2") },
			"Where(db.Or(raw))":     func(q *gorm.DB) *gorm.DB { return q.Model(&Item{}).Where(db.Or("a <> 1 OR\nb = 2")) },
			"clause.Not(Expr)": func(q *gorm.DB) *gorm.DB {
				return q.Model(&Item{}).Where(clause.Not(gorm.Expr("a = 1 OR\nb = 2")))
			},
			"Table Not(raw)": func(q *gorm.DB) *gorm.DB { return q.Table("items").Not("a = 1 OR\nb = 2") },
		}
		for name, build := range cases {
			t.Run(name, func(t *testing.T) { assertFiltered(t, fx, build) })
		}
		t.Run("Update and Delete reach deleted rows", func(t *testing.T) {
			live := int64(itemRows - len(fx.deleted))
			res := db.Model(&Item{}).Not("id = 0 OR\nid > 0").Update("c", 7)
			require.NoError(t, res.Error)
			assert.Equal(t, live, res.RowsAffected, "Update must change live rows only")
			assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM items WHERE deleted_at IS NOT NULL AND c = 7"))
			res = db.Not("id = 0 OR\nid > 0").Delete(&Item{})
			require.NoError(t, res.Error)
			assert.Equal(t, live, res.RowsAffected, "Delete must stamp live rows only, never re-stamp tombstones")
		})
	})
}

// TestBugOrNextToQuotedIdentifierLeaks: hasBareOr (callbacks.go) treats '"'
// and '`' as identifier characters, so an OR written against a quoted
// identifier (`a = 1 OR"b" = 2`) is not seen, the condition is not
// grouped, and GORM does not group it either (no " OR "). Valid SQL on both
// databases.
func TestBugOrNextToQuotedIdentifierLeaks(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedItems(t, db)
		for _, raw := range []string{`a = 1 OR"b" = 2`, `"items"."a" = 1 OR"items"."b" = 2`, `(b = 2)OR"a" = 1`} {
			if db.Dialector.Name() == "mysql" { // the same case with MySQL's identifier quotes
				raw = strings.ReplaceAll(raw, `"`, "`")
			}
			t.Run(raw, func(t *testing.T) {
				assertFiltered(t, fx, func(q *gorm.DB) *gorm.DB { return q.Model(&Item{}).Where(raw) })
			})
		}
	})
}

// TestBugLineCommentSwallowsPredicate: a raw condition ending in a "--"
// comment (no newline after it) comments out everything GORM appends,
// the soft-delete predicate included: every matching deleted row is returned.
// gorm.DeletedAt has the same weakness; the plugin promises the filter holds.
func TestBugLineCommentSwallowsPredicate(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedItems(t, db)
		assertFiltered(t, fx, func(q *gorm.DB) *gorm.DB { return q.Model(&Item{}).Where("a = 1 -- active only") })
	})
}

// TestBugLeadingOrChangesMeaning: Or(x).Where(y) renders as "y OR x" without
// the filter (GORM's Where.Build moves the first non-Or condition to the
// front), but as "(x AND y) AND deleted_at IS NULL" with it (the lone-Or
// rewrite wraps the conditions in their original order). The default query
// then loses live rows that WithDeleted shows; and since Where.Build swaps
// the shared slice in place, a chain reused through Session changes meaning
// once it has run unfiltered. Same for a one-condition group
// db.Where(db.Or(x).Where(y)).
func TestBugLeadingOrChangesMeaning(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedItems(t, db)
		t.Run("chain", func(t *testing.T) {
			assertFiltered(t, fx, func(q *gorm.DB) *gorm.DB { return q.Model(&Item{}).Or("a = ?", 1).Where("b = ?", 2) })
		})
		t.Run("one-condition group", func(t *testing.T) {
			assertFiltered(t, fx, func(q *gorm.DB) *gorm.DB {
				return q.Model(&Item{}).Where(db.Or("a = ?", 1).Where("b = ?", 2))
			})
		})
		t.Run("reused chain", func(t *testing.T) {
			q := db.Model(&Item{}).Or("a = ?", 1).Where("b = ?", 2).Session(&gorm.Session{})
			first := pluck(t, q)
			pluck(t, q.Unscoped())
			assert.Equal(t, first, pluck(t, q), "a reused chain means the same after an unfiltered run")
		})
	})
}

// TestBugTableWithDeletedDoesNotGroupBareOr: for Table("x") reads of a
// registered table, raw SQL with a bare OR is grouped only when the predicate
// is added (addPredicate), while model reads group it in every scope
// (scopeRead calls groupRawOr whenever the schema has QueryClauses). So
// WithDeleted and Unscoped Table reads mean "x AND a OR b" where the default
// query means "x AND (a OR b)", and WithDeleted(Q) ≠ Q ∪ OnlyDeleted(Q).
func TestBugTableWithDeletedDoesNotGroupBareOr(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedItems(t, db)
		build := func(q *gorm.DB) *gorm.DB { return q.Table("items").Where("a > ?", 3).Where("a = 4 OR\na = 0") }
		assertFiltered(t, fx, build)
		model := pluck(t, db.Model(&Item{}).Where("a > ?", 3).Where("a = 4 OR\na = 0").Scopes(softdelete.WithDeleted))
		assert.True(t, slices.Equal(model, pluck(t, build(db).Scopes(softdelete.WithDeleted))),
			"Table and Model reads of one query agree under WithDeleted")
	})
}
