package softdelete_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete"
)

// Purge error paths (issue 12). gapLeaf has no cascade: a batch is one
// DELETE. gapTree → gapBranch cascade: a batch deletes branches, then trees.
// Rows of gap_pins reference both through real foreign keys, so a DELETE of a
// pinned row fails in the database.
type gapLeaf struct {
	softdelete.Model
	Name string
}

type gapTree struct {
	softdelete.Model
	Branches []gapBranch `gorm:"foreignKey:TreeID" softdelete:"cascade"`
}

type gapBranch struct {
	softdelete.Model
	TreeID uint
}

// gapPurgeDB migrates the purge gap models and the pin table.
func gapPurgeDB(t *testing.T, e *env) {
	t.Helper()
	require.NoError(t, softdelete.AutoMigrate(e.db, &gapLeaf{}, &gapTree{}, &gapBranch{}))
	require.NoError(t, e.db.Exec(`CREATE TABLE gap_pins (
		id INTEGER PRIMARY KEY,
		leaf_id `+e.refType()+` REFERENCES gap_leafs(id),
		branch_id `+e.refType()+` REFERENCES gap_branches(id))`).Error)
}

func TestPurgeReportsAFailedDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		gapPurgeDB(t, e)
		leaves := []gapLeaf{{Name: "a"}, {Name: "b"}}
		require.NoError(t, e.db.Create(&leaves).Error)
		tree := gapTree{Branches: []gapBranch{{}, {}}}
		require.NoError(t, e.db.Create(&tree).Error)
		require.NoError(t, e.db.Delete(&leaves).Error)
		require.NoError(t, e.db.Delete(&tree).Error)
		e.expire()
		require.NoError(t, e.db.Exec("INSERT INTO gap_pins (id, leaf_id, branch_id) VALUES (1, ?, ?)",
			leaves[1].ID, tree.Branches[1].ID).Error)
		opts := softdelete.PurgeOptions{OlderThan: retention}

		t.Run("leaf DELETE", func(t *testing.T) {
			n, err := softdelete.Purge(context.Background(), e.db, &gapLeaf{}, opts)
			require.Error(t, err, "a DELETE the database refused is not a success")
			assert.Contains(t, err.Error(), "gap_leafs")
			assert.Zero(t, n)
			assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM gap_leafs"), "the failed batch removed nothing")
		})
		t.Run("cascade child DELETE", func(t *testing.T) {
			n, err := softdelete.Purge(context.Background(), e.db, &gapTree{}, opts)
			require.Error(t, err, "a child DELETE the database refused is not a success")
			assert.Contains(t, err.Error(), "gap_trees")
			assert.Zero(t, n)
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM gap_trees"), "the batch was rolled back")
			assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM gap_branches"), "the batch was rolled back")
		})
		t.Run("unpinned, both purge", func(t *testing.T) {
			require.NoError(t, e.db.Exec("DELETE FROM gap_pins").Error)
			n, err := softdelete.Purge(context.Background(), e.db, &gapLeaf{}, opts)
			require.NoError(t, err)
			assert.EqualValues(t, 2, n)
			n, err = softdelete.Purge(context.Background(), e.db, &gapTree{}, opts)
			require.NoError(t, err)
			assert.EqualValues(t, 3, n)
		})
	})
}

// errDriverAfterCancel stands for an error a driver returns once the
// statement's context has ended, that does not wrap ctx.Err() (a dropped
// connection, a server-side cancel).
var errDriverAfterCancel = errors.New("gap: connection lost")

func TestPurgeKeepsTheDriverErrorWhenCtxEnded(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		gapPurgeDB(t, e)
		leaves := []gapLeaf{{Name: "a"}, {Name: "b"}}
		require.NoError(t, e.db.Create(&leaves).Error)
		require.NoError(t, e.db.Delete(&leaves).Error)
		e.expire()

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// The purge's DELETE ends the context and fails with an error of its own.
		require.NoError(t, e.db.Callback().Raw().Before("gorm:raw").Register("gaps:cancel_and_fail", func(tx *gorm.DB) {
			if strings.HasPrefix(tx.Statement.SQL.String(), "DELETE FROM") && tx.Statement.Context == ctx {
				cancel()
				_ = tx.AddError(errDriverAfterCancel)
			}
		}))
		n, err := softdelete.Purge(ctx, e.db, &gapLeaf{}, softdelete.PurgeOptions{OlderThan: retention})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled, "says the context ended")
		assert.ErrorIs(t, err, errDriverAfterCancel, "and keeps the driver's error")
		assert.Contains(t, err.Error(), "gap_leafs")
		assert.Zero(t, n)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM gap_leafs"))
	})
}

