package softdelete

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// Op is the kind of change a Change reports.
type Op string

// The operations that report changes.
const (
	OpDelete     Op = "delete"      // soft delete: the rows' deletion timestamp was set
	OpRestore    Op = "restore"     // Restore: the rows are live again
	OpHardDelete Op = "hard_delete" // HardDelete: the rows are gone
	OpPurge      Op = "purge"       // a Purge batch removed the rows for good
)

// Change is what one statement of an operation did to one table: the rows
// it changed, by primary key. A cascading delete reports each level (children
// first, Cascade true) and then the rows the caller named.
type Change struct {
	Op    Op
	Table string
	Model string // the model's name (e.g. "Post")
	// Columns are the primary key columns; each element of Keys holds one
	// changed row's values of them, in that order.
	Columns []string
	Keys    [][]any
	// At is the deletion timestamp of OpDelete (the one stored), and the
	// plugin clock's time of the operation for the others.
	At time.Time
	// Actor is the WithActor function's value for the statement's context
	// (nil without WithActor).
	Actor any
	// Cascade is true for the children a softdelete:"cascade" relation reached.
	Cascade bool
}

// IDs returns the first key column of every changed row: the ids of a model
// with a one-column primary key.
func (c Change) IDs() []any {
	ids := make([]any, len(c.Keys))
	for i, k := range c.Keys {
		ids[i] = k[0]
	}
	return ids
}

// WithChanges calls fn after each statement of a soft delete, cascade level,
// Restore, HardDelete and Purge batch that changed rows, with the changed
// rows' primary keys, inside the statement's transaction (GORM's, the
// caller's — under a savepoint — or one the plugin opens). An error from fn
// fails the operation and rolls it back whole. ChangeTx(ctx) gives fn a
// *gorm.DB on that transaction: an outbox row written with it commits, or
// rolls back, with the change. Models without a primary key, and Table()
// verbs without a model, report nothing; so does db.Unscoped().Delete, which
// is plain GORM's.
//
// Keys come from RETURNING on PostgreSQL and SQLite, and from a locked read
// of the rows (SELECT ... FOR UPDATE) just before the statement elsewhere.
// Without WithChanges none of this runs and nothing is allocated.
func WithChanges(fn func(ctx context.Context, c Change) error) Option {
	return func(p *Plugin) { p.changes = fn }
}

// changeTxKey is the context key under which fn finds the transaction.
type changeTxKey struct{}

// ChangeTx returns a *gorm.DB on the transaction of the statement whose
// change the WithChanges function is reporting (the ctx it was given), so
// an outbox row written with it commits or rolls back with the change; nil
// for any other context.
func ChangeTx(ctx context.Context) *gorm.DB {
	db, _ := ctx.Value(changeTxKey{}).(*gorm.DB)
	return db
}

// changeKey names the statement marker of a verb whose changes are captured.
const changeKey = "softdelete:changes"

// capture is the change a verb's own statement is making, filled with the
// keys when the statement has run (see returningPool) or before it runs.
type capture struct {
	change Change
	pool   gorm.ConnPool // the statement's pool before returningPool wrapped it
}

func (*capture) Name() string                    { return changeKey }
func (*capture) Build(clause.Builder)            {}
func (c *capture) MergeClause(cl *clause.Clause) { cl.Expression = c }

// captureChanges prepares the statement about to run (its SQL built) to
// report its keys: in a transaction (see atomic), with RETURNING appended by
// a pool wrapper, or with the keys read and locked now.
func (p *Plugin) captureChanges(db *gorm.DB, op Op, m *modelMeta, at time.Time, actor any) {
	stmt := db.Statement
	if p.changes == nil || db.Error != nil || db.DryRun || len(m.schema.PrimaryFieldDBNames) == 0 || atomic(db) != nil {
		return
	}
	c := &capture{change: p.newChange(db, op, rowSet{m: m, table: stmt.Table}, at, actor, false)}
	if _, own := stmt.Clauses["RETURNING"]; !own && dialect.Of(db).Features().Has(dialect.ReturningWrites) {
		// (a statement with a RETURNING of the caller's is run by GORM as a
		// query that GORM scans: its keys are read first, as elsewhere)
		c.pool = stmt.ConnPool
		stmt.ConnPool = &returningPool{ConnPool: stmt.ConnPool, returning: returningList(db, c.change.Columns), c: c}
	} else {
		set := rowSet{m: m, table: stmt.Table, conds: whereConds(stmt)}
		if c.change.Keys, db.Error = readKeys(db, set, true); db.Error != nil {
			return
		}
	}
	stmt.AddClause(c)
}

