package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// Sweeper purges a table by physical row address instead of through an
// index: each batch is a range of addresses (PostgreSQL TID ranges, SQLite
// rowid ranges) that starts where the previous one ended, so no batch walks
// what an earlier batch removed, and the DELETE scans the range directly.
// Dialect.Sweeper returns nil where the database has none; Purge then batches
// by key (a keyset continuation over the soft-delete column's index).
//
// Addresses are int64 positions in the dialect's own unit (tuple slots on
// PostgreSQL, rowids on SQLite); a Span is [From, To).
type Sweeper interface {
	// Plan reads table's address space now; ok is false when the sweep cannot
	// serve this table (PostgreSQL before 14 has no TID Range Scan; a SQLite
	// table WITHOUT ROWID has no rowid). Rows added later lie beyond End, or
	// are not due: they are left alone, as one DELETE would leave them.
	Plan(db *gorm.DB, table string) (plan SweepPlan, ok bool, err error)
	// Next returns the span starting at from that holds about n rows
	// (PostgreSQL: the pages holding about n rows, from the table's density,
	// or below a page's worth exactly the next n rows matching cond; SQLite:
	// exactly the next n rows matching cond), ending no later than limit.
	// cond is the predicate Delete will apply.
	Next(db *gorm.DB, p SweepPlan, from, limit int64, n int, cond clause.Expression) (Span, error)
	// Delete removes the rows of span that match cond (the retention
	// predicate, repeated by the DELETE itself) and returns how many. It never
	// waits for a row another transaction holds: such a row is left alone.
	Delete(db *gorm.DB, p SweepPlan, span Span, cond clause.Expression) (int64, error)
	// Claim tries to take segment seg of the plan's table for db's session
	// (one connection): false means another purger holds it, and sweeps it.
	// Release gives a claimed segment back. Both are no-ops where
	// SweepPlan.Segment is 0.
	Claim(db *gorm.DB, p SweepPlan, seg int64) (bool, error)
	Release(db *gorm.DB, p SweepPlan, seg int64) error
}

// SweepPlan is a table's address space as Sweeper.Plan read it.
type SweepPlan struct {
	Table      string
	Start, End int64 // addresses [Start, End)
	// Segment is the number of addresses per claimable segment (segment k is
	// [Start+k*Segment, Start+(k+1)*Segment)); 0 means one segment and no
	// claims, because the database serialises writers anyway.
	Segment int64

	slots   int64   // PostgreSQL: tuple slots per page
	density float64 // PostgreSQL: rows per page
}

// Span is the address range [From, To) of one batch.
type Span struct{ From, To int64 }

// Sweeper implements Dialect: no physical sweep by default.
func (ansi) Sweeper() Sweeper { return nil }

// Sweeper implements Dialect: TID ranges (PostgreSQL 14+).
func (postgres) Sweeper() Sweeper { return pgSweep{} }

// Sweeper implements Dialect: rowid ranges.
func (sqlite) Sweeper() Sweeper { return liteSweep{} }

// pgSegmentPages is the size of a claimable segment on PostgreSQL: 1024
// pages (8 MB with the default block size), claimed with one session-level
// advisory lock.
const pgSegmentPages = 1024

// pgLockWait bounds how long a sweep DELETE waits for a row lock before it
// is redone with FOR UPDATE SKIP LOCKED (a row another transaction is
// restoring or updating): set per statement, through set_config(..., true).
const pgLockWait = "1ms"

// pgSweep is PostgreSQL's sweep: positions are page*slots + (offset-1).
type pgSweep struct{}

// pgPlanQuery reads the server version, the block size, the table's size in
// pages, the planner's density statistics, and whether the rows live in this
// one heap (an ordinary table without inheritance children or partitions).
const pgPlanQuery = `SELECT current_setting('server_version_num')::int, current_setting('block_size')::int,
  pg_relation_size(c.oid) / current_setting('block_size')::int, c.reltuples::float8, c.relpages,
  c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid)
FROM pg_class c WHERE c.oid = ?::regclass`

// Plan implements Sweeper.
func (s pgSweep) Plan(db *gorm.DB, table string) (SweepPlan, bool, error) {
	var version, block, pages, relpages int64
	var tuples float64
	var oneHeap bool
	err := db.Raw(pgPlanQuery, postgres{}.QuoteTable(table)).Row().Scan(&version, &block, &pages, &tuples, &relpages, &oneHeap)
	if err != nil {
		return SweepPlan{}, false, fmt.Errorf("sweep plan of %s: %w", table, err)
	}
	if version < 140000 || !oneHeap {
		// before 14 no TID Range Scan: every batch would scan the table; a
		// partitioned or inherited table's rows have the ctids of other heaps
		return SweepPlan{}, false, nil
	}
	// MaxHeapTuplesPerPage: (block - page header) / (aligned tuple header + line pointer)
	slots := (block - 24) / 28
	p := SweepPlan{Table: table, End: pages * slots, Segment: pgSegmentPages * slots, slots: slots}
	if tuples > 0 && relpages > 0 {
		p.density = tuples / float64(relpages)
		return p, true, nil
	}
	p.density, err = s.sampleDensity(db, table, pages)
	return p, true, err
}

