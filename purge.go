package softdelete

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
	"gorm.io/gorm/schema"
)

// DefaultPurgeBatchSize is the number of rows per batch when
// PurgeOptions.BatchSize is 0.
const DefaultPurgeBatchSize = 1000

// maxBatchKeys caps the key values one batch of a model with cascade
// relations binds as parameters (its keys are read first, then bound in every
// statement of the batch): below SQLite's 32766 and PostgreSQL's 65535
// parameter limits.
const maxBatchKeys = 30000

// maxBatchRows caps the rows per batch PurgeOptions.BatchTime may grow a
// batch to (an explicit larger BatchSize is kept).
const maxBatchRows = 1_000_000

// BatchTime adapts a batch by at most these factors at a time, so one
// unusually fast or slow batch does not swing the next.
const (
	batchGrowth = 1.5
	batchShrink = 0.5
)

// PurgeOptions configures Purge.
//
// BatchSize is the number of rows per batch (0: DefaultPurgeBatchSize): on
// SQLite and through the deleted_at index exactly that many per full batch,
// on a PostgreSQL sweep the page range holding about that many (exactly that
// many when it is less than a page's worth). BatchTime,
// when > 0, makes batches grow or shrink from BatchSize (at most ×1.5 or ÷2
// per batch, at least one row, at most 1,000,000 rows or BatchSize) so that
// each takes about BatchTime (sized for 80% of it, so that ordinary variation
// stays within it): use it to bound how long each transaction holds
// its locks whatever the rows cost, and for throughput (long enough batches
// approach the speed of one DELETE); use BatchSize alone for batches of a
// known size.
type PurgeOptions struct {
	OlderThan time.Duration       // rows soft-deleted longer ago than this are removed; must be > 0
	BatchSize int                 // rows per batch, each batch its own short transaction; 0 = 1000
	BatchTime time.Duration       // > 0: batches grow or shrink from BatchSize to take about this long each
	OnBatch   func(PurgeProgress) // called after each committed batch
}

// PurgeProgress reports one committed batch to PurgeOptions.OnBatch.
type PurgeProgress struct {
	Table  string // table of the batch just committed
	Batch  int    // 1-based batch number for that table
	Purged int64  // rows removed so far in this Purge call, all tables
}

// Purge permanently removes the rows of model that were soft-deleted more
// than opts.OlderThan ago, in batches of about opts.BatchSize rows (or, with
// opts.BatchTime, of about that duration), each batch its own short
// transaction, and returns how many rows it removed (cascade children
// included). Live rows and younger tombstones are never touched.
//
//	n, err := softdelete.Purge(ctx, db, &Post{}, softdelete.PurgeOptions{OlderThan: 30 * 24 * time.Hour})
//	// PostgreSQL 14+, one batch (a TID range of the pages holding about 1000 rows):
//	// DELETE FROM "posts" WHERE ctid >= $1::tid AND ctid < $2::tid AND "posts"."deleted_at" < $3
//	//   AND (SELECT set_config('lock_timeout', '1ms', true)) IS NOT NULL
//	// SQLite: DELETE FROM "posts" WHERE rowid >= ? AND rowid < ? AND "posts"."deleted_at" < ?
//
// A model without cascades is swept by physical address: each batch is the
// range of addresses after the previous one, so Purge costs about what one
// DELETE ... WHERE deleted_at < cutoff costs, without holding its locks for
// the whole table. Where the sweep cannot serve (a model with cascades, the
// chain's conditions, a caller's transaction, a database without an address
// range scan) batches are read through the deleted_at index, oldest first,
// each continuing after the last row of the one before.
//
// The conditions and scopes of db's chain apply, as they do for reads,
// Restore and HardDelete: Purge(ctx, db.Where("tenant_id = ?", 7), ...)
// purges that tenant's rows only.
//
// The cutoff (now − OlderThan, on the plugin's clock, see WithClock) is taken
// once per call. Every DELETE repeats the retention predicate on the rows it
// removes, so a row restored while a batch runs survives; Purge never waits
// for a row another transaction holds (on PostgreSQL a batch meeting one is
// redone with FOR UPDATE SKIP LOCKED). Purgers on several nodes never block
// each other or remove a row twice: on PostgreSQL each claims the segments of
// the table it sweeps with an advisory lock and skips those another holds,
// and keyset batches lock their rows with FOR UPDATE SKIP LOCKED. Purge never
// runs DELETE ... LIMIT.
//
// Through softdelete:"cascade" relations (recursively) the deleted children
// of the rows being purged, whatever their deletion time, are removed first
// in the same transaction, deepest level first, so foreign keys hold. A live
// child stops Purge with ErrLiveChild before its batch deletes anything.
// Purge on model does not touch expired children whose parent is live: purge
// their own model for that.
//
// Cancelling ctx stops Purge between batches (or aborts the running batch,
// rolled back) with an error wrapping ctx.Err(); committed batches stay
// committed, and a later call finishes the job. Pass a plain *gorm.DB, not a
// transaction: inside a caller's transaction batches only commit with it.
//
// Bad input changes nothing: OlderThan <= 0 fails with ErrInvalidRetention,
// a negative BatchSize with ErrInvalidBatchSize, a negative BatchTime with
// ErrInvalidBatchTime, a model without a soft-delete field with
// ErrNotSoftDeletable, a nil db with gorm.ErrInvalidDB and a nil model, or a
// value that is not a model, with gorm.ErrInvalidValue.
func Purge(ctx context.Context, db *gorm.DB, model any, opts PurgeOptions) (int64, error) {
	job, err := newPurgeJob(ctx, db, model, opts)
	if err != nil {
		return 0, err
	}
	return job.run()
}

