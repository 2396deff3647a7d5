package softdelete_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// TestIndexSQLRejectsNonModels: IndexSQL and AutoMigrate given something that
// is not a model fail with a clear, wrapped error (never a panic) naming the
// entry point and the argument, and touch nothing.
func TestIndexSQLRejectsNonModels(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		for _, bad := range []any{42, nil, "posts", []int{1}} {
			var (
				stmts []string
				err   error
			)
			require.NotPanics(t, func() { stmts, err = softdelete.IndexSQL(e.db, &Listing{}, bad) }, "%#v", bad)
			require.Error(t, err, "%#v", bad)
			assert.ErrorIs(t, err, gorm.ErrInvalidValue, "%#v", bad)
			assert.ErrorIs(t, err, schema.ErrUnsupportedDataType, "%#v", bad)
			assert.Contains(t, err.Error(), "IndexSQL")
			assert.Contains(t, err.Error(), "argument 2")
			assert.Empty(t, stmts)

			require.NotPanics(t, func() { err = softdelete.AutoMigrate(e.db, &Listing{}, bad) }, "%#v", bad)
			assert.ErrorIs(t, err, gorm.ErrInvalidValue, "%#v", bad)
			assert.Contains(t, err.Error(), "AutoMigrate")
			assert.False(t, e.db.Migrator().HasTable(&Listing{}), "nothing migrated")
		}
	})
}

// Models whose default index name (uidx_<table>_<column>, over 63 bytes)
// must be cut where byte 54 lies inside a multi-byte character: the second
// byte of a 2-byte one, the third of a 3-byte one, the fourth of a 4-byte one.
type (
	gapWide2 struct {
		softdelete.Model
		ARatherLongSlugColumn string `softdelete:"unique"`
	}
	gapWide3 struct {
		softdelete.Model
		ARatherLongSlugColumn string `softdelete:"unique"`
	}
	gapWide4 struct {
		softdelete.Model
		ARatherLongSlugColumn string `softdelete:"unique"`
	}
)

func (gapWide2) TableName() string { return strings.Repeat("t", 48) + "é_x" }
func (gapWide3) TableName() string { return strings.Repeat("t", 47) + "€_x" }
func (gapWide4) TableName() string { return strings.Repeat("t", 46) + "😀_x" }

// wantShortName is the documented shortening of a name over 63 bytes: the
// longest prefix of whole characters of at most 54 bytes, "_", and the first
// 8 hex digits of the SHA-256 of the whole name.
func wantShortName(full string) string {
	cut := 0
	for i := range full {
		if i > 54 {
			break
		}
		cut = i
	}
	sum := sha256.Sum256([]byte(full))
	return full[:cut] + "_" + hex.EncodeToString(sum[:])[:8]
}

func TestShortenedIndexNamesCutAtACharacterBoundary(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		for _, m := range []schema.Tabler{gapWide2{}, gapWide3{}, gapWide4{}} {
			t.Run(m.TableName(), func(t *testing.T) {
				e.skipIf(t, e.name == "mysql" && strings.ContainsFunc(m.TableName(), func(r rune) bool { return r > 0xFFFF }),
					"identifiers are utf8mb3: a 4-byte character cannot be in a table name")
				full := "uidx_" + m.TableName() + "_a_rather_long_slug_column"
				require.False(t, utf8.RuneStart(full[54]), "byte 54 is inside a character")
				want := wantShortName(full)

				done := make(chan struct{})
				var (
					stmts []string
					err   error
				)
				go func() {
					defer close(done)
					stmts, err = softdelete.IndexSQL(e.db, m)
				}()
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					t.Fatal("IndexSQL does not return: the name shortening loops")
				}
				require.NoError(t, err)
				require.Len(t, stmts, 1)
				name := indexNameIn(stmts[0])
				assert.Equal(t, want, name)
				assert.True(t, utf8.ValidString(name), "valid UTF-8: %q", name)
				assert.LessOrEqual(t, len(name), 63)

				// The database keeps the name as it is: a second AutoMigrate
				// finds the index and leaves it alone.
				warns := newWarnLog()
				db := e.db.Session(&gorm.Session{Logger: warns})
				require.NoError(t, softdelete.AutoMigrate(db, m))
				require.NoError(t, softdelete.AutoMigrate(db, m))
				assert.NotEmpty(t, indexDef(t, e, name))
				assert.Empty(t, warns.messages())
			})
		}
	})
}

