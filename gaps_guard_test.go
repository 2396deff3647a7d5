package softdelete_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
)

// postRow is what is stored of a post: its title and whether it is deleted.
func (e *env) postRow(t *testing.T, id uint) (title string, deleted bool) {
	t.Helper()
	var row struct {
		Title   string
		Deleted bool
	}
	require.NoError(t, e.db.Raw("SELECT title, deleted_at IS NOT NULL AS deleted FROM posts WHERE id = ?", id).Scan(&row).Error)
	return row.Title, row.Deleted
}

// TestSaveUnderWithDeletedNeverResurrects: under WithDeleted, Save's UPDATE
// reaches deleted rows, so a struct with a zero DeletedAt would write NULL
// over the tombstone: it is refused and nothing changes.
func TestSaveUnderWithDeletedNeverResurrects(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, posts := e.seedPosts(t, 2)
		require.NoError(t, e.db.Delete(&posts[0]).Error)

		stale := posts[0]
		stale.DeletedAt = deletedAt{}
		stale.Title = "zombie"
		err := e.db.Scopes(softdelete.WithDeleted).Save(&stale).Error
		require.ErrorIs(t, err, softdelete.ErrDeletedAtWrite)
		title, deleted := e.postRow(t, posts[0].ID)
		assert.True(t, deleted, "still deleted")
		assert.Equal(t, "p1", title, "not rewritten")

		// A live row saved under WithDeleted writes NULL over NULL: also
		// refused, as the column is written.
		live := posts[1]
		live.Title = "renamed"
		require.ErrorIs(t, e.db.Scopes(softdelete.WithDeleted).Save(&live).Error, softdelete.ErrDeletedAtWrite)
		// Without the scope the same Save works.
		require.NoError(t, e.db.Save(&live).Error)
		title, deleted = e.postRow(t, posts[1].ID)
		assert.False(t, deleted)
		assert.Equal(t, "renamed", title)
	})
}

// TestUpsertOnPrimaryKeyNeverRewritesATombstone: an INSERT ... ON CONFLICT
// (id) DO UPDATE that hits a deleted row leaves it as it is, whether it
// assigns one column, several, or all; a live row it hits is updated.
func TestUpsertOnPrimaryKeyNeverRewritesATombstone(t *testing.T) {
	cases := []struct {
		name     string
		conflict clause.OnConflict
	}{
		{"one column", clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns([]string{"title"})}},
		{"two columns", clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns([]string{"title", "views"})}},
		{"one assignment", clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.Assignments(map[string]any{"title": "rewritten"})}},
		{"update all", clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, UpdateAll: true}},
	}
	eachDB(t, func(t *testing.T, e *env) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, posts := e.seedPosts(t, 2)
				require.NoError(t, e.db.Delete(&posts[0]).Error)

				dead := Post{BaseModel: BaseModel{ID: posts[0].ID}, AuthorID: a.ID, Title: "rewritten", Views: 99}
				require.NoError(t, e.db.Clauses(c.conflict).Create(&dead).Error)
				title, deleted := e.postRow(t, posts[0].ID)
				assert.True(t, deleted, "the tombstone stays deleted")
				assert.Equal(t, "p1", title, "the tombstone is not rewritten")
				assert.EqualValues(t, 1, e.count(t, "SELECT views FROM posts WHERE id = ?", posts[0].ID))

				live := Post{BaseModel: BaseModel{ID: posts[1].ID}, AuthorID: a.ID, Title: "rewritten", Views: 99}
				require.NoError(t, e.db.Clauses(c.conflict).Create(&live).Error)
				title, deleted = e.postRow(t, posts[1].ID)
				assert.False(t, deleted)
				assert.Equal(t, "rewritten", title, "a live row is updated")
			})
		}
	})
}

// TestUpdateMapWithTypedNilPointers: a typed nil pointer in an update map
// is SQL NULL: on live rows it writes nothing new and is allowed (no
// panic on a nil *DeletedAt, whose Value has a value receiver); under
// WithDeleted it would restore deleted rows and is refused; a non-nil
// pointer is a write and refused.
func TestUpdateMapWithTypedNilPointers(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, posts := e.seedPosts(t, 2)
		require.NoError(t, e.db.Delete(&posts[1]).Error)
		now := time.Now()
		stamp := deletedAt{Time: now, Valid: true}

		nils := map[string]any{
			"*time.Time":  (*time.Time)(nil),
			"*DeletedAt":  (*deletedAt)(nil),
			"nil any":     nil,
			"*gorm.DelAt": (*gorm.DeletedAt)(nil),
		}
		for name, v := range nils {
			t.Run(name, func(t *testing.T) {
				var err error
				require.NotPanics(t, func() {
					err = e.db.Model(&posts[0]).Updates(map[string]any{"title": "x", "deleted_at": v}).Error
				})
				require.NoError(t, err)
				assert.Nil(t, e.deletedAt(t, "posts", posts[0].ID))
				require.NotPanics(t, func() {
					err = e.db.Scopes(softdelete.WithDeleted).Model(&Post{}).Where("id = ?", posts[1].ID).
						Updates(map[string]any{"deleted_at": v}).Error
				})
				require.ErrorIs(t, err, softdelete.ErrDeletedAtWrite)
				assert.NotNil(t, e.deletedAt(t, "posts", posts[1].ID), "not restored")
			})
		}
		for name, v := range map[string]any{"*time.Time": &now, "*DeletedAt": &stamp} {
			t.Run("non-nil "+name, func(t *testing.T) {
				err := e.db.Model(&posts[0]).Updates(map[string]any{"deleted_at": v}).Error
				require.ErrorIs(t, err, softdelete.ErrDeletedAtWrite)
				assert.Nil(t, e.deletedAt(t, "posts", posts[0].ID))
			})
		}
	})
}