// purgeJob is one Purge call: its validated inputs and its running totals.
type purgeJob struct {
	ctx     context.Context
	db      *gorm.DB // fresh session carrying ctx
	p       *Plugin  // the registered plugin: clock and metadata
	m       *modelMeta
	keys    []string            // columns identifying a root row: primary key, else rowid/ctid
	scope   []clause.Expression // the caller's conditions (db.Where, db.Scopes): a tenant limits Purge
	cutoff  time.Time           // rows deleted before this instant are due
	size    int                 // rows per batch (adapted to BatchTime when set)
	maxSize int                 // the largest size BatchTime may grow a batch to
	every   time.Duration       // PurgeOptions.BatchTime
	onBatch func(PurgeProgress)
	last    []any // keyset continuation: deleted_at and keys of the last candidate
	asked   int   // sweep: rows the next span is asked for (see aim)

	total   int64          // rows removed so far, all tables
	batches map[string]int // committed batches per table
}

// newPurgeJob validates Purge's arguments; it touches no row.
func newPurgeJob(ctx context.Context, db *gorm.DB, model any, opts PurgeOptions) (*purgeJob, error) {
	m, p, err := purgeTarget(ctx, db, model, opts)
	if err != nil {
		return nil, err
	}
	keys, err := rootKeys(db, m)
	if err != nil {
		return nil, err
	}
	scope, err := chainConds(db, m)
	if err != nil {
		return nil, err
	}
	size := opts.BatchSize
	if size == 0 {
		size = DefaultPurgeBatchSize
	}
	j := &purgeJob{
		ctx:     ctx,
		db:      db.Session(&gorm.Session{NewDB: true, Context: ctx}),
		p:       p,
		m:       m,
		keys:    keys,
		scope:   scope,
		cutoff:  p.timestamp(db).Add(-opts.OlderThan).Truncate(time.Microsecond),
		size:    size,
		maxSize: max(size, maxBatchRows),
		every:   opts.BatchTime,
		onBatch: opts.OnBatch,
		batches: map[string]int{},
	}
	if len(m.cascades) > 0 {
		j.capKeys()
	}
	return j, nil
}

