package bench

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// purgeRetention is the OlderThan of the purge benchmark; seeded tombstones
// are either 50+ days old (expired) or an hour old (kept).
const purgeRetention = 30 * 24 * time.Hour

// purgeBatchSize is the batch size of the batched purge: the default
// (PurgeOptions.BatchSize 0 means 1000).
const purgeBatchSize = softdelete.DefaultPurgeBatchSize

// purgeBatchTime is the PurgeOptions.BatchTime of the batch-time purge.
const purgeBatchTime = 20 * time.Millisecond

// PurgeResult is one purge run.
type PurgeResult struct {
	Rows    int64         // rows removed
	Elapsed time.Duration // whole run
	Slowest time.Duration // slowest batch (the whole statement for a single DELETE)
	Batches int
	Partial bool // stopped by the fixture's Budget: Rows/Elapsed cover the part that ran
}

// RowsPerSec is the run's throughput.
func (r PurgeResult) RowsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Rows) / r.Elapsed.Seconds()
}

// PurgeFixture is a table of PurgeItems that can be re-seeded before each run.
type PurgeFixture struct {
	Target Target
	Rows   int // rows seeded; 80% of them are due
	// Budget caps one batched run (0: none): the run is cancelled through
	// its context and reported as partial, rows/s over what ran.
	Budget time.Duration
	db     *DB
	gorm   *gorm.DB
}

// PurgeFixture returns t's purge table (created on first use, not seeded).
func (e *Env) PurgeFixture(t Target) (*PurgeFixture, error) {
	return once(e, "purge-"+string(t), func() (*PurgeFixture, error) {
		rows := e.Scale.PurgeRowsLite // SQLite and MariaDB
		if t == Postgres {
			rows = e.Scale.PurgeRowsPG
		}
		d, err := e.Open(t, "purge")
		if err != nil {
			return nil, err
		}
		db, err := d.Gorm(GormConfig{Plugin: true})
		if err != nil {
			return nil, err
		}
		if err := softdelete.AutoMigrate(db, &PurgeItem{}); err != nil {
			return nil, err
		}
		return &PurgeFixture{Target: t, Rows: rows, Budget: e.Scale.PurgeBudget, db: d, gorm: db}, nil
	})
}

// Due is the number of rows a purge of a fresh seed removes.
func (fx *PurgeFixture) Due() int64 { return int64(fx.Rows) / 10 * 8 }

// Seed empties the table and fills it with Rows rows: x % 10 < 8 deleted
// 50+ days ago (due; every one a distinct timestamp), 8 live, 9 deleted an
// hour ago (kept).
func (fx *PurgeFixture) Seed() error {
	d := fx.db
	clear := "DELETE FROM purge_items"
	switch d.Target {
	case Postgres:
		clear = "TRUNCATE purge_items"
	case MariaDB:
		clear = "TRUNCATE TABLE purge_items"
	}
	now := time.Now().Unix()
	old, young := now-50*24*3600, now-3600
	return errorsJoin(
		d.Exec(clear),
		d.Exec(fmt.Sprintf(`INSERT INTO purge_items (id, created_at, updated_at, deleted_at, payload)
			SELECT x, %s, %s, CASE WHEN x %% 10 < 8 THEN %s WHEN x %% 10 = 9 THEN %s END, %s FROM %s`,
			tsAt(d, old, "0"), tsAt(d, old, "0"), tsAt(d, old, "-x"), tsAt(d, young, "0"), concat(d, "'payload '", "x"),
			series(d, fx.Rows))),
		analyze(d),
	)
}

// Run purges a fresh seed with impl: ImplBatched (softdelete.Purge with its
// default options), ImplBatchTime (BatchTime purgeBatchTime) or ImplSingle
// (one DELETE).
func (fx *PurgeFixture) Run(impl string) (PurgeResult, error) {
	switch impl {
	case ImplBatched:
		return fx.Batched(softdelete.PurgeOptions{})
	case ImplBatchTime:
		return fx.Batched(softdelete.PurgeOptions{BatchTime: purgeBatchTime})
	}
	return fx.Single()
}

// Batched purges with softdelete.Purge (opts, with the benchmark's
// retention and progress callback), timing each batch from the previous
// OnBatch call.
func (fx *PurgeFixture) Batched(opts softdelete.PurgeOptions) (PurgeResult, error) {
	var r PurgeResult
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if fx.Budget > 0 {
		ctx, cancel = context.WithTimeout(ctx, fx.Budget)
	}
	defer cancel()
	start := time.Now()
	last := start
	opts.OlderThan = purgeRetention
	opts.OnBatch = func(softdelete.PurgeProgress) {
		now := time.Now()
		r.Slowest = max(r.Slowest, now.Sub(last))
		r.Batches++
		last = now
	}
	n, err := softdelete.Purge(ctx, fx.gorm, &PurgeItem{}, opts)
	r.Elapsed, r.Rows = time.Since(start), n
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		r.Partial, err = true, nil
	}
	return r, fx.check(r, err)
}

// Single purges with one plain DELETE ... WHERE deleted_at < cutoff (the
// same text on every target but for PostgreSQL's $1).
func (fx *PurgeFixture) Single() (PurgeResult, error) {
	cutoff := time.Now().UTC().Add(-purgeRetention)
	start := time.Now()
	res, err := fx.db.SQL.Exec(rebind(fx.Target, "DELETE FROM purge_items WHERE deleted_at < ?"), cutoff)
	r := PurgeResult{Elapsed: time.Since(start), Batches: 1}
	r.Slowest = r.Elapsed
	if err == nil {
		r.Rows, err = res.RowsAffected()
	}
	return r, fx.check(r, err)
}

// check verifies a run removed exactly the due rows.
func (fx *PurgeFixture) check(r PurgeResult, err error) error {
	if err == nil && r.Rows != fx.Due() && !(r.Partial && r.Rows < fx.Due()) {
		err = fmt.Errorf("purged %d rows, want %d", r.Rows, fx.Due())
	}
	return err
}

// PurgeCase is the purge benchmark of one implementation as a testing.B
// body: each iteration re-seeds (untimed) and purges. Metrics: rows/s and
// the slowest batch in ms.
func PurgeCase(fx *PurgeFixture, impl string) Case {
	run := func() (PurgeResult, error) { return fx.Run(impl) }
	return Case{Impl: impl, Run: func(b *testing.B) error {
		var rows int64
		var elapsed, slowest time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			if err := fx.Seed(); err != nil {
				return err
			}
			b.StartTimer()
			r, err := run()
			if err != nil {
				return err
			}
			rows, elapsed, slowest = rows+r.Rows, elapsed+r.Elapsed, max(slowest, r.Slowest)
		}
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(slowest.Microseconds())/1e3, "slowest-batch-ms")
		return nil
	}}
}
