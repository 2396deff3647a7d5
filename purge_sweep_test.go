package softdelete_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// Tests of issue 14: the physical sweep (TID ranges, rowid ranges), the
// keyset continuation, BatchTime.

func TestPurgeBatchTime(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		for i := 0; i < 3; i++ {
			o := e.seedOwner(t, fmt.Sprint("o", i), 2, 1)
			require.NoError(t, e.db.Delete(&o).Error)
		}
		e.seedFlat(t, flats[0], 2503, 7, 5) // expires the owners too
		for _, c := range []tablePurge{
			{&PurgeEvent{}, "purge_events", 2503},  // swept
			{&PurgeOwner{}, "purge_owners", 3 * 5}, // keyset, cascade
		} {
			t.Run(c.table, func(t *testing.T) {
				var got progress
				n, err := softdelete.Purge(context.Background(), e.db, c.model, softdelete.PurgeOptions{
					OlderThan: retention, BatchSize: 10, BatchTime: 20 * time.Millisecond, OnBatch: got.add,
				})
				require.NoError(t, err)
				assert.Equal(t, c.want, n)
				require.NotEmpty(t, got.calls)
				assert.Equal(t, c.want, got.calls[len(got.calls)-1].Purged)
			})
		}
		assert.EqualValues(t, 12, e.count(t, "SELECT count(*) FROM purge_events"), "young and live rows stay")
		assert.Equal(t, [3]int64{0, 0, 0}, e.tableCounts(t))
	})
}

func TestPurgeBadBatchTime(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 3, 0, 0)
		bad := softdelete.PurgeOptions{OlderThan: retention, BatchTime: -time.Millisecond}
		n, err := softdelete.Purge(context.Background(), e.db, &PurgeEvent{}, bad)
		require.ErrorIs(t, err, softdelete.ErrInvalidBatchTime)
		assert.Contains(t, err.Error(), "BatchTime = -1ms")
		assert.Zero(t, n)
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM purge_events"), "nothing deleted")
		p, err := softdelete.NewPurger(e.db, time.Hour, softdelete.Policy{Model: &PurgeEvent{}, Options: bad})
		require.ErrorIs(t, err, softdelete.ErrInvalidBatchTime)
		assert.Nil(t, p)
	})
}

// TestPurgeKeysetContinuation: with the chain's conditions Purge batches
// through the deleted_at index, each batch continuing after the last
// candidate of the one before; ties on deleted_at (rows of one Delete share
// its timestamp) are broken by the key, so no row is skipped or taken twice.
func TestPurgeKeysetContinuation(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &PurgeTenantRow{}))
		rows := make([]PurgeTenantRow, 60)
		for i := range rows {
			rows[i].TenantID = uint(i%2 + 1)
		}
		require.NoError(t, e.db.Create(&rows).Error)
		require.NoError(t, e.db.Where("id <= ?", rows[29].ID).Delete(&PurgeTenantRow{}).Error) // one timestamp
		for _, r := range rows[30:50] {                                                        // one timestamp each
			e.clock.Advance(time.Second)
			require.NoError(t, e.db.Delete(&r).Error)
		}
		e.clock.Advance(48 * time.Hour)
		e.log.reset()
		n, err := softdelete.Purge(context.Background(), e.db.Where("tenant_id = ?", 1), &PurgeTenantRow{},
			softdelete.PurgeOptions{OlderThan: time.Hour, BatchSize: 4})
		require.NoError(t, err)
		assert.EqualValues(t, 25, n, "every deleted row of tenant 1")
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM purge_tenant_rows WHERE tenant_id = 1 AND deleted_at IS NOT NULL"))
		assert.EqualValues(t, 5, e.count(t, "SELECT count(*) FROM purge_tenant_rows WHERE tenant_id = 1"))
		assert.EqualValues(t, 30, e.count(t, "SELECT count(*) FROM purge_tenant_rows WHERE tenant_id = 2"))

		var selects []string
		for _, q := range e.log.matching("SELECT") {
			if q = strings.ReplaceAll(q, "`", `"`); strings.HasPrefix(q, `SELECT "deleted_at","id" FROM "purge_tenant_rows"`) {
				selects = append(selects, q)
			}
		}
		require.Len(t, selects, 7, "ceil(25/4) batches")
		assert.NotContains(t, selects[0], `("deleted_at","id") >`)
		for _, q := range selects[1:] {
			assert.Contains(t, q, `"deleted_at" >= `)
			assert.Contains(t, q, `("deleted_at","id") > (`)
		}
		if e.name == "postgres" {
			assert.Contains(t, selects[0], "FOR UPDATE SKIP LOCKED")
		}
	})
}

// TestPurgeInACallersTransaction: inside a transaction Purge batches by key
// (savepoints), and what it removed commits or rolls back with the caller.
func TestPurgeInACallersTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 25, 1, 1)
		for _, commit := range []bool{false, true} {
			tx := e.db.Begin()
			require.NoError(t, tx.Error)
			n, err := softdelete.Purge(context.Background(), tx, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention, BatchSize: 10})
			require.NoError(t, err)
			assert.EqualValues(t, 25, n)
			if commit {
				require.NoError(t, tx.Commit().Error)
				assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM purge_events"))
			} else {
				require.NoError(t, tx.Rollback().Error)
				assert.EqualValues(t, 27, e.count(t, "SELECT count(*) FROM purge_events"), "rolled back with the caller")
			}
		}
	})
}