// capKeys keeps the key values a batch binds (keyset batches bind the keys
// they read) within maxBatchKeys.
func (j *purgeJob) capKeys() {
	most := maxBatchKeys / len(j.keys)
	j.size, j.maxSize = min(j.size, most), min(j.maxSize, most)
}

// batchAim is the share of BatchTime batches are sized for: a batch's time
// varies with the machine's load, and BatchTime is how long a transaction
// may hold its locks, so ordinary variation should stay within it.
const batchAim = 0.8

// adapt resizes the next batch from the time the last one took, when
// PurgeOptions.BatchTime is set: by the ratio of batchAim × BatchTime to that
// time, bounded to [batchShrink, batchGrowth] per batch, at least one row.
func (j *purgeJob) adapt(took time.Duration) {
	if j.every <= 0 {
		return
	}
	f := batchAim * float64(j.every) / float64(max(took, time.Microsecond))
	f = min(max(f, batchShrink), batchGrowth)
	j.size = min(max(int(float64(j.size)*f), 1), j.maxSize)
}

// purgeTarget checks Purge's arguments and returns the model's metadata and
// the plugin whose clock and cache apply.
func purgeTarget(ctx context.Context, db *gorm.DB, model any, opts PurgeOptions) (*modelMeta, *Plugin, error) {
	switch {
	case db == nil:
		return nil, nil, fmt.Errorf("softdelete: purge: nil *gorm.DB: %w", gorm.ErrInvalidDB)
	case ctx == nil:
		return nil, nil, fmt.Errorf("softdelete: purge: nil context: %w", gorm.ErrInvalidValue)
	case isNil(model):
		return nil, nil, fmt.Errorf("softdelete: purge: nil model: %w", gorm.ErrInvalidValue)
	case opts.OlderThan <= 0:
		return nil, nil, fmt.Errorf("%w: purge with OlderThan = %s", ErrInvalidRetention, opts.OlderThan)
	case opts.BatchSize < 0:
		return nil, nil, fmt.Errorf("%w: purge with BatchSize = %d", ErrInvalidBatchSize, opts.BatchSize)
	case opts.BatchTime < 0:
		return nil, nil, fmt.Errorf("%w: purge with BatchTime = %s", ErrInvalidBatchTime, opts.BatchTime)
	}
	p := pluginOf(db)
	if p == nil {
		return nil, nil, notRegistered("Purge")
	}
	m, err := p.metaFor(db, model)
	switch {
	case m == nil:
		return nil, nil, fmt.Errorf("softdelete: purge: %T is not a model: %w: %w", model, gorm.ErrInvalidValue, err)
	case err != nil:
		return nil, nil, fmt.Errorf("softdelete: purge %T: %w", model, err)
	}
	if !m.softDeletable() {
		return nil, nil, fmt.Errorf("%w: purge %s", ErrNotSoftDeletable, m.schema.Name)
	}
	return m, p, nil
}

// isNil reports whether v is nil or a nil pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// rootKeys returns the columns that identify a row of m's table in a batch:
// the primary key, or the physical row id when there is none (SQLite's rowid,
// PostgreSQL's ctid). A model with cascades needs a primary key: its keys are
// read and bound in every statement of the batch.
func rootKeys(db *gorm.DB, m *modelMeta) ([]string, error) {
	if pks := m.schema.PrimaryFieldDBNames; len(pks) > 0 {
		return pks, nil
	}
	rowID := dialect.Of(db).RowID()
	if rowID == "" || len(m.cascades) > 0 {
		return nil, fmt.Errorf("softdelete: purge %s: the model needs a primary key (%w)",
			m.schema.Name, gorm.ErrPrimaryKeyRequired)
	}
	return []string{rowID}, nil
}