// sampleDensity counts the rows of (up to) the first pgSegmentPages pages
// when the planner has no statistics yet (a table never analysed).
func (pgSweep) sampleDensity(db *gorm.DB, table string, pages int64) (float64, error) {
	sample := min(pages, pgSegmentPages)
	if sample == 0 {
		return 1, nil
	}
	var n int64
	err := db.Raw("SELECT count(*) FROM ? WHERE ctid < ?::tid", clause.Table{Name: table},
		fmt.Sprintf("(%d,0)", sample)).Row().Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sweep plan of %s: %w", table, err)
	}
	return max(float64(n)/float64(sample), 1), nil
}

// Next implements Sweeper: whole pages holding about n rows; for n below a
// page's rows, the span up to and including the n-th row matching cond (a
// probe of the range: small batches have exactly BatchSize rows).
func (s pgSweep) Next(db *gorm.DB, p SweepPlan, from, limit int64, n int, cond clause.Expression) (Span, error) {
	if float64(n) < p.density {
		return s.exact(db, p, from, limit, n, cond)
	}
	page := from / p.slots
	to := (page + int64(math.Ceil(float64(n)/p.density))) * p.slots
	return Span{From: from, To: min(to, limit)}, nil
}

// pgProbe finds the n-th row matching the condition in a TID range (a TID
// Range Scan returns rows in physical order).
const pgProbe = `SELECT count(*), COALESCE(max(ctid)::text, '') FROM (SELECT ctid FROM ? ` +
	`WHERE ctid >= ?::tid AND ctid < ?::tid AND ? LIMIT ?) c`

// exact is the span from from to just after the n-th row matching cond, or
// to limit when fewer remain.
func (pgSweep) exact(db *gorm.DB, p SweepPlan, from, limit int64, n int, cond clause.Expression) (Span, error) {
	var found int64
	var last string
	err := db.Raw(pgProbe, clause.Table{Name: p.Table}, p.tid(from), p.tid(limit), cond, n).Row().Scan(&found, &last)
	if err != nil {
		return Span{}, fmt.Errorf("sweep %s: %w", p.Table, err)
	}
	if found < int64(n) {
		return Span{From: from, To: limit}, nil
	}
	var block, offset int64
	if _, err := fmt.Sscanf(last, "(%d,%d)", &block, &offset); err != nil {
		return Span{}, fmt.Errorf("sweep %s: ctid %q: %w", p.Table, last, err)
	}
	return Span{From: from, To: min(block*p.slots+offset, limit)}, nil
}

// tid renders position pos as a TID literal.
func (p SweepPlan) tid(pos int64) string {
	return fmt.Sprintf("(%d,%d)", pos/p.slots, pos%p.slots+1)
}

// pgSweepDelete deletes a TID range; the initplan sets lock_timeout for this
// statement's (implicit) transaction before the first row is touched.
const pgSweepDelete = `DELETE FROM ? WHERE ctid >= ?::tid AND ctid < ?::tid AND ? AND ` +
	`(SELECT set_config('lock_timeout', '` + pgLockWait + `', true)) IS NOT NULL`

// pgSweepSkipLocked deletes the rows of a TID range no other transaction
// holds: the shape for a range where pgSweepDelete met a row lock.
const pgSweepSkipLocked = `DELETE FROM ? WHERE ctid = ANY(ARRAY(SELECT ctid FROM ? WHERE ctid >= ?::tid AND ctid < ?::tid AND ? ` +
	`FOR UPDATE SKIP LOCKED)) AND ?`

// Delete implements Sweeper: one DELETE of the TID range; when it meets a
// row another transaction holds (lock_timeout, SQLSTATE 55P03), the range
// is redone skipping locked rows.
func (pgSweep) Delete(db *gorm.DB, p SweepPlan, span Span, cond clause.Expression) (int64, error) {
	t := clause.Table{Name: p.Table}
	lo, hi := p.tid(span.From), p.tid(span.To)
	res := db.Session(&gorm.Session{Logger: quietLockTimeout{db.Logger}}).Exec(pgSweepDelete, t, lo, hi, cond)
	if res.Error == nil || !isLockTimeout(res.Error) {
		return res.RowsAffected, res.Error
	}
	res = db.Session(&gorm.Session{NewDB: true}).Exec(pgSweepSkipLocked, t, t, lo, hi, cond, cond)
	return res.RowsAffected, res.Error
}

