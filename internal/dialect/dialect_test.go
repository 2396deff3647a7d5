package dialect

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, testdb.WithMariaDB())) }

func TestCapabilities(t *testing.T) {
	cases := []struct {
		name     string
		features Feature
		rowID    string
	}{
		{"postgres", PartialIndexes | SkipLocked | AbortsTransactionOnError | RowID | ConcurrentIndexes | ReturningWrites | TransactionalDDL, "ctid"},
		{"sqlite", PartialIndexes | RowID | ReturningWrites | TransactionalDDL, "rowid"},
		{"mysql", GeneratedColumnIndexes | DuplicateKeyUpdate | SizedKeyStrings | RowByRowForeignKeys | MySQLSyntax, ""},
		{"oracle", AbortsTransactionOnError, ""},
	}
	for _, c := range cases {
		d := For(c.name)
		assert.Equal(t, c.name, d.Name())
		assert.Equal(t, c.features, d.Features(), c.name)
		assert.Equal(t, c.rowID, d.RowID(), c.name)
		assert.Equal(t, c.rowID != "", d.Features().Has(RowID), c.name)
	}
	assert.True(t, (PartialIndexes | SkipLocked).Has(SkipLocked))
	assert.False(t, PartialIndexes.Has(PartialIndexes|SkipLocked))
	_, err := For("oracle").ReadIndex(nil, "x", "t")
	assert.ErrorIs(t, err, errors.ErrUnsupported)
}

func TestCreateIndexAndDuplicateKeySQL(t *testing.T) {
	d := For("postgres")
	ix := Index{Name: `we"ird`, Table: "s.t", Columns: []string{"a", "b"}, Unique: true, Where: `"deleted_at" IS NULL`}
	assert.Equal(t, `CREATE UNIQUE INDEX "we""ird" ON "s"."t" ("a", "b") WHERE "deleted_at" IS NULL`, d.CreateIndex(ix))
	assert.Equal(t, `SELECT "a", "b" FROM "s"."t" WHERE ("deleted_at" IS NULL) AND "a" IS NOT NULL AND "b" IS NOT NULL `+
		`GROUP BY "a", "b" HAVING count(*) > 1 LIMIT 1`, d.DuplicateKeySQL(ix))
	ix.Unique, ix.Where = false, ""
	assert.Equal(t, `CREATE INDEX "we""ird" ON "s"."t" ("a", "b")`, d.CreateIndex(ix))

	drop, err := d.DropIndex(Index{Name: "i", Table: "s.t"})
	require.NoError(t, err)
	assert.Equal(t, `DROP INDEX "s"."i"`, drop)
	drop, err = d.DropIndex(Index{Name: "i", Table: "s.t", Constraint: true})
	require.NoError(t, err)
	assert.Equal(t, `ALTER TABLE "s"."t" DROP CONSTRAINT "i"`, drop)
	_, err = For("sqlite").DropIndex(Index{Name: "i", Table: "t", Constraint: true})
	assert.Error(t, err)
}

func TestPredicates(t *testing.T) {
	assert.Equal(t, "deleted_at is null", NormalizePredicate(`("deleted_at" IS NULL)`))
	assert.Equal(t, NormalizePredicate("deleted_at IS NULL"), NormalizePredicate("  `deleted_at`\n is  null "))
	assert.Equal(t, `"deleted_at" IS NULL`, predicateOf(`CREATE UNIQUE INDEX "x" ON "t" ("a") WHERE "deleted_at" IS NULL`))
	assert.Equal(t, `deleted_at IS NULL`, predicateOf(`CREATE INDEX "x(" ON "t" ("a", lower("b")) where deleted_at IS NULL`))
	assert.Equal(t, "", predicateOf(`CREATE INDEX x ON t (a)`))
	assert.Equal(t, "", predicateOf(``))

	want := Index{Name: "i", Table: "t", Columns: []string{"a"}, Unique: true, Where: `"deleted_at" IS NULL`}
	assert.True(t, Same(Index{Name: "i", Table: "public.t", Columns: []string{"a"}, Unique: true, Where: "(deleted_at IS NULL)"}, want))
	for _, have := range []Index{
		{Name: "i", Table: "t", Columns: []string{"a"}, Unique: true},
		{Name: "i", Table: "t", Columns: []string{"a"}, Where: "deleted_at IS NULL"},
		{Name: "i", Table: "t", Columns: []string{"a", "b"}, Unique: true, Where: "deleted_at IS NULL"},
		{Name: "i", Table: "u", Columns: []string{"a"}, Unique: true, Where: "deleted_at IS NULL"},
		{Name: "i", Table: "t", Columns: []string{"a"}, Unique: true, Where: "deleted_at IS NULL", Invalid: true},
	} {
		assert.False(t, Same(have, want), "%+v", have)
	}
}

// fakeErr stands in for a driver error: only its message matters.
type fakeErr string

func (e fakeErr) Error() string { return string(e) }