// chainConds returns the WHERE conditions the caller's chain carries
// (db.Where(...), db.Scopes(...)), so Purge(ctx, db.Where("tenant_id = ?", 1), ...)
// only purges that tenant's rows, as reads, Restore and HardDelete honour them.
// They are materialised once, by building (not running) a query on the model.
func chainConds(db *gorm.DB, m *modelMeta) ([]clause.Expression, error) {
	dest := reflect.New(reflect.SliceOf(m.schema.ModelType)).Interface()
	stmt := db.Session(&gorm.Session{DryRun: true, SkipHooks: true, Logger: logger.Discard}).Unscoped().Find(dest)
	if stmt.Error != nil {
		return nil, fmt.Errorf("softdelete: purge %s: %w", m.schema.Name, stmt.Error)
	}
	where, _ := stmt.Statement.Clauses["WHERE"].Expression.(clause.Where)
	if len(where.Exprs) == 0 {
		return nil, nil
	}
	// grouped: the retention predicate is ANDed to them as a whole
	return groupConds(where.Exprs), nil
}

// skipLocked reports whether candidate rows are locked with FOR UPDATE SKIP LOCKED.
func skipLocked(db *gorm.DB) bool { return dialect.Of(db).Features().Has(dialect.SkipLocked) }

// run purges the due rows: by physical address where the dialect can sweep
// the table (see sweep.go), else by key, batch after batch until a batch
// comes back short.
func (j *purgeJob) run() (int64, error) {
	if err := j.ctx.Err(); err != nil {
		return 0, j.stopped(err)
	}
	if sw := j.sweeper(); sw != nil {
		swept, err := j.sweep(sw)
		if err != nil {
			return j.total, j.stopped(err)
		}
		if swept {
			return j.total, nil
		}
	}
	j.capKeys()
	for {
		if err := j.ctx.Err(); err != nil {
			return j.total, j.stopped(err)
		}
		more, err := j.batch()
		if err != nil {
			return j.total, j.stopped(err)
		}
		if !more {
			return j.total, nil
		}
	}
}

// batch runs one keyset batch and reports it; more says whether it was full
// (so another may find rows).
func (j *purgeJob) batch() (more bool, err error) {
	size, start := j.size, time.Now()
	var counts []tableCount
	if len(j.m.cascades) == 0 {
		counts, more, err = j.leafBatch(size)
	} else {
		counts, more, err = j.cascadeBatch(size)
	}
	if err != nil {
		return false, err
	}
	j.adapt(time.Since(start))
	j.report(counts)
	return more, nil
}

// stopped turns an error that ended the run into Purge's error: prefixed with
// the table (unless it already names everything, as ErrLiveChild does) and,
// when ctx has ended, wrapping ctx.Err() too.
func (j *purgeJob) stopped(err error) error {
	cerr := j.ctx.Err()
	switch {
	case cerr == nil && isPurgeError(err):
		return err
	case cerr == nil:
		return fmt.Errorf("softdelete: purge %s: %w", j.m.schema.Table, err)
	case errors.Is(err, cerr):
		return fmt.Errorf("softdelete: purge %s stopped after %d rows: %w", j.m.schema.Table, j.total, cerr)
	default:
		return fmt.Errorf("softdelete: purge %s stopped after %d rows: %w: %w", j.m.schema.Table, j.total, cerr, err)
	}
}

// isPurgeError reports errors that already say what went wrong in full.
func isPurgeError(err error) bool { return errors.Is(err, ErrLiveChild) }

// expired is the retention predicate on table's soft-delete column (an
// unqualified column when table is "": it then binds to the innermost FROM).
func (j *purgeJob) expired(table string) clause.Expression {
	return clause.Lt{Column: clause.Column{Table: table, Name: j.m.field.DBName}, Value: j.cutoff}
}

