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
// (claims are session-level and the batches must commit on their own).
func (j *purgeJob) sweeper() dialect.Sweeper {
	if len(j.m.cascades) > 0 || len(j.scope) > 0 || inTransaction(j.db) {
		return nil
	}
	if _, err := j.db.DB(); err != nil {
		return nil // a connection pool Purge cannot take one connection from
	}
	return dialect.Of(j.db).Sweeper()
}

// inTransaction reports whether db runs inside a transaction.
func inTransaction(db *gorm.DB) bool {
	_, ok := db.Statement.ConnPool.(gorm.TxCommitter)
	return ok
}

// sweep purges the table by physical address on one connection: segment by
// segment (each claimed, so purgers on several nodes take different ones),
// span by span within a segment, each span one DELETE that repeats the
// retention predicate. swept is false when the sweep cannot serve the table
// (then nothing was deleted).
func (j *purgeJob) sweep(sw dialect.Sweeper) (swept bool, err error) {
	err = j.db.Connection(func(conn *gorm.DB) error {
		conn = conn.Session(&gorm.Session{NewDB: true})
		plan, ok, err := sw.Plan(conn, j.m.schema.Table)
		if err != nil || !ok {
			return err
		}
		swept = true
		return j.sweepSegments(conn, sw, plan)
	})
	return swept, err
}

// sweepSegments sweeps every segment of the plan another purger does not hold.
func (j *purgeJob) sweepSegments(conn *gorm.DB, sw dialect.Sweeper, p dialect.SweepPlan) error {
	size := p.Segment
	if size <= 0 {
		size = max(p.End-p.Start, 1)
	}
	for seg := int64(0); p.Start+seg*size < p.End; seg++ {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		from, to := p.Start+seg*size, min(p.Start+(seg+1)*size, p.End)
		if err := j.sweepSegment(conn, sw, p, seg, from, to); err != nil {
			return err
		}
	}
	return nil
}

// sweepSegment claims segment seg ([from, to)) and sweeps it, or skips it
// when another purger holds it (that purger sweeps all of it). The claim is
// released even when ctx has ended: a claim left on a pooled connection would
// hide the segment from every purger.
func (j *purgeJob) sweepSegment(conn *gorm.DB, sw dialect.Sweeper, p dialect.SweepPlan, seg, from, to int64) (err error) {
	if p.Segment > 0 {
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
	}
	table := j.m.schema.Table
	cond := j.expired(table)
	for from < to {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		span, err := sw.Next(conn, p, from, to, j.ask(), cond)
		if err != nil {
			return err
		}
		n, err := sw.Delete(conn, p, span, cond)
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
