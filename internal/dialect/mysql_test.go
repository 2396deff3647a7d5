package dialect

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// openMySQL opens a fresh MariaDB database (skipped when there is none).
func openMySQL(t *testing.T) *gorm.DB {
	t.Helper()
	return testdb.Open(t, "mysql", quiet())
}

func TestMySQLDDL(t *testing.T) {
	d := For("mysql")
	ix := Index{Name: "uidx_t_slug", Table: "t", Columns: []string{"org", "sl`ug"}, Unique: true, Where: "`deleted_at` IS NULL"}
	assert.Equal(t, "ALTER TABLE `t` ADD COLUMN `live_uidx_t_slug` TINYINT AS (IF(`deleted_at` IS NULL, 1, NULL)) VIRTUAL INVISIBLE, "+
		"ADD UNIQUE INDEX `uidx_t_slug` (`org`, `sl``ug`, `live_uidx_t_slug`)", d.CreateIndex(ix))
	assert.Len(t, ix.Columns, 2, "CreateIndex must not append to the caller's columns")
	assert.Equal(t, "SELECT `org`, `sl``ug` FROM `t` WHERE (`deleted_at` IS NULL) AND `org` IS NOT NULL AND `sl``ug` IS NOT NULL "+
		"GROUP BY `org`, `sl``ug` HAVING count(*) > 1 LIMIT 1", d.DuplicateKeySQL(ix))
	drop, err := d.DropIndex(ix)
	require.NoError(t, err)
	assert.Equal(t, "ALTER TABLE `t` DROP INDEX `uidx_t_slug`, DROP COLUMN `live_uidx_t_slug`", drop)
	drop, err = d.DropIndexDDL(ix, DDL{IfExists: true, Concurrently: true})
	require.NoError(t, err)
	assert.Equal(t, "ALTER TABLE `t` DROP INDEX IF EXISTS `uidx_t_slug`, DROP COLUMN IF EXISTS `live_uidx_t_slug`", drop)
	assert.Equal(t, "ALTER TABLE `t` ADD COLUMN IF NOT EXISTS `live_uidx_t_slug` TINYINT AS (IF(`deleted_at` IS NULL, 1, NULL)) VIRTUAL INVISIBLE, "+
		"ADD UNIQUE INDEX IF NOT EXISTS `uidx_t_slug` (`org`, `sl``ug`, `live_uidx_t_slug`)", d.CreateIndexDDL(ix, DDL{IfExists: true}))

	plain := Index{Name: "i", Table: "db.t", Columns: []string{"a"}}
	assert.Equal(t, "ALTER TABLE `db`.`t` ADD INDEX `i` (`a`)", d.CreateIndex(plain))
	drop, err = d.DropIndex(plain)
	require.NoError(t, err)
	assert.Equal(t, "ALTER TABLE `db`.`t` DROP INDEX `i`", drop)

	for _, s := range []string{d.CreateIndex(ix), d.CreateIndexDDL(ix, DDL{}), d.DuplicateKeySQL(ix), drop, d.QuoteTable("a.b")} {
		assert.NotContains(t, s, `"`, "MySQL quotes with backticks: %s", s)
	}
	assert.Equal(t, "`a` IN (SELECT * FROM (?) AS sd_keys)", d.KeysIn("`a`", 1))
	assert.Equal(t, "UPDATE", d.RowLocks())
}

func TestMySQLLiveColumnName(t *testing.T) {
	assert.Equal(t, "live_uidx_t_slug", LiveColumn("uidx_t_slug"))
	long := strings.Repeat("x", 63)
	got := LiveColumn(long)
	assert.LessOrEqual(t, len(got), 64)
	assert.NotEqual(t, got, LiveColumn(strings.Repeat("x", 62)+"y"), "distinct names stay distinct")
	assert.Equal(t, got, LiveColumn(long), "deterministic")
}

func TestMySQLSkipLockedByVersion(t *testing.T) {
	for version, want := range map[string]bool{
		"10.11.19-MariaDB-0+deb12u1": true,
		"10.6.0-MariaDB":             true,
		"10.5.23-MariaDB":            false,
		"11.4.2-MariaDB":             true,
		"8.0.1":                      true,
		"8.0.0":                      false,
		"8.4.3":                      true,
		"5.7.44-log":                 false,
		"":                           false,
		"garbage":                    false,
	} {
		assert.Equal(t, want, hasSkipLocked(version), version)
	}
	type config struct{ ServerVersion string }
	type dialector struct {
		gorm.Dialector
		*config
	}
	assert.Equal(t, "", serverVersion(nil))
	assert.Equal(t, "", serverVersion(&dialector{}), "nil embedded config")
}

