package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// Target is a database the benchmarks run on.
type Target string

// The targets.
const (
	SQLiteMem  Target = "sqlite-mem"  // in-memory SQLite, one connection
	SQLiteFile Target = "sqlite-file" // SQLite file, WAL, synchronous=NORMAL
	Postgres   Target = "postgres"    // PostgreSQL over loopback (internal/testdb's cluster)
	MariaDB    Target = "mariadb"     // MariaDB over loopback (internal/testdb's server), MySQL dialect
)

// Targets lists every target, in report order.
var Targets = []Target{SQLiteMem, SQLiteFile, Postgres, MariaDB}

// Scale holds the data sizes of one run.
type Scale struct {
	Quick         bool
	ItemRows      int   // rows of each e2e items table
	CascadeSizes  []int // posts per user (each post has 3 comments)
	PurgeRowsPG   int
	PurgeRowsLite int
	UpsertRows    int // live articles (each slug also has tombstones)
	// PurgeBudget caps each batched purge run (0: none); see PurgeFixture.
	PurgeBudget time.Duration
	// PurgeGrowthPG are the PostgreSQL table sizes of the cost-growth runs
	// (default purge vs one DELETE at each size).
	PurgeGrowthPG []int
}

// QuickScale is the -quick report's (and go test -bench's default) scale.
var QuickScale = Scale{
	Quick:         true,
	ItemRows:      20_000,
	CascadeSizes:  []int{10, 1_000, 10_000},
	PurgeRowsPG:   100_000,
	PurgeRowsLite: 50_000,
	UpsertRows:    1_000,
	PurgeGrowthPG: []int{20_000, 100_000, 500_000},
}

// FullScale is the full report's scale.
var FullScale = Scale{
	ItemRows:      100_000,
	CascadeSizes:  []int{10, 1_000, 100_000},
	PurgeRowsPG:   1_000_000,
	PurgeRowsLite: 200_000,
	UpsertRows:    10_000,
	PurgeBudget:   30 * time.Second,
	PurgeGrowthPG: []int{100_000, 1_000_000, 5_000_000},
}

// Env owns the databases of one benchmark run and closes them all.
type Env struct {
	Scale Scale

	mu      sync.Mutex
	dir     string // temp dir for SQLite files
	pgDSN   string
	pgAdmin *sql.DB
	myCfg   *gomysql.Config // MariaDB server, no database selected
	myAdmin *sql.DB         // creates and drops the per-fixture databases
	closers []func() error
	cache   map[string]any // lazily built fixtures, see once
}

// NewEnv returns an empty environment; databases are opened on demand.
func NewEnv(scale Scale) *Env {
	return &Env{Scale: scale, cache: map[string]any{}}
}

// Close closes every database opened through e and drops its PostgreSQL
// schemas and MariaDB databases. It does not stop the PostgreSQL cluster or
// the MariaDB server (testdb.Main or testdb.Shutdown do).
func (e *Env) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	e.closers = nil
	if e.pgAdmin != nil {
		errs = append(errs, e.pgAdmin.Close())
		e.pgAdmin = nil
	}
	if e.myAdmin != nil {
		errs = append(errs, e.myAdmin.Close())
		e.myAdmin = nil
	}
	if e.dir != "" {
		errs = append(errs, os.RemoveAll(e.dir))
		e.dir = ""
	}
	return errors.Join(errs...)
}

// once returns the fixture cached under key, building it with build on
// first use. Fixtures live as long as e.
func once[T any](e *Env, key string, build func() (T, error)) (T, error) {
	e.mu.Lock()
	if v, ok := e.cache[key]; ok {
		e.mu.Unlock()
		return v.(T), nil
	}
	e.mu.Unlock()
	v, err := build()
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", key, err)
	}
	e.mu.Lock()
	e.cache[key] = v
	e.mu.Unlock()
	return v, nil
}

// RemoveFiles removes the SQLite files of e (for an interrupted run; Close
// does it too).
func (e *Env) RemoveFiles() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

func (e *Env) onClose(f func() error) {
	e.mu.Lock()
	e.closers = append(e.closers, f)
	e.mu.Unlock()
}

// DB is one fresh database: a *sql.DB that every implementation shares,
// so they see the same data through the same connections.
type DB struct {
	Target Target
	SQL    *sql.DB
}

