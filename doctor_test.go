package softdelete_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// DocTimePtr means to be soft-deletable but uses *time.Time.
type DocTimePtr struct {
	ID        uint
	Name      string
	DeletedAt *time.Time
}

// DocNullTime uses sql.NullTime under another column name.
type DocNullTime struct {
	ID      uint
	Removed sql.NullTime `gorm:"column:deleted_at"`
}

// DocMisspelled spells the plugin's tags in ways it does not read.
type DocMisspelled struct {
	softdelete.Model
	Slug string `json:"slug" softDelete:"unique" gorm:"size:100"`
	Code string `gorm:"softdelete:unique"`
	Kind string `gorm:"softDelete:flag"` // gorm.io/plugin/soft_delete's setting: not ours
}

// DocGormUnique keeps GORM's full unique tags.
type DocGormUnique struct {
	softdelete.Model
	Email  string `gorm:"uniqueIndex"`
	Handle string `gorm:"unique"`
}

// DocUser declares its key properly; the database may not agree.
type DocUser struct {
	softdelete.Model
	Email string `softdelete:"unique"`
}

// kinds lists the findings' kinds, in order.
func kinds(fs []softdelete.Finding) []softdelete.FindingKind {
	out := make([]softdelete.FindingKind, len(fs))
	for i, f := range fs {
		out[i] = f.Kind
	}
	return out
}

// check runs Check and fails the test on an error.
func check(t *testing.T, e *env, models ...any) []softdelete.Finding {
	t.Helper()
	fs, err := softdelete.Check(e.db, models...)
	require.NoError(t, err)
	for _, f := range fs {
		t.Log(f)
	}
	return fs
}

func TestCheckUnsupportedFieldTypes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&DocTimePtr{}, &DocNullTime{}))
		fs := check(t, e, &DocTimePtr{}, &DocNullTime{})
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingUnsupportedType, softdelete.FindingUnsupportedType}, kinds(fs))
		assert.Equal(t, "DocTimePtr", fs[0].Model)
		assert.Equal(t, "DeletedAt", fs[0].Field)
		assert.Contains(t, fs[0].Problem, "*time.Time")
		assert.Contains(t, fs[1].Problem, "sql.NullTime")
		assert.False(t, fs[0].Blocking)

		err := e.db.Scopes(softdelete.OnlyDeleted).Find(&[]DocTimePtr{}).Error
		assert.ErrorIs(t, err, softdelete.ErrNotSoftDeletable)
		assert.ErrorContains(t, err, "field DeletedAt is *time.Time, not a soft-delete type")
		err = softdelete.Restore(e.db, &DocTimePtr{ID: 1}).Error
		assert.ErrorContains(t, err, "*time.Time")
	})
}

func TestCheckMisspelledTags(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		fs := check(t, e, &DocMisspelled{})
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingMisspelledTag, softdelete.FindingMisspelledTag}, kinds(fs))
		assert.Equal(t, "Slug", fs[0].Field)
		assert.Contains(t, fs[0].Problem, `softDelete:"unique"`)
		assert.Contains(t, fs[0].Fix, `softdelete:"unique"`)
		assert.Equal(t, "Code", fs[1].Field)
		assert.Contains(t, fs[1].Problem, `gorm:"softdelete:unique"`)
		assert.True(t, fs[0].Blocking && fs[1].Blocking)

		err := softdelete.AutoMigrate(e.db, &DocMisspelled{})
		assert.ErrorIs(t, err, softdelete.ErrInvalidTag)
		assert.ErrorContains(t, err, `DocMisspelled.Slug: tag softDelete:"unique" is ignored: write softdelete:"unique"`)
		assert.False(t, e.db.Migrator().HasTable(&DocMisspelled{}), "nothing ran")
		assert.ErrorIs(t, e.db.Find(&[]DocMisspelled{}).Error, softdelete.ErrInvalidTag, "nor does any statement")
	})
}

func TestCheckInvalidTag(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		fs := check(t, e, &struct {
			softdelete.Model
			A string `softdelete:"uniq"`
		}{})
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingInvalidTag}, kinds(fs))
		assert.Contains(t, fs[0].Problem, `unknown value "uniq"`)
		assert.True(t, fs[0].Blocking)
	})
}

