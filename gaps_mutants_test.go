package softdelete_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// Tests for behaviours mutation testing found unpinned (scripts/mutation).

var errBroken = errors.New("gap: statement refused")

// infoLog records what GORM's logger is told at Info level.
type infoLog struct {
	logger.Interface
	mu    sync.Mutex
	infos []string
}

func (l *infoLog) Info(_ context.Context, msg string, args ...any) {
	l.mu.Lock()
	l.infos = append(l.infos, fmt.Sprintf(msg, args...))
	l.mu.Unlock()
}

// TestFailedIndexCreationIsReported: a CREATE INDEX the database refuses
// fails AutoMigrate with that error, naming the index; a created index is
// logged at Info level.
func TestFailedIndexCreationIsReported(t *testing.T) {
	db, f := openFaultySQLite(t)
	f.set(&fault{match: "CREATE UNIQUE INDEX", execErr: errBroken})
	err := softdelete.AutoMigrate(db, &Listing{})
	f.set(nil)
	require.ErrorIs(t, err, errBroken)
	assert.Contains(t, err.Error(), "create index uidx_listings_slug")
	assert.Empty(t, sqliteIndexSQL(t, db, "uidx_listings_slug"))

	log := &infoLog{Interface: logger.Discard}
	require.NoError(t, softdelete.AutoMigrate(db.Session(&gorm.Session{Logger: log}), &Listing{}))
	assert.NotEmpty(t, sqliteIndexSQL(t, db, "uidx_listings_slug"))
	assert.Contains(t, log.infos, `softdelete: created index uidx_listings_slug on listings UNIQUE (slug) WHERE deleted_at is null`)
}

// TestFailedRollbackIsReported: when the plugin's own transaction (no
// default transaction) fails and its rollback fails too, both errors are
// reported.
func TestFailedRollbackIsReported(t *testing.T) {
	db, f := openFaultySQLite(t)
	require.NoError(t, softdelete.AutoMigrate(db, allModels...))
	a := Author{Name: "a", Posts: []Post{{Title: "p"}}}
	require.NoError(t, db.Create(&a).Error)
	errRollback := errors.New("gap: rollback refused")
	f.set(&fault{match: "UPDATE `posts`", execErr: errBroken, rollbackErr: errRollback})
	err := db.Session(&gorm.Session{SkipDefaultTransaction: true}).Delete(&a).Error
	f.set(nil)
	require.ErrorIs(t, err, errBroken)
	require.ErrorIs(t, err, errRollback)
	assert.Contains(t, err.Error(), "rollback:")
}

// TestCascadeSavepointIsReleased: a cascade inside a caller's transaction
// releases its savepoint when it succeeds, so a later ROLLBACK TO that name
// cannot undo it.
func TestCascadeSavepointIsReleased(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a, _ := e.seedPosts(t, 1)
		errDone := errors.New("done")
		err := e.db.Transaction(func(tx *gorm.DB) error {
			require.NoError(t, tx.Delete(&a).Error)
			assert.Error(t, tx.Exec("ROLLBACK TO SAVEPOINT softdelete_cascade").Error, "released")
			return errDone
		})
		require.ErrorIs(t, err, errDone)
	})
}

// A shelf's books are restored with it; a book's ISBN is unique among live books.
type gapShelf struct {
	softdelete.Model
	Name  string
	Books []gapBook `softdelete:"cascade"`
}

type gapBook struct {
	softdelete.Model
	GapShelfID uint
	ISBN       string `softdelete:"unique"`
	Code       string
}

// TestRestoreConflictOfACascadeChildNamesItsTable: when a cascade child's
// key clashes, the error names the child's table and index, not the root's.
func TestRestoreConflictOfACascadeChildNamesItsTable(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &gapShelf{}, &gapBook{}))
		shelf := gapShelf{Name: "s", Books: []gapBook{{ISBN: "x"}}}
		require.NoError(t, e.db.Create(&shelf).Error)
		require.NoError(t, e.db.Delete(&shelf).Error)
		require.NoError(t, e.db.Create(&gapShelf{Name: "other", Books: []gapBook{{ISBN: "x"}}}).Error)

		err := softdelete.Restore(e.db, &shelf).Error
		var conflict *softdelete.RestoreConflictError
		require.ErrorAs(t, err, &conflict)
		assert.Equal(t, "gap_books", conflict.Table)
		assert.Equal(t, "uidx_gap_books_isbn", conflict.Index)
	})
}

