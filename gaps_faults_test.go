package softdelete_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// errBeginRefused is what noBeginPool answers to BEGIN.
var errBeginRefused = errors.New("gap: BEGIN refused")

// noBeginPool is a connection pool that runs statements but cannot start a
// transaction (a pool exhausted for transactions, a proxy refusing BEGIN).
type noBeginPool struct{ gorm.ConnPool }

// BeginTx implements gorm.ConnPoolBeginner.
func (noBeginPool) BeginTx(context.Context, *sql.TxOptions) (gorm.ConnPool, error) {
	return nil, errBeginRefused
}

// TestFailedBeginOfThePluginsTransaction: with SkipDefaultTransaction a
// cascading verb opens a transaction of its own; when BEGIN fails the verb
// fails with that error and changes nothing (it never runs its statements
// outside a transaction). A single-statement verb needs no transaction.
func TestFailedBeginOfThePluginsTransaction(t *testing.T) {
	s := setup{cfg: func(c *gorm.Config) { c.SkipDefaultTransaction = true }}
	eachDBWith(t, s, func(t *testing.T, e *env) {
		a := Author{Name: "ann", Posts: []Post{{Title: "p", Comments: []Comment{{Body: "c"}}}}}
		require.NoError(t, e.db.Create(&a).Error)
		noBegin := e.db.Session(&gorm.Session{NewDB: true, Context: context.Background()})
		noBegin.Statement.ConnPool = noBeginPool{e.db.Statement.ConnPool}
		state := func() [3]int64 {
			return [3]int64{
				e.count(t, "SELECT count(*) FROM authors WHERE deleted_at IS NULL"),
				e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NULL"),
				e.count(t, "SELECT count(*) FROM comments WHERE deleted_at IS NULL"),
			}
		}

		require.ErrorIs(t, noBegin.Delete(&Author{}, a.ID).Error, errBeginRefused, "cascading delete")
		assert.Equal(t, [3]int64{1, 1, 1}, state(), "nothing deleted")
		require.ErrorIs(t, softdelete.HardDelete(noBegin, &Author{}, a.ID).Error, errBeginRefused, "cascading hard delete")
		assert.EqualValues(t, 3, e.count(t, "SELECT (SELECT count(*) FROM authors) + (SELECT count(*) FROM posts) + (SELECT count(*) FROM comments)"))

		require.NoError(t, e.db.Delete(&Author{}, a.ID).Error)
		require.Equal(t, [3]int64{0, 0, 0}, state())
		require.ErrorIs(t, softdelete.Restore(noBegin, &Author{}, a.ID).Error, errBeginRefused, "cascading restore")
		assert.Equal(t, [3]int64{0, 0, 0}, state(), "nothing restored")

		// One statement, no transaction needed.
		c := Comment{PostID: a.Posts[0].ID, Body: "solo"}
		require.NoError(t, e.db.Create(&c).Error)
		require.NoError(t, noBegin.Delete(&c).Error)
		assert.NotNil(t, e.deletedAt(t, "comments", c.ID))
	})
}

// A fault-injecting database/sql driver around the SQLite driver, for error
// paths a healthy database never takes: a query whose SQL contains
// fault.match gets rows that fail.
type fault struct {
	match       string
	queryErr    error                // returned by the query itself
	execErr     error                // returned by a statement (ExecContext) matching
	rollbackErr error                // returned by every Rollback while set (match ignored)
	nextErr     error                // returned by Next (rows.Err) instead of the first row
	extra       bool                 // one column more than the query selects: Scan fails
	replace     func([]driver.Value) // rewrites each row
}

type faults struct {
	mu  sync.Mutex
	cur *fault
}

func (f *faults) set(x *fault) { f.mu.Lock(); f.cur = x; f.mu.Unlock() }

func (f *faults) matching(query string) *fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil && strings.Contains(query, f.cur.match) {
		return f.cur
	}
	return nil
}

type faultConnector struct {
	drv driver.Driver
	dsn string
	f   *faults
}

func (c faultConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return faultConn{Conn: conn, f: c.f}, nil
}

func (c faultConnector) Driver() driver.Driver { return c.drv }

// faultConn passes everything through to the SQLite connection, wrapping the
// rows of faulty queries.
type faultConn struct {
	driver.Conn
	f *faults
}

func (c faultConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if f := c.f.matching(query); f != nil && f.queryErr != nil {
		return nil, f.queryErr
	}
	rows, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if f := c.f.matching(query); f != nil {
		return &faultRows{Rows: rows, f: f}, nil
	}
	return rows, nil
}

func (c faultConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if f := c.f.matching(query); f != nil && f.execErr != nil {
		return nil, f.execErr
	}
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c faultConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return faultTx{Tx: tx, f: c.f}, nil
}

// faultTx fails Rollback (after rolling back) while a fault with rollbackErr is set.
type faultTx struct {
	driver.Tx
	f *faults
}

