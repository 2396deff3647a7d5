// Package testdb runs tests against every available real database
// (SQLite always, PostgreSQL when it can be found or started).
//
// Each test gets a fresh, isolated, empty database: a new SQLite file, or a
// new PostgreSQL schema selected through the connection's search_path.
//
// PostgreSQL is taken from SOFTDELETE_TEST_POSTGRES_DSN when set; otherwise
// a throwaway cluster is started once per test binary from the local
// PostgreSQL installation and stopped by Main. When PostgreSQL is not
// available its subtests are skipped, unless SOFTDELETE_REQUIRE_POSTGRES=1,
// in which case they fail.
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
	Name string // "sqlite" or "postgres"
}

// allTargets lists every target Each tries, in order.
var allTargets = []Target{{Name: "sqlite"}, {Name: "postgres"}}

// Main runs the tests of a package and then stops any PostgreSQL cluster
// the harness started (removing its temporary directory). Call it from
// TestMain: os.Exit(testdb.Main(m)).
func Main(m *testing.M) int {
	defer shutdownPostgres()
	return m.Run()
}

// Each runs fn as a subtest named after each target, once per target, with
// a fresh isolated database opened with cfg() (a nil cfg, or a nil result,
// means &gorm.Config{}). cfg is called once per target. The postgres subtest
// is skipped (or fails, see SOFTDELETE_REQUIRE_POSTGRES) when PostgreSQL is not
// available.
func Each(t *testing.T, cfg func() *gorm.Config, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	for _, target := range allTargets {
		t.Run(target.Name, func(t *testing.T) {
			var c *gorm.Config
			if cfg != nil {
				c = cfg()
			}
			fn(t, Open(t, target.Name, c))
		})
	}
}

// Open opens one fresh isolated database on the named target ("sqlite" or
// "postgres") with cfg (nil means &gorm.Config{}). Its connections are
// closed, and a postgres schema dropped, in t.Cleanup. If PostgreSQL is not
// available it calls t.Skip, or t.Fatal when SOFTDELETE_REQUIRE_POSTGRES=1.
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
	}
	t.Fatalf("testdb: unknown target %q (want \"sqlite\" or \"postgres\")", target)
	return nil
}

// Targets lists the names of the available targets: "sqlite" always, and
// "postgres" when PostgreSQL is available. When it is not, Targets logs why,
// or calls t.Fatal when SOFTDELETE_REQUIRE_POSTGRES=1.
func Targets(t testing.TB) []string {
	t.Helper()
	names := []string{"sqlite"}
	if dsn, reason := PostgresDSN(); dsn != "" {
		names = append(names, "postgres")
	} else {
		skipOrFail(t, reason, t.Log)
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
