package softdelete_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// TestDeleteWritesTheTimestampIntoEverySliceElement: Delete and Restore of a
// slice (of structs or of pointers) write the deletion timestamp, or NULL,
// back into every element, the first and the last included.
func TestDeleteWritesTheTimestampIntoEverySliceElement(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		want := e.stored(e.clock.Now())

		_, posts := e.seedPosts(t, 3)
		require.NoError(t, e.db.Delete(&posts).Error)
		for i, p := range posts {
			assert.True(t, p.DeletedAt.Valid, "element %d", i)
			assert.True(t, p.DeletedAt.Time.Equal(want), "element %d: %v", i, p.DeletedAt.Time)
			assert.NotNil(t, e.deletedAt(t, "posts", p.ID), "element %d stored", i)
		}
		res := softdelete.Restore(e.db, &posts)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 3, res.RowsAffected)
		for i, p := range posts {
			assert.False(t, p.DeletedAt.Valid, "element %d cleared", i)
		}

		_, more := e.seedPosts(t, 3)
		ptrs := []*Post{&more[0], &more[1], &more[2]}
		require.NoError(t, e.db.Delete(&ptrs).Error)
		for i, p := range ptrs {
			assert.True(t, p.DeletedAt.Valid, "pointer element %d", i)
		}
		require.NoError(t, softdelete.Restore(e.db, &ptrs).Error)
		for i, p := range ptrs {
			assert.False(t, p.DeletedAt.Valid, "pointer element %d cleared", i)
		}
	})
}

// TestModelPrimaryKeyIsACondition: db.Model(&x).Delete(&T{}) (and Restore,
// HardDelete) act on x's row only, as GORM's delete takes Model's key.
func TestModelPrimaryKeyIsACondition(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, posts := e.seedPosts(t, 3)
		live := func() int64 { return e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NULL") }

		res := e.db.Model(&posts[1]).Where("views > ?", 0).Delete(&Post{})
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		assert.NotNil(t, e.deletedAt(t, "posts", posts[1].ID))
		assert.EqualValues(t, 2, live(), "the other posts stay live")

		require.NoError(t, e.db.Delete(&posts[0]).Error)
		res = softdelete.Restore(e.db.Model(&posts[1]).Where("views > ?", 0), &Post{})
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		assert.Nil(t, e.deletedAt(t, "posts", posts[1].ID))
		assert.NotNil(t, e.deletedAt(t, "posts", posts[0].ID), "the other tombstone stays")

		res = softdelete.HardDelete(e.db.Model(&posts[2]).Where("views > ?", 0), &Post{})
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM posts"))
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE id = ?", posts[2].ID))
	})
}

// gapHooked records its restore hooks in the recorder its context carries.
type gapHooked struct {
	softdelete.Model
	Name string
}

type hookRecorderKey struct{}

// hookRecorder collects the IDs hooks ran for, per hook.
type hookRecorder struct {
	mu    sync.Mutex
	calls map[string][]uint
}

func (r *hookRecorder) add(hook string, id uint) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string][]uint{}
	}
	r.calls[hook] = append(r.calls[hook], id)
}

func (r *hookRecorder) of(hook string) []uint {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint(nil), r.calls[hook]...)
}

func recordHook(tx *gorm.DB, hook string, id uint) {
	if r, ok := tx.Statement.Context.Value(hookRecorderKey{}).(*hookRecorder); ok {
		r.add(hook, id)
	}
}

func (h *gapHooked) BeforeRestore(tx *gorm.DB) error {
	recordHook(tx, "BeforeRestore", h.ID)
	return nil
}
func (h *gapHooked) AfterRestore(tx *gorm.DB) error { recordHook(tx, "AfterRestore", h.ID); return nil }

