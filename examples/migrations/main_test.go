package main

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite3"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// TestMain stops the PostgreSQL cluster internal/testdb starts (from the
// local installation, or SOFTDELETE_TEST_POSTGRES_DSN).
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// runner applies the written files with one real tool.
type runner interface {
	up() error
	downTo(version int64) error // 0: everything
}

// TestFilesApplyUpDownUp writes the files, then applies them with each
// tool on each database: up, down to the legacy table, down to nothing, and
// up again, checking the catalog at every stage and that a deleted key can
// be reused at the end.
func TestFilesApplyUpDownUp(t *testing.T) {
	for _, tool := range []string{Goose, GolangMigrate} {
		t.Run(tool, func(t *testing.T) {
			testdb.Each(t, func() *gorm.Config { return &gorm.Config{Logger: logger.Discard} }, func(t *testing.T, db *gorm.DB) {
				if db.Dialector.Name() == "mysql" {
					t.Skip("the example writes files for SQLite and PostgreSQL")
				}
				require.NoError(t, db.Use(softdelete.New()))
				dir := t.TempDir()
				_, err := Write(db, tool, dir)
				require.NoError(t, err)
				r := newRunner(t, tool, db, dir)

				require.NoError(t, r.up())
				assertConverted(t, db)
				require.NoError(t, r.downTo(1))
				assertLegacy(t, db)
				require.NoError(t, r.downTo(0))
				assert.False(t, db.Migrator().HasTable("customers"))
				require.NoError(t, r.up())
				assertConverted(t, db)
				assertKeyReusable(t, db)
			})
		})
	}
}

// newRunner opens tool on db's connection pool, reading the files of dir.
func newRunner(t *testing.T, tool string, db *gorm.DB, dir string) runner {
	t.Helper()
	sqlDB, err := db.DB()
	require.NoError(t, err)
	if tool == Goose {
		p, err := goose.NewProvider(gooseDialect(db), sqlDB, os.DirFS(dir))
		require.NoError(t, err)
		return gooseRunner{p}
	}
	src, err := iofs.New(os.DirFS(dir), ".")
	require.NoError(t, err)
	drv, name, err := migrateDriver(db, sqlDB)
	require.NoError(t, err)
	m, err := migrate.NewWithInstance("iofs", src, name, drv)
	require.NoError(t, err)
	return migrateRunner{m}
}

// gooseDialect is goose's name for db's database.
func gooseDialect(db *gorm.DB) goose.Dialect {
	if db.Dialector.Name() == "postgres" {
		return goose.DialectPostgres
	}
	return goose.DialectSQLite3
}

// migrateDriver is golang-migrate's driver for db's database, on sqlDB.
func migrateDriver(db *gorm.DB, sqlDB *sql.DB) (database.Driver, string, error) {
	if db.Dialector.Name() == "postgres" {
		d, err := migratepgx.WithInstance(sqlDB, &migratepgx.Config{})
		return d, "pgx5", err
	}
	d, err := migratesqlite.WithInstance(sqlDB, &migratesqlite.Config{})
	return d, "sqlite3", err
}

type gooseRunner struct{ p *goose.Provider }

func (g gooseRunner) up() error {
	_, err := g.p.Up(context.Background())
	return err
}

func (g gooseRunner) downTo(v int64) error {
	_, err := g.p.DownTo(context.Background(), v)
	return err
}

type migrateRunner struct{ m *migrate.Migrate }

func (r migrateRunner) up() error { return noChangeIsFine(r.m.Up()) }

func (r migrateRunner) downTo(v int64) error {
	if v == 0 {
		return noChangeIsFine(r.m.Down())
	}
	return noChangeIsFine(r.m.Migrate(uint(v)))
}

// noChangeIsFine treats golang-migrate's ErrNoChange as success.
func noChangeIsFine(err error) error {
	if errors.Is(err, migrate.ErrNoChange) {
		return nil
	}
	return err
}