// Open opens a new empty database on target (name only labels it).
func (e *Env) Open(target Target, name string) (*DB, error) {
	var (
		sqlDB *sql.DB
		err   error
	)
	switch target {
	case SQLiteMem:
		sqlDB, err = sql.Open(sqlite.DriverName, ":memory:")
		if err == nil {
			// every connection to :memory: is a new database: keep exactly one
			sqlDB.SetMaxOpenConns(1)
			sqlDB.SetMaxIdleConns(1)
			sqlDB.SetConnMaxLifetime(0)
			sqlDB.SetConnMaxIdleTime(0)
		}
	case SQLiteFile:
		var dir string
		if dir, err = e.tempDir(); err == nil {
			path := filepath.Join(dir, name+"-"+randomHex(4)+".db")
			sqlDB, err = sql.Open(sqlite.DriverName,
				path+"?_busy_timeout=5000&_journal_mode=WAL&_synchronous=NORMAL")
		}
	case Postgres:
		sqlDB, err = e.openPostgres(name)
	case MariaDB:
		sqlDB, err = e.openMariaDB(name)
	default:
		err = fmt.Errorf("unknown target %q", target)
	}
	if err != nil {
		return nil, err
	}
	if err := sqlDB.PingContext(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	e.onClose(sqlDB.Close)
	return &DB{Target: target, SQL: sqlDB}, nil
}

func (e *Env) tempDir() (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dir == "" {
		dir, err := os.MkdirTemp("", "softdelete-bench-")
		if err != nil {
			return "", err
		}
		e.dir = dir
	}
	return e.dir, nil
}

// openPostgres creates a schema of its own in the harness's database and
// returns a pool whose search_path is that schema.
func (e *Env) openPostgres(name string) (*sql.DB, error) {
	e.mu.Lock()
	if e.pgDSN == "" {
		dsn, reason := testdb.PostgresDSN()
		if dsn == "" {
			e.mu.Unlock()
			return nil, errors.New(reason)
		}
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			e.mu.Unlock()
			return nil, err
		}
		e.pgDSN, e.pgAdmin = dsn, admin
	}
	dsn, admin := e.pgDSN, e.pgAdmin
	e.mu.Unlock()
	schema := "bench_" + sanitize(name) + "_" + randomHex(4)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		return nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	e.onClose(func() error {
		_, err := admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
		return err
	})
	db, err := sql.Open("pgx", dsn+" search_path="+schema)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(8)
	return db, nil
}

// PostgresAvailable reports whether the PostgreSQL target can be used, and
// why not.
func PostgresAvailable() (bool, string) {
	dsn, reason := testdb.PostgresDSN()
	return dsn != "", reason
}

// openMariaDB creates a database of its own on the harness's MariaDB server
// (dropped on Close) and returns a pool on it.
func (e *Env) openMariaDB(name string) (*sql.DB, error) {
	e.mu.Lock()
	if e.myCfg == nil {
		dsn, reason := testdb.MySQLDSN()
		if dsn == "" {
			e.mu.Unlock()
			return nil, errors.New(reason)
		}
		cfg, err := gomysql.ParseDSN(dsn)
		if err != nil {
			e.mu.Unlock()
			return nil, err
		}
		cfg.ParseTime, cfg.Loc = true, time.UTC
		admin, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			e.mu.Unlock()
			return nil, err
		}
		e.myCfg, e.myAdmin = cfg, admin
	}
	cfg, admin := e.myCfg.Clone(), e.myAdmin
	e.mu.Unlock()
	cfg.DBName = "bench_" + sanitize(name) + "_" + randomHex(4)
	if _, err := admin.Exec("CREATE DATABASE " + cfg.DBName); err != nil {
		return nil, fmt.Errorf("create database %s: %w", cfg.DBName, err)
	}
	e.onClose(func() error {
		_, err := admin.Exec("DROP DATABASE IF EXISTS " + cfg.DBName)
		return err
	})
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(8)
	return db, nil
}

// MariaDBAvailable reports whether the MariaDB target can be used, and why
// not.
func MariaDBAvailable() (bool, string) {
	dsn, reason := testdb.MySQLDSN()
	return dsn != "", reason
}

// GormConfig says how to open a *gorm.DB on a DB.
type GormConfig struct {
	Plugin      bool // db.Use(softdelete.New())
	PrepareStmt bool
	DryRun      bool // statements are built, never run (nor transactions begun)
	Pool        gorm.ConnPool
}

// Gorm opens a *gorm.DB on d's pool (or cfg.Pool, a wrapper of it).
func (d *DB) Gorm(cfg GormConfig) (*gorm.DB, error) {
	var conn gorm.ConnPool = d.SQL
	if cfg.Pool != nil {
		conn = cfg.Pool
	}
	var dial gorm.Dialector
	switch d.Target {
	case Postgres:
		dial = postgres.New(postgres.Config{Conn: conn})
	case MariaDB:
		dial = mysql.New(mysql.Config{Conn: conn})
	default:
		dial = sqlite.New(sqlite.Config{Conn: conn})
	}
	db, err := gorm.Open(dial, &gorm.Config{
		Logger:                 logger.Discard,
		PrepareStmt:            cfg.PrepareStmt,
		DisableAutomaticPing:   true,
		SkipDefaultTransaction: false,
	})
	if err != nil {
		return nil, err
	}
	if cfg.Plugin {
		if err := db.Use(softdelete.New()); err != nil {
			return nil, err
		}
	}
	if cfg.DryRun {
		db = db.Session(&gorm.Session{DryRun: true, SkipDefaultTransaction: true})
	}
	return db, nil
}

// Exec runs statements in order, stopping at the first error.
func (d *DB) Exec(stmts ...string) error {
	for _, s := range stmts {
		if _, err := d.SQL.Exec(s); err != nil {
			return fmt.Errorf("%w\nin: %s", err, s)
		}
	}
	return nil
}

// Version returns the database server's version string.
func (d *DB) Version() (string, error) {
	q := "select sqlite_version()"
	switch d.Target {
	case Postgres:
		q = "show server_version"
	case MariaDB:
		q = "SELECT VERSION()"
	}
	var v string
	err := d.SQL.QueryRow(q).Scan(&v)
	return v, err
}

// sanitize keeps letters, digits and underscores of s.
func sanitize(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
			out = append(out, c)
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		default:
			out = append(out, '_')
		}
	}
	return string(out)
}

// randomHex returns 2n random hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
