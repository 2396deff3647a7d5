package softdelete_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

func TestSoftDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		db := e.db
		t.Run("timestamp is UTC, microseconds, written back and stored", func(t *testing.T) {
			e.clock.t = time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("X", 3600))
			_, ps := e.seedPosts(t, 1)
			require.NoError(t, db.Delete(&ps[0]).Error)
			want := e.stored(time.Date(2026, 3, 4, 4, 6, 7, 891234000, time.UTC)) // .891 on MySQL's datetime(3)
			assert.True(t, ps[0].DeletedAt.Time.Equal(want), ps[0].DeletedAt.Time)
			assert.Equal(t, time.UTC, ps[0].DeletedAt.Time.Location())
			stored := e.deletedAt(t, "posts", ps[0].ID)
			require.NotNil(t, stored)
			assert.True(t, stored.Equal(want), stored)
		})
		t.Run("already deleted rows are untouched", func(t *testing.T) {
			_, ps := e.seedPosts(t, 1)
			require.NoError(t, db.Delete(&ps[0]).Error)
			first := e.deletedAt(t, "posts", ps[0].ID)
			e.clock.Advance(time.Hour)
			res := db.Delete(&Post{}, ps[0].ID)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 0, res.RowsAffected)
			assert.True(t, first.Equal(*e.deletedAt(t, "posts", ps[0].ID)))
		})
		t.Run("by conditions, slices and ids", func(t *testing.T) {
			a, ps := e.seedPosts(t, 4)
			res := db.Where("author_id = ? AND views > ?", a.ID, 2).Delete(&Post{})
			require.NoError(t, res.Error)
			assert.EqualValues(t, 2, res.RowsAffected)
			first := ps[:1]
			res = db.Delete(&first)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			res = db.Delete(&Post{}, []uint{ps[1].ID})
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE author_id = ? AND deleted_at IS NULL", a.ID))
			assert.EqualValues(t, 4, e.count(t, "SELECT count(*) FROM posts WHERE author_id = ?", a.ID))
		})
		t.Run("no conditions is refused", func(t *testing.T) {
			e.seedPosts(t, 2)
			before := e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NULL")
			assert.ErrorIs(t, db.Delete(&Post{}).Error, gorm.ErrMissingWhereClause)
			assert.ErrorIs(t, db.Model(&Post{}).Delete(&[]Post{}).Error, gorm.ErrMissingWhereClause)
			assert.Equal(t, before, e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NULL"))
			res := db.Session(&gorm.Session{AllowGlobalUpdate: true}).Delete(&Comment{})
			require.NoError(t, res.Error, "AllowGlobalUpdate permits it, as in GORM")
		})
		t.Run("DryRun shows the UPDATE", func(t *testing.T) {
			sql := db.ToSQL(func(tx *gorm.DB) *gorm.DB { return tx.Delete(&Post{}, 7) })
			assert.Regexp(t, `^UPDATE posts SET deleted_at=.+ WHERE posts.id = 7 AND posts.deleted_at IS NULL$`, unquote(sql))
		})
		t.Run("RETURNING", func(t *testing.T) {
			e.skipUnless(t, dialect.ReturningWrites, "no UPDATE ... RETURNING, so a soft Delete cannot return the rows")
			_, ps := e.seedPosts(t, 2)
			var out []Post
			res := db.Clauses(clause.Returning{}).Where("id IN ?", []uint{ps[0].ID, ps[1].ID}).Delete(&out)
			require.NoError(t, res.Error)
			require.Len(t, out, 2)
			assert.True(t, out[0].DeletedAt.Valid)
			assert.NotEmpty(t, out[0].Title)
		})
		t.Run("Unscoped delete is a hard delete", func(t *testing.T) {
			_, ps := e.seedPosts(t, 1)
			require.NoError(t, db.Unscoped().Delete(&ps[0]).Error)
			assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE id = ?", ps[0].ID))
		})
		t.Run("model without the field is hard deleted", func(t *testing.T) {
			tag := Tag{Name: "go"}
			require.NoError(t, db.Create(&tag).Error)
			require.NoError(t, db.Delete(&tag).Error)
			assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM tags"))
		})
	})
}

type HookedPost struct {
	BaseModel
	Title  string
	calls  []string
	failOn string
}