// PurgeNoRowid lives in a SQLite table WITHOUT ROWID: no rowid to sweep.
type PurgeNoRowid struct {
	Key       string               `gorm:"primaryKey"`
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

func TestPurgeTableWithoutRowid(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		if e.name != "sqlite" {
			t.Skip("WITHOUT ROWID is SQLite's")
		}
		require.NoError(t, e.db.Exec(`CREATE TABLE purge_no_rowids (key TEXT PRIMARY KEY, deleted_at DATETIME) WITHOUT ROWID`).Error)
		for i := 0; i < 12; i++ {
			require.NoError(t, e.db.Create(&PurgeNoRowid{Key: fmt.Sprintf("k%02d", i)}).Error)
		}
		require.NoError(t, e.db.Where("key < ?", "k10").Delete(&PurgeNoRowid{}).Error)
		e.expire()
		n, err := softdelete.Purge(context.Background(), e.db, &PurgeNoRowid{}, softdelete.PurgeOptions{OlderThan: retention, BatchSize: 3})
		require.NoError(t, err, "batched by key instead")
		assert.EqualValues(t, 10, n)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM purge_no_rowids"))
	})
}

// TestPurgeSweepSkipsALockedRow: a row of the swept range that another
// transaction holds (a restore in progress) makes the range's DELETE give up
// its lock wait at once and redo the range with FOR UPDATE SKIP LOCKED: the
// held row stays, the rest goes, and Purge never waits for the restore.
func TestPurgeSweepSkipsALockedRow(t *testing.T) {
	onPostgres(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 50, 0, 0)
		var id uint
		require.NoError(t, e.db.Raw("SELECT id FROM purge_events ORDER BY id OFFSET 20 LIMIT 1").Scan(&id).Error)
		restore := e.db.Begin()
		require.NoError(t, restore.Error)
		defer restore.Rollback()
		require.NoError(t, restore.Exec("UPDATE purge_events SET deleted_at = NULL WHERE id = ?", id).Error)

		e.log.reset()
		traced := &traceLog{Interface: e.log}
		n, err := purgeAsync(t, e.db.Session(&gorm.Session{Logger: traced}), &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention})()
		require.NoError(t, err)
		assert.EqualValues(t, 49, n)
		assert.Empty(t, traced.errors(), "the given-up lock wait is not logged as an error")
		require.NoError(t, restore.Commit().Error)
		assert.Nil(t, e.deletedAt(t, "purge_events", id), "the restored row survives, live")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM purge_events"))
		skip := e.log.matching("FOR UPDATE SKIP LOCKED")
		require.Len(t, skip, 1, "the range was redone skipping the held row")
		assert.Contains(t, skip[0], "ctid = ANY(ARRAY(SELECT ctid FROM")
	})
}

// traceLog records the errors GORM traces, passing every trace on.
type traceLog struct {
	logger.Interface
	mu   sync.Mutex
	errs []error
}

func (l *traceLog) LogMode(logger.LogLevel) logger.Interface { return l }

func (l *traceLog) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if err != nil {
		l.mu.Lock()
		l.errs = append(l.errs, err)
		l.mu.Unlock()
	}
	l.Interface.Trace(ctx, begin, fc, err)
}

func (l *traceLog) errors() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// purgeLockKey is the advisory lock key of a table's purge segments (the
// dialect's: FNV-1a of "softdelete.purge:" + table).
func purgeLockKey(table string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte("softdelete.purge:" + table))
	return int32(h.Sum32())
}

// TestPurgeSweepSkipsAClaimedSegment: a segment another purger holds (its
// advisory lock) is skipped without waiting: that purger sweeps it.
func TestPurgeSweepSkipsAClaimedSegment(t *testing.T) {
	onPostgres(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 30, 0, 0)
		other, err := e.db.DB()
		require.NoError(t, err)
		conn, err := other.Conn(context.Background())
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.ExecContext(context.Background(), "SELECT pg_advisory_lock($1, 0)", purgeLockKey("purge_events"))
		require.NoError(t, err)

		n, err := purgeAsync(t, e.db, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention})()
		require.NoError(t, err)
		assert.Zero(t, n, "the only segment is another purger's")
		assert.EqualValues(t, 30, e.count(t, "SELECT count(*) FROM purge_events"))

		_, err = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1, 0)", purgeLockKey("purge_events"))
		require.NoError(t, err)
		n, err = softdelete.Purge(context.Background(), e.db, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention})
		require.NoError(t, err)
		assert.EqualValues(t, 30, n)
		var held int64
		require.NoError(t, e.db.Raw("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 0 AND classid = ?::oid",
			uint32(purgeLockKey("purge_events"))).Scan(&held).Error)
		assert.Zero(t, held, "Purge released its claim")
	})
}

