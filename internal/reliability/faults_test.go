package reliability_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// FParent cascades to its kids; the fault tests break the connection or the
// context between the statements of one cascade.
type FParent struct {
	ID        uint `gorm:"primarykey"`
	Name      string
	Kids      []FKid               `softdelete:"cascade"`
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// FKid is a cascade child.
type FKid struct {
	ID        uint `gorm:"primarykey"`
	FParentID uint
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// FLeaf has no cascade: Purge removes it with one statement per batch.
type FLeaf struct {
	ID        uint                 `gorm:"primarykey"`
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// TableName pins the table name used in raw SQL.
func (FLeaf) TableName() string { return "f_leaves" }

// faultPoint is where in the delete processor a fault fires.
type faultPoint string

// The fault points.
const (
	// betweenStatements: after the plugin ran the cascade's child statements,
	// before the root statement (gorm:delete).
	betweenStatements faultPoint = "between child and parent statements"
	// beforeCommit: after every statement, before the transaction ends.
	beforeCommit faultPoint = "after the last statement, before commit"
)

// faultKey carries a *fault in the statement's context.
type faultKey struct{}

// fault is armed through the context of one operation and fires once.
type fault struct {
	point  faultPoint
	action func(db *gorm.DB) // runs inside the delete processor, on the operation's statement
	fired  atomic.Bool
}

// registerFaultPoints adds two test callbacks to db's delete processor that
// run the fault armed in the statement's context, if any, at its point.
func registerFaultPoints(t *testing.T, db *gorm.DB) {
	t.Helper()
	fire := func(p faultPoint) func(*gorm.DB) {
		return func(db *gorm.DB) {
			f, ok := db.Statement.Context.Value(faultKey{}).(*fault)
			if ok && f.point == p && db.Error == nil && f.fired.CompareAndSwap(false, true) {
				f.action(db)
			}
		}
	}
	cb := db.Callback().Delete()
	require.NoError(t, cb.After("softdelete:delete").Before("gorm:delete").Register("reliability:between", fire(betweenStatements)))
	require.NoError(t, cb.After("gorm:delete").Before("gorm:after_delete").Register("reliability:before_commit", fire(beforeCommit)))
}

// killBackend returns a fault action that terminates the PostgreSQL backend
// of the statement's own connection (found with pg_backend_pid() on that
// connection: the operation's transaction) from another connection of
// admin, and waits until it is gone.
func killBackend(t *testing.T, admin *gorm.DB) func(*gorm.DB) {
	return func(db *gorm.DB) {
		var pid int
		if err := db.Session(&gorm.Session{NewDB: true}).Raw("SELECT pg_backend_pid()").Scan(&pid).Error; err != nil {
			t.Errorf("pg_backend_pid on the operation's connection: %v", err)
			return
		}
		var killed bool
		if err := admin.Raw("SELECT pg_terminate_backend(?)", pid).Scan(&killed).Error; err != nil || !killed {
			t.Errorf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
			return
		}
		deadline := time.Now().Add(5 * time.Second)
		for rawCount(t, admin, "SELECT count(*) FROM pg_stat_activity WHERE pid = ?", pid) > 0 {
			if time.Now().After(deadline) {
				t.Errorf("backend %d still alive 5s after pg_terminate_backend", pid)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// familyRow is a parent or kid as raw SQL sees it.
type familyRow struct {
	ID        uint
	DeletedAt *time.Time
}

// family reads a parent and its kids with raw SQL.
func family(t *testing.T, db *gorm.DB, parentID uint) (parent []familyRow, kids []familyRow) {
	t.Helper()
	require.NoError(t, db.Raw("SELECT id, deleted_at FROM f_parents WHERE id = ?", parentID).Scan(&parent).Error)
	require.NoError(t, db.Raw("SELECT id, deleted_at FROM f_kids WHERE f_parent_id = ? ORDER BY id", parentID).Scan(&kids).Error)
	return parent, kids
}

// txMode is how the operation's transaction comes about.
type txMode struct {
	name string
	run  func(db *gorm.DB, ctx context.Context, op func(*gorm.DB) error) error
}

// txModes are the three ways a cascade gets its transaction.
var txModes = []txMode{
	{"GORM's default transaction", func(db *gorm.DB, ctx context.Context, op func(*gorm.DB) error) error {
		return op(db.WithContext(ctx))
	}},
	{"SkipDefaultTransaction (the plugin's own)", func(db *gorm.DB, ctx context.Context, op func(*gorm.DB) error) error {
		return op(db.Session(&gorm.Session{SkipDefaultTransaction: true, Context: ctx}))
	}},
	{"caller's transaction (savepoint)", func(db *gorm.DB, ctx context.Context, op func(*gorm.DB) error) error {
		return db.WithContext(ctx).Transaction(op)
	}},
}

// verb is a cascading operation, with how to prepare its parent.
type verb struct {
	name    string
	prepare func(t *testing.T, db *gorm.DB, p *FParent) // bring the parent to the state the verb acts on
	run     func(db *gorm.DB, p *FParent) error
}

// cascadeVerbs are the multi-statement operations under test.
var cascadeVerbs = []verb{
	{"Delete", func(*testing.T, *gorm.DB, *FParent) {}, func(db *gorm.DB, p *FParent) error {
		return db.Delete(p).Error
	}},
	{"Restore", func(t *testing.T, db *gorm.DB, p *FParent) { require.NoError(t, db.Delete(p).Error) },
		func(db *gorm.DB, p *FParent) error { return softdelete.Restore(db, p).Error }},
	{"HardDelete", func(*testing.T, *gorm.DB, *FParent) {}, func(db *gorm.DB, p *FParent) error {
		return softdelete.HardDelete(db, p).Error
	}},
}

// TestFaultMidCascadeIsAllOrNothing (PostgreSQL): for Delete, Restore and
// HardDelete of a parent with three cascade kids, in each transaction mode
// (GORM's default, the plugin's own under SkipDefaultTransaction, a caller's
// with a savepoint), the connection is killed (pg_terminate_backend) or the
// context cancelled between the child and the parent statements, or after
// the last statement before commit. The caller gets an error and raw SQL
// shows parent and kids exactly as before; the same operation then succeeds
// and changes all of them (the pool recovered, nothing was half-done).
func TestFaultMidCascadeIsAllOrNothing(t *testing.T) {
	db := testdb.Open(t, "postgres", quietConfig())
	clk := newClock()
	setup(t, db, clk, &FParent{}, &FKid{})
	registerFaultPoints(t, db)
	for _, v := range cascadeVerbs {
		for _, mode := range txModes {
			for _, point := range []faultPoint{betweenStatements, beforeCommit} {
				for _, action := range []string{"kill", "cancel"} {
					name := fmt.Sprintf("%s/%s/%s/%s", v.name, mode.name, point, action)
					t.Run(name, func(t *testing.T) {
						clk.Advance(time.Second) // a distinct timestamp per case
						p := FParent{Name: name, Kids: []FKid{{}, {}, {}}}
						require.NoError(t, db.Create(&p).Error)
						v.prepare(t, db, &p)
						beforeParent, beforeKids := family(t, db, p.ID)

						ctx, cancel := context.WithCancel(context.Background())
						defer cancel()
						act := killBackend(t, db)
						if action == "cancel" {
							act = func(*gorm.DB) { cancel() }
						}
						f := &fault{point: point, action: func(tx *gorm.DB) {
							// the fault must hit a half-done cascade: the kids
							// already changed inside the transaction
							assertKidsChanged(t, v.name, tx, p.ID, len(p.Kids))
							act(tx)
						}}
						ctx = context.WithValue(ctx, faultKey{}, f)
						err := mode.run(db, ctx, func(tx *gorm.DB) error { return v.run(tx, &p) })
						require.True(t, f.fired.Load(), "the fault point was reached")
						require.Error(t, err, "the operation must fail")
						assert.Contains(t, []errClass{classConnection, classContext, classStatementCancel, classTxDone}, classify(err), "error: %v", err)

						afterParent, afterKids := family(t, db, p.ID)
						assert.Equal(t, beforeParent, afterParent, "parent unchanged")
						assert.Equal(t, beforeKids, afterKids, "kids unchanged")

						// the pool recovered, and the operation is atomic the other way too
						require.NoError(t, mode.run(db, context.Background(), func(tx *gorm.DB) error { return v.run(tx, &p) }))
						afterParent, afterKids = family(t, db, p.ID)
						assertAllChanged(t, v.name, beforeParent, afterParent, beforeKids, afterKids)
					})
				}
			}
		}
	}
}

// assertKidsChanged checks, on the operation's own connection (inside its
// transaction), that the cascade's child statement already ran.
func assertKidsChanged(t *testing.T, verb string, tx *gorm.DB, parentID uint, kids int) {
	t.Helper()
	in := tx.Session(&gorm.Session{NewDB: true})
	switch verb {
	case "Delete":
		assert.EqualValues(t, kids, rawCount(t, in, "SELECT count(*) FROM f_kids WHERE f_parent_id = ? AND deleted_at IS NOT NULL", parentID))
	case "Restore":
		assert.EqualValues(t, kids, rawCount(t, in, "SELECT count(*) FROM f_kids WHERE f_parent_id = ? AND deleted_at IS NULL", parentID))
	case "HardDelete":
		assert.Zero(t, rawCount(t, in, "SELECT count(*) FROM f_kids WHERE f_parent_id = ?", parentID))
	}
}

// assertAllChanged checks that a successful verb changed the parent and
// every kid.
func assertAllChanged(t *testing.T, verb string, beforeParent, afterParent, beforeKids, afterKids []familyRow) {
	t.Helper()
	switch verb {
	case "HardDelete":
		assert.Empty(t, afterParent)
		assert.Empty(t, afterKids)
	case "Delete":
		require.Len(t, afterParent, 1)
		require.Len(t, afterKids, len(beforeKids))
		require.NotNil(t, afterParent[0].DeletedAt)
		for _, k := range afterKids {
			require.NotNil(t, k.DeletedAt)
			assert.True(t, k.DeletedAt.Equal(*afterParent[0].DeletedAt), "one timestamp for the whole cascade")
		}
	case "Restore":
		require.Len(t, afterParent, 1)
		assert.Nil(t, afterParent[0].DeletedAt)
		for _, k := range afterKids {
			assert.Nil(t, k.DeletedAt)
		}
	}
}

// TestFaultDeadlineDuringSlowCascadeStatement (PostgreSQL): a trigger makes
// the kids' UPDATE sleep; the context deadline expires during that
// statement, PostgreSQL cancels it, and the whole delete is rolled back.
func TestFaultDeadlineDuringSlowCascadeStatement(t *testing.T) {
	db := testdb.Open(t, "postgres", quietConfig())
	setup(t, db, newClock(), &FParent{}, &FKid{})
	parents := make([]FParent, len(txModes))
	for i := range parents {
		parents[i] = FParent{Name: txModes[i].name, Kids: []FKid{{}, {}}}
		require.NoError(t, db.Create(&parents[i]).Error)
	}
	// created after the rows: PostgreSQL also fires statement-level UPDATE
	// triggers for the INSERT ... ON CONFLICT DO UPDATE that saves associations
	require.NoError(t, db.Exec(`CREATE FUNCTION f_kids_slow() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$`).Error)
	require.NoError(t, db.Exec(`CREATE TRIGGER f_kids_slow BEFORE UPDATE ON f_kids FOR EACH STATEMENT EXECUTE FUNCTION f_kids_slow()`).Error)
	for i, mode := range txModes {
		t.Run(mode.name, func(t *testing.T) {
			p := parents[i]
			beforeParent, beforeKids := family(t, db, p.ID)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := mode.run(db, ctx, func(tx *gorm.DB) error { return tx.Delete(&p).Error })
			require.Error(t, err)
			assert.Less(t, time.Since(start), 900*time.Millisecond, "stopped during the sleep, not after it")
			assert.Contains(t, []errClass{classContext, classStatementCancel}, classify(err), "error: %v", err)
			afterParent, afterKids := family(t, db, p.ID)
			assert.Equal(t, beforeParent, afterParent)
			assert.Equal(t, beforeKids, afterKids)
		})
	}
}

// openPostgresWith opens a second connection pool on the schema of base with
// extra runtime parameters (e.g. lock_timeout), with the plugin registered on
// clk.
func openPostgresWith(t *testing.T, base *gorm.DB, clk *clock, params map[string]string) *gorm.DB {
	t.Helper()
	dsn, reason := testdb.PostgresDSN()
	if dsn == "" {
		t.Skip(reason)
	}
	var schema string
	require.NoError(t, base.Raw("SELECT current_schema()").Scan(&schema).Error)
	all := map[string]string{"search_path": schema}
	for k, v := range params {
		all[k] = v
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		require.NoError(t, err)
		q := u.Query()
		for k, v := range all {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		dsn = u.String()
	} else {
		for k, v := range all {
			dsn += " " + k + "=" + v
		}
	}
	db, err := gorm.Open(postgres.Open(dsn), quietConfig())
	require.NoError(t, err)
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	require.NoError(t, db.Use(softdelete.New(softdelete.WithClock(clk.Now))))
	return db
}

// TestFaultTimeoutDuringPurge (PostgreSQL): another transaction holds a lock
// on a kid of the second batch's parents; Purge runs on a pool with a small
// lock_timeout (or statement_timeout). The first batch commits, the second
// fails with a clean, wrapped 55P03 (57014) error and is rolled back; Purge
// reports exactly the rows of the committed batch. Once the lock is gone a
// rerun completes, and the two runs together removed every expired row once.
func TestFaultTimeoutDuringPurge(t *testing.T) {
	for _, c := range []struct {
		param string
		class errClass
	}{
		{"lock_timeout", classLockTimeout},
		{"statement_timeout", classStatementCancel},
	} {
		t.Run(c.param, func(t *testing.T) {
			db := testdb.Open(t, "postgres", quietConfig())
			clk := newClock()
			setup(t, db, clk, &FParent{}, &FKid{})
			var parents []FParent
			for i := range 6 {
				p := FParent{Name: fmt.Sprint(i), Kids: []FKid{{}, {}}}
				require.NoError(t, db.Create(&p).Error)
				clk.Advance(time.Second) // distinct timestamps: batches follow creation order
				require.NoError(t, db.Delete(&p).Error)
				parents = append(parents, p)
			}
			clk.Advance(48 * time.Hour)
			purger := openPostgresWith(t, db, clk, map[string]string{c.param: "300ms"})

			locker := db.Begin()
			require.NoError(t, locker.Error)
			defer locker.Rollback()
			var locked uint
			require.NoError(t, locker.Raw("SELECT id FROM f_kids WHERE f_parent_id = ? ORDER BY id LIMIT 1 FOR UPDATE",
				parents[3].ID).Scan(&locked).Error)

			var batches []softdelete.PurgeProgress
			opts := softdelete.PurgeOptions{OlderThan: time.Hour, BatchSize: 2,
				OnBatch: func(p softdelete.PurgeProgress) { batches = append(batches, p) }}
			n, err := softdelete.Purge(context.Background(), purger, &FParent{}, opts)
			require.Error(t, err)
			assert.Equal(t, c.class, classify(err), "error: %v", err)
			assert.EqualValues(t, 2+4, n, "exactly the first batch: 2 parents and their 4 kids")
			assert.EqualValues(t, 4, rawCount(t, db, "SELECT count(*) FROM f_parents"))
			assert.EqualValues(t, 8, rawCount(t, db, "SELECT count(*) FROM f_kids"))
			require.NotEmpty(t, batches)
			assert.Equal(t, n, batches[len(batches)-1].Purged, "OnBatch saw the committed batch only")

			require.NoError(t, locker.Rollback().Error)
			n2, err := softdelete.Purge(context.Background(), purger, &FParent{}, opts)
			require.NoError(t, err)
			assert.EqualValues(t, 4+8, n2)
			assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM f_parents"))
			assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM f_kids"))
		})
	}
}

// TestPurgeSkipsLockedRowsAndSparesRestoredOnes (PostgreSQL): a Restore in
// progress (uncommitted, holding the row lock) does not make Purge wait: the
// row is skipped (FOR UPDATE SKIP LOCKED), the others are purged. If the
// restore commits, the row survives every later Purge; if it rolls back, the
// next Purge removes it. Same for a cascading model.
func TestPurgeSkipsLockedRowsAndSparesRestoredOnes(t *testing.T) {
	for _, outcome := range []string{"restore commits", "restore rolls back"} {
		t.Run(outcome, func(t *testing.T) {
			db := testdb.Open(t, "postgres", quietConfig())
			clk := newClock()
			setup(t, db, clk, &FLeaf{}, &FParent{}, &FKid{})
			leaves := make([]FLeaf, 4)
			require.NoError(t, db.Create(&leaves).Error)
			require.NoError(t, db.Delete(&leaves).Error)
			parents := []FParent{{Kids: []FKid{{}}}, {Kids: []FKid{{}}}}
			require.NoError(t, db.Create(&parents).Error)
			for i := range parents {
				require.NoError(t, db.Delete(&parents[i]).Error)
			}
			clk.Advance(48 * time.Hour)

			restorer := db.Begin()
			require.NoError(t, restorer.Error)
			defer restorer.Rollback()
			res := softdelete.Restore(restorer, &FLeaf{}, leaves[0].ID)
			require.NoError(t, res.Error)
			require.EqualValues(t, 1, res.RowsAffected)
			res = softdelete.Restore(restorer, &parents[0])
			require.NoError(t, res.Error)
			require.EqualValues(t, 1, res.RowsAffected)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			opts := softdelete.PurgeOptions{OlderThan: time.Hour}
			n, err := softdelete.Purge(ctx, db, &FLeaf{}, opts)
			require.NoError(t, err)
			assert.EqualValues(t, 3, n, "the locked leaf is skipped")
			n, err = softdelete.Purge(ctx, db, &FParent{}, opts)
			require.NoError(t, err)
			assert.EqualValues(t, 2, n, "the locked parent (and its kid) skipped")
			assert.Less(t, time.Since(start), 3*time.Second, "Purge does not wait for the lock")

			if outcome == "restore commits" {
				require.NoError(t, restorer.Commit().Error)
			} else {
				require.NoError(t, restorer.Rollback().Error)
			}
			n1, err := softdelete.Purge(ctx, db, &FLeaf{}, opts)
			require.NoError(t, err)
			n2, err := softdelete.Purge(ctx, db, &FParent{}, opts)
			require.NoError(t, err)
			if outcome == "restore commits" {
				assert.Zero(t, n1+n2, "restored rows are never purged")
				assert.EqualValues(t, 1, rawCount(t, db, "SELECT count(*) FROM f_leaves WHERE id = ? AND deleted_at IS NULL", leaves[0].ID))
				assert.EqualValues(t, 1, rawCount(t, db, "SELECT count(*) FROM f_kids WHERE f_parent_id = ? AND deleted_at IS NULL", parents[0].ID))
			} else {
				assert.EqualValues(t, 1, n1)
				assert.EqualValues(t, 2, n2)
				assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM f_leaves")+rawCount(t, db, "SELECT count(*) FROM f_parents"))
			}
		})
	}
}