func (h *HookedPost) hook(name string) error {
	h.calls = append(h.calls, name)
	if h.failOn == name {
		return errors.New("hook " + name + " refused")
	}
	return nil
}
func (h *HookedPost) BeforeDelete(*gorm.DB) error  { return h.hook("BeforeDelete") }
func (h *HookedPost) AfterDelete(*gorm.DB) error   { return h.hook("AfterDelete") }
func (h *HookedPost) BeforeRestore(*gorm.DB) error { return h.hook("BeforeRestore") }
func (h *HookedPost) AfterRestore(*gorm.DB) error  { return h.hook("AfterRestore") }

func TestHooks(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&HookedPost{}))
		h := HookedPost{Title: "x"}
		require.NoError(t, e.db.Create(&h).Error)
		require.NoError(t, e.db.Delete(&h).Error)
		require.NoError(t, softdelete.Restore(e.db, &h).Error)
		assert.Equal(t, []string{"BeforeDelete", "AfterDelete", "BeforeRestore", "AfterRestore"}, h.calls)
		assert.False(t, h.DeletedAt.Valid)

		require.NoError(t, e.db.Delete(&h).Error)
		h.failOn, h.calls = "AfterRestore", nil
		err := softdelete.Restore(e.db, &h).Error
		assert.ErrorContains(t, err, "AfterRestore refused")
		assert.NotNil(t, e.deletedAt(t, "hooked_posts", h.ID), "rolled back")

		h.failOn = "BeforeDelete"
		require.NoError(t, softdelete.Restore(e.db.Session(&gorm.Session{SkipHooks: true}), &h).Error)
		assert.Nil(t, e.deletedAt(t, "hooked_posts", h.ID))
		assert.ErrorContains(t, e.db.Delete(&h).Error, "BeforeDelete refused")
		assert.Nil(t, e.deletedAt(t, "hooked_posts", h.ID))
	})
}

func TestRestore(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		db := e.db
		t.Run("struct", func(t *testing.T) {
			_, ps := e.seedPosts(t, 2)
			require.NoError(t, db.Delete(&ps[0]).Error)
			res := softdelete.Restore(db, &ps[0])
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			assert.False(t, ps[0].DeletedAt.Valid)
			assert.Nil(t, e.deletedAt(t, "posts", ps[0].ID))
			res = softdelete.Restore(db, &ps[1])
			require.NoError(t, res.Error)
			assert.EqualValues(t, 0, res.RowsAffected, "live row: nothing to restore")
		})
		t.Run("conditions and chain scopes", func(t *testing.T) {
			a, ps := e.seedPosts(t, 3)
			require.NoError(t, db.Where("author_id = ?", a.ID).Delete(&Post{}).Error)
			res := softdelete.Restore(db.Where("views > ?", 1), &Post{}, "author_id = ?", a.ID)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 2, res.RowsAffected)
			assert.NotNil(t, e.deletedAt(t, "posts", ps[0].ID), "the chain's Where limited the restore")
		})
		t.Run("no conditions", func(t *testing.T) {
			assert.ErrorIs(t, softdelete.Restore(db, &Post{}).Error, gorm.ErrMissingWhereClause)
		})
		t.Run("model without the field", func(t *testing.T) {
			err := softdelete.Restore(db, &Tag{}, "id = ?", 1).Error
			assert.ErrorIs(t, err, softdelete.ErrNotSoftDeletable)
		})
		t.Run("DryRun", func(t *testing.T) {
			sql := db.ToSQL(func(tx *gorm.DB) *gorm.DB { return softdelete.Restore(tx, &Comment{}, 7) })
			assert.Equal(t, "UPDATE comments SET deleted_at=NULL WHERE comments.id = 7 AND comments.deleted_at IS NOT NULL", unquote(sql))
		})
	})
}

func TestHardDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		db := e.db
		_, ps := e.seedPosts(t, 3)
		require.NoError(t, db.Delete(&ps[0]).Error)
		res := softdelete.HardDelete(db, &ps[0])
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		res = softdelete.HardDelete(db, &Post{}, ps[1].ID)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected, "live rows too")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM posts"))
		assert.ErrorIs(t, softdelete.HardDelete(db, &Post{}).Error, gorm.ErrMissingWhereClause)

		t.Run("empty the trash with OnlyDeleted", func(t *testing.T) {
			a, ps := e.seedPosts(t, 3)
			require.NoError(t, db.Delete(&ps[2]).Error)
			res := softdelete.HardDelete(db.Scopes(softdelete.OnlyDeleted), &Post{}, "author_id = ?", a.ID)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM posts WHERE author_id = ?", a.ID))
		})
	})
}