// TestAutoMigrateRepairsIndexColumns: an index of the expected name, kind
// and predicate but on other columns (or the right ones in another order)
// is rebuilt on the declared columns.
func TestAutoMigrateRepairsIndexColumns(t *testing.T) {
	cases := []struct {
		name, existing, index string
		model                 any
	}{
		{"wrong column", `CREATE UNIQUE INDEX "uidx_listings_slug" ON "listings" ("title") WHERE "deleted_at" IS NULL`,
			"uidx_listings_slug", &Listing{}},
		{"columns in another order", `CREATE UNIQUE INDEX "uq_account_org_email" ON "accounts" ("email", "org_id") WHERE "deleted_at" IS NULL`,
			"uq_account_org_email", &Account{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, e *env) {
				e.gormMigrate(t, c.model)
				require.NoError(t, e.db.Exec(e.indexDDL(t, c.existing)).Error)
				before := indexDef(t, e, c.index)

				warns := newWarnLog()
				require.NoError(t, softdelete.AutoMigrate(e.db.Session(&gorm.Session{Logger: warns}), c.model))
				after := indexDef(t, e, c.index)
				assert.NotEqual(t, before, after, "rebuilt")
				if msgs := warns.messages(); assert.Len(t, msgs, 1) {
					assert.Contains(t, msgs[0], c.index)
					assert.Contains(t, msgs[0], "rebuilt")
				}
				warns2 := newWarnLog()
				require.NoError(t, softdelete.AutoMigrate(e.db.Session(&gorm.Session{Logger: warns2}), c.model))
				assert.Equal(t, after, indexDef(t, e, c.index), "then left alone")
				assert.Empty(t, warns2.messages())
			})
		})
	}
	t.Run("the rebuilt index holds on the declared column", func(t *testing.T) {
		eachDB(t, func(t *testing.T, e *env) {
			e.gormMigrate(t, &Listing{})
			require.NoError(t, e.db.Exec(e.indexDDL(t, cases[0].existing)).Error)
			require.NoError(t, softdelete.AutoMigrate(e.db, &Listing{}))
			require.NoError(t, e.db.Create(&Listing{Slug: "a", Title: "same"}).Error)
			require.NoError(t, e.db.Create(&Listing{Slug: "b", Title: "same"}).Error, "title is not unique")
			require.Error(t, e.db.Create(&Listing{Slug: "a", Title: "other"}).Error, "slug is unique")
			assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM listings"))
		})
	})
}

// TestIndexConflictMessagesNameIndexAndTable: AutoMigrate's refusals say
// which index and which table.
func TestIndexConflictMessagesNameIndexAndTable(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		t.Run("name taken by another table", func(t *testing.T) {
			e.skipUnless(t, dialect.PartialIndexes, "index names are per table: another table's index of the same name does not clash")
			e.gormMigrate(t, &Listing{})
			require.NoError(t, e.db.Exec(`CREATE INDEX "uq_account_org_email" ON "listings" ("title")`).Error)
			err := softdelete.AutoMigrate(e.db, &Account{})
			require.ErrorIs(t, err, softdelete.ErrInvalidTag)
			assert.Contains(t, err.Error(), `"uq_account_org_email"`)
			assert.Contains(t, err.Error(), "listings")
			require.NoError(t, e.db.Exec(`DROP INDEX "uq_account_org_email"`).Error)
		})
		t.Run("duplicate live keys", func(t *testing.T) {
			e.gormMigrate(t, &Listing{})
			require.NoError(t, e.db.Create(&[]Listing{{Slug: "dup"}, {Slug: "dup"}}).Error)
			err := softdelete.AutoMigrate(e.db, &Listing{})
			require.ErrorIs(t, err, softdelete.ErrDuplicateLiveKeys)
			msg := err.Error()
			assert.Contains(t, msg, "index uidx_listings_slug on listings")
			assert.Contains(t, msg, `(slug) = ("dup")`)
		})
	})
}

// gap63 and gap64 have default index names of exactly 63 bytes (the limit:
// kept) and 64 bytes (shortened).
type (
	gap63 struct {
		softdelete.Model
		Slug string `softdelete:"unique"`
	}
	gap64 struct {
		softdelete.Model
		Slug string `softdelete:"unique"`
	}
)

func (gap63) TableName() string { return "gap_" + strings.Repeat("n", 49) }
func (gap64) TableName() string { return "gap_" + strings.Repeat("n", 50) }

