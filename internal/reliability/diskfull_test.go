package reliability_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// Note is a table migrated without partial indexes; NoteIndexed is the same
// table declaring two (a unique and a plain one), for AutoMigrate to add.
type Note struct {
	ID        uint `gorm:"primarykey"`
	Title     string
	Body      string
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// NoteIndexed is Note with partial indexes declared.
type NoteIndexed struct {
	ID        uint                 `gorm:"primarykey"`
	Title     string               `softdelete:"unique"`
	Body      string               `softdelete:"index"`
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// TableName makes NoteIndexed the notes table.
func (NoteIndexed) TableName() string { return "notes" }

// removedDDL keeps a record of every row physically deleted from sites,
// pages and blocks, as an audit trail does, larger than the row itself (its
// body twice): deleting then needs room, and HardDelete and Purge meet a
// full disk (plain deletes only free pages).
var removedDDL = []string{
	`CREATE TABLE removed (tbl text, id integer, body text)`,
	`CREATE TRIGGER sites_removed AFTER DELETE ON sites BEGIN INSERT INTO removed VALUES ('sites', OLD.id, OLD.name); END`,
	`CREATE TRIGGER pages_removed AFTER DELETE ON pages BEGIN INSERT INTO removed VALUES ('pages', OLD.id, OLD.path || OLD.body || OLD.body); END`,
	`CREATE TRIGGER blocks_removed AFTER DELETE ON blocks BEGIN INSERT INTO removed VALUES ('blocks', OLD.id, OLD.body || OLD.body); END`,
}

// smallDisk is a SQLite database whose file may grow only by a given number
// of pages (PRAGMA max_page_count, which SQLite enforces with SQLITE_FULL
// exactly as it reports a full disk): a full disk without root or a tiny
// file system. The pragma is per connection, so the pool has exactly one.
type smallDisk struct {
	db     *gorm.DB
	clock  *clock
	writes atomic.Int64 // successful raw write statements (cascade levels, DDL, Purge's DELETEs)
}

// openSmallDisk opens a new SQLite file with the recommended settings and one
// connection, registers the plugin and migrates the tree models and notes.
func openSmallDisk(t *testing.T) *smallDisk {
	t.Helper()
	db, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "small.db")+recommendedSQLiteDSN), quietConfig())
	require.NoError(t, err)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sqlDB.Close() })
	sqlDB.SetMaxOpenConns(1)
	d := &smallDisk{db: db, clock: newClock()}
	setup(t, db, d.clock, append(append([]any{}, treeModels...), &Note{})...)
	require.NoError(t, db.Callback().Raw().After("gorm:raw").Register("reliability:count_writes", func(tx *gorm.DB) {
		sql := strings.ToUpper(strings.TrimSpace(tx.Statement.SQL.String()))
		if tx.Error == nil && (strings.HasPrefix(sql, "UPDATE") || strings.HasPrefix(sql, "DELETE") || strings.HasPrefix(sql, "CREATE")) {
			d.writes.Add(1)
		}
	}))
	return d
}

// limit lets the file grow by slack pages from its current size.
func (d *smallDisk) limit(t *testing.T, slack int) {
	t.Helper()
	var pages, got int
	require.NoError(t, d.db.Raw("PRAGMA page_count").Scan(&pages).Error)
	require.NoError(t, d.db.Raw(fmt.Sprintf("PRAGMA max_page_count = %d", pages+slack)).Scan(&got).Error)
	require.Equal(t, pages+slack, got, "max_page_count set on the pool's only connection")
}

// unlimited lifts the limit.
func (d *smallDisk) unlimited(t *testing.T) {
	t.Helper()
	require.NoError(t, d.db.Exec("PRAGMA max_page_count = 1073741823").Error)
}

// dump is everything in the database: the schema (tables, indexes,
// triggers) and, per table, every row with every column (SQLite's quote()
// of each value, in rowid order), as raw SQL reads them.
func (d *smallDisk) dump(t *testing.T) map[string]string {
	t.Helper()
	var objects []struct{ Type, Name, SQL string }
	require.NoError(t, d.db.Raw("SELECT type, name, coalesce(sql, '') AS sql FROM sqlite_master ORDER BY name").Scan(&objects).Error)
	out := map[string]string{}
	for _, obj := range objects {
		out["sqlite_master "+obj.Name] = obj.Type + ": " + obj.SQL
		if obj.Type != "table" {
			continue
		}
		var cols []string
		require.NoError(t, d.db.Raw("SELECT 'quote(' || name || ')' FROM pragma_table_info(?) ORDER BY cid", obj.Name).Scan(&cols).Error)
		var rows string
		require.NoError(t, d.db.Raw("SELECT coalesce(group_concat(r, char(10)), '') FROM (SELECT "+
			strings.Join(cols, " || ',' || ")+" AS r FROM "+obj.Name+" ORDER BY rowid)").Scan(&rows).Error)
		out[obj.Name] = rows
	}
	return out
}