func TestMySQLUniqueViolationMessages(t *testing.T) {
	d := For("mysql")
	for msg, index := range map[string]string{
		"Error 1062 (23000): Duplicate entry 'a-1' for key 'uidx_posts_slug'":       "uidx_posts_slug",
		"Error 1062 (23000): Duplicate entry 'a-1' for key 'posts.uidx_posts_slug'": "uidx_posts_slug",
		"Error 1062 (23000): Duplicate entry '1' for key 'PRIMARY'":                 "PRIMARY",
	} {
		v, ok := d.UniqueViolation(nil, fmt.Errorf("wrapped: %w", fakeErr(msg)))
		assert.True(t, ok, msg)
		assert.Equal(t, Violation{Index: index}, v, msg)
	}
	v, ok := d.UniqueViolation(nil, gorm.ErrDuplicatedKey)
	assert.True(t, ok)
	assert.Equal(t, Violation{}, v)
	_, ok = d.UniqueViolation(nil, fakeErr("Error 1452 (23000): Cannot add or update a child row"))
	assert.False(t, ok)
}

// TestMySQLLiveUniqueIndex builds a live-only unique index on a real
// MariaDB and checks what it holds: one live row per key, any number of
// tombstones, a restore onto a live key refused with a recognised 1062.
func TestMySQLLiveUniqueIndex(t *testing.T) {
	db := openMySQL(t)
	d := Of(db)
	require.True(t, d.Features().Has(GeneratedColumnIndexes))
	var version string
	require.NoError(t, db.Raw("SELECT VERSION()").Scan(&version).Error)
	assert.Equal(t, version, serverVersion(db.Dialector), "the version GORM's dialector read at Open")
	assert.Equal(t, hasSkipLocked(version), d.Features().Has(SkipLocked), version)
	assert.False(t, For("mysql").Features().Has(SkipLocked), "unknown server: no SKIP LOCKED")
	require.NoError(t, db.Exec("CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, slug VARCHAR(64), deleted_at DATETIME(3) NULL)").Error)
	ix := Index{Name: "uidx_t_slug", Table: "t", Columns: []string{"slug"}, Unique: true, Where: "`deleted_at` IS NULL"}
	require.NoError(t, db.Exec(d.CreateIndex(ix)).Error)

	require.NoError(t, db.Exec("INSERT INTO t (slug) VALUES ('a')").Error)
	err := db.Exec("INSERT INTO t (slug) VALUES ('a')").Error
	v, ok := d.UniqueViolation(db, err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, Violation{Index: "uidx_t_slug"}, v)
	require.NoError(t, db.Exec("UPDATE t SET deleted_at = NOW(3) WHERE id = 1").Error)
	require.NoError(t, db.Exec("INSERT INTO t (slug) VALUES ('a')").Error, "the tombstone frees the key")
	require.NoError(t, db.Exec("UPDATE t SET deleted_at = NOW(3) WHERE slug = 'a' AND deleted_at IS NULL").Error)
	require.NoError(t, db.Exec("INSERT INTO t (slug) VALUES ('a')").Error, "two tombstones share the key")
	_, ok = d.UniqueViolation(db, db.Exec("UPDATE t SET deleted_at = NULL WHERE id = 1").Error)
	assert.True(t, ok, "restoring onto a live key is refused")

	var row map[string]any
	require.NoError(t, db.Raw("SELECT * FROM t LIMIT 1").Scan(&row).Error)
	assert.NotContains(t, row, LiveColumn(ix.Name), "the generated column is invisible")

	var dup []map[string]any
	require.NoError(t, db.Raw(d.DuplicateKeySQL(ix)).Scan(&dup).Error)
	assert.Empty(t, dup)
	require.NoError(t, db.Exec(drop(t, d, ix)).Error)
	require.NoError(t, db.Exec("UPDATE t SET deleted_at = NULL").Error, "without the index the keys may clash")
	require.NoError(t, db.Raw(d.DuplicateKeySQL(ix)).Scan(&dup).Error)
	assert.Equal(t, []map[string]any{{"slug": "a"}}, dup, "the check before DDL finds the clash")
}

// drop is d.DropIndex(ix), which cannot fail on MySQL.
func drop(t *testing.T, d Dialect, ix Index) string {
	t.Helper()
	s, err := d.DropIndex(ix)
	require.NoError(t, err)
	return s
}