// TestRestoreConflictOnAnUndeclaredIndex: a clash on a live-only unique index
// the model does not declare (created by hand) is reported with what the
// database says, not with the model's unrelated indexes.
func TestRestoreConflictOnAnUndeclaredIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &gapShelf{}, &gapBook{}))
		require.NoError(t, e.db.Exec(e.indexDDL(t, "CREATE UNIQUE INDEX gap_books_code_live ON gap_books (code) WHERE deleted_at IS NULL")).Error)
		shelf := gapShelf{Name: "s"}
		require.NoError(t, e.db.Create(&shelf).Error)
		old := gapBook{GapShelfID: shelf.ID, ISBN: "a", Code: "c"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		require.NoError(t, e.db.Create(&gapBook{GapShelfID: shelf.ID, ISBN: "b", Code: "c"}).Error)

		err := softdelete.Restore(e.db, &old).Error
		var conflict *softdelete.RestoreConflictError
		require.ErrorAs(t, err, &conflict)
		assert.Empty(t, conflict.Candidates, "the model's own index is not a candidate")
		if conflict.Index != "" {
			assert.Equal(t, "gap_books_code_live", conflict.Index)
		} else {
			assert.Equal(t, []string{"code"}, conflict.Columns)
			assert.Contains(t, err.Error(), "unique index on gap_books (code)")
		}
	})
}

// TestFailedCascadeLockChangesNothing: when locking the rows a cascading
// delete starts from fails (a lock wait timeout behind another transaction),
// the delete fails, nothing is deleted and the passed struct is not stamped.
func TestFailedCascadeLockChangesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		if e.name == "sqlite" {
			t.Skip("SQLite serialises writers: the cascade takes no row locks")
		}
		a, _ := e.seedPosts(t, 1)
		holder := e.db.Begin()
		require.NoError(t, holder.Error)
		defer holder.Rollback()
		var held []Author
		require.NoError(t, holder.Clauses(clause.Locking{Strength: "UPDATE"}).Find(&held, a.ID).Error)

		err := e.db.Transaction(func(tx *gorm.DB) error {
			timeout := "SET LOCAL lock_timeout = '100ms'"
			if e.name == "mysql" {
				timeout = "SET SESSION innodb_lock_wait_timeout = 1"
			}
			require.NoError(t, tx.Exec(timeout).Error)
			return tx.Delete(&a).Error
		})
		require.Error(t, err, "the lock wait timed out")
		assert.False(t, a.DeletedAt.Valid, "the struct is not stamped")
		require.NoError(t, holder.Rollback().Error)
		assert.Zero(t, e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL"))
		assert.Zero(t, e.count(t, "SELECT count(*) FROM authors WHERE deleted_at IS NOT NULL"))
	})
}

// TestCheckIgnoresTheChainsConditions: Check reads the database on a
// statement of its own: conditions pending on the *gorm.DB it is given do not
// change its findings.
func TestCheckIgnoresTheChainsConditions(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a, _ := e.seedPosts(t, 2)
		require.NoError(t, e.db.Exec(`UPDATE authors SET deleted_at = ? WHERE id = ?`, e.clock.Now(), a.ID).Error)
		want, err := softdelete.Check(e.db, &Author{}, &Post{})
		require.NoError(t, err)
		got, err := softdelete.Check(e.db.Where("1 = 0").Limit(1), &Author{}, &Post{})
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.True(t, slices.ContainsFunc(got, func(f softdelete.Finding) bool { return f.Kind == softdelete.FindingLiveOrphans }))
	})
}

