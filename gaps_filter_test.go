package softdelete_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
)

// TestGormDeletedAtRawOrIsGrouped: on a model with GORM's own gorm.DeletedAt
// (Legacy), raw conditions holding an OR that GORM does not group itself
// (it only groups " OR " spelled with spaces) are grouped before GORM ANDs
// its predicate, so a deleted row never comes back. The default build runs
// this; -tags gormmodel runs the whole suite on such models.
func TestGormDeletedAtRawOrIsGrouped(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		db := e.db
		gone, kept := Legacy{Name: "a"}, Legacy{Name: "b"}
		require.NoError(t, db.Create(&[]*Legacy{&gone, &kept}).Error)
		require.NoError(t, db.Delete(&gone).Error)
		require.NotNil(t, e.deletedAt(t, "legacies", gone.ID))

		for _, cond := range []string{"name = 'a'\nOR name = 'b'", "name = 'a'\tOR\tname = 'b'", "name = 'a' -- x\nOR name = 'b'"} {
			t.Run(cond, func(t *testing.T) {
				var got []Legacy
				require.NoError(t, db.Where(cond).Find(&got).Error)
				if assert.Len(t, got, 1) {
					assert.Equal(t, kept.ID, got[0].ID)
				}

				var n int64
				require.NoError(t, db.Model(&Legacy{}).Where(cond).Count(&n).Error)
				assert.EqualValues(t, 1, n, "Count")

				var names []string
				require.NoError(t, db.Model(&Legacy{}).Where(cond).Pluck("name", &names).Error)
				assert.Equal(t, []string{"b"}, names, "Pluck")

				var rowCount int64
				require.NoError(t, db.Model(&Legacy{}).Select("count(*)").Where(cond).Row().Scan(&rowCount))
				assert.EqualValues(t, 1, rowCount, "Row")

				res := db.Model(&Legacy{}).Where(cond).Update("name", gorm.Expr("name"))
				require.NoError(t, res.Error)
				assert.EqualValues(t, 1, res.RowsAffected, "Update touches the live row only")
			})
		}
	})
}