func (t faultTx) Rollback() error {
	err := t.Tx.Rollback()
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	if t.f.cur != nil && t.f.cur.rollbackErr != nil {
		return t.f.cur.rollbackErr
	}
	return err
}

func (c faultConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

type faultRows struct {
	driver.Rows
	f *fault
}

func (r *faultRows) Columns() []string {
	cols := r.Rows.Columns()
	if r.f.extra {
		cols = append(cols, "gap_extra")
	}
	return cols
}

func (r *faultRows) Next(dest []driver.Value) error {
	if r.f.nextErr != nil {
		return r.f.nextErr
	}
	inner := dest
	if r.f.extra {
		inner = dest[:len(dest)-1]
		dest[len(dest)-1] = nil
	}
	if err := r.Rows.Next(inner); err != nil {
		return err
	}
	if r.f.replace != nil {
		r.f.replace(dest)
	}
	return nil
}

// openFaultySQLite opens a fresh SQLite database through the fault driver,
// with the plugin registered.
func openFaultySQLite(t *testing.T) (*gorm.DB, *faults) {
	t.Helper()
	probe, err := sql.Open("sqlite3", ":memory:")
	require.NoError(t, err)
	drv := probe.Driver()
	require.NoError(t, probe.Close())
	f := &faults{}
	dsn := filepath.Join(t.TempDir(), "faulty.db") + "?_busy_timeout=5000&_foreign_keys=1"
	sqlDB := sql.OpenDB(faultConnector{drv: drv, dsn: dsn, f: f})
	t.Cleanup(func() { _ = sqlDB.Close() })
	db, err := gorm.Open(sqlite.New(sqlite.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard})
	require.NoError(t, err)
	require.NoError(t, db.Use(softdelete.New()))
	return db, f
}

// sqliteIndexSQL is the stored definition of a SQLite index, "" when missing.
func sqliteIndexSQL(t *testing.T, db *gorm.DB, name string) string {
	t.Helper()
	var defs []string
	require.NoError(t, db.Raw("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", name).Scan(&defs).Error)
	if len(defs) == 0 {
		return ""
	}
	return defs[0]
}

var errRowsBroken = errors.New("gap: rows broken")

// TestSQLiteCatalogReadErrorsAreReported: when reading an index back from
// SQLite's catalog fails (a row error, a Scan error), AutoMigrate fails with
// that error and leaves the index alone, instead of taking the half-read
// definition for a differing one and rebuilding the index.
func TestSQLiteCatalogReadErrorsAreReported(t *testing.T) {
	cases := []struct {
		name  string
		fault fault
		is    error // in the error chain, when not nil
	}{
		{"sqlite_master row error", fault{match: "COALESCE(sql, '') FROM sqlite_master", nextErr: errRowsBroken}, errRowsBroken},
		{"index columns row error", fault{match: "pragma_index_info(", nextErr: errRowsBroken}, errRowsBroken},
		{"index columns Scan error", fault{match: "pragma_index_info(", extra: true}, nil},
		{"index list row error", fault{match: "pragma_index_list(", nextErr: errRowsBroken}, errRowsBroken},
		{"index list Scan error", fault{match: "pragma_index_list(", replace: func(row []driver.Value) { row[0] = "maybe" }}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, f := openFaultySQLite(t)
			require.NoError(t, softdelete.AutoMigrate(db, &Listing{}))
			before := sqliteIndexSQL(t, db, "uidx_listings_slug")
			require.NotEmpty(t, before)

			warns := newWarnLog()
			f.set(&c.fault)
			err := softdelete.AutoMigrate(db.Session(&gorm.Session{Logger: warns}), &Listing{})
			f.set(nil)
			require.Error(t, err, "a failed catalog read is not a differing index")
			if c.is != nil {
				assert.ErrorIs(t, err, c.is)
			}
			assert.Contains(t, err.Error(), "uidx_listings_slug")
			assert.Empty(t, warns.messages(), "nothing rebuilt")
			assert.Equal(t, before, sqliteIndexSQL(t, db, "uidx_listings_slug"))
			require.NoError(t, softdelete.AutoMigrate(db, &Listing{}), "healthy again")
		})
	}
}

