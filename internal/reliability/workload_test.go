package reliability_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// Account is the model of the mixed workload: an email unique among live
// rows (a partial unique index), and a version bumped by upserts.
type Account struct {
	ID        uint   `gorm:"primarykey"`
	Email     string `softdelete:"unique"`
	Version   int
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// Workload parameters: few emails, so that creates, restores and upserts
// collide all the time.
const (
	workers        = 16
	emailSpace     = 12
	purgeRetention = 20 * time.Second // OlderThan of every Purge
	clockStep      = 5 * time.Second  // the clock advances this much before each Purge
	purgeBatch     = 3                // several batches per Purge
	checkpointGap  = 500 * time.Millisecond
	sqliteBusyWait = 5 * time.Second // busy_timeout of internal/testdb's SQLite DSN
)

// auditDDL creates purge_audit and a BEFORE DELETE trigger that copies every
// physically deleted account into it: nothing but Purge hard-deletes in the
// workload, so the audit is an independent record of what Purge removed and
// of the state each row was in when it was removed.
var auditDDL = map[string][]string{
	"sqlite": {
		`CREATE TABLE purge_audit (id integer, email text, deleted_at datetime)`,
		`CREATE TRIGGER accounts_purge_audit BEFORE DELETE ON accounts BEGIN
			INSERT INTO purge_audit (id, email, deleted_at) VALUES (OLD.id, OLD.email, OLD.deleted_at); END`,
	},
	"postgres": {
		`CREATE TABLE purge_audit (id bigint, email text, deleted_at timestamptz)`,
		`CREATE FUNCTION accounts_purge_audit() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN INSERT INTO purge_audit (id, email, deleted_at) VALUES (OLD.id, OLD.email, OLD.deleted_at); RETURN OLD; END $$`,
		`CREATE TRIGGER accounts_purge_audit BEFORE DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_purge_audit()`,
	},
	"mysql": {
		`CREATE TABLE purge_audit (id bigint, email text, deleted_at datetime(3))`,
		`CREATE TRIGGER accounts_purge_audit BEFORE DELETE ON accounts FOR EACH ROW
			INSERT INTO purge_audit (id, email, deleted_at) VALUES (OLD.id, OLD.email, OLD.deleted_at)`,
	},
}

// workload is the shared state of one mixed-workload run.
type workload struct {
	db    *gorm.DB
	clock *clock
	errs  *tally

	// gate: every operation holds it shared, a checkpoint exclusively, so
	// the counters and the tables agree while a checkpoint looks at them.
	gate sync.RWMutex

	created  atomic.Int64 // rows inserted: successful creates + upserts that inserted
	purged   atomic.Int64 // rows Purge reported removed
	maxID    atomic.Int64 // highest id seen (restore targets)
	cutoff   atomic.Int64 // latest Purge cutoff, unix microseconds
	ops      [opCount]atomic.Int64
	restored atomic.Int64    // rows restores reported
	upserted [3]atomic.Int64 // inserted, updated, neither (see upsert)
	checks   atomic.Int64    // checkpoints passed
}

// op is one kind of workload operation.
type op int

// The operations.
const (
	opCreate op = iota
	opDelete
	opRestoreID
	opRestoreEmail
	opRead
	opUpsert
	opPurge
	opCount
)

// opNames name the operations in reports.
var opNames = [opCount]string{"create", "delete", "restore by id", "restore by email", "read", "upsert", "purge"}

// opWeights is the mix, in percent.
var opWeights = [opCount]int{20, 18, 12, 6, 24, 15, 5}

// pick chooses an operation by weight.
func pick(r *rand.Rand) op {
	n := r.IntN(100)
	for o, w := range opWeights {
		if n < w {
			return op(o)
		}
		n -= w
	}
	return opRead
}

// email returns one of the few emails.
func email(r *rand.Rand) string { return fmt.Sprintf("u%d@example.com", r.IntN(emailSpace)) }

// TestMixedWorkloadInvariants runs 16 goroutines that create, soft delete,
// restore (by id and by email), read, upsert and purge accounts whose email
// is unique among live rows, for a bounded time (3 s per database by default,
// SOFTDELETE_SOAK to extend). At checkpoints (writers paused) and at the end
// it checks, with raw SQL:
//   - never two live rows with one email;
//   - created = live + deleted + purged, where created counts successful
//     creates and the upserts that inserted (RETURNING version = 0) and purged
//     is the sum of what Purge reported;
//   - what Purge reported equals what the audit trigger saw deleted, every
//     purged row was a tombstone when removed (never a live or restored row)
//     and older than the latest cutoff;
//
// after every read: no deleted row, at most one live row per email; and every
// error a caller saw is a documented one.
func TestMixedWorkloadInvariants(t *testing.T) {
	run := soak(t, 3*time.Second)
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		clk := newClock()
		setup(t, db, clk, &Account{})
		for _, ddl := range auditDDL[db.Dialector.Name()] {
			require.NoError(t, db.Exec(ddl).Error)
		}
		w := &workload{db: db, clock: clk, errs: newTally()}
		w.cutoff.Store(clk.Now().Add(-purgeRetention).UnixMicro())

		ctx, cancel := context.WithTimeout(context.Background(), run)
		defer cancel()
		var wg sync.WaitGroup
		for i := range workers {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, 0x5eed))
				for ctx.Err() == nil {
					w.step(t, r)
				}
			}(uint64(i + 1))
		}
		ticker := time.NewTicker(checkpointGap)
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-ticker.C:
				w.gate.Lock()
				w.checkpoint(t)
				w.gate.Unlock()
			}
		}
		ticker.Stop()
		wg.Wait()
		w.checkpoint(t)

		// A final Purge far in the future removes every tombstone: the
		// accounting must still balance, with no deleted row left.
		clk.Advance(time.Hour)
		n, err := softdelete.Purge(context.Background(), db, &Account{}, softdelete.PurgeOptions{OlderThan: purgeRetention})
		require.NoError(t, err)
		w.purged.Add(n)
		w.cutoff.Store(clk.Now().Add(-purgeRetention).UnixMicro())
		w.checkpoint(t)
		assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM accounts WHERE deleted_at IS NOT NULL"))

		w.errs.check(t)
		w.report(t)
	})
}

