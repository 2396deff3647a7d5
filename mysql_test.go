package softdelete_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// Behaviours MySQL/MariaDB reach in their own way (generated columns,
// implicit DDL commits, millisecond timestamps), pinned on every database.

// TestZombieFreeRestoreWhenDeletesShareAStoredTimestamp: a child deleted on
// its own and its parent deleted 300µs later get the same stored timestamp
// where the column keeps milliseconds (MySQL's datetime(3)); the cascade
// still stamps past the child's tombstone, so restoring the parent leaves
// the child deleted.
func TestZombieFreeRestoreWhenDeletesShareAStoredTimestamp(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a, posts := e.seedPosts(t, 2)
		require.NoError(t, e.db.Delete(&posts[0]).Error)
		e.clock.Advance(300 * time.Microsecond)
		require.NoError(t, e.db.Delete(&a).Error)

		own, cascaded := e.deletedAt(t, "posts", posts[0].ID), e.deletedAt(t, "posts", posts[1].ID)
		require.NotNil(t, own)
		require.NotNil(t, cascaded)
		assert.True(t, cascaded.After(*own), "the cascade stamps past the newest tombstone: %v, %v", own, cascaded)
		assert.True(t, a.DeletedAt.Time.Equal(*cascaded), "parent and cascaded child share the timestamp written back")
		assert.True(t, e.deletedAt(t, "authors", a.ID).Equal(*cascaded))

		require.NoError(t, softdelete.Restore(e.db, &a).Error)
		assert.Nil(t, e.deletedAt(t, "posts", posts[1].ID), "deleted with its parent: restored")
		assert.NotNil(t, e.deletedAt(t, "posts", posts[0].ID), "deleted on its own: stays deleted")
	})
}

// TestAutoMigrateRerunRepairs: where DDL commits implicitly, an AutoMigrate
// that fails on one index (live duplicates) keeps the indexes it built
// before; once the duplicates are gone a rerun builds the rest and leaves
// the others alone. Where DDL is transactional nothing was kept.
func TestAutoMigrateRerunRepairs(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.gormMigrate(t, &Listing{}, &Account{})
		require.NoError(t, e.db.Create(&[]Account{{OrgID: 1, Email: "x"}, {OrgID: 1, Email: "x"}}).Error)
		err := softdelete.AutoMigrate(e.db, &Listing{}, &Account{})
		require.ErrorIs(t, err, softdelete.ErrDuplicateLiveKeys)
		kept := indexDef(t, e, "uidx_listings_slug")
		if dialect.Of(e.db).Features().Has(dialect.TransactionalDDL) {
			assert.Empty(t, kept, "rolled back")
		} else {
			assert.Contains(t, kept, livePredicate(e), "committed before the failure")
		}
		assert.Empty(t, indexDef(t, e, "uq_account_org_email"))

		require.NoError(t, e.db.Exec("DELETE FROM accounts WHERE id = (SELECT m FROM (SELECT MAX(id) AS m FROM accounts) AS x)").Error)
		warns := newWarnLog()
		require.NoError(t, softdelete.AutoMigrate(e.db.Session(&gorm.Session{Logger: warns}), &Listing{}, &Account{}))
		assert.Contains(t, indexDef(t, e, "uidx_listings_slug"), livePredicate(e))
		assert.Contains(t, indexDef(t, e, "uq_account_org_email"), livePredicate(e))
		assert.Empty(t, warns.messages(), "nothing to repair")
		require.Error(t, e.db.Create(&Account{OrgID: 1, Email: "x"}).Error, "the rebuilt key holds")
	})
}

// TestKeyStringsAreSized: a string key column without a size gets the
// length GORM gives its own indexed strings where unsized strings cannot
// be keys (MySQL's longtext), so the live-only index can be built on it.
func TestKeyStringsAreSized(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		e.skipUnless(t, dialect.SizedKeyStrings, "unsized strings are keys as they are")
		var typ string
		require.NoError(t, e.db.Raw(`SELECT COLUMN_TYPE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'name'`).Scan(&typ).Error)
		assert.Equal(t, "varchar(191)", typ)
	})
}

// TestSaveFallbackLeavesTheTombstoneRowAsItIs: Save of a stale struct whose
// row is a tombstone falls back to an upsert (ON CONFLICT DO UPDATE, or
// MySQL's ON DUPLICATE KEY UPDATE, which has no WHERE); every column of the
// tombstone, its timestamps included, stays as stored.
func TestSaveFallbackLeavesTheTombstoneRowAsItIs(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, posts := e.seedPosts(t, 1)
		require.NoError(t, e.db.Delete(&posts[0]).Error)
		row := func() map[string]any {
			t.Helper()
			got := map[string]any{}
			require.NoError(t, e.db.Raw("SELECT title, views, "+e.castText("created_at")+" AS c, "+e.castText("updated_at")+" AS u, "+
				e.castText("deleted_at")+" AS d FROM posts WHERE id = ?", posts[0].ID).Take(&got).Error)
			return got
		}
		before := row()

		stale := posts[0]
		stale.DeletedAt, stale.Title, stale.Views = deletedAt{}, "zombie", 99
		e.log.reset()
		require.NoError(t, e.db.Save(&stale).Error)
		assert.Equal(t, before, row(), "the tombstone is neither rewritten nor resurrected")
		if e.name == "mysql" {
			assert.Len(t, e.log.matching("`title`=CASE WHEN `posts`.`deleted_at` IS NULL THEN VALUES(`title`) ELSE `posts`.`title` END"), 1,
				"Save's fallback is the guarded ON DUPLICATE KEY UPDATE")
		}
	})
}
