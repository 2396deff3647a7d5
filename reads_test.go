package softdelete_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeleteAndFind(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, posts := e.seedPosts(t, 3)
		res := e.db.Delete(&posts[1])
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)

		var got []Post
		require.NoError(t, e.db.Order("id").Find(&got).Error)
		assert.Equal(t, []uint{posts[0].ID, posts[2].ID}, ids(got))
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM posts"))
		assert.NotNil(t, e.deletedAt(t, "posts", posts[1].ID))
		assert.True(t, posts[1].DeletedAt.IsDeleted())
	})
}