// Sites are seeded with sitePages pages of pageBlocks blocks each.
const sitePages, pageBlocks = 200, 1

// seedSites creates n sites of sitePages pages of pageBlocks blocks, with
// long bodies (and, with longPaths, 200-byte page paths) so that writing
// their rows and index entries takes pages. (Soft-deleting pages frees their
// entries in the partial unique index on paths: with long paths a Delete
// needs no room at the pages level; restoring them needs it.)
func (d *smallDisk) seedSites(t *testing.T, n int, longPaths bool) []Site {
	t.Helper()
	body := strings.Repeat("b", 300)
	sites := make([]Site, n)
	for i := range sites {
		sites[i] = newSite(fmt.Sprintf("site%d", i), sitePages, pageBlocks, 0)
		for j := range sites[i].Pages {
			pg := &sites[i].Pages[j]
			if longPaths {
				pg.Path = strings.Repeat("p", 200) + pg.Path
			}
			pg.Body = body
			for k := range pg.Blocks {
				pg.Blocks[k].Body = body
			}
		}
		require.NoError(t, d.db.Create(&sites[i]).Error)
	}
	return sites
}

// fillUntilItFits runs op with the file allowed to grow by 0, 1, 2, ...
// pages until op succeeds. Every failure must be SQLITE_FULL and leave the
// database exactly as it was (or pass check, when given, for operations that
// commit part of their work on purpose). It returns the failed attempts and
// the most write statements a failed attempt had run before failing.
func (d *smallDisk) fillUntilItFits(t *testing.T, op func() error, check func(attempt int, err error)) (failures int, deepest int64) {
	t.Helper()
	for slack := 0; slack < 200; slack++ {
		before := d.dump(t)
		d.limit(t, slack)
		writes := d.writes.Load()
		err := op()
		ran := d.writes.Load() - writes
		d.unlimited(t)
		if err == nil {
			return failures, deepest
		}
		if failures == 0 {
			t.Logf("first failure: %v", err)
		}
		failures++
		deepest = max(deepest, ran)
		require.Equal(t, classDiskFull, classify(err), "attempt %d: want SQLITE_FULL, got: %v", slack, err)
		if check != nil {
			check(slack, err)
			continue
		}
		require.Equal(t, before, d.dump(t), "attempt %d (%d write statements ran before %v): the database changed", slack, ran, err)
	}
	t.Fatal("the operation never fitted in 200 more pages")
	return failures, deepest
}