// candidates selects the soft-delete column and the keys of the next batch:
// the oldest tombstones first, after the last candidate of the previous batch
// (a keyset continuation: the deleted_at index serves the range and the order,
// and no batch walks the entries of rows earlier batches removed), locked with
// FOR UPDATE SKIP LOCKED where the database has it.
func (j *purgeJob) candidates(tx *gorm.DB, size int) *gorm.DB {
	cols := append([]string{j.m.field.DBName}, j.keys...)
	order := make([]clause.OrderByColumn, len(cols))
	quoted := make([]string, len(cols))
	for i, c := range cols {
		order[i] = clause.OrderByColumn{Column: clause.Column{Name: c}}
		quoted[i] = tx.Statement.Quote(c)
	}
	q := tx.Session(&gorm.Session{NewDB: true, SkipHooks: true}).Unscoped().Table(j.m.schema.Table).
		Select(quoted).Where(j.expired("")).Order(clause.OrderBy{Columns: order}).Limit(size)
	if j.last != nil {
		q = q.Where(j.after(tx, quoted))
	}
	if len(j.scope) > 0 {
		q = q.Clauses(clause.Where{Exprs: j.scope})
	}
	if skipLocked(tx) {
		q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate, Options: clause.LockingOptionsSkipLocked})
	}
	return q
}

// after is the keyset continuation past the last candidate:
// "deleted_at" >= ? AND ("deleted_at","id") > (?,?). The first half lets an
// index on the soft-delete column alone start its range there.
func (j *purgeJob) after(tx *gorm.DB, quoted []string) clause.Expression {
	marks := strings.TrimSuffix(strings.Repeat("?,", len(quoted)), ",")
	return clause.Expr{
		SQL:  quoted[0] + " >= ? AND (" + strings.Join(quoted, ",") + ") > (" + marks + ")",
		Vars: append([]any{j.last[0]}, j.last...),
	}
}

// leafBatch purges one keyset batch of a model without cascades, in one
// transaction: read (and lock) the next candidates, then
// DELETE FROM t WHERE key IN (their keys) AND deleted_at < cutoff.
func (j *purgeJob) leafBatch(size int) (counts []tableCount, more bool, err error) {
	table := j.m.schema.Table
	err = j.db.Transaction(func(tx *gorm.DB) error {
		keys, n, err := j.lockKeys(tx, size)
		if err != nil || n == 0 {
			return err
		}
		conds := append([]clause.Expression{keys, j.expired(table)}, j.scope...)
		removed, err := j.delete(tx, rowSet{m: j.m, table: table, conds: conds}, false)
		if err != nil {
			return err
		}
		counts, more = []tableCount{{table, removed}}, n >= size
		return nil
	})
	return counts, more, err
}

// tableCount is how many rows one batch removed from one table.
type tableCount struct {
	table string
	n     int64
}

// report adds a committed batch's counts to the totals and calls OnBatch once
// per table the batch removed rows from, in deletion order.
func (j *purgeJob) report(counts []tableCount) {
	for _, c := range counts {
		if c.n == 0 {
			continue
		}
		j.total += c.n
		j.batches[c.table]++
		if j.onBatch != nil {
			j.onBatch(PurgeProgress{Table: c.table, Batch: j.batches[c.table], Purged: j.total})
		}
	}
}

// purgeLevel is one set of cascade children of a batch: all of them (to
// find live ones) and the deleted ones (to remove).
type purgeLevel struct {
	rel  *schema.Relationship // the relation that reached them
	all  rowSet
	dead rowSet
}

// cascadeBatch purges one batch of a model with cascades, in a transaction:
// lock and read the candidates' keys, refuse live children, delete the deleted
// children deepest level first, then the candidates (retention predicate
// repeated).
func (j *purgeJob) cascadeBatch(size int) (counts []tableCount, more bool, err error) {
	err = j.db.Transaction(func(tx *gorm.DB) error {
		keys, n, err := j.lockKeys(tx, size)
		if err != nil || n == 0 {
			return err
		}
		root := rowSet{m: j.m, table: j.m.schema.Table, conds: []clause.Expression{keys, j.expired(j.m.schema.Table)}}
		if self := j.m.selfCascade(); self != nil {
			root = root.subtree(tx, self, opHard) // seeded by the due rows: the predicate stays on them
		}
		dead := root.with(deletedCond(j.m.schema, false))
		levels := j.walk(tx, dead, nil, []*schema.Schema{j.m.schema})
		if err := j.checkLive(tx, root, levels); err != nil {
			return err
		}
		counts, err = j.deleteLevels(tx, dead, levels)
		more = n >= size // the continuation moves past the batch either way
		return err
	})
	return counts, more, err
}