// TestRestoreHooksRunForEverySliceElement: Restore of a slice runs
// BeforeRestore and AfterRestore once per element, in order, the first
// included.
func TestRestoreHooksRunForEverySliceElement(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &gapHooked{}))
		rows := []gapHooked{{Name: "a"}, {Name: "b"}, {Name: "c"}}
		require.NoError(t, e.db.Create(&rows).Error)
		require.NoError(t, e.db.Delete(&rows).Error)
		ids := []uint{rows[0].ID, rows[1].ID, rows[2].ID}

		rec := &hookRecorder{}
		ctx := context.WithValue(context.Background(), hookRecorderKey{}, rec)
		require.NoError(t, softdelete.Restore(e.db.WithContext(ctx), &rows).Error)
		assert.Equal(t, ids, rec.of("BeforeRestore"))
		assert.Equal(t, ids, rec.of("AfterRestore"))

		// A single struct runs them once.
		require.NoError(t, e.db.Delete(&rows[0]).Error)
		rec = &hookRecorder{}
		ctx = context.WithValue(context.Background(), hookRecorderKey{}, rec)
		require.NoError(t, softdelete.Restore(e.db.WithContext(ctx), &rows[0]).Error)
		assert.Equal(t, ids[:1], rec.of("BeforeRestore"))
		assert.Equal(t, ids[:1], rec.of("AfterRestore"))
	})
}

// TestTableVerbsWithoutModelDoNotPanic: verbs on Table("x") with no model
// (nothing to parse) behave as GORM does and never panic.
func TestTableVerbsWithoutModelDoNotPanic(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.Create(&[]Tag{{Name: "a"}, {Name: "b"}, {Name: "c"}}).Error)
		var tags []Tag
		require.NoError(t, e.db.Order("id").Find(&tags).Error)

		assert.NotPanics(t, func() {
			require.NoError(t, e.db.Table("tags").Where("id = ?", tags[0].ID).Delete(map[string]any{}).Error)
		})
		assert.NotPanics(t, func() {
			require.NoError(t, e.db.Table("tags").Select("Posts").Where("id = ?", tags[1].ID).Delete(nil).Error)
		})
		assert.NotPanics(t, func() {
			require.NoError(t, softdelete.HardDelete(e.db.Table("tags"), nil, "id = ?", tags[2].ID).Error)
		})
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM tags"), "a table without a soft-delete column is hard deleted")
		assert.NotPanics(t, func() {
			_ = softdelete.Restore(e.db.Table("tags"), nil, "id = ?", tags[0].ID).Error
		})
	})
}

// TestTableTrashWithoutModel: emptying the trash of a registered table with no
// model, HardDelete(db.Table("t").Scopes(OnlyDeleted), nil), removes exactly the
// deleted rows (the scope counts as the condition), with or without more
// conditions; a Restore of the same shape brings back only deleted rows.
func TestTableTrashWithoutModel(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, allModels...))
		author := Author{Name: "x"}
		require.NoError(t, e.db.Create(&author).Error)
		posts := []Post{{AuthorID: author.ID, Title: "a"}, {AuthorID: author.ID, Title: "b"}, {AuthorID: author.ID, Title: "c"}, {AuthorID: author.ID, Title: "d"}}
		require.NoError(t, e.db.Create(&posts).Error)
		require.NoError(t, e.db.Delete(&posts[0]).Error)
		require.NoError(t, e.db.Delete(&posts[1]).Error)

		trash := func() *gorm.DB { return e.db.Table("posts").Scopes(softdelete.OnlyDeleted) }
		sql := e.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			return softdelete.HardDelete(tx.Table("posts").Scopes(softdelete.OnlyDeleted), nil)
		})
		assert.Contains(t, unquote(sql), "DELETE FROM posts WHERE posts.deleted_at IS NOT NULL", sql)

		res := softdelete.HardDelete(trash().Where("title = ?", "a"), nil)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		res = softdelete.HardDelete(trash(), nil)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		var left []string
		require.NoError(t, e.db.Raw("SELECT title FROM posts ORDER BY title").Scan(&left).Error)
		assert.Equal(t, []string{"c", "d"}, left, "live rows stay")
	})
}