// indexDef is an index's definition in the catalog, "" when absent; on
// PostgreSQL an invalid index reads as "INVALID".
func indexDef(t *testing.T, db *gorm.DB, name string) string {
	t.Helper()
	var defs []string
	q := `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`
	if db.Dialector.Name() == "postgres" {
		q = `SELECT CASE WHEN x.indisvalid THEN pg_get_indexdef(x.indexrelid) ELSE 'INVALID' END
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = current_schema() AND i.relname = ?`
	}
	require.NoError(t, db.Raw(q, name).Scan(&defs).Error)
	if len(defs) == 0 {
		return ""
	}
	return defs[0]
}

// assertConverted checks the catalog after the last migration: the
// live-only indexes, and no full unique index.
func assertConverted(t *testing.T, db *gorm.DB) {
	t.Helper()
	for _, name := range []string{"uidx_customers_email", "idx_customers_region_live"} {
		def := strings.NewReplacer(`"`, "", "(", "", ")", "").Replace(strings.ToLower(indexDef(t, db, name)))
		assert.Contains(t, def, " where deleted_at is null", name)
	}
	assert.Contains(t, indexDef(t, db, "uidx_customers_email"), "UNIQUE")
	assert.Empty(t, indexDef(t, db, "idx_customers_email"))
	findings, err := softdelete.Check(db, &Customer{})
	require.NoError(t, err)
	assert.Empty(t, findings, "the doctor finds nothing wrong")
}

// assertLegacy checks the catalog at migration 1: GORM's full unique index
// is back and the live-only ones are gone, which the doctor reports.
func assertLegacy(t *testing.T, db *gorm.DB) {
	t.Helper()
	full := indexDef(t, db, "idx_customers_email")
	assert.Contains(t, full, "UNIQUE")
	assert.NotContains(t, strings.ToUpper(full), " WHERE ")
	assert.Empty(t, indexDef(t, db, "uidx_customers_email"))
	assert.Empty(t, indexDef(t, db, "idx_customers_region_live"))
	findings, err := softdelete.Check(db, &Customer{})
	require.NoError(t, err)
	var kinds []softdelete.FindingKind
	for _, f := range findings {
		kinds = append(kinds, f.Kind)
	}
	assert.Contains(t, kinds, softdelete.FindingFullUniqueIndex)
	assert.Contains(t, kinds, softdelete.FindingIndexMissing)
}

// assertKeyReusable checks that a deleted customer's email can be taken by
// a new live customer, and that two live customers still cannot share one.
func assertKeyReusable(t *testing.T, db *gorm.DB) {
	t.Helper()
	old := Customer{Email: "ann@example.com", Region: "eu"}
	require.NoError(t, db.Create(&old).Error)
	require.NoError(t, db.Delete(&old).Error)
	require.NoError(t, db.Create(&Customer{Email: "ann@example.com", Region: "us"}).Error)
	assert.Error(t, db.Create(&Customer{Email: "ann@example.com"}).Error)
	var n int64
	require.NoError(t, db.Raw(`SELECT count(*) FROM customers WHERE email = 'ann@example.com'`).Scan(&n).Error)
	assert.EqualValues(t, 2, n, "the tombstone and the new live row")
}

func TestPrint(t *testing.T) {
	db, err := offline("postgres")
	require.NoError(t, err)
	var out strings.Builder
	require.NoError(t, Print(&out, db, Goose))
	assert.Contains(t, out.String(), "-- 00002_softdelete_indexes.sql\n-- +goose NO TRANSACTION\n-- +goose Up\n")
	assert.Contains(t, out.String(), `DROP INDEX CONCURRENTLY IF EXISTS "idx_customers_email";`)
	out.Reset()
	require.NoError(t, Print(&out, db, GolangMigrate))
	assert.Contains(t, out.String(), "-- 000004_uidx_customers_email_2.down.sql\n"+`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "idx_customers_email" ON "customers" ("email");`)
	assert.Error(t, Print(&out, db, "flyway"))
}