// TestPurgeSweepCancelReleasesTheClaim: a Purge stopped by ctx gives its
// segment back, so the next purger (on any connection of the pool) sweeps it.
func TestPurgeSweepCancelReleasesTheClaim(t *testing.T) {
	onPostgres(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 3000, 0, 0)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n, err := softdelete.Purge(ctx, e.db, &PurgeEvent{}, softdelete.PurgeOptions{
			OlderThan: retention, BatchSize: 50, OnBatch: func(softdelete.PurgeProgress) { cancel() },
		})
		require.ErrorIs(t, err, context.Canceled)
		rest, err := purgeAsync(t, e.db.Session(&gorm.Session{}), &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention})()
		require.NoError(t, err)
		assert.Less(t, n, int64(3000))
		assert.EqualValues(t, 3000, n+rest)
	})
}

// TestPurgeInheritedTable: a PostgreSQL table with inheritance children
// holds rows whose ctids are other heaps' addresses: Purge batches it by key,
// and removes the due rows of the children too, as one DELETE would.
func TestPurgeInheritedTable(t *testing.T) {
	onPostgres(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		require.NoError(t, e.db.Exec("CREATE TABLE purge_events_2020 () INHERITS (purge_events)").Error)
		e.seedFlat(t, flats[0], 20, 0, 3)
		require.NoError(t, e.db.Exec(`INSERT INTO purge_events_2020 (id, name, deleted_at) SELECT 10000 + g, 'old', ? FROM generate_series(1, 2000) g`,
			e.clock.Now().Add(-30*24*time.Hour)).Error)
		n, err := softdelete.Purge(context.Background(), e.db, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention, BatchSize: 7})
		require.NoError(t, err)
		assert.EqualValues(t, 2020, n)
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM purge_events_2020"))
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM purge_events"))
	})
}

// TestPurgeOnAOneConnectionPool: an OnBatch that queries the database gets
// a connection even when the pool has only one: the sweep holds none between
// its batches there (no segment claims, which need one held).
func TestPurgeOnAOneConnectionPool(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 3000, 0, 2)
		sqlDB, err := e.db.DB()
		require.NoError(t, err)
		sqlDB.SetMaxOpenConns(1)
		var left []int64
		n, err := purgeAsync(t, e.db, &PurgeEvent{}, softdelete.PurgeOptions{
			OlderThan: retention, BatchSize: 500,
			OnBatch: func(softdelete.PurgeProgress) {
				var c int64
				if err := e.db.Raw("SELECT count(*) FROM purge_events").Scan(&c).Error; err == nil {
					left = append(left, c)
				}
			},
		})()
		require.NoError(t, err)
		assert.EqualValues(t, 3000, n)
		require.NotEmpty(t, left)
		assert.EqualValues(t, 2, left[len(left)-1], "OnBatch saw the committed batches")
	})
}

// TestPurgeSweepSegments: on a PostgreSQL table of several 1024-page
// segments, two purgers at once remove exactly the due rows between them,
// each segment swept by whoever claimed it, spans clipped at segment ends.
func TestPurgeSweepSegments(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 260 000 rows")
	}
	onPostgres(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		old, young := e.clock.Now().Add(-30*24*time.Hour), e.clock.Now().Add(-time.Hour)
		require.NoError(t, e.db.Exec(`INSERT INTO purge_events (created_at, updated_at, deleted_at, name)
			SELECT ?::timestamptz, ?::timestamptz, CASE WHEN g % 10 < 8 THEN ?::timestamptz WHEN g % 10 = 8 THEN ?::timestamptz END, 'x' FROM generate_series(1, 260000) g`,
			old, old, old, young).Error)
		require.NoError(t, e.db.Exec("ANALYZE purge_events").Error)
		pages := e.count(t, "SELECT pg_relation_size('purge_events') / current_setting('block_size')::int")
		require.Greater(t, pages, int64(2*1024), "more than two segments")

		var a, b progress
		waitA := purgeAsync(t, e.db, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention, BatchSize: 3000, OnBatch: a.add})
		waitB := purgeAsync(t, e.db, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention, BatchTime: 5 * time.Millisecond, OnBatch: b.add})
		na, errA := waitA()
		nb, errB := waitB()
		require.NoError(t, errA)
		require.NoError(t, errB)
		t.Logf("%d pages; the purgers removed %d and %d rows", pages, na, nb)
		assert.EqualValues(t, 208000, na+nb, "every due row removed exactly once")
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM purge_events WHERE deleted_at < ?", e.clock.Now().Add(-retention)))
		assert.EqualValues(t, 52000, e.count(t, "SELECT count(*) FROM purge_events"), "young and live rows stay")
		for _, c := range []struct {
			calls []softdelete.PurgeProgress
			n     int64
		}{{a.calls, na}, {b.calls, nb}} {
			if len(c.calls) > 0 {
				assert.Equal(t, c.n, c.calls[len(c.calls)-1].Purged, "OnBatch's running total is the count")
			}
		}
	})
}
