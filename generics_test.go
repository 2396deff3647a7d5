package softdelete_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

func TestGenericsWrites(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, ps := e.seedPosts(t, 3)
		n, err := gorm.G[Post](e.db).Where("id = ?", ps[0].ID).Delete(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.NotNil(t, e.deletedAt(t, "posts", ps[0].ID), "a soft delete")

		n, err = gorm.G[Post](e.db).Where("id IN ?", []uint{ps[0].ID, ps[1].ID}).Update(ctx, "views", 42)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "the deleted row is not updated")

		_, err = gorm.G[Post](e.db).Where("id = ?", ps[1].ID).Update(ctx, "deleted_at", e.clock.Now())
		assert.ErrorIs(t, err, softdelete.ErrDeletedAtWrite)

		// Restore on a chain carrying the model and conditions, with a nil value
		res := softdelete.Restore(e.db.Model(&Post{}).Where("id = ?", ps[0].ID), nil)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		assert.Nil(t, e.deletedAt(t, "posts", ps[0].ID))
	})
}