// TestSQLiteDiskFullChangesNothing (SQLite): on a database that may not grow
// (max_page_count; see smallDisk), each verb is run with room for 0, 1, 2,
// ... more pages until it fits. Every attempt that does not fit fails with
// SQLITE_FULL and leaves every table, row and index exactly as it was —
// including attempts that failed after some of the cascade's statements had
// already run inside the transaction — and the attempt that fits does the
// whole job: a cascading Delete (in GORM's default transaction, the plugin's
// own, and a caller's), a cascading Restore (of pages whose partial unique
// index entries need room again after a VACUUM), a cascading HardDelete and a
// Purge (an audit trigger copies what they remove), and an AutoMigrate
// adding two partial indexes in one transaction. Purge commits batch by
// batch: a failed Purge reports exactly the rows its committed batches
// removed, each batch whole, and a rerun finishes.
func TestSQLiteDiskFullChangesNothing(t *testing.T) {
	for _, mode := range txModes {
		t.Run("cascading Delete/"+mode.name, func(t *testing.T) {
			d := openSmallDisk(t)
			sites := d.seedSites(t, 2, false)
			failures, deepest := d.fillUntilItFits(t, func() error {
				return mode.run(d.db, context.Background(), func(tx *gorm.DB) error { return tx.Delete(&Site{}, sites[0].ID).Error })
			}, nil)
			t.Logf("%d attempts failed, the deepest after %d write statements", failures, deepest)
			assert.Positive(t, failures)
			assert.Positive(t, deepest, "some attempt failed after the cascade had changed rows in its transaction")
			site := tombstones(t, d.db, "sites")[sites[0].ID]
			require.NotNil(t, site, "the attempt that fitted deleted the site")
			for id, ts := range tombstones(t, d.db, "blocks") {
				if id <= sitePages*pageBlocks {
					assert.Equal(t, site, ts, "block %d deleted with its site", id)
				}
			}
		})
	}

	t.Run("cascading Restore", func(t *testing.T) {
		d := openSmallDisk(t)
		sites := d.seedSites(t, 2, true)
		require.NoError(t, d.db.Delete(&sites[0]).Error)
		require.NoError(t, d.db.Exec("VACUUM").Error) // no free pages left for the index entries to come back to
		failures, deepest := d.fillUntilItFits(t, func() error { return softdelete.Restore(d.db, &Site{}, sites[0].ID).Error }, nil)
		t.Logf("%d attempts failed, the deepest after %d write statements", failures, deepest)
		assert.Positive(t, failures)
		assert.Positive(t, deepest, "some attempt failed after the cascade had changed rows in its transaction")
		for _, table := range []string{"sites", "pages", "blocks"} {
			for id, ts := range tombstones(t, d.db, table) {
				assert.Nil(t, ts, "%s %d restored", table, id)
			}
		}
	})

	t.Run("cascading HardDelete", func(t *testing.T) {
		d := openSmallDisk(t)
		sites := d.seedSites(t, 2, false)
		for _, ddl := range removedDDL {
			require.NoError(t, d.db.Exec(ddl).Error)
		}
		failures, deepest := d.fillUntilItFits(t, func() error { return softdelete.HardDelete(d.db, &Site{}, sites[0].ID).Error }, nil)
		t.Logf("%d attempts failed, the deepest after %d write statements", failures, deepest)
		assert.Positive(t, failures)
		assert.Positive(t, deepest, "some attempt failed after the cascade had removed rows in its transaction")
		assert.EqualValues(t, 1, rawCount(t, d.db, "SELECT count(*) FROM sites"))
		assert.EqualValues(t, sitePages, rawCount(t, d.db, "SELECT count(*) FROM pages"))
		assert.EqualValues(t, sitePages*pageBlocks, rawCount(t, d.db, "SELECT count(*) FROM blocks"))
	})

	t.Run("Purge", func(t *testing.T) {
		d := openSmallDisk(t)
		sites := d.seedSites(t, 4, false)
		for _, ddl := range removedDDL {
			require.NoError(t, d.db.Exec(ddl).Error)
		}
		for i := range sites {
			d.clock.Advance(time.Second)
			require.NoError(t, d.db.Delete(&sites[i]).Error)
		}
		d.clock.Advance(48 * time.Hour)
		const perSite = 1 + sitePages + sitePages*pageBlocks
		remaining := func() int64 {
			return rawCount(t, d.db, "SELECT (SELECT count(*) FROM sites) + (SELECT count(*) FROM pages) + (SELECT count(*) FROM blocks)")
		}
		opts := softdelete.PurgeOptions{OlderThan: time.Hour, BatchSize: 1}
		var purged, midway int64
		left := remaining()
		failures, _ := d.fillUntilItFits(t, func() error {
			n, err := softdelete.Purge(context.Background(), d.db, &Site{}, opts)
			purged += n
			if err == nil {
				assert.EqualValues(t, left, n, "the run that fits removes the rest")
			}
			left -= n
			return err
		}, func(attempt int, err error) {
			assert.Contains(t, err.Error(), "softdelete: purge sites: ", "attempt %d", attempt)
			assert.Equal(t, left, remaining(), "attempt %d: Purge's count is exactly what is gone", attempt)
			assert.Zero(t, left%perSite, "attempt %d: whole batches only (a site with all its pages and blocks)", attempt)
			assert.Zero(t, rawCount(t, d.db, "SELECT count(*) FROM pages WHERE site_id NOT IN (SELECT id FROM sites)"), "attempt %d: no orphan page", attempt)
			if left < int64(len(sites))*perSite {
				midway++
			}
		})
		t.Logf("%d Purge runs failed (%d of them after committing batches)", failures, midway)
		assert.Positive(t, failures)
		assert.Positive(t, midway, "some run failed after committing batches")
		assert.EqualValues(t, len(sites)*perSite, purged)
		assert.Zero(t, remaining())
	})

	t.Run("AutoMigrate of partial indexes", func(t *testing.T) {
		d := openSmallDisk(t)
		body := strings.Repeat("n", 200)
		notes := make([]Note, 300)
		for i := range notes {
			notes[i] = Note{Title: fmt.Sprintf("%s-%d", body, i), Body: body}
		}
		require.NoError(t, d.db.CreateInBatches(&notes, 100).Error)
		failures, deepest := d.fillUntilItFits(t, func() error { return softdelete.AutoMigrate(d.db, &NoteIndexed{}) }, nil)
		t.Logf("%d attempts failed, the deepest after %d DDL statements", failures, deepest)
		assert.Positive(t, failures)
		assert.Positive(t, deepest, "some attempt failed after creating the first index in its transaction")
		assert.EqualValues(t, 2, rawCount(t, d.db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('uidx_notes_title', 'idx_notes_body_live')"))
	})
}