func TestCheckGORMUniqueTagsAndTheirConversion(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&DocGormUnique{}))
		fs := check(t, e, &DocGormUnique{})
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingGORMUniqueTag, softdelete.FindingGORMUniqueTag}, kinds(fs),
			"one finding per tag, none repeated from the catalog")
		assert.Equal(t, "Email", fs[0].Field)
		assert.Contains(t, fs[0].Problem, "idx_doc_gorm_uniques_email")
		assert.Equal(t, "Handle", fs[1].Field)

		// The index's conversion makes a deleted key reusable.
		old := DocGormUnique{Email: "a", Handle: "a"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		execAll(t, e, fs[0].SQL)
		assert.Contains(t, indexDef(t, e, "uidx_doc_gorm_uniques_email"), livePredicate(e))
		assert.Empty(t, indexDef(t, e, "idx_doc_gorm_uniques_email"))
		require.NoError(t, e.db.Exec(`INSERT INTO doc_gorm_uniques (email, handle) VALUES ('a', 'b')`).Error)
		if e.name == "postgres" { // a constraint: SQLite cannot drop it
			execAll(t, e, fs[1].SQL)
			require.NoError(t, e.db.Exec(`INSERT INTO doc_gorm_uniques (email, handle) VALUES ('b', 'a')`).Error)
		}
	})
}

func TestCheckFullUniqueIndexes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &DocUser{}))
		assert.Empty(t, check(t, e, &DocUser{}), "a clean model has no findings")
		require.NoError(t, e.db.Exec(`CREATE UNIQUE INDEX legacy_email ON doc_users (email)`).Error)
		require.NoError(t, e.db.Exec(`CREATE UNIQUE INDEX legacy_email_deleted ON doc_users (email, deleted_at)`).Error)
		fs := check(t, e, &DocUser{})
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingFullUniqueIndex, softdelete.FindingFullUniqueIndex}, kinds(fs))
		assert.Contains(t, fs[0].Problem, "legacy_email on (email) counts deleted rows")
		assert.Contains(t, fs[1].Problem, "includes the soft-delete column")
		assert.Contains(t, fs[1].Why, "NULLs are distinct")
		for _, f := range fs {
			require.Len(t, f.SQL, 2)
			assert.Contains(t, f.SQL[0], "uidx_doc_users_email", "the declared index")
			assert.Contains(t, f.SQL[1], "DROP INDEX")
			execAll(t, e, f.SQL)
		}
		assert.Empty(t, indexDef(t, e, "legacy_email"))
		assert.Empty(t, check(t, e, &DocUser{}))
		u := DocUser{Email: "x"}
		require.NoError(t, e.db.Create(&u).Error)
		require.NoError(t, e.db.Delete(&u).Error)
		require.NoError(t, e.db.Create(&DocUser{Email: "x"}).Error, "the deleted key is reusable")
	})
}

func TestCheckDeclaredIndexMissingOrInvalid(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&DocUser{})) // GORM's only: no partial index
		fs := check(t, e, &DocUser{})
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingIndexMissing}, kinds(fs))
		execAll(t, e, fs[0].SQL)
		assert.Contains(t, indexDef(t, e, "uidx_doc_users_email"), livePredicate(e))
		assert.Empty(t, check(t, e, &DocUser{}))

		e.skipUnless(t, dialect.PartialIndexes, "the drift below is written as a partial index by hand")
		require.NoError(t, e.db.Exec(`DROP INDEX uidx_doc_users_email`).Error)
		require.NoError(t, e.db.Exec(`CREATE INDEX uidx_doc_users_email ON doc_users (email)`).Error)
		fs = check(t, e, &DocUser{})
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingIndexMissing}, kinds(fs))
		assert.Contains(t, fs[0].Problem, "is (email), declared UNIQUE (email) WHERE deleted_at is null")
		execAll(t, e, fs[0].SQL)
		assert.Empty(t, check(t, e, &DocUser{}))
		if e.name != "postgres" {
			return
		}
		// A concurrent build that fails leaves an invalid index behind.
		require.NoError(t, e.db.Exec(`DROP INDEX uidx_doc_users_email`).Error)
		require.NoError(t, e.db.Exec(`INSERT INTO doc_users (email) VALUES ('d'), ('d')`).Error)
		require.Error(t, e.db.Exec(`CREATE UNIQUE INDEX CONCURRENTLY uidx_doc_users_email ON doc_users (email) WHERE deleted_at IS NULL`).Error)
		fs = check(t, e, &DocUser{})
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingInvalidIndex}, kinds(fs))
		require.NoError(t, e.db.Exec(`DELETE FROM doc_users WHERE id = (SELECT max(id) FROM doc_users)`).Error)
		execAll(t, e, fs[0].SQL)
		assert.Empty(t, check(t, e, &DocUser{}))
	})
}