// quietLockTimeout is a GORM logger that does not log a statement cancelled
// by lock_timeout: for the sweep that is not a failure (the range is redone
// skipping locked rows), and logging it would report an error per restore
// that raced a purge.
type quietLockTimeout struct{ logger.Interface }

// LogMode implements logger.Interface.
func (q quietLockTimeout) LogMode(l logger.LogLevel) logger.Interface {
	return quietLockTimeout{q.Interface.LogMode(l)}
}

// Trace implements logger.Interface.
func (q quietLockTimeout) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if err != nil && isLockTimeout(err) {
		err = nil
	}
	q.Interface.Trace(ctx, begin, fc, err)
}

// isLockTimeout reports a statement cancelled by lock_timeout (55P03).
func isLockTimeout(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "55P03") || strings.Contains(msg, "lock timeout")
}

// lockKey is the advisory lock namespace of a table's purge segments.
func lockKey(table string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte("softdelete.purge:" + table))
	return int32(h.Sum32())
}

// Claim implements Sweeper: a session-level advisory lock per (table, segment).
func (pgSweep) Claim(db *gorm.DB, p SweepPlan, seg int64) (bool, error) {
	var ok bool
	err := db.Raw("SELECT pg_try_advisory_lock(?, ?)", lockKey(p.Table), int32(seg)).Row().Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("claim segment %d of %s: %w", seg, p.Table, err)
	}
	return ok, nil
}

// Release implements Sweeper.
func (pgSweep) Release(db *gorm.DB, p SweepPlan, seg int64) error {
	var ok bool
	err := db.Raw("SELECT pg_advisory_unlock(?, ?)", lockKey(p.Table), int32(seg)).Row().Scan(&ok)
	if err != nil {
		return fmt.Errorf("release segment %d of %s: %w", seg, p.Table, err)
	}
	return nil
}

// liteSweep is SQLite's sweep over rowids: one writer at a time, so no claims.
type liteSweep struct{}

// Plan implements Sweeper: [min(rowid), max(rowid)+1); WITHOUT ROWID tables
// cannot be swept.
func (liteSweep) Plan(db *gorm.DB, table string) (SweepPlan, bool, error) {
	var ddl sql.NullString
	name := table[strings.LastIndexByte(table, '.')+1:]
	err := db.Raw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", name).Row().Scan(&ddl)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return SweepPlan{}, false, fmt.Errorf("sweep plan of %s: %w", table, err)
	}
	if strings.Contains(strings.ToUpper(ddl.String), "WITHOUT ROWID") {
		return SweepPlan{}, false, nil
	}
	var lo, hi sql.NullInt64
	if err := db.Raw("SELECT min(rowid), max(rowid) FROM ?", clause.Table{Name: table}).Row().Scan(&lo, &hi); err != nil {
		return SweepPlan{}, false, fmt.Errorf("sweep plan of %s: %w", table, err)
	}
	p := SweepPlan{Table: table}
	if lo.Valid && hi.Valid {
		p.Start, p.End = lo.Int64, hi.Int64+1
	}
	return p, true, nil
}

// Next implements Sweeper: up to and including the rowid of the n-th row
// matching cond at or after from (a probe of the table's b-tree in rowid
// order), so a full batch has exactly BatchSize rows.
func (liteSweep) Next(db *gorm.DB, p SweepPlan, from, limit int64, n int, cond clause.Expression) (Span, error) {
	var last sql.NullInt64
	err := db.Raw("SELECT rowid FROM ? WHERE rowid >= ? AND rowid < ? AND ? ORDER BY rowid LIMIT 1 OFFSET ?",
		clause.Table{Name: p.Table}, from, limit, cond, max(n-1, 0)).Row().Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Span{From: from, To: limit}, nil
	case err != nil:
		return Span{}, fmt.Errorf("sweep %s: %w", p.Table, err)
	}
	return Span{From: from, To: last.Int64 + 1}, nil
}

// Delete implements Sweeper: DELETE of a rowid range (never DELETE ... LIMIT).
func (liteSweep) Delete(db *gorm.DB, p SweepPlan, span Span, cond clause.Expression) (int64, error) {
	res := db.Exec("DELETE FROM ? WHERE rowid >= ? AND rowid < ? AND ?", clause.Table{Name: p.Table}, span.From, span.To, cond)
	return res.RowsAffected, res.Error
}

// Claim implements Sweeper: SQLite has one writer at a time.
func (liteSweep) Claim(*gorm.DB, SweepPlan, int64) (bool, error) { return true, nil }

// Release implements Sweeper.
func (liteSweep) Release(*gorm.DB, SweepPlan, int64) error { return nil }
