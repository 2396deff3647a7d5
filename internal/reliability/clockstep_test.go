package reliability_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// clockSteps are where the clock goes after a child was deleted on its own
// at instant T: back onto T exactly (a coarse WithClock, two deletes in one
// tick, a millisecond column), or before it (an NTP step back).
var clockSteps = []struct {
	name string
	by   time.Duration
}{
	{"onto the same instant", 0},
	{"one microsecond back", -time.Microsecond},
	{"one second back", -time.Second},
}

// loneRow is a row expected to stay deleted at the instant it was deleted on
// its own.
type loneRow struct {
	table string
	id    uint
}

// clockCase deletes part of a tree on its own (at the clock's instant),
// then, after the clock stepped, deletes the tree's root and restores what
// a user would restore. It returns the rows that must still carry the
// first instant, and the timestamp the root's delete stamped the lone
// rows' parent with.
type clockCase struct {
	name string
	run  func(t *testing.T, db *gorm.DB, clk *clock, step time.Duration) (lone []loneRow, stamped time.Time)
}

// clockCases cover multi-level cascades, a self-referencing tree and GORM's
// association step (db.Select(clause.Associations).Delete), which shares the
// root's timestamp with the deletes it runs.
var clockCases = []clockCase{
	{"three levels: a page deleted on its own", func(t *testing.T, db *gorm.DB, clk *clock, step time.Duration) ([]loneRow, time.Time) {
		s := newSite("p", 2, 2, 0)
		require.NoError(t, db.Create(&s).Error)
		lone := s.Pages[0]
		require.NoError(t, db.Delete(&lone).Error) // its blocks go with it, same instant
		stepClock(clk, step)
		require.NoError(t, db.Delete(&s).Error)
		at := s.DeletedAt.Time
		require.NoError(t, softdelete.Restore(db, &s).Error)
		return []loneRow{{"pages", lone.ID}, {"blocks", lone.Blocks[0].ID}, {"blocks", lone.Blocks[1].ID}}, at
	}},
	{"three levels: a block deleted on its own", func(t *testing.T, db *gorm.DB, clk *clock, step time.Duration) ([]loneRow, time.Time) {
		s := newSite("b", 2, 2, 0)
		require.NoError(t, db.Create(&s).Error)
		lone := s.Pages[1].Blocks[0]
		require.NoError(t, db.Delete(&lone).Error)
		stepClock(clk, step)
		require.NoError(t, db.Delete(&Site{}, s.ID).Error) // by conditions this time
		var deleted Site
		require.NoError(t, db.Scopes(softdelete.OnlyDeleted).First(&deleted, s.ID).Error)
		require.NoError(t, softdelete.Restore(db, &Site{}, s.ID).Error)
		return []loneRow{{"blocks", lone.ID}}, deleted.DeletedAt.Time
	}},
	{"self-referencing tree: a grandchild's subtree deleted on its own", func(t *testing.T, db *gorm.DB, clk *clock, step time.Duration) ([]loneRow, time.Time) {
		// 0 ─┬─ 1 ── 2 ── 3
		//    └─ 4
		n := tree(t, db, "g", []int{-1, 0, 1, 2, 0})
		require.NoError(t, db.Delete(&n[2]).Error) // 2 and 3
		stepClock(clk, step)
		root := n[0]
		require.NoError(t, db.Delete(&root).Error)
		require.NoError(t, softdelete.Restore(db, &Node{}, root.ID).Error)
		return []loneRow{{"nodes", n[2].ID}, {"nodes", n[3].ID}}, root.DeletedAt.Time
	}},
	{"Select(clause.Associations): a page deleted on its own", func(t *testing.T, db *gorm.DB, clk *clock, step time.Duration) ([]loneRow, time.Time) {
		s := newSite("a", 2, 1, 0)
		require.NoError(t, db.Create(&s).Error)
		lone := s.Pages[0]
		require.NoError(t, db.Delete(&lone).Error)
		stepClock(clk, step)
		require.NoError(t, db.Select(clause.Associations).Delete(&s).Error)
		at := s.DeletedAt.Time
		require.NoError(t, softdelete.Restore(db, &s).Error)
		return []loneRow{{"pages", lone.ID}, {"blocks", lone.Blocks[0].ID}}, at
	}},
	{"Select(clause.Associations): a revision deleted on its own, its draft restored", func(t *testing.T, db *gorm.DB, clk *clock, step time.Duration) ([]loneRow, time.Time) {
		// drafts are no cascade of sites: only the association step deletes
		// them (with the site's timestamp), and they come back with a
		// Restore of their own, which brings their revisions along
		s := newSite("d", 1, 1, 1)
		require.NoError(t, db.Create(&s).Error)
		lone := s.Drafts[0].Revisions[0]
		require.NoError(t, db.Delete(&lone).Error)
		stepClock(clk, step)
		require.NoError(t, db.Select(clause.Associations).Delete(&s).Error)
		at := *tombstones(t, db, "drafts")[s.Drafts[0].ID]
		require.NoError(t, softdelete.Restore(db, &s).Error)
		require.NoError(t, softdelete.Restore(db, &Draft{}, s.Drafts[0].ID).Error)
		return []loneRow{{"revisions", lone.ID}}, at
	}},
}