func TestCheckUnindexedCascadeForeignKeys(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		fs := check(t, e, &Author{}, &Post{})
		if e.name == "mysql" {
			assert.Empty(t, fs, "InnoDB indexes every foreign key it creates")
			return
		}
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingUnindexedForeignKey, softdelete.FindingUnindexedForeignKey}, kinds(fs))
		assert.Equal(t, "Author", fs[0].Model)
		assert.Equal(t, "Posts", fs[0].Field)
		assert.Equal(t, "posts", fs[0].Table)
		assert.Contains(t, fs[0].Problem, "posts (author_id) has no index")
		assert.Equal(t, "Comments", fs[1].Field)
		execAll(t, e, fs[0].SQL)
		execAll(t, e, fs[1].SQL)
		assert.Empty(t, check(t, e, &Author{}, &Post{}))
	})
}

func TestCheckLiveRowsOfDeletedParents(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a, posts := e.seedPosts(t, 2)
		require.NoError(t, e.db.Exec(`UPDATE authors SET deleted_at = ? WHERE id = ?`, e.clock.Now(), a.ID).Error)
		fs := check(t, e, &Author{}, &Post{}, &Comment{})
		var orphans []softdelete.Finding
		for _, f := range fs {
			if f.Kind == softdelete.FindingLiveOrphans {
				orphans = append(orphans, f)
			}
		}
		require.Len(t, orphans, 1, "one relation, reported once")
		fromChild := check(t, e, &Post{})
		require.NotEmpty(t, fromChild)
		assert.Equal(t, orphans[0].SQL, fromChild[len(fromChild)-1].SQL, "found through Post's belongs-to too")
		assert.Contains(t, orphans[0].Problem, "2 live rows of posts belong to deleted rows of authors")
		execAll(t, e, orphans[0].SQL)
		assert.EqualValues(t, 0, e.count(t, `SELECT count(*) FROM posts WHERE deleted_at IS NULL`))

		// Deleted with their parent's timestamp, they come back with it.
		require.NoError(t, softdelete.Restore(e.db, &Author{}, a.ID).Error)
		assert.EqualValues(t, len(posts), e.count(t, `SELECT count(*) FROM posts WHERE deleted_at IS NULL`))
		for _, f := range check(t, e, &Author{}, &Post{}, &Comment{}) {
			assert.NotEqual(t, softdelete.FindingLiveOrphans, f.Kind)
		}
	})
}

func TestCheckStaleStatistics(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &DocUser{}))
		users := []DocUser{{Email: "a"}, {Email: "b"}, {Email: "c"}}
		require.NoError(t, e.db.Create(&users).Error)
		if e.name != "postgres" { // SQLite and MySQL keep no null fractions the doctor reads
			require.NoError(t, e.db.Delete(&users[0]).Error)
			assert.Empty(t, check(t, e, &DocUser{}))
			return
		}
		require.NoError(t, e.db.Exec(`ANALYZE doc_users`).Error)
		require.NoError(t, e.db.Delete(&users[0]).Error)
		fs := check(t, e, &DocUser{})
		require.Equal(t, []softdelete.FindingKind{softdelete.FindingStaleStatistics}, kinds(fs))
		assert.Equal(t, []string{`ANALYZE "doc_users"`}, fs[0].SQL)
		execAll(t, e, fs[0].SQL)
		assert.Empty(t, check(t, e, &DocUser{}))
	})
}

func TestCheckBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, err := softdelete.Check(e.db, 42)
		assert.ErrorIs(t, err, gorm.ErrInvalidValue)
		_, err = softdelete.Check(e.db.Session(&gorm.Session{NewDB: true}).Table("x"), &DocUser{})
		assert.NoError(t, err)
		plain, err := gorm.Open(e.db.Dialector, &gorm.Config{})
		require.NoError(t, err)
		_, err = softdelete.Check(plain, &DocUser{})
		assert.ErrorIs(t, err, softdelete.ErrNotRegistered)
		var fs []softdelete.Finding
		fs, err = softdelete.Check(e.db)
		require.NoError(t, err)
		assert.NotNil(t, fs)
		assert.False(t, errors.Is(err, softdelete.ErrInvalidTag))
		assert.True(t, strings.HasPrefix(softdelete.Finding{Model: "M", Field: "F", Table: "t", Kind: "k"}.String(), "M.F (t): k:"))
	})
}