func TestGuard(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		db := e.db
		stamp := deletedAt{Time: time.Now(), Valid: true}
		_, ps := e.seedPosts(t, 2)
		cases := map[string]func() *gorm.DB{
			"Create struct": func() *gorm.DB { return db.Create(&Post{Title: "x", BaseModel: BaseModel{DeletedAt: stamp}}) },
			"Create slice": func() *gorm.DB {
				return db.Create(&[]Post{{Title: "x"}, {Title: "y", BaseModel: BaseModel{DeletedAt: stamp}}})
			},
			"Create map": func() *gorm.DB {
				return db.Model(&Post{}).Create(map[string]any{"title": "x", "deleted_at": time.Now()})
			},
			"Update":      func() *gorm.DB { return db.Model(&ps[0]).Update("deleted_at", time.Now()) },
			"Updates map": func() *gorm.DB { return db.Model(&ps[0]).Updates(map[string]any{"DeletedAt": time.Now()}) },
			"Updates struct": func() *gorm.DB {
				return db.Model(&ps[0]).Updates(Post{Title: "t", BaseModel: BaseModel{DeletedAt: stamp}})
			},
			"UpdateColumn":   func() *gorm.DB { return db.Model(&ps[0]).UpdateColumn("deleted_at", gorm.Expr("CURRENT_TIMESTAMP")) },
			"UpdateColumns":  func() *gorm.DB { return db.Model(&ps[0]).UpdateColumns(map[string]any{"deleted_at": time.Now()}) },
			"Save tombstone": func() *gorm.DB { p := ps[0]; p.DeletedAt = stamp; return db.Save(&p) },
			"restore by mass assignment": func() *gorm.DB {
				return db.Scopes(softdelete.WithDeleted).Model(&Post{}).Where("id = ?", ps[1].ID).Update("deleted_at", nil)
			},
		}
		require.NoError(t, db.Delete(&ps[1]).Error)
		before := e.count(t, "SELECT count(*) FROM posts")
		for name, op := range cases {
			t.Run(name, func(t *testing.T) {
				assert.ErrorIs(t, op().Error, softdelete.ErrDeletedAtWrite)
				assert.Equal(t, before, e.count(t, "SELECT count(*) FROM posts"))
				assert.Nil(t, e.deletedAt(t, "posts", ps[0].ID))
				assert.NotNil(t, e.deletedAt(t, "posts", ps[1].ID))
			})
		}
		t.Run("Save of a live struct still works", func(t *testing.T) {
			p := ps[0]
			p.Title = "renamed"
			require.NoError(t, db.Save(&p).Error)
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM posts WHERE title = 'renamed'"))
		})
		t.Run("Save of a stale struct never resurrects the tombstone", func(t *testing.T) {
			p := ps[1]
			p.DeletedAt = deletedAt{}
			p.Title = "zombie"
			require.NoError(t, db.Save(&p).Error)
			assert.NotNil(t, e.deletedAt(t, "posts", ps[1].ID))
			assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE title = 'zombie'"))
		})
		t.Run("Unscoped is the escape hatch", func(t *testing.T) {
			a, _ := e.seedPosts(t, 0)
			require.NoError(t, db.Unscoped().Create(&Post{AuthorID: a.ID, Title: "imported", BaseModel: BaseModel{DeletedAt: stamp}}).Error)
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM posts WHERE title = 'imported' AND deleted_at IS NOT NULL"))
		})
	})
}

func TestLegacyGormDeletedAt(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		db := e.db
		l := Legacy{Name: "old"}
		require.NoError(t, db.Create(&l).Error)
		sql := db.ToSQL(func(tx *gorm.DB) *gorm.DB { var ls []Legacy; return tx.Find(&ls) })
		assert.Equal(t, 1, countOf(unquote(sql), "deleted_at IS NULL"), sql)
		require.NoError(t, db.Delete(&l).Error)
		assert.NotNil(t, e.deletedAt(t, "legacies", l.ID))
		var ls []Legacy
		require.NoError(t, db.Find(&ls).Error)
		assert.Empty(t, ls)
		require.NoError(t, db.Scopes(softdelete.OnlyDeleted).Find(&ls).Error)
		assert.Len(t, ls, 1)
		require.NoError(t, db.Scopes(softdelete.WithDeleted).Find(&ls).Error)
		assert.Len(t, ls, 1)
		res := softdelete.Restore(db, &l)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		assert.Nil(t, e.deletedAt(t, "legacies", l.ID))
		assert.False(t, l.DeletedAt.Valid)
		require.NoError(t, softdelete.HardDelete(db, &l).Error)
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM legacies"))
	})
}

func countOf(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}
