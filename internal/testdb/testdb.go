// Package testdb runs tests against every available real database
// (SQLite always, PostgreSQL and MariaDB when they can be found or started).
//
// Each test gets a fresh, isolated, empty database: a new SQLite file, a
// new PostgreSQL schema selected through the connection's search_path, or a
// new MariaDB database.
//
// PostgreSQL is taken from SOFTDELETE_TEST_POSTGRES_DSN when set; otherwise
// a throwaway cluster is started once per test binary from the local
// PostgreSQL installation and stopped by Main. When PostgreSQL is not
// available its subtests are skipped, unless SOFTDELETE_REQUIRE_POSTGRES=1,
// in which case they fail.
//
// MariaDB (target "mysql", GORM's dialector name) is taken from
// SOFTDELETE_TEST_MYSQL_DSN when set; otherwise a throwaway server is started
// once per test binary from the local MariaDB installation (mariadb-install-db
// and mariadbd on a private port and socket) and stopped by Main. It is a
// target in the packages whose TestMain passes WithMariaDB;
// SOFTDELETE_TEST_MARIADB=0 switches it off there, =1 on everywhere, and
// SOFTDELETE_REQUIRE_MARIADB=1 makes an unavailable MariaDB fail.
package testdb

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

const (
	// envPostgresDSN names the variable holding an existing PostgreSQL DSN.
	envPostgresDSN = "SOFTDELETE_TEST_POSTGRES_DSN"
	// envRequirePostgres names the variable that turns a missing
	// PostgreSQL into a test failure instead of a skip.
	envRequirePostgres = "SOFTDELETE_REQUIRE_POSTGRES"

	sqliteParams = "?_busy_timeout=5000&_journal_mode=WAL&_foreign_keys=1&_txlock=immediate"
)

// Target is one database a test runs on.
type Target struct {
	Name string // "sqlite", "postgres" or "mysql"
}

// MainOption configures the targets of a test binary (see Main).
type MainOption func(*mainConfig)

// mainConfig is what the options of Main say.
type mainConfig struct{ mariadb bool }

// settings is the configuration Main was given; set once, before any test
// runs, and only read afterwards.
var settings mainConfig

// WithMariaDB makes MariaDB a target of Each and Targets in this test
// binary (unless SOFTDELETE_TEST_MARIADB=0).
func WithMariaDB() MainOption { return func(c *mainConfig) { c.mariadb = true } }

// Main runs the tests of a package and then stops any PostgreSQL cluster
// and MariaDB server the harness started (removing their temporary
// directories). Call it from TestMain: os.Exit(testdb.Main(m)).
func Main(m *testing.M, opts ...MainOption) int {
	for _, o := range opts {
		o(&settings)
	}
	defer shutdownMySQL()
	defer shutdownPostgres()
	return m.Run()
}

// mariadbTarget reports whether MariaDB is a target of this test binary.
func mariadbTarget() bool {
	switch v, err := strconv.ParseBool(os.Getenv(envMariaDB)); {
	case err != nil:
		return settings.mariadb
	default:
		return v
	}
}

// allTargets lists every target Each tries, in order.
func allTargets() []Target {
	ts := []Target{{Name: "sqlite"}, {Name: "postgres"}}
	if mariadbTarget() {
		ts = append(ts, Target{Name: "mysql"})
	}
	return ts
}

// Each runs fn as a subtest named after each target, once per target, with
// a fresh isolated database opened with cfg() (a nil cfg, or a nil result,
// means &gorm.Config{}). cfg is called once per target. The postgres subtest
// is skipped (or fails, see SOFTDELETE_REQUIRE_POSTGRES) when PostgreSQL is not
// available.
func Each(t *testing.T, cfg func() *gorm.Config, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	for _, target := range allTargets() {
		t.Run(target.Name, func(t *testing.T) {
			var c *gorm.Config
			if cfg != nil {
				c = cfg()
			}
			fn(t, Open(t, target.Name, c))
		})
	}
}

// Open opens one fresh isolated database on the named target ("sqlite",
// "postgres" or "mysql") with cfg (nil means &gorm.Config{}). Its
// connections are closed, and a postgres schema or mysql database dropped,
// in t.Cleanup. If the database is not available it calls t.Skip, or
// t.Fatal when SOFTDELETE_REQUIRE_POSTGRES=1 (SOFTDELETE_REQUIRE_MARIADB=1).
func Open(t testing.TB, target string, cfg *gorm.Config) *gorm.DB {
	t.Helper()
	if cfg == nil {
		cfg = &gorm.Config{}
	}
	switch target {
	case "sqlite":
		return openSQLite(t, cfg)
	case "postgres":
		return openPostgres(t, cfg)
	case "mysql":
		return openMySQL(t, cfg)
	}
	t.Fatalf("testdb: unknown target %q (want \"sqlite\", \"postgres\" or \"mysql\")", target)
	return nil
}

// Targets lists the names of the available targets: "sqlite" always,
// "postgres" when PostgreSQL is available, and "mysql" when MariaDB is a
// target of this binary (see WithMariaDB) and available. When one is not
// available, Targets logs why, or calls t.Fatal when it is required.
func Targets(t testing.TB) []string {
	t.Helper()
	names := []string{"sqlite"}
	if dsn, reason := PostgresDSN(); dsn != "" {
		names = append(names, "postgres")
	} else {
		skipOrFail(t, reason, t.Log)
	}
	if !mariadbTarget() {
		return names
	}
	if dsn, reason := MySQLDSN(); dsn != "" {
		names = append(names, "mysql")
	} else {
		skipOrFailMariaDB(t, reason, t.Log)
	}
	return names
}

// openSQLite opens a new SQLite database file under t.TempDir().
func openSQLite(t testing.TB, cfg *gorm.Config) *gorm.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := gorm.Open(sqlite.Open(path+sqliteParams), cfg)
	if err != nil {
		t.Fatalf("testdb: open sqlite %s: %v", path, err)
	}
	t.Cleanup(func() { closeDB(t, db) })
	return db
}

// closeDB closes the sql.DB underneath db, reporting failures on t.
func closeDB(t testing.TB, db *gorm.DB) {
	sqlDB, err := db.DB()
	if err == nil {
		err = sqlDB.Close()
	}
	if err != nil {
		t.Errorf("testdb: close database: %v", err)
	}
}

// requirePostgres reports whether SOFTDELETE_REQUIRE_POSTGRES is set true.
func requirePostgres() bool {
	v, err := strconv.ParseBool(os.Getenv(envRequirePostgres))
	return err == nil && v
}

// skipOrFail reports an unavailable PostgreSQL: t.Fatal when it is
// required, otherwise via otherwise (t.Skip or t.Log).
func skipOrFail(t testing.TB, reason string, otherwise func(args ...any)) {
	t.Helper()
	if requirePostgres() {
		t.Fatal(reason + " (" + envRequirePostgres + "=1)")
	}
	otherwise(reason)
}