// step runs one random operation under the shared gate.
func (w *workload) step(t *testing.T, r *rand.Rand) {
	o := pick(r)
	w.gate.RLock()
	defer w.gate.RUnlock()
	w.ops[o].Add(1)
	start := time.Now()
	err := w.do(t, r, o)
	if err == nil {
		return
	}
	allowed := []errClass{classSerialization, classDeadlock} // PostgreSQL, if they ever occur
	if time.Since(start) >= sqliteBusyWait-100*time.Millisecond {
		allowed = append(allowed, classBusy) // documented only once busy_timeout has run out
	}
	switch o {
	case opCreate:
		allowed = append(allowed, classDuplicate)
	case opRestoreID, opRestoreEmail:
		allowed = append(allowed, classRestoreConflict)
	}
	w.errs.add(opNames[o], err, allowed...)
}

// do runs operation o and returns the error the caller would see.
func (w *workload) do(t *testing.T, r *rand.Rand, o op) error {
	db := w.db
	switch o {
	case opCreate:
		a := Account{Email: email(r)}
		if err := db.Create(&a).Error; err != nil {
			return err
		}
		w.created.Add(1)
		w.seen(a.ID)
	case opDelete:
		return db.Where("email = ?", email(r)).Delete(&Account{}).Error
	case opRestoreID:
		max := w.maxID.Load()
		if max == 0 {
			return nil
		}
		res := softdelete.Restore(db, &Account{}, r.Int64N(max)+1)
		w.restored.Add(res.RowsAffected)
		return res.Error
	case opRestoreEmail:
		// may select several tombstones of one email: all or nothing
		res := softdelete.Restore(db.Where("email = ?", email(r)), &Account{})
		w.restored.Add(res.RowsAffected)
		if res.Error == nil && res.RowsAffected > 1 {
			t.Errorf("restore by email restored %d rows of one email", res.RowsAffected)
		}
		return res.Error
	case opRead:
		return w.read(t, r)
	case opUpsert:
		return w.upsert(r)
	case opPurge:
		now := w.clock.Advance(clockStep)
		n, err := softdelete.Purge(context.Background(), db, &Account{},
			softdelete.PurgeOptions{OlderThan: purgeRetention, BatchSize: purgeBatch})
		w.purged.Add(n) // committed batches count even when a later one failed
		w.raiseCutoff(now.Add(-purgeRetention))
		return err
	}
	return nil
}

// upsert inserts an account or bumps the version of the live one with that
// email. RETURNING version tells the two apart: an insert returns 0, an update
// at least 1. On PostgreSQL, when the conflicting live row is soft-deleted
// concurrently, the DO UPDATE's WHERE "deleted_at" IS NULL no longer holds
// and the upsert neither inserts nor updates (RowsAffected 0).
func (w *workload) upsert(r *rand.Rand) error {
	a := Account{Email: email(r)}
	res := w.db.Clauses(
		clause.OnConflict{
			Columns:   []clause.Column{{Name: "email"}},
			DoUpdates: clause.Assignments(map[string]any{"version": gorm.Expr("accounts.version + 1")}),
		},
		clause.Returning{Columns: []clause.Column{{Name: "id"}, {Name: "version"}}},
	).Create(&a)
	if res.Error != nil {
		return res.Error
	}
	switch {
	case res.RowsAffected == 1 && a.Version == 0:
		w.created.Add(1)
		w.upserted[0].Add(1)
		w.seen(a.ID)
	case res.RowsAffected == 1:
		w.upserted[1].Add(1)
	default:
		w.upserted[2].Add(1)
	}
	return nil
}

