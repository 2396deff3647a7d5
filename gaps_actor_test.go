package softdelete_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gorm-softdelete/softdelete"
)

// Actor columns of several types.
type (
	gapByUint struct {
		softdelete.Model
		DeletedBy uint `softdelete:"deleted_by"`
	}
	gapByString struct {
		softdelete.Model
		DeletedBy string `softdelete:"deleted_by"`
	}
	gapByFloat struct {
		softdelete.Model
		DeletedBy float64 `softdelete:"deleted_by"`
	}
	gapByNull struct {
		softdelete.Model
		DeletedBy sql.NullInt64 `softdelete:"deleted_by"`
	}
	gapByTwice struct {
		softdelete.Model
		DeletedBy uint `softdelete:"deleted_by"`
		RemovedBy uint `softdelete:"deleted_by"`
	}
)

type gapActorKey struct{}

// TestActorValueConversion: WithActor's value is stored when it fits the
// deleted_by field (assignable, the same numeric family, or a type the field
// scans), and refused with ErrInvalidActor, deleting nothing, when it does
// not.
func TestActorValueConversion(t *testing.T) {
	s := setup{opts: []softdelete.Option{softdelete.WithActor(func(ctx context.Context) any { return ctx.Value(gapActorKey{}) })}}
	eachDBWith(t, s, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &gapByUint{}, &gapByString{}, &gapByFloat{}, &gapByNull{}))
		cases := []struct {
			name  string
			model func() any // a new row of the model
			table string
			actor any
			ok    bool
			want  string // stored deleted_by, as text
		}{
			{"int for uint", func() any { return &gapByUint{} }, "gap_by_uints", int(7), true, "7"},
			{"int64 for uint", func() any { return &gapByUint{} }, "gap_by_uints", int64(8), true, "8"},
			{"uint8 for uint", func() any { return &gapByUint{} }, "gap_by_uints", uint8(9), true, "9"},
			{"string for uint", func() any { return &gapByUint{} }, "gap_by_uints", "7", false, ""},
			{"float for uint", func() any { return &gapByUint{} }, "gap_by_uints", 7.5, false, ""},
			{"bool for uint", func() any { return &gapByUint{} }, "gap_by_uints", true, false, ""},
			{"string for string", func() any { return &gapByString{} }, "gap_by_strings", "ann", true, "ann"},
			{"int for string", func() any { return &gapByString{} }, "gap_by_strings", 7, false, ""},
			{"rune for string", func() any { return &gapByString{} }, "gap_by_strings", 'a', false, ""},
			{"float32 for float64", func() any { return &gapByFloat{} }, "gap_by_floats", float32(2.5), true, "2.5"},
			{"int for float64", func() any { return &gapByFloat{} }, "gap_by_floats", 3, false, ""},
			{"int64 for sql.NullInt64", func() any { return &gapByNull{} }, "gap_by_nulls", int64(11), true, "11"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				row := c.model()
				require.NoError(t, e.db.Create(row).Error)
				ctx := context.WithValue(context.Background(), gapActorKey{}, c.actor)
				err := e.db.WithContext(ctx).Delete(row).Error
				var stored struct {
					Deleted bool
					By      sql.NullString
				}
				require.NoError(t, e.db.Raw("SELECT deleted_at IS NOT NULL AS deleted, "+e.castText("deleted_by")+" AS "+quoteFor(e)("by")+" FROM "+
					c.table+" ORDER BY id DESC LIMIT 1").Scan(&stored).Error)
				if !c.ok {
					require.ErrorIs(t, err, softdelete.ErrInvalidActor)
					assert.False(t, stored.Deleted, "nothing deleted")
					return
				}
				require.NoError(t, err)
				assert.True(t, stored.Deleted)
				assert.Equal(t, c.want, stored.By.String)
			})
		}
	})
}

// TestDuplicateDeletedByTagIsRejected: two deleted_by fields on one model
// are an invalid tag, reported naming the second field and the first.
func TestDuplicateDeletedByTagIsRejected(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, err := softdelete.IndexSQL(e.db, &gapByTwice{})
		require.ErrorIs(t, err, softdelete.ErrInvalidTag)
		assert.Contains(t, err.Error(), "gapByTwice.RemovedBy")
		assert.Contains(t, err.Error(), "deleted_by already set on field DeletedBy")

		require.ErrorIs(t, softdelete.AutoMigrate(e.db, &gapByTwice{}), softdelete.ErrInvalidTag)
		assert.False(t, e.db.Migrator().HasTable(&gapByTwice{}))
	})
}