// gapBadTag has a softdelete tag with a typo.
type gapBadTag struct {
	softdelete.Model
	Name string `softdelete:"uniqe"`
}

// TestBadTagIsReportedByWrites: a model whose softdelete tag is invalid
// fails every write with ErrInvalidTag (naming model and field), and writes
// nothing.
func TestBadTagIsReportedByWrites(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&gapBadTag{}))
		require.NoError(t, e.db.Exec("INSERT INTO gap_bad_tags (id, name) VALUES (1, 'a')").Error)
		row := gapBadTag{Model: softdelete.Model{ID: 1}, Name: "a"}
		ops := map[string]func() error{
			"Create":      func() error { return e.db.Create(&gapBadTag{Name: "b"}).Error },
			"Create map":  func() error { return e.db.Model(&gapBadTag{}).Create(map[string]any{"name": "b"}).Error },
			"Save":        func() error { r := row; r.Name = "b"; return e.db.Save(&r).Error },
			"Updates":     func() error { return e.db.Model(&row).Updates(map[string]any{"name": "b"}).Error },
			"Delete":      func() error { return e.db.Delete(&row).Error },
			"Restore":     func() error { return softdelete.Restore(e.db, &row).Error },
			"HardDelete":  func() error { return softdelete.HardDelete(e.db, &row).Error },
			"OnlyDeleted": func() error { var xs []gapBadTag; return e.db.Scopes(softdelete.OnlyDeleted).Find(&xs).Error },
		}
		for name, op := range ops {
			t.Run(name, func(t *testing.T) {
				err := op()
				require.ErrorIs(t, err, softdelete.ErrInvalidTag)
				assert.Contains(t, err.Error(), "gapBadTag.Name")
				assert.Contains(t, err.Error(), "uniqe")
				assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM gap_bad_tags"))
				assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM gap_bad_tags WHERE name = 'a' AND deleted_at IS NULL"))
			})
		}
	})
}

// TestUpsertOnOtherColumnsIsLeftAsWritten: only conflict columns that are
// exactly a partial unique index's get its predicate; an upsert on the
// primary key of a model with a composite unique index keeps its target.
func TestUpsertOnOtherColumnsIsLeftAsWritten(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		acc := Account{OrgID: 1, Email: "a", Name: "old"}
		require.NoError(t, e.db.Create(&acc).Error)
		upsert := func(tx *gorm.DB, cols ...string) *gorm.DB {
			var target []clause.Column
			for _, c := range cols {
				target = append(target, clause.Column{Name: c})
			}
			return tx.Clauses(clause.OnConflict{Columns: target, DoUpdates: clause.AssignmentColumns([]string{"name"})}).
				Create(&Account{Model: softdelete.Model{ID: acc.ID}, OrgID: 1, Email: "a", Name: "new"})
		}
		for _, cols := range [][]string{{"id"}, {"org_id"}, {"org_id", "email", "name"}} {
			sql := e.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return upsert(tx, cols...) })
			assert.NotContains(t, unquote(sql), "WHERE deleted_at IS NULL", "%v: %s", cols, sql)
		}
		sql := e.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return upsert(tx, "email", "org_id") })
		if e.name == "mysql" { // no conflict target: the generated column keeps tombstones out of the key
			assert.Contains(t, unquote(sql), "ON DUPLICATE KEY UPDATE name=CASE WHEN accounts.deleted_at IS NULL THEN VALUES(name) ELSE accounts.name END", sql)
		} else {
			assert.Contains(t, unquote(sql), "WHERE deleted_at IS NULL", "the index's columns, in any order: %s", sql)
		}

		require.NoError(t, upsert(e.db, "id").Error)
		var name string
		require.NoError(t, e.db.Raw("SELECT name FROM accounts WHERE id = ?", acc.ID).Scan(&name).Error)
		assert.Equal(t, "new", name)
	})
}