// read checks, on every read, that no deleted row comes back and that an
// email has at most one live row; OnlyDeleted must return tombstones only.
func (w *workload) read(t *testing.T, r *rand.Rand) error {
	e := email(r)
	var live []Account
	if err := w.db.Where("email = ?", e).Find(&live).Error; err != nil {
		return err
	}
	if len(live) > 1 {
		t.Errorf("read: %d live rows with email %s", len(live), e)
	}
	for _, a := range live {
		if a.DeletedAt.IsDeleted() {
			t.Errorf("read: deleted row %d returned by a default read", a.ID)
		}
	}
	var trash []Account
	if err := w.db.Scopes(softdelete.OnlyDeleted).Where("email = ?", e).Find(&trash).Error; err != nil {
		return err
	}
	for _, a := range trash {
		if !a.DeletedAt.IsDeleted() {
			t.Errorf("read: live row %d returned by OnlyDeleted", a.ID)
		}
	}
	var n int64
	if err := w.db.Model(&Account{}).Where("email = ?", e).Count(&n).Error; err != nil {
		return err
	}
	if n > 1 {
		t.Errorf("count: %d live rows with email %s", n, e)
	}
	return nil
}

// seen records an id for restore targets.
func (w *workload) seen(id uint) {
	for {
		cur := w.maxID.Load()
		if int64(id) <= cur || w.maxID.CompareAndSwap(cur, int64(id)) {
			return
		}
	}
}

// raiseCutoff records the latest Purge cutoff.
func (w *workload) raiseCutoff(c time.Time) {
	for {
		cur := w.cutoff.Load()
		if c.UnixMicro() <= cur || w.cutoff.CompareAndSwap(cur, c.UnixMicro()) {
			return
		}
	}
}

// checkpoint checks the invariants; the caller makes sure no operation runs.
func (w *workload) checkpoint(t *testing.T) {
	t.Helper()
	db := w.db
	var dups []string
	require.NoError(t, db.Raw(`SELECT email FROM accounts WHERE deleted_at IS NULL
		GROUP BY email HAVING count(*) > 1`).Scan(&dups).Error)
	assert.Empty(t, dups, "emails with more than one live row")

	live := rawCount(t, db, "SELECT count(*) FROM accounts WHERE deleted_at IS NULL")
	deleted := rawCount(t, db, "SELECT count(*) FROM accounts WHERE deleted_at IS NOT NULL")
	created, purged := w.created.Load(), w.purged.Load()
	assert.Equal(t, created, live+deleted+purged,
		"created = live + deleted + purged (live %d, deleted %d, purged %d)", live, deleted, purged)

	audited := rawCount(t, db, "SELECT count(*) FROM purge_audit")
	assert.Equal(t, purged, audited, "rows Purge reported = rows the audit trigger saw deleted")
	assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM purge_audit WHERE deleted_at IS NULL"),
		"Purge removed a live (or just restored) row")
	cutoff := time.UnixMicro(w.cutoff.Load()).UTC()
	assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM purge_audit WHERE deleted_at >= ?", cutoff),
		"Purge removed a tombstone younger than its retention")
	w.checks.Add(1)
}

// report logs what the run did and checks that it exercised the conflicts
// it is about.
func (w *workload) report(t *testing.T) {
	t.Helper()
	var ops []string
	for o := range opCount {
		ops = append(ops, fmt.Sprintf("%s=%d", opNames[o], w.ops[o].Load()))
	}
	t.Logf("ops: %v; created %d, purged %d, restored %d; upserts inserted %d, updated %d, neither %d; checkpoints %d",
		ops, w.created.Load(), w.purged.Load(), w.restored.Load(),
		w.upserted[0].Load(), w.upserted[1].Load(), w.upserted[2].Load(), w.checks.Load())
	assert.Positive(t, w.purged.Load(), "the workload purged nothing")
	assert.Positive(t, w.restored.Load(), "the workload restored nothing")
	assert.Positive(t, w.upserted[1].Load(), "no upsert ever hit a live row")
	assert.Positive(t, w.errs.count(classRestoreConflict), "no restore ever conflicted")
	assert.Positive(t, w.errs.count(classDuplicate), "no create ever hit a live email")
}
