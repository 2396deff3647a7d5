package softdelete_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gorm-softdelete/softdelete"
)

// Defects found while closing issue 12's gaps, fixed in callbacks.go and
// filter.go.

// TestRestoreOnTableWithoutModelNeverDeletes: Restore given only a table
// name (nothing GORM can parse as a model) must never fall through to GORM's
// DELETE: it restores the rows, or fails, and removes nothing.
func TestRestoreOnTableWithoutModelNeverDeletes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, posts := e.seedPosts(t, 2)
		require.NoError(t, e.db.Delete(&posts[0]).Error)
		for _, p := range posts {
			for _, value := range []any{nil, map[string]any{}} {
				res := softdelete.Restore(e.db.Table("posts"), value, "id = ?", p.ID)
				if !assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM posts WHERE id = ?", p.ID),
					"Restore(Table(posts), %#v) removed row %d", value, p.ID) {
					continue
				}
				if res.Error == nil {
					assert.Nil(t, e.deletedAt(t, "posts", p.ID), "no error, so restored")
				}
			}
		}
		require.NoError(t, e.db.Create(&Tag{Name: "t"}).Error)
		err := softdelete.Restore(e.db.Table("tags"), nil, "name = ?", "t").Error
		assert.Error(t, err, "a table without a soft-delete column cannot be restored")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM tags"))
	})
}

// TestBadTagIsReportedByReads: a model whose softdelete tag is invalid fails
// reads too, as it fails writes (see TestBadTagIsReportedByWrites):
// ErrInvalidTag is "reported by every statement on the model".
func TestBadTagIsReportedByReads(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&gapBadTag{}))
		var rows []gapBadTag
		assert.ErrorIs(t, e.db.Find(&rows).Error, softdelete.ErrInvalidTag, "Find")
		var n int64
		assert.ErrorIs(t, e.db.Model(&gapBadTag{}).Count(&n).Error, softdelete.ErrInvalidTag, "Count")
	})
}