// lockKeys reads (and where the database can, locks) the next candidates,
// moves the keyset continuation to the last of them, and returns their keys
// as an IN condition, with their number.
func (j *purgeJob) lockKeys(tx *gorm.DB, size int) (clause.Expression, int, error) {
	rows, err := j.candidates(tx, size).Rows()
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var keys [][]any
	for rows.Next() {
		row := make([]any, 1+len(j.keys))
		ptrs := make([]any, len(row))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, err
		}
		j.textKeys(row)
		keys, j.last = append(keys, row[1:]), row
	}
	if err := rows.Err(); err != nil || len(keys) == 0 {
		return nil, 0, err
	}
	column, vals := schema.ToQueryValues(j.m.schema.Table, j.keys, keys)
	return clause.IN{Column: column, Values: vals}, len(keys), nil
}

// textKeys turns the []byte values some drivers return for text columns
// (MySQL) into strings, so they are bound back as text and compare in the
// column's collation, as ORDER BY sorted them; a column whose field is a
// []byte (a binary key) keeps its bytes. row is deleted_at, then j.keys.
func (j *purgeJob) textKeys(row []any) {
	for i, v := range row {
		b, ok := v.([]byte)
		if !ok {
			continue
		}
		col := j.m.field.DBName
		if i > 0 {
			col = j.keys[i-1]
		}
		if f := j.m.schema.LookUpField(col); f != nil && f.FieldType == reflect.TypeOf([]byte(nil)) {
			continue
		}
		row[i] = string(b)
	}
}

// walk collects the cascade levels below parent (its rows due for removal),
// children before their parents. path guards against relation cycles.
func (j *purgeJob) walk(tx *gorm.DB, parent rowSet, levels []purgeLevel, path []*schema.Schema) []purgeLevel {
	for _, rel := range parent.m.cascades {
		if rel.FieldSchema == parent.m.schema || onPath(path, rel.FieldSchema) {
			continue
		}
		cm := j.p.meta(rel.FieldSchema)
		all := rowSet{m: cm, table: cm.schema.Table, conds: childConds(tx, rel, parent, opHard)}
		if self := cm.selfCascade(); self != nil {
			all = all.subtree(tx, self, opHard)
		}
		dead := all.with(deletedCond(cm.schema, false))
		levels = j.walk(tx, dead, levels, append(path, cm.schema))
		levels = append(levels, purgeLevel{rel: rel, all: all, dead: dead})
	}
	return levels
}

// with returns s narrowed by one more condition (s is not modified).
func (s rowSet) with(cond clause.Expression) rowSet {
	conds := make([]clause.Expression, 0, len(s.conds)+1)
	s.conds = append(append(conds, s.conds...), cond)
	return s
}

// deletedCond is "t"."deleted_at" IS NULL (live) or IS NOT NULL (deleted).
func deletedCond(s *schema.Schema, live bool) clause.Expression {
	col := clause.Column{Table: s.Table, Name: deletedColumn(s)}
	if live {
		return clause.Eq{Column: col, Value: nil}
	}
	return clause.Neq{Column: col, Value: nil}
}

// checkLive fails with ErrLiveChild when any row the batch would have to
// remove is live: a descendant in root's own tree, or a child at any level
// (shallowest level first).
func (j *purgeJob) checkLive(tx *gorm.DB, root rowSet, levels []purgeLevel) error {
	if self := j.m.selfCascade(); self != nil {
		if err := j.checkLevel(tx, purgeLevel{rel: self, all: root}); err != nil {
			return err
		}
	}
	for i := len(levels) - 1; i >= 0; i-- {
		if err := j.checkLevel(tx, levels[i]); err != nil {
			return err
		}
	}
	return nil
}