// TestPurgeBatchOfACascadeModelFitsSQLiteParameters purges a batch larger
// than SQLite's 32766 bound parameters: a model with cascades binds its
// batch's keys, so its batches are capped (at 30000 keys).
func TestPurgeBatchOfACascadeModelFitsSQLiteParameters(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 32800 rows")
	}
	eachDB(t, func(t *testing.T, e *env) {
		if e.name != "sqlite" {
			t.Skip("PostgreSQL allows 65535 parameters: the cap is SQLite's limit")
		}
		gapPurgeDB(t, e)
		const rows = 32800
		require.NoError(t, e.db.Exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
			INSERT INTO gap_trees (id, created_at, updated_at, deleted_at) SELECT i, ?, ?, ? FROM s`,
			rows, e.clock.Now(), e.clock.Now(), e.clock.Now()).Error)
		e.expire()
		var batches []softdelete.PurgeProgress
		n, err := softdelete.Purge(context.Background(), e.db, &gapTree{}, softdelete.PurgeOptions{
			OlderThan: retention, BatchSize: 50000,
			OnBatch: func(p softdelete.PurgeProgress) { batches = append(batches, p) },
		})
		require.NoError(t, err)
		assert.EqualValues(t, rows, n)
		require.Len(t, batches, 2)
		assert.EqualValues(t, 30000, batches[0].Purged, "the first batch is capped at 30000 keys")
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM gap_trees"))
	})
}

// TestPurgeRejectsNonModels: Purge and NewPurger given a value that is not a
// model fail with gorm.ErrInvalidValue, keeping GORM's parse error, and
// never panic.
func TestPurgeRejectsNonModels(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		opts := softdelete.PurgeOptions{OlderThan: retention}
		for _, bad := range []any{42, "posts", []int{1}} {
			var err error
			require.NotPanics(t, func() { _, err = softdelete.Purge(context.Background(), e.db, bad, opts) }, "%#v", bad)
			assert.ErrorIs(t, err, gorm.ErrInvalidValue, "%#v", bad)
			assert.ErrorIs(t, err, schema.ErrUnsupportedDataType, "%#v", bad)
			require.NotPanics(t, func() {
				_, err = softdelete.NewPurger(e.db, time.Hour, softdelete.Policy{Model: bad, Options: opts})
			}, "%#v", bad)
			assert.ErrorIs(t, err, gorm.ErrInvalidValue, "%#v", bad)
		}
	})
}

// TestPurgeStopsOnRowsItCannotAddress: a full batch of a cascading model
// whose candidates GORM cannot address by key (a zero primary key) removes
// nothing; Purge must stop, not fetch the same batch forever.
func TestPurgeStopsOnRowsItCannotAddress(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		gapPurgeDB(t, e)
		require.NoError(t, e.db.Exec("INSERT INTO gap_trees (id, created_at, updated_at, deleted_at) VALUES (0, ?, ?, ?)",
			e.clock.Now(), e.clock.Now(), e.clock.Now()).Error)
		e.expire()
		done := make(chan error, 1)
		go func() {
			_, err := softdelete.Purge(context.Background(), e.db, &gapTree{}, softdelete.PurgeOptions{OlderThan: retention, BatchSize: 1})
			done <- err
		}()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Purge keeps fetching the same batch")
		}
	})
}

// TestPurgeLiveChildErrorIsNotPrefixedTwice: ErrLiveChild already names the
// child, the parent and both tables; Purge returns it as it is.
func TestPurgeLiveChildErrorIsNotPrefixedTwice(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		gapPurgeDB(t, e)
		tree := gapTree{Branches: []gapBranch{{}}}
		require.NoError(t, e.db.Create(&tree).Error)
		require.NoError(t, e.db.Exec("UPDATE gap_trees SET deleted_at = ? WHERE id = ?", e.clock.Now(), tree.ID).Error)
		e.expire()
		_, err := softdelete.Purge(context.Background(), e.db, &gapTree{}, softdelete.PurgeOptions{OlderThan: retention})
		require.ErrorIs(t, err, softdelete.ErrLiveChild)
		assert.True(t, strings.HasPrefix(err.Error(), softdelete.ErrLiveChild.Error()+": gap_branches row"), err.Error())
		assert.Equal(t, 1, strings.Count(err.Error(), "softdelete:"), err.Error())
	})
}

var errChain = errors.New("gap: bad scope")

// TestPurgeFailsOnABrokenChain: when the caller's chain cannot be built (a
// scope failed), Purge fails with that error and removes nothing; it never
// purges without the chain's conditions.
func TestPurgeFailsOnABrokenChain(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		gapPurgeDB(t, e)
		leaves := []gapLeaf{{Name: "a"}, {Name: "b"}}
		require.NoError(t, e.db.Create(&leaves).Error)
		require.NoError(t, e.db.Delete(&leaves).Error)
		e.expire()
		broken := e.db.Where("name = ?", "a").Scopes(func(tx *gorm.DB) *gorm.DB {
			_ = tx.AddError(errChain)
			return tx
		})
		n, err := softdelete.Purge(context.Background(), broken, &gapLeaf{}, softdelete.PurgeOptions{OlderThan: retention})
		require.ErrorIs(t, err, errChain)
		assert.Zero(t, n)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM gap_leafs"))
	})
}