// reportChanges runs after the verb's statement: it unwraps the pool and
// reports the captured change; an error from the WithChanges function fails
// the statement (and so rolls it back).
func (p *Plugin) reportChanges(db *gorm.DB) {
	stmt := db.Statement
	c, ok := stmt.Clauses[changeKey].Expression.(*capture)
	if !ok {
		return
	}
	delete(stmt.Clauses, changeKey)
	if c.pool != nil {
		stmt.ConnPool = c.pool
	}
	if db.Error == nil {
		_ = db.AddError(p.report(db, c.change))
	}
}

// report calls the WithChanges function for a change that touched rows.
func (p *Plugin) report(db *gorm.DB, c Change) error {
	if len(c.Keys) == 0 {
		return nil
	}
	ctx := db.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	tx := db.Session(&gorm.Session{NewDB: true, Context: ctx})
	if err := p.changes(context.WithValue(ctx, changeTxKey{}, tx), c); err != nil {
		return fmt.Errorf("softdelete: %s of %s: change not accepted: %w", c.Op, c.Table, err)
	}
	return nil
}

// newChange is the change of op on the rows of s, without keys yet.
func (p *Plugin) newChange(db *gorm.DB, op Op, s rowSet, at time.Time, actor any, cascade bool) Change {
	if at.IsZero() {
		at = p.timestamp(db)
	}
	if actor == nil && p.actor != nil && db.Statement.Context != nil {
		actor = p.actor(db.Statement.Context)
	}
	return Change{Op: op, Table: s.table, Model: s.m.schema.Name, Columns: s.m.schema.PrimaryFieldDBNames,
		At: at, Actor: actor, Cascade: cascade}
}

// execChanged runs one cascade or purge statement (sql with vars, an UPDATE
// or DELETE on the rows of s) and reports the rows it changed: RETURNING
// where the database has it, a locked read of the keys first elsewhere.
func (p *Plugin) execChanged(db *gorm.DB, c Change, s rowSet, sql string, vars ...any) (int64, error) {
	tx := db.Session(&gorm.Session{NewDB: true})
	if dialect.Of(db).Features().Has(dialect.ReturningWrites) {
		rows, err := tx.Raw(sql+" RETURNING "+returningList(db, c.Columns), vars...).Rows()
		if err != nil {
			return 0, err
		}
		if c.Keys, err = scanKeys(rows, len(c.Columns)); err != nil {
			return 0, err
		}
	} else {
		var err error
		if c.Keys, err = readKeys(db, s, true); err != nil {
			return 0, err
		}
		if err := tx.Exec(sql, vars...).Error; err != nil {
			return 0, err
		}
	}
	return int64(len(c.Keys)), p.report(db, c)
}

// readKeys reads the primary keys of the rows of s, locked for update when
// lock is set and the database locks rows.
func readKeys(db *gorm.DB, s rowSet, lock bool) ([][]any, error) {
	q := s.keys(db, s.m.schema.PrimaryFieldDBNames...)
	if strength := dialect.Of(db).RowLocks(); lock && strength != "" {
		q = q.Clauses(clause.Locking{Strength: strength})
	}
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	return scanKeys(rows, len(s.m.schema.PrimaryFieldDBNames))
}

// scanKeys reads rows of n key columns and closes them.
func scanKeys(rows *sql.Rows, n int) ([][]any, error) {
	defer rows.Close()
	var keys [][]any
	for rows.Next() {
		key, ptrs := make([]any, n), make([]any, n)
		for i := range key {
			ptrs[i] = &key[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range key {
			if b, ok := v.([]byte); ok {
				key[i] = string(b)
			}
		}
		keys = append(keys, key)
	}
	return keys, rows.Err()
}

// returningList renders the RETURNING column list: "id", "org_id".
func returningList(db *gorm.DB, cols []string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = db.Statement.Quote(c)
	}
	return strings.Join(quoted, ", ")
}

// returningPool runs the verb's statement, which GORM executes with
// ExecContext, with RETURNING appended, and records the keys it returns; the
// result's RowsAffected is their number. GORM's statement, hooks and
// write-back see the same as without it.
type returningPool struct {
	gorm.ConnPool
	returning string
	c         *capture
}

// ExecContext implements gorm.ConnPool.
func (r *returningPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	rows, err := r.ConnPool.QueryContext(ctx, query+" RETURNING "+r.returning, args...)
	if err != nil {
		return nil, err
	}
	keys, err := scanKeys(rows, len(r.c.change.Columns))
	if err != nil {
		return nil, err
	}
	r.c.change.Keys = keys
	return rowsResult(len(keys)), nil
}

// rowsResult is the sql.Result of a statement that changed n rows.
type rowsResult int64

func (n rowsResult) LastInsertId() (int64, error) { return 0, nil }
func (n rowsResult) RowsAffected() (int64, error) { return int64(n), nil }