// TestDuplicateCheckErrorsAreReported: when the check for duplicate live
// keys fails, AutoMigrate fails with that error and creates no index.
func TestDuplicateCheckErrorsAreReported(t *testing.T) {
	t.Run("row error", func(t *testing.T) {
		db, f := openFaultySQLite(t)
		require.NoError(t, db.AutoMigrate(&Listing{}))
		f.set(&fault{match: "HAVING count(*) > 1", nextErr: errRowsBroken})
		err := softdelete.AutoMigrate(db, &Listing{})
		f.set(nil)
		require.ErrorIs(t, err, errRowsBroken)
		assert.Empty(t, sqliteIndexSQL(t, db, "uidx_listings_slug"), "no index created")
	})
	t.Run("Scan error", func(t *testing.T) {
		db, f := openFaultySQLite(t)
		require.NoError(t, db.AutoMigrate(&Listing{}))
		require.NoError(t, db.Create(&[]Listing{{Slug: "dup"}, {Slug: "dup"}}).Error)
		f.set(&fault{match: "HAVING count(*) > 1", extra: true})
		err := softdelete.AutoMigrate(db, &Listing{})
		f.set(nil)
		require.Error(t, err)
		assert.NotErrorIs(t, err, softdelete.ErrDuplicateLiveKeys, "the key could not be read")
		assert.Contains(t, err.Error(), "check index uidx_listings_slug for duplicates")
		assert.Empty(t, sqliteIndexSQL(t, db, "uidx_listings_slug"), "no index created")
	})
}

// hiddenErrors carries several errors under a message of its own (as a
// batching layer or an errors.Join-like wrapper may): only the errors
// themselves, not the message, say what happened.
type hiddenErrors []error

func (hiddenErrors) Error() string     { return "gap: batch failed" }
func (h hiddenErrors) Unwrap() []error { return h }

// TestUniqueViolationInsideJoinedErrors: a unique violation is recognised
// anywhere in an error tree (errors.Join, fmt.Errorf with several %w),
// by the database's error code even when no message says so.
func TestUniqueViolationInsideJoinedErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		d := dialect.For(e.name)
		require.NoError(t, e.db.Exec("CREATE TABLE gap_uniques (k INTEGER, fk "+e.refType()+" REFERENCES posts(id))").Error)
		require.NoError(t, e.db.Exec("CREATE UNIQUE INDEX gap_uniques_k ON gap_uniques (k)").Error)
		require.NoError(t, e.db.Exec("INSERT INTO gap_uniques (k) VALUES (1)").Error)
		dup := e.db.Exec("INSERT INTO gap_uniques (k) VALUES (1)").Error
		require.Error(t, dup)
		fk := e.db.Exec("INSERT INTO gap_uniques (k, fk) VALUES (2, 12345)").Error
		require.Error(t, fk)
		other := errors.New("gap: something else")

		for name, err := range map[string]error{
			"errors.Join":        errors.Join(other, dup),
			"multiple %w":        fmt.Errorf("%w; %w", other, dup),
			"hidden message":     hiddenErrors{other, dup},
			"nested, hidden":     fmt.Errorf("outer: %w", hiddenErrors{other, fmt.Errorf("inner: %w", dup)}),
			"hidden, translated": hiddenErrors{other, gorm.ErrDuplicatedKey},
		} {
			_, ok := d.UniqueViolation(e.db, err)
			assert.True(t, ok, "%s: %v", name, err)
		}
		for name, err := range map[string]error{
			"foreign key, joined": errors.Join(other, fk),
			"foreign key, hidden": hiddenErrors{other, fk},
			"nothing":             hiddenErrors{other},
		} {
			_, ok := d.UniqueViolation(e.db, err)
			assert.False(t, ok, "%s: %v", name, err)
		}
	})
}

// TestNewestTombstoneReadErrorsFailTheCascade: when reading the newest
// tombstone below a cascading delete fails (a row error, a Scan error), the
// delete fails with that error and nothing is deleted: the cascade never runs
// with a timestamp that could be confused with an earlier delete's.
func TestNewestTombstoneReadErrorsFailTheCascade(t *testing.T) {
	cases := []struct {
		name  string
		fault fault
		is    error
	}{
		{"query error", fault{match: "SELECT MAX(", queryErr: errRowsBroken}, errRowsBroken},
		{"row error", fault{match: "SELECT MAX(", nextErr: errRowsBroken}, errRowsBroken},
		{"Scan error", fault{match: "SELECT MAX(", extra: true}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, f := openFaultySQLite(t)
			require.NoError(t, softdelete.AutoMigrate(db, allModels...))
			a := Author{Name: "a", Posts: []Post{{Title: "p", Comments: []Comment{{Body: "c"}}}}}
			require.NoError(t, db.Create(&a).Error)

			f.set(&c.fault)
			err := db.Delete(&a).Error
			f.set(nil)
			require.Error(t, err)
			if c.is != nil {
				assert.ErrorIs(t, err, c.is)
			}
			assert.Contains(t, err.Error(), "newest tombstone below authors")
			var deleted int64
			require.NoError(t, db.Raw(`SELECT (SELECT count(*) FROM authors WHERE deleted_at IS NOT NULL) +
				(SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL) +
				(SELECT count(*) FROM comments WHERE deleted_at IS NOT NULL)`).Scan(&deleted).Error)
			assert.Zero(t, deleted, "nothing deleted")
			assert.False(t, a.DeletedAt.Valid, "nothing written back")
		})
	}
}