// checkLevel looks for one live row in lvl and describes it in an ErrLiveChild.
func (j *purgeJob) checkLevel(tx *gorm.DB, lvl purgeLevel) error {
	s := lvl.all.m.schema
	cols := liveCols(s, lvl.rel)
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = tx.Statement.Quote(clause.Column{Table: s.Table, Name: c})
	}
	var found []map[string]any
	err := tx.Session(&gorm.Session{NewDB: true}).Unscoped().Table(s.Table).Select(quoted).
		Clauses(clause.Where{Exprs: lvl.all.with(deletedCond(s, true)).conds}).Limit(1).Find(&found).Error
	if err != nil || len(found) == 0 {
		return err
	}
	return liveChildError(lvl.rel, cols, found[0])
}

// liveCols are the columns that describe a live child: its primary key and
// the foreign key of the relation that reached it.
func liveCols(s *schema.Schema, rel *schema.Relationship) []string {
	cols := append([]string(nil), s.PrimaryFieldDBNames...)
	for _, ref := range rel.References {
		if !slices.Contains(cols, ref.ForeignKey.DBName) {
			cols = append(cols, ref.ForeignKey.DBName)
		}
	}
	return cols
}

// liveChildError describes the live child row (its key and the parent key it
// references) reached through rel.
func liveChildError(rel *schema.Relationship, cols []string, row map[string]any) error {
	child, parent := rel.FieldSchema, rel.Schema
	e := &LiveChildError{
		Relation: parent.Name + "." + rel.Name,
		Table:    child.Table, Model: child.Name, Key: map[string]any{},
		ParentTable: parent.Table, ParentModel: parent.Name, ParentKey: map[string]any{},
	}
	for _, c := range cols {
		if slices.Contains(child.PrimaryFieldDBNames, c) {
			e.Key[c] = row[c]
		}
	}
	for _, ref := range rel.References {
		if ref.OwnPrimaryKey {
			e.ParentKey[ref.PrimaryKey.DBName] = row[ref.ForeignKey.DBName]
		}
	}
	return e
}

// deleteLevels removes the cascade levels (children first), then the root
// rows; it returns the rows removed per table in that order.
func (j *purgeJob) deleteLevels(tx *gorm.DB, root rowSet, levels []purgeLevel) ([]tableCount, error) {
	var counts []tableCount
	dead := deadSets(levels)
	for i, set := range append(dead, root) {
		if self := set.m.selfCascade(); self != nil {
			// where foreign keys are checked row by row (MySQL), a subtree is
			// deleted by its locked keys after clearing its own links
			if set = set.detached(tx, self, opHard); tx.Error != nil {
				return nil, tx.Error
			}
		}
		n, err := j.delete(tx, set, i < len(dead))
		if err != nil {
			return nil, err
		}
		counts = addCount(counts, set.table, n)
	}
	return counts, nil
}

// delete removes the rows of set in the batch's transaction and returns how
// many; with WithChanges it reports their keys (cascade: a child level).
func (j *purgeJob) delete(tx *gorm.DB, set rowSet, cascade bool) (int64, error) {
	table, where := clause.Table{Name: set.table}, clause.Where{Exprs: set.conds}
	if j.p.changes != nil && len(set.m.schema.PrimaryFieldDBNames) > 0 {
		c := j.p.newChange(tx, OpPurge, set, time.Time{}, nil, cascade)
		return j.p.execChanged(tx, c, set, "DELETE FROM ? ?", table, where)
	}
	res := tx.Session(&gorm.Session{NewDB: true}).Exec("DELETE FROM ? ?", table, where)
	return res.RowsAffected, res.Error
}

// deadSets lists the rows to remove of each level, in level order.
func deadSets(levels []purgeLevel) []rowSet {
	sets := make([]rowSet, len(levels))
	for i, l := range levels {
		sets[i] = l.dead
	}
	return sets
}

// addCount adds n rows of table to counts, keeping first-seen order.
func addCount(counts []tableCount, table string, n int64) []tableCount {
	for i := range counts {
		if counts[i].table == table {
			counts[i].n += n
			return counts
		}
	}
	return append(counts, tableCount{table, n})
}