// TestMany2ManyAppendOfRemovedAndNewLinks: one Append of a removed link and a
// new one revives the first and inserts the second (the revival runs on a
// statement of its own, never in place of GORM's INSERT).
func TestMany2ManyAppendOfRemovedAndNewLinks(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.SetupJoinTable(&LinkUser{}, "Groups", &LinkMembership{}))
		require.NoError(t, e.db.AutoMigrate(&LinkUser{}, &LinkGroup{}, &LinkMembership{}))
		u, g, h := LinkUser{Name: "u"}, LinkGroup{Name: "g"}, LinkGroup{Name: "h"}
		require.NoError(t, e.db.Create(&[]*LinkGroup{&g, &h}).Error)
		require.NoError(t, e.db.Create(&u).Error)
		assoc := func() *gorm.Association { return e.db.Model(&u).Association("Groups") }
		require.NoError(t, assoc().Append(&g))
		require.NoError(t, assoc().Delete(&g))

		require.NoError(t, assoc().Append(&g, &h))
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM link_memberships WHERE deleted_at IS NULL"), "both links live")
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM link_memberships"), "one revived, one inserted")
	})
}

// gapCombo has a composite live-only key named to sort first, and a
// one-column one.
type gapCombo struct {
	softdelete.Model
	A string `softdelete:"unique:aa_gap_combo"`
	B string `softdelete:"unique:aa_gap_combo"`
	C string `softdelete:"unique"`
}

// TestRestoreConflictNamesTheIndexWithTheReportedColumns: SQLite reports
// the columns of a violation; the conflict names the index with exactly
// those columns, not one with a different number of them.
func TestRestoreConflictNamesTheIndexWithTheReportedColumns(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &gapCombo{}))
		old := gapCombo{A: "a", B: "b", C: "c"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		require.NoError(t, e.db.Create(&gapCombo{A: "x", B: "y", C: "c"}).Error)

		var conflict *softdelete.RestoreConflictError
		require.ErrorAs(t, softdelete.Restore(e.db, &old).Error, &conflict)
		assert.Equal(t, "uidx_gap_combos_c", conflict.Index)
	})
}

// gapDoctor keeps a full unique index on C (gorm:"uniqueIndex") beside a
// declared composite live-only key on (A, B).
type gapDoctor struct {
	softdelete.Model
	A string `softdelete:"unique:uq_gap_doctor_ab"`
	B string `softdelete:"unique:uq_gap_doctor_ab"`
	C string `gorm:"uniqueIndex"`
}

// TestCheckConvertsAFullIndexToTheIndexOfItsColumns: the conversion of a
// full unique index creates the declared live-only index of exactly its
// columns, or one of the default name, never a declared index on other columns.
func TestCheckConvertsAFullIndexToTheIndexOfItsColumns(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&gapDoctor{}))
		fs, err := softdelete.Check(e.db, &gapDoctor{})
		require.NoError(t, err)
		var sql []string
		for _, f := range fs {
			if f.Kind == softdelete.FindingFullUniqueIndex || f.Kind == softdelete.FindingGORMUniqueTag {
				sql = append(sql, f.SQL...)
			}
		}
		require.NotEmpty(t, sql, "the full unique index on c is found: %v", fs)
		joined := fmt.Sprint(sql)
		assert.Contains(t, joined, "uidx_gap_doctors_c")
		assert.NotContains(t, joined, "uq_gap_doctor_ab")
	})
}

// TestLeakDetectorKeepsTheFiltersQualifier: a join string that filters its
// own table, on a model GORM's read filters, is no leak: the model's own
// predicate stays qualified by its table, so it is not ambiguous beside the
// joined table's deleted_at.
func TestLeakDetectorKeepsTheFiltersQualifier(t *testing.T) {
	strict := softdelete.WithLeakDetector(softdelete.LeakConfig{Strict: true})
	eachDBWith(t, setup{opts: []softdelete.Option{strict}}, func(t *testing.T, e *env) {
		e.seedPosts(t, 1)
		var authors []Author
		err := e.db.Joins("JOIN posts ON posts.author_id = authors.id AND posts.deleted_at IS NULL").Find(&authors).Error
		require.NoError(t, err)
		assert.Len(t, authors, 1)
		err = e.db.Joins("JOIN posts ON posts.author_id = authors.id").Find(&authors).Error
		require.ErrorIs(t, err, softdelete.ErrSoftDeleteLeak, "the joined table without its predicate is a leak")
	})
}
