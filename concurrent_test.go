package softdelete_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gorm-softdelete/softdelete"
)

// BigEvent's key is unique among live events; its table is large.
type BigEvent struct {
	softdelete.Model
	Key     string `softdelete:"unique"`
	Payload string
}

// bigRows is the size of the table the concurrent build runs on.
const bigRows = 50000

var concurrent = setup{opts: []softdelete.Option{softdelete.WithConcurrentIndexes()}}

// fillBigEvents creates the table (GORM only: no partial index) with bigRows rows.
func fillBigEvents(t *testing.T, e *env) {
	t.Helper()
	require.NoError(t, e.db.AutoMigrate(&BigEvent{}))
	require.NoError(t, e.db.Exec(fmt.Sprintf(`WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d)
INSERT INTO big_events (key, payload) SELECT 'k' || g, 'payload of event ' || g FROM s`, bigRows)).Error)
}

// building reports whether PostgreSQL is building an index on big_events.
func building(t *testing.T, e *env) bool {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM pg_stat_progress_create_index WHERE relid = 'big_events'::regclass`) > 0
}

func TestConcurrentIndexBuildLetsWritersWrite(t *testing.T) {
	eachDBWith(t, concurrent, func(t *testing.T, e *env) {
		if e.name != "postgres" {
			require.NoError(t, softdelete.AutoMigrate(e.db, &BigEvent{}), "the option changes nothing here")
			assert.Contains(t, indexDef(t, e, "uidx_big_events_key"), livePredicate(e))
			require.NoError(t, e.db.Create(&BigEvent{Key: "k"}).Error)
			assert.Error(t, e.db.Create(&BigEvent{Key: "k"}).Error, "the index holds")
			return
		}
		fillBigEvents(t, e)
		// An open writing transaction makes the concurrent build wait for it
		// (its first phase), so the build is observably running meanwhile.
		holder := e.db.Begin()
		require.NoError(t, holder.Exec(`INSERT INTO big_events (key) VALUES ('holder')`).Error)
		done := make(chan error, 1)
		go func() { done <- softdelete.AutoMigrate(e.db, &BigEvent{}) }()
		waitFor(t, func() bool { return building(t, e) }, done)

		const writes = 20
		for i := range writes {
			require.NoError(t, e.db.Exec(`INSERT INTO big_events (key) VALUES (?)`, fmt.Sprintf("w%d", i)).Error)
		}
		assert.True(t, building(t, e), "every write committed while the build ran")
		select {
		case err := <-done:
			t.Fatalf("AutoMigrate returned before the holder committed: %v", err)
		default:
		}
		require.NoError(t, holder.Commit().Error)
		require.NoError(t, <-done)
		assert.EqualValues(t, writes, e.count(t, `SELECT count(*) FROM big_events WHERE key LIKE 'w%'`))
		assert.EqualValues(t, 1, e.count(t, `SELECT count(*) FROM pg_index WHERE indexrelid = 'uidx_big_events_key'::regclass AND indisvalid`))
		assert.Contains(t, indexDef(t, e, "uidx_big_events_key"), livePredicate(e))
		assert.Error(t, e.db.Create(&BigEvent{Key: "w1"}).Error, "the index holds")
	})
}

// waitFor polls cond until it holds; it fails the test when done reports
// first or after a generous bound (no timing is asserted).
func waitFor(t *testing.T, cond func() bool, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		select {
		case err := <-done:
			t.Fatalf("finished before the condition held: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConcurrentIndexesRefuseATransaction(t *testing.T) {
	eachDBWith(t, concurrent, func(t *testing.T, e *env) {
		tx := e.db.Begin()
		require.NoError(t, tx.Error)
		defer tx.Rollback()
		err := softdelete.AutoMigrate(tx, &BigEvent{})
		if e.name != "postgres" {
			require.NoError(t, err)
			return
		}
		assert.ErrorIs(t, err, softdelete.ErrConcurrentIndexInTx)
		assert.False(t, tx.Migrator().HasTable(&BigEvent{}), "nothing ran, not even GORM's CREATE TABLE")
	})
}

func TestConcurrentIndexesRepairAnInvalidIndex(t *testing.T) {
	eachDBWith(t, concurrent, func(t *testing.T, e *env) {
		if e.name != "postgres" {
			t.Skip("only PostgreSQL builds concurrently")
		}
		require.NoError(t, e.db.AutoMigrate(&BigEvent{}))
		require.NoError(t, e.db.Exec(`INSERT INTO big_events (key) VALUES ('d'), ('d')`).Error)
		require.Error(t, e.db.Exec(`CREATE UNIQUE INDEX CONCURRENTLY uidx_big_events_key ON big_events (key) WHERE deleted_at IS NULL`).Error)
		invalid := `SELECT count(*) FROM pg_index WHERE indexrelid = 'uidx_big_events_key'::regclass AND NOT indisvalid`
		require.EqualValues(t, 1, e.count(t, invalid))

		err := softdelete.AutoMigrate(e.db, &BigEvent{})
		assert.ErrorIs(t, err, softdelete.ErrDuplicateLiveKeys, "the cause is still there")
		require.NoError(t, e.db.Exec(`DELETE FROM big_events WHERE id = (SELECT max(id) FROM big_events)`).Error)
		require.NoError(t, softdelete.AutoMigrate(e.db, &BigEvent{}))
		assert.EqualValues(t, 0, e.count(t, invalid))
		assert.Contains(t, indexDef(t, e, "uidx_big_events_key"), livePredicate(e))
		require.NoError(t, softdelete.AutoMigrate(e.db, &BigEvent{}), "idempotent")
	})
}

func TestConcurrentIndexesReplaceADriftedIndexInPlace(t *testing.T) {
	eachDBWith(t, concurrent, func(t *testing.T, e *env) {
		if e.name != "postgres" {
			t.Skip("only PostgreSQL builds concurrently")
		}
		require.NoError(t, e.db.AutoMigrate(&BigEvent{}))
		require.NoError(t, e.db.Exec(`CREATE UNIQUE INDEX uidx_big_events_key ON big_events (key)`).Error)
		require.NoError(t, e.db.Exec(`CREATE INDEX uidx_big_events_key_rebuild ON big_events (payload)`).Error, "an interrupted swap's leftover")
		old := BigEvent{Key: "a"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)

		require.NoError(t, softdelete.AutoMigrate(e.db, &BigEvent{}))
		assert.Contains(t, indexDef(t, e, "uidx_big_events_key"), livePredicate(e))
		assert.Empty(t, indexDef(t, e, "uidx_big_events_key_rebuild"))
		assert.EqualValues(t, 0, e.count(t, `SELECT count(*) FROM pg_index WHERE indexrelid = 'uidx_big_events_key'::regclass AND NOT indisvalid`))
		require.NoError(t, e.db.Create(&BigEvent{Key: "a"}).Error, "the deleted key is free")
		assert.Error(t, e.db.Create(&BigEvent{Key: "a"}).Error)
	})
}

func TestConcurrentBuildThatMeetsADuplicateLeavesNoInvalidIndex(t *testing.T) {
	eachDBWith(t, concurrent, func(t *testing.T, e *env) {
		if e.name != "postgres" {
			t.Skip("only PostgreSQL builds concurrently")
		}
		require.NoError(t, e.db.AutoMigrate(&BigEvent{}))
		require.NoError(t, e.db.Exec(`INSERT INTO big_events (key) VALUES ('dup')`).Error)
		// The duplicate is not committed when AutoMigrate checks for
		// duplicates, and is when the build (which waits for it) scans.
		holder := e.db.Begin()
		require.NoError(t, holder.Exec(`INSERT INTO big_events (key) VALUES ('dup')`).Error)
		done := make(chan error, 1)
		go func() { done <- softdelete.AutoMigrate(e.db, &BigEvent{}) }()
		waitFor(t, func() bool { return building(t, e) }, done)
		require.NoError(t, holder.Commit().Error)

		err := <-done
		assert.ErrorIs(t, err, softdelete.ErrDuplicateLiveKeys)
		assert.ErrorContains(t, err, "create index uidx_big_events_key concurrently")
		assert.Empty(t, indexDef(t, e, "uidx_big_events_key"), "the invalid index the build left was dropped")
	})
}
