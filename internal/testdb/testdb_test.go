package testdb_test

import (
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorm-softdelete/softdelete/internal/testdb"
	"gorm.io/gorm"
)

func TestMain(m *testing.M) {
	os.Exit(testdb.Main(m, testdb.WithMariaDB()))
}

type widget struct {
	ID   uint
	Name string
}

// TestEachRunsOnEveryTarget checks Each visits every available target with a
// database of the matching dialect and a config of its own.
func TestEachRunsOnEveryTarget(t *testing.T) {
	var (
		mu      sync.Mutex
		seen    []string
		configs = map[*gorm.Config]bool{}
	)
	cfg := func() *gorm.Config {
		c := &gorm.Config{}
		mu.Lock()
		configs[c] = true
		mu.Unlock()
		return c
	}
	testdb.Each(t, cfg, func(t *testing.T, db *gorm.DB) {
		name := path.Base(t.Name())
		if got := db.Dialector.Name(); got != name {
			t.Errorf("subtest %s got a %s database", name, got)
		}
		if !configs[db.Config] {
			t.Errorf("%s: db not opened with the config from cfg()", name)
		}
		mu.Lock()
		seen = append(seen, name)
		mu.Unlock()
	})
	if want := testdb.Targets(t); !slices.Equal(seen, want) {
		t.Errorf("Each ran on %v, want %v", seen, want)
	}
	if len(configs) < len(seen) {
		t.Errorf("cfg called %d times for %d targets", len(configs), len(seen))
	}
}

// TestRequiredPostgresIsAvailable fails when postgres is required but absent.
func TestRequiredPostgresIsAvailable(t *testing.T) {
	dsn, reason := testdb.PostgresDSN()
	if dsn == "" && os.Getenv("SOFTDELETE_REQUIRE_POSTGRES") == "1" {
		t.Fatalf("postgres required but unavailable: %s", reason)
	}
	t.Logf("postgres dsn=%q reason=%q", dsn, reason)
}

// TestRequiredMariaDBIsAvailable fails when MariaDB is required but absent.
func TestRequiredMariaDBIsAvailable(t *testing.T) {
	dsn, reason := testdb.MySQLDSN()
	if dsn == "" && os.Getenv("SOFTDELETE_REQUIRE_MARIADB") == "1" {
		t.Fatalf("MariaDB required but unavailable: %s", reason)
	}
	t.Logf("mysql dsn=%q reason=%q", dsn, reason)
}

// TestMariaDBSettings checks each test gets a database of its own, read and
// written in UTC with utf8mb4, and that it is dropped after the test.
func TestMariaDBSettings(t *testing.T) {
	var name string
	t.Run("use", func(t *testing.T) {
		db := testdb.Open(t, "mysql", nil)
		name = scalar[string](t, db, "SELECT DATABASE()")
		if !strings.HasPrefix(name, "t_") {
			t.Fatalf("DATABASE() = %q, want t_*", name)
		}
		if tz := scalar[string](t, db, "SELECT @@time_zone"); tz != "+00:00" {
			t.Errorf("time_zone = %q, want +00:00", tz)
		}
		if cs := scalar[string](t, db, "SELECT @@character_set_database"); cs != "utf8mb4" {
			t.Errorf("character_set_database = %q, want utf8mb4", cs)
		}
		exec(t, db, "CREATE TABLE items (id int, at datetime(6))")
		at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
		exec(t, db, "INSERT INTO items VALUES (1, ?)", at)
		if got := scalar[time.Time](t, db, "SELECT at FROM items"); !got.Equal(at) || got.Location() != time.UTC {
			t.Errorf("stored %v, read back %v", at, got)
		}
	})
	if name == "" {
		return // skipped or failed
	}
	db := testdb.Open(t, "mysql", nil)
	q := "SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?"
	if n := scalar[int](t, db, q, name); n != 0 {
		t.Errorf("database %s still exists after its test", name)
	}
}

// TestDatabasesAreIsolated checks two databases open at the same time, and
// two consecutive Each calls, never see each other's tables.
func TestDatabasesAreIsolated(t *testing.T) {
	testdb.Each(t, nil, func(t *testing.T, db *gorm.DB) {
		if err := db.AutoMigrate(&widget{}); err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&widget{Name: "a"}).Error; err != nil {
			t.Fatal(err)
		}
		other := testdb.Open(t, path.Base(t.Name()), nil)
		if other.Migrator().HasTable(&widget{}) {
			t.Error("table created in one database is visible in another")
		}
		if !db.Migrator().HasTable(&widget{}) {
			t.Error("HasTable does not see the table just created")
		}
	})
	testdb.Each(t, func() *gorm.Config { return nil }, func(t *testing.T, db *gorm.DB) {
		if db.Migrator().HasTable(&widget{}) {
			t.Error("table from a previous Each call is visible")
		}
	})
}

// TestSQLiteSettings checks the DSN parameters reach SQLite.
func TestSQLiteSettings(t *testing.T) {
	db := testdb.Open(t, "sqlite", nil)
	var fk int
	var mode string
	if err := db.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
	if err := db.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

// TestPostgresSearchPath checks unqualified SQL lands in the test's own
// schema, and that the schema is dropped after the test.
func TestPostgresSearchPath(t *testing.T) {
	var schema string
	t.Run("use", func(t *testing.T) {
		db := testdb.Open(t, "postgres", nil)
		schema = scalar[string](t, db, "SELECT current_schema()")
		if !strings.HasPrefix(schema, "t_") {
			t.Fatalf("current_schema() = %q, want t_*", schema)
		}
		exec(t, db, "CREATE TABLE items (id int)")
		exec(t, db, "INSERT INTO items VALUES (1), (2), (3)")
		if n := scalar[int](t, db, "SELECT count(*) FROM items"); n != 3 {
			t.Errorf("count = %d, want 3", n)
		}
		q := "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'items'"
		if n := scalar[int](t, db, q, schema); n != 1 {
			t.Errorf("items not in schema %s", schema)
		}
		if n := scalar[int](t, db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); n != 0 {
			t.Errorf("%d tables leaked into public", n)
		}
	})
	if schema == "" {
		return // skipped or failed
	}
	db := testdb.Open(t, "postgres", nil)
	if n := scalar[int](t, db, "SELECT count(*) FROM pg_namespace WHERE nspname = ?", schema); n != 0 {
		t.Errorf("schema %s still exists after its test", schema)
	}
}

// TestParallelOpen checks concurrent opens on every target.
func TestParallelOpen(t *testing.T) {
	for i := 0; i < 8; i++ {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			testdb.Each(t, nil, func(t *testing.T, db *gorm.DB) {
				if err := db.AutoMigrate(&widget{}); err != nil {
					t.Fatal(err)
				}
				db.Create(&[]widget{{Name: "x"}, {Name: "y"}})
				var n int64
				if db.Model(&widget{}).Count(&n); n != 2 {
					t.Errorf("count = %d, want 2", n)
				}
			})
		})
	}
}

func exec(t *testing.T, db *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func scalar[T any](t *testing.T, db *gorm.DB, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := db.Raw(sql, args...).Scan(&v).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}
