package softdelete_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
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

// Nested relation joins: a worker's office is soft-deletable, the office's
// city is not.
type gapCity struct {
	ID   uint
	Name string
}

type gapOffice struct {
	BaseModel
	Name   string
	CityID uint
	City   gapCity
}

type gapWorker struct {
	ID       uint
	Name     string
	OfficeID uint
	Office   gapOffice
}

// TestNestedJoinConditionsAreGrouped: GORM adds a relation join's conditions
// to the ON of every relation on a nested path ("Office.City"), so an OR among
// them is grouped wherever one of those relations is filtered — here the
// middle one — and a worker of a deleted office is never joined to it. Under
// Unscoped the plugin leaves the joins as GORM writes them.
func TestNestedJoinConditionsAreGrouped(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &gapCity{}, &gapOffice{}, &gapWorker{}))
		city := gapCity{Name: "x"}
		require.NoError(t, e.db.Create(&city).Error)
		gone := gapOffice{Name: "gone", CityID: city.ID}
		require.NoError(t, e.db.Create(&gone).Error)
		w := gapWorker{Name: "w", OfficeID: gone.ID}
		require.NoError(t, e.db.Omit("Office").Create(&w).Error)
		require.NoError(t, e.db.Delete(&gone).Error)

		cond := e.db.Where("1 = 0\nOR 1 = 1") // an OR GORM does not group itself
		var got []gapWorker
		require.NoError(t, e.db.Joins("Office.City", cond).Find(&got).Error)
		require.Len(t, got, 1)
		assert.Zero(t, got[0].Office.ID, "the deleted office is not joined")

		sql := e.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return tx.Joins("Office.City", cond).Find(&[]gapWorker{}) })
		assert.Contains(t, unquote(sql), "Office.deleted_at IS NULL AND (1 = 0\nOR 1 = 1)", sql)

		plain := e.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			return tx.Unscoped().Joins("Office.City", cond).Find(&[]gapWorker{})
		})
		assert.NotContains(t, plain, "(1 = 0", "Unscoped: GORM's join text")
	})
}

// TestGroupedConditionsKeepEveryCondition: when the conditions are grouped
// (one of them holds an OR GORM does not group), every one of them still
// applies, in GORM's order: a leading lone Or moves after the first other
// condition, as clause.Where renders it.
func TestGroupedConditionsKeepEveryCondition(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := Author{Name: "x"}
		require.NoError(t, e.db.Create(&a).Error)
		posts := []Post{
			{AuthorID: a.ID, Title: "a", Views: 1},
			{AuthorID: a.ID, Title: "b", Views: 2},
			{AuthorID: a.ID, Title: "a", Views: 1},
			{AuthorID: a.ID, Title: "c", Views: 3},
		}
		require.NoError(t, e.db.Create(&posts).Error)
		require.NoError(t, e.db.Delete(&posts[2]).Error)
		ids := func(tx *gorm.DB) []uint {
			var got []uint
			require.NoError(t, tx.Model(&Post{}).Order("id").Pluck("id", &got).Error)
			return got
		}
		unsafe := "title = 'a'\nOR title = 'b'"
		assert.Equal(t, []uint{posts[0].ID}, ids(e.db.Where(unsafe).Where("views = 1")))
		assert.Equal(t, []uint{posts[1].ID}, ids(e.db.Where("views = 2").Where(unsafe)))
		assert.Equal(t, []uint{posts[0].ID}, ids(e.db.Where(unsafe).Where("views < 3").Where("title <> 'b'")))
		assert.Equal(t, []uint{posts[0].ID, posts[1].ID, posts[3].ID},
			ids(e.db.Or("views = 3").Where(unsafe)), "lone Or first: (a OR b) OR views = 3, live rows only")
	})
}