func TestMySQLReadIndex(t *testing.T) {
	db := openMySQL(t)
	d := Of(db)
	require.NoError(t, db.Exec("CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(20), deleted_at DATETIME(3) NULL, UNIQUE KEY uq_b (b))").Error)
	want := Index{Name: "ix_live", Table: "t", Columns: []string{"b", "a"}, Unique: true, Where: "`deleted_at` IS NULL"}
	require.NoError(t, db.Exec(d.CreateIndex(want)).Error)
	require.NoError(t, db.Exec("CREATE INDEX ix_plain ON t (a)").Error)

	ix, err := d.ReadIndex(db, "ix_live", "t")
	require.NoError(t, err)
	require.NotNil(t, ix)
	assert.Equal(t, []string{"b", "a"}, ix.Columns)
	assert.True(t, ix.Unique)
	assert.Equal(t, "deleted_at is null", NormalizePredicate(ix.Where))
	assert.True(t, Same(*ix, want), "%+v", *ix)

	ix, err = d.ReadIndex(db, "ix_plain", "t")
	require.NoError(t, err)
	assert.Equal(t, Index{Name: "ix_plain", Table: "t", Columns: []string{"a"}}, *ix)
	ix, err = d.ReadIndex(db, "uq_b", "t")
	require.NoError(t, err)
	assert.Equal(t, Index{Name: "uq_b", Table: "t", Columns: []string{"b"}, Unique: true}, *ix)
	ix, err = d.ReadIndex(db, "ix_missing", "t")
	require.NoError(t, err)
	assert.Nil(t, ix)

	names, err := d.IndexNames(db, "t")
	require.NoError(t, err)
	assert.Equal(t, []string{"ix_live", "ix_plain", "PRIMARY", "uq_b"}, names)

	// A drifted definition is read as it is, and one ALTER TABLE drops the
	// index with its generated column.
	have, err := d.ReadIndex(db, "ix_live", "t")
	require.NoError(t, err)
	drop, err := d.DropIndex(*have)
	require.NoError(t, err)
	require.NoError(t, db.Exec(drop).Error)
	var cols int64
	require.NoError(t, db.Raw("SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't'").Scan(&cols).Error)
	assert.EqualValues(t, 4, cols, "the generated column is dropped with its index")
	require.NoError(t, db.Exec("ALTER TABLE t ADD COLUMN live_ix_live TINYINT AS (IF(a > 0, 1, NULL)) VIRTUAL, ADD UNIQUE INDEX ix_live (b, live_ix_live)").Error)
	have, err = d.ReadIndex(db, "ix_live", "t")
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, have.Columns)
	assert.False(t, Same(*have, Index{Name: "ix_live", Table: "t", Columns: []string{"b"}, Unique: true, Where: "`deleted_at` IS NULL"}))
}

func TestMySQLTimeStep(t *testing.T) {
	db := openMySQL(t)
	d := Of(db)
	type row struct {
		ID    uint
		Def   time.Time
		Micro time.Time `gorm:"precision:6"`
		Sec   time.Time `gorm:"type:datetime"`
	}
	s, err := schema.Parse(&row{}, &sync.Map{}, db.NamingStrategy)
	require.NoError(t, err)
	assert.Equal(t, time.Millisecond, d.TimeStep(db, s.LookUpField("Def")), "GORM's datetime(3)")
	assert.Equal(t, time.Microsecond, d.TimeStep(db, s.LookUpField("Micro")))
	assert.Equal(t, time.Second, d.TimeStep(db, s.LookUpField("Sec")))
	assert.Equal(t, time.Microsecond, For("postgres").TimeStep(db, s.LookUpField("Def")))
}

// TestMySQLLivePredicate reads back the generation expression as MariaDB
// and MySQL 8 store it.
func TestMySQLLivePredicate(t *testing.T) {
	for expr, want := range map[string]string{
		"if(`deleted_at` is null,1,NULL)":   "deleted_at is null", // MariaDB
		"if((`deleted_at` is null),1,NULL)": "deleted_at is null", // MySQL 8
		"IF(`deleted_at` IS NULL, 1, NULL)": "deleted_at is null",
		"if(`views` > 0,1,NULL)":            "views > 0",
		"`deleted_at` is null":              "generated deleted_at is null",
		"if(`deleted_at` is null,2,NULL)":   "generated if deleted_at is null,2,null",
	} {
		assert.Equal(t, want, NormalizePredicate(livePredicate(expr)), expr)
	}
}