// stepClock moves clk by step from where it stands.
func stepClock(clk *clock, step time.Duration) { clk.Set(clk.Now().Add(step)) }

// TestClockStepBackNeverRestoresAChildDeletedOnItsOwn (SQLite, PostgreSQL):
// a child is deleted on its own at instant T; the clock then steps onto T
// again or before it, and the root above the child is deleted and restored.
// The root's delete is stamped strictly after T (past the newest tombstone
// below it), the child keeps T and stays deleted — no zombie — and every
// other row is live again. Raw SQL checks every row of every table.
//
// Through GORM's association step the root's timestamp is shared with the
// deletes of the selected associations, including ones without a cascade
// tag (drafts): the shared timestamp must be past the tombstones below
// those too, or restoring a draft brings back a revision deleted on its own.
func TestClockStepBackNeverRestoresAChildDeletedOnItsOwn(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		clk := newClock()
		setup(t, db, clk, treeModels...)
		for _, step := range clockSteps {
			for _, c := range clockCases {
				t.Run(fmt.Sprintf("%s/%s", step.name, c.name), func(t *testing.T) {
					clk.Advance(time.Hour) // clear of every earlier case's timestamps
					instant := clk.Now().UTC()
					before := map[string]map[uint]*time.Time{}
					for _, table := range []string{"sites", "pages", "blocks", "drafts", "revisions", "nodes"} {
						before[table] = tombstones(t, db, table)
					}
					lone, stamped := c.run(t, db, clk, step.by)
					assert.True(t, stamped.After(instant), "the root's delete stamps the lone rows' parent after their instant %s, got %s", instant, stamped)
					isLone := map[loneRow]bool{}
					for _, l := range lone {
						isLone[l] = true
					}
					for table, old := range before {
						for id, ts := range tombstones(t, db, table) {
							if _, existed := old[id]; existed {
								continue // an earlier case's row
							}
							if isLone[loneRow{table, id}] {
								if assert.NotNil(t, ts, "%s %d was deleted on its own and must stay deleted (zombie)", table, id) {
									own := instant
									if db.Dialector.Name() == "mysql" { // datetime(3) keeps milliseconds
										own = instant.Truncate(time.Millisecond)
									}
									assert.True(t, ts.Equal(own), "%s %d keeps its own instant %s, got %s", table, id, own, ts)
								}
								continue
							}
							assert.Nil(t, ts, "%s %d was deleted with the root and must be restored with it", table, id)
						}
					}
				})
			}
		}
	})
}
