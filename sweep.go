package softdelete

import (
	"context"
	"time"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
	"gorm.io/gorm"
)

// sweeper returns the dialect's physical sweep when it can serve this Purge:
// a model without cascades (a cascading batch needs its roots' keys, read and
// locked), no caller conditions (a tenant's rows are found through the index,
// not by reading the whole table), and not inside a caller's transaction
// (claims are session-level and the batches must commit on their own), nor
// with WithChanges (a keyset batch knows the keys it deletes).
func (j *purgeJob) sweeper() dialect.Sweeper {
	if len(j.m.cascades) > 0 || len(j.scope) > 0 || inTransaction(j.db) || j.p.changes != nil {
		return nil
	}
	return dialect.Of(j.db).Sweeper()
}

// inTransaction reports whether db runs inside a transaction.
func inTransaction(db *gorm.DB) bool {
	_, ok := db.Statement.ConnPool.(gorm.TxCommitter)
	return ok
}

// sweep purges the table by physical address: segment by segment (each
// claimed where the database has claims, so purgers on several nodes take
// different ones), span by span within a segment, each span one DELETE that
// repeats the retention predicate. swept is false when the sweep cannot serve
// the table (then nothing was deleted).
func (j *purgeJob) sweep(sw dialect.Sweeper) (swept bool, err error) {
	p, ok, err := sw.Plan(j.db, j.m.schema.Table)
	if err != nil || !ok {
		return false, err
	}
	if p.Segment > 0 && !canPin(j.db) {
		// a claim holds a connection while OnBatch runs: on a one-connection
		// pool an OnBatch that queries would wait for it forever. Without
		// claims purgers stay correct (a range another purger is deleting is
		// redone skipping its locked rows), they only may share work.
		p.Segment = 0
	}
	return true, j.sweepSegments(sw, p)
}

// canPin reports whether Purge may hold one connection of db's pool for the
// sweep of a segment: the pool is a *sql.DB with room for another.
func canPin(db *gorm.DB) bool {
	sqlDB, err := db.DB()
	return err == nil && sqlDB.Stats().MaxOpenConnections != 1
}

// sweepSegments sweeps every segment of the plan another purger does not hold.
func (j *purgeJob) sweepSegments(sw dialect.Sweeper, p dialect.SweepPlan) error {
	size := p.Segment
	if size <= 0 {
		size = max(p.End-p.Start, 1)
	}
	for seg := int64(0); p.Start+seg*size < p.End; seg++ {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		from, to := p.Start+seg*size, min(p.Start+(seg+1)*size, p.End)
		var err error
		if p.Segment > 0 {
			err = j.db.Connection(func(conn *gorm.DB) error {
				return j.sweepClaimed(conn.Session(&gorm.Session{NewDB: true}), sw, p, seg, from, to)
			})
		} else {
			err = j.sweepRange(j.db, sw, p, from, to)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sweepClaimed claims segment seg ([from, to)) for conn's session and sweeps
// it, or skips it when another purger holds it (that purger sweeps all of
// it). The claim is released even when ctx has ended: a claim left on a
// pooled connection would hide the segment from every purger.
func (j *purgeJob) sweepClaimed(conn *gorm.DB, sw dialect.Sweeper, p dialect.SweepPlan, seg, from, to int64) (err error) {
	ok, err := sw.Claim(conn, p, seg)
	if err != nil || !ok {
		return err
	}
	defer func() {
		rerr := sw.Release(conn.WithContext(context.WithoutCancel(j.ctx)), p, seg)
		if err == nil {
			err = rerr
		}
	}()
	return j.sweepRange(conn, sw, p, from, to)
}

// sweepRange deletes the due rows of [from, to) span by span, reporting each.
func (j *purgeJob) sweepRange(db *gorm.DB, sw dialect.Sweeper, p dialect.SweepPlan, from, to int64) error {
	table := j.m.schema.Table
	cond := j.expired(table)
	for from < to {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		span, err := sw.Next(db, p, from, to, j.ask(), cond)
		if err != nil {
			return err
		}
		n, err := sw.Delete(db, p, span, cond)
		if err != nil {
			return err
		}
		j.adapt(time.Since(start))
		j.aim(n)
		j.report([]tableCount{{table, n}})
		from = span.To
	}
	return nil
}

// ask is the number of rows to ask the sweeper's next span for.
func (j *purgeJob) ask() int {
	if j.asked == 0 || j.every > 0 {
		j.asked = j.size
	}
	return j.asked
}

// aim corrects the rows asked for (without BatchTime) so that a span removes
// about BatchSize rows: where a sweeper sizes spans by rows of any kind
// (PostgreSQL pages), a span holding live or young rows removes fewer. The
// correction is bounded per span, and so is the ask (a run of empty spans
// must not make the next dense one huge).
func (j *purgeJob) aim(removed int64) {
	if j.every > 0 {
		return
	}
	f := batchGrowth
	if removed > 0 {
		f = min(max(float64(j.size)/float64(removed), batchShrink), batchGrowth)
	}
	j.asked = min(max(int(float64(j.asked)*f), 1), j.size*maxAskFactor)
}

// maxAskFactor bounds the rows a sweep span is asked for, in BatchSizes.
const maxAskFactor = 4