func TestUniqueViolationMessages(t *testing.T) {
	pg := fakeErr(`ERROR: duplicate key value violates unique constraint "uidx_posts_slug" (SQLSTATE 23505)`)
	v, ok := For("postgres").UniqueViolation(nil, fmt.Errorf("wrapped: %w", pg))
	assert.True(t, ok)
	assert.Equal(t, Violation{Index: "uidx_posts_slug"}, v)

	v, ok = For("sqlite").UniqueViolation(nil, fakeErr("UNIQUE constraint failed: accounts.org_id, accounts.email"))
	assert.True(t, ok)
	assert.Equal(t, Violation{Table: "accounts", Columns: []string{"org_id", "email"}}, v)

	v, ok = For("sqlite").UniqueViolation(nil, fakeErr("UNIQUE constraint failed: index 'ix_lower'"))
	assert.True(t, ok)
	assert.Equal(t, Violation{Index: "ix_lower"}, v)

	v, ok = For("sqlite").UniqueViolation(nil, gorm.ErrDuplicatedKey)
	assert.True(t, ok, "already translated")
	assert.Equal(t, Violation{}, v)

	for _, name := range []string{"postgres", "sqlite", "mysql"} {
		_, ok = For(name).UniqueViolation(nil, fakeErr("FOREIGN KEY constraint failed"))
		assert.False(t, ok, name)
		_, ok = For(name).UniqueViolation(nil, nil)
		assert.False(t, ok, name)
	}
}

// TestUniqueViolationFromDatabase checks detection on real driver errors,
// recognised through GORM's ErrorTranslator.
func TestUniqueViolationFromDatabase(t *testing.T) {
	testdb.Each(t, quiet, func(t *testing.T, db *gorm.DB) {
		d := For(db.Dialector.Name())
		skipWithoutPartialIndexes(t, d, "TestMySQLUniqueViolation")
		require.NoError(t, db.Exec(`CREATE TABLE t (a INT, b INT, c INT)`).Error)
		require.NoError(t, db.Exec(`CREATE UNIQUE INDEX ix_ab ON t (a, b) WHERE c IS NULL`).Error)
		require.NoError(t, db.Exec(`INSERT INTO t (a, b) VALUES (1, 2)`).Error)
		err := db.Exec(`INSERT INTO t (a, b) VALUES (1, 2)`).Error
		v, ok := d.UniqueViolation(db, err)
		require.True(t, ok, "%v", err)
		if d.Name() == "postgres" {
			assert.Equal(t, Violation{Index: "ix_ab"}, v)
		} else {
			assert.Equal(t, Violation{Table: "t", Columns: []string{"a", "b"}}, v)
		}
		_, ok = d.UniqueViolation(db, db.Exec(`INSERT INTO nope VALUES (1)`).Error)
		assert.False(t, ok)
	})
}

func TestReadIndex(t *testing.T) {
	testdb.Each(t, quiet, func(t *testing.T, db *gorm.DB) {
		d := For(db.Dialector.Name())
		skipWithoutPartialIndexes(t, d, "TestMySQLReadIndex")
		for _, sql := range []string{
			`CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT, deleted_at TIMESTAMP, CONSTRAINT uq_b UNIQUE (b))`,
			`CREATE UNIQUE INDEX ix_partial ON t (b, a) WHERE deleted_at IS NULL`,
			`CREATE INDEX ix_plain ON t (a)`,
			`CREATE INDEX ix_expr ON t (a, lower(b))`,
		} {
			require.NoError(t, db.Exec(sql).Error, sql)
		}
		table := func(ix *Index) string { return baseName(ix.Table) }

		ix, err := d.ReadIndex(db, "ix_partial", "t")
		require.NoError(t, err)
		require.NotNil(t, ix)
		assert.Equal(t, "t", table(ix))
		assert.Equal(t, []string{"b", "a"}, ix.Columns)
		assert.True(t, ix.Unique)
		assert.Equal(t, "deleted_at is null", NormalizePredicate(ix.Where))
		assert.False(t, ix.Constraint)
		assert.True(t, Same(*ix, Index{Name: "ix_partial", Table: "t", Columns: []string{"b", "a"}, Unique: true, Where: `"deleted_at" IS NULL`}))

		ix, err = d.ReadIndex(db, "ix_plain", "t")
		require.NoError(t, err)
		assert.Equal(t, Index{Name: "ix_plain", Table: ix.Table, Columns: []string{"a"}}, *ix)

		ix, err = d.ReadIndex(db, "ix_expr", "t")
		require.NoError(t, err)
		assert.Equal(t, []string{"a", ""}, ix.Columns)

		ix, err = d.ReadIndex(db, "ix_missing", "t")
		require.NoError(t, err)
		assert.Nil(t, ix)

		if d.Name() == "postgres" {
			ix, err = d.ReadIndex(db, "uq_b", "t")
			require.NoError(t, err)
			assert.True(t, ix.Constraint)
			drop, err := d.DropIndex(*ix)
			require.NoError(t, err)
			require.NoError(t, db.Exec(drop).Error)
			ix, err = d.ReadIndex(db, "uq_b", "t")
			require.NoError(t, err)
			assert.Nil(t, ix)
		}
	})
}

// skipWithoutPartialIndexes skips a test written in partial-index SQL on a
// database that has none; instead names the test that covers it there.
func skipWithoutPartialIndexes(t *testing.T, d Dialect, instead string) {
	t.Helper()
	if !d.Features().Has(PartialIndexes) {
		t.Skipf("%s has no partial indexes (CREATE INDEX ... WHERE); %s covers it", d.Name(), instead)
	}
}

// quiet is a gorm.Config without logging.
func quiet() *gorm.Config { return &gorm.Config{Logger: logger.Discard} }