func TestIndexNamesUpTo63BytesAreKept(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		stmts, err := softdelete.IndexSQL(e.db, &gap63{}, &gap64{})
		require.NoError(t, err)
		require.Len(t, stmts, 2)
		kept := "uidx_" + gap63{}.TableName() + "_slug"
		require.Len(t, kept, 63)
		assert.Equal(t, kept, indexNameIn(stmts[0]), "63 bytes: kept")
		long := "uidx_" + gap64{}.TableName() + "_slug"
		assert.Equal(t, wantShortName(long), indexNameIn(stmts[1]), "64 bytes: shortened")
		require.NoError(t, softdelete.AutoMigrate(e.db, &gap63{}, &gap64{}))
		assert.NotEmpty(t, indexDef(t, e, kept))
	})
}

// otherDatabase is a database the plugin has no dialect for: SQLite under
// another name, so the generic dialect (no partial indexes) applies.
type otherDatabase struct{ gorm.Dialector }

func (otherDatabase) Name() string { return "otherdb" }

// TestDatabaseWithoutPartialIndexes: on a database without partial indexes
// a model declaring softdelete index tags is refused (wrapping
// errors.ErrUnsupported, naming model and database) before anything is
// migrated; models without such tags are fine.
func TestDatabaseWithoutPartialIndexes(t *testing.T) {
	db, err := gorm.Open(otherDatabase{sqlite.Open(filepath.Join(t.TempDir(), "other.db"))}, &gorm.Config{Logger: logger.Discard})
	require.NoError(t, err)
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	require.NoError(t, db.Use(softdelete.New()))

	stmts, err := softdelete.IndexSQL(db, &Post{}, &Tag{})
	require.NoError(t, err, "no index tags, nothing to refuse")
	assert.Empty(t, stmts)
	require.NoError(t, softdelete.AutoMigrate(db, &Post{}))

	_, err = softdelete.IndexSQL(db, &Listing{})
	require.ErrorIs(t, err, errors.ErrUnsupported)
	assert.Contains(t, err.Error(), "Listing")
	assert.Contains(t, err.Error(), "otherdb")
	require.ErrorIs(t, softdelete.AutoMigrate(db, &Listing{}), errors.ErrUnsupported)
	assert.False(t, db.Migrator().HasTable(&Listing{}), "nothing migrated")
}

// gapName63 names its index with exactly 63 bytes, the longest name allowed.
type gapName63 struct {
	softdelete.Model
	Code string `softdelete:"unique:ix_gap_0123456789_0123456789_0123456789_0123456789_0123456789ab"`
}

func TestExplicitIndexNameOf63BytesIsAllowed(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		const name = "ix_gap_0123456789_0123456789_0123456789_0123456789_0123456789ab"
		require.Len(t, name, 63)
		stmts, err := softdelete.IndexSQL(e.db, &gapName63{})
		require.NoError(t, err)
		require.Len(t, stmts, 1)
		assert.Equal(t, name, indexNameIn(stmts[0]))
		require.NoError(t, softdelete.AutoMigrate(e.db, &gapName63{}))
		assert.NotEmpty(t, indexDef(t, e, name))
	})
}

// gapTwoKeys has two unique keys among live rows.
type gapTwoKeys struct {
	softdelete.Model
	Slug string `softdelete:"unique"`
	Code string `softdelete:"unique"`
}

// TestRestoreConflictWithoutNamesListsTheCandidates: when the database's
// error does not say which index was violated (SQLite's, once TranslateError
// replaced it), the conflict names every unique index it can be; PostgreSQL
// names the index itself.
func TestRestoreConflictWithoutNamesListsTheCandidates(t *testing.T) {
	eachDBWith(t, setup{cfg: func(c *gorm.Config) { c.TranslateError = true }}, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &gapTwoKeys{}))
		old := gapTwoKeys{Slug: "s", Code: "c"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		require.NoError(t, e.db.Create(&gapTwoKeys{Slug: "s", Code: "other"}).Error)
		err := softdelete.Restore(e.db, &old).Error
		require.ErrorIs(t, err, softdelete.ErrRestoreConflict)
		var conflict *softdelete.RestoreConflictError
		require.ErrorAs(t, err, &conflict)
		assert.Equal(t, "gap_two_keys", conflict.Table)
		if e.name == "postgres" && conflict.Index != "" {
			assert.Equal(t, "uidx_gap_two_keys_slug", conflict.Index)
		} else {
			assert.Equal(t, []string{"uidx_gap_two_keys_code", "uidx_gap_two_keys_slug"}, conflict.Candidates)
		}
		if e.name == "postgres" {
			// PostgreSQL names the index; an older driver's translated error
			// (gorm.io/driver/postgres v1.6.1) drops it, leaving the candidates
			assert.Contains(t, err.Error(), `"uidx_gap_two_keys_slug"`)
			return
		}
		assert.Contains(t, err.Error(), `one of indexes "uidx_gap_two_keys_code", "uidx_gap_two_keys_slug"`)
	})
}
