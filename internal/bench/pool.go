package bench

import (
	"context"
	"database/sql"
	"sort"
	"sync"

	"gorm.io/gorm"
)

// CountingPool wraps a *sql.DB as a gorm.ConnPool (and the hand-written
// cascade's txPool) and records every SQL text it is asked to prepare,
// execute or query, and every transaction begun. It is for counting, never
// for timing.
type CountingPool struct {
	DB *sql.DB

	mu       sync.Mutex
	stmts    int            // statements sent (prepare, exec, query)
	prepared int            // of which prepares
	begins   int            // transactions begun
	texts    map[string]int // distinct SQL texts -> times seen
}

var (
	_ gorm.ConnPool         = (*CountingPool)(nil)
	_ gorm.ConnPoolBeginner = (*CountingPool)(nil)
	_ gorm.GetDBConnector   = (*CountingPool)(nil)
	_ gorm.Tx               = (*countingTx)(nil)
)

// NewCountingPool wraps db.
func NewCountingPool(db *sql.DB) *CountingPool {
	return &CountingPool{DB: db, texts: map[string]int{}}
}

func (p *CountingPool) record(query string, prepare bool) {
	p.mu.Lock()
	p.stmts++
	if prepare {
		p.prepared++
	}
	p.texts[query]++
	p.mu.Unlock()
}

// Counts returns the statements and transactions seen since the last Reset.
func (p *CountingPool) Counts() (stmts, begins int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stmts, p.begins
}

// Texts returns the distinct SQL texts seen since the last Reset, sorted.
func (p *CountingPool) Texts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.texts))
	for t := range p.texts {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Reset forgets everything seen.
func (p *CountingPool) Reset() {
	p.mu.Lock()
	p.stmts, p.prepared, p.begins, p.texts = 0, 0, 0, map[string]int{}
	p.mu.Unlock()
}

// PrepareContext implements gorm.ConnPool.
func (p *CountingPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	p.record(query, true)
	return p.DB.PrepareContext(ctx, query)
}

// ExecContext implements gorm.ConnPool.
func (p *CountingPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	p.record(query, false)
	return p.DB.ExecContext(ctx, query, args...)
}

// QueryContext implements gorm.ConnPool.
func (p *CountingPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	p.record(query, false)
	return p.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext implements gorm.ConnPool.
func (p *CountingPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	p.record(query, false)
	return p.DB.QueryRowContext(ctx, query, args...)
}

// BeginTx implements gorm.ConnPoolBeginner.
func (p *CountingPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	return p.beginTx(ctx, opts)
}

// begin implements txPool.
func (p *CountingPool) begin(ctx context.Context) (sqlTx, error) { return p.beginTx(ctx, nil) }

func (p *CountingPool) beginTx(ctx context.Context, opts *sql.TxOptions) (*countingTx, error) {
	tx, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.begins++
	p.mu.Unlock()
	return &countingTx{p: p, tx: tx}, nil
}

// GetDBConn implements gorm.GetDBConnector (db.DB() works).
func (p *CountingPool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// countingTx is a transaction of a CountingPool.
type countingTx struct {
	p  *CountingPool
	tx *sql.Tx
}

func (t *countingTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	t.p.record(query, true)
	return t.tx.PrepareContext(ctx, query)
}

func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.p.record(query, false)
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.p.record(query, false)
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *countingTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	t.p.record(query, false)
	return t.tx.QueryRowContext(ctx, query, args...)
}

// StmtContext implements gorm.Tx (used with PrepareStmt).
func (t *countingTx) StmtContext(ctx context.Context, stmt *sql.Stmt) *sql.Stmt {
	return t.tx.StmtContext(ctx, stmt)
}

func (t *countingTx) Commit() error   { return t.tx.Commit() }
func (t *countingTx) Rollback() error { return t.tx.Rollback() }
