package softdelete_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// TextGorm and TextOurs are the same table with GORM's and this package's
// column type.
type (
	TextGorm struct {
		gorm.Model
		Name string
		Age  int
	}
	TextOurs struct {
		softdelete.Model
		Name string
		Age  int
	}
)

func (TextGorm) TableName() string { return "texts" }
func (TextOurs) TableName() string { return "texts" }

// The filter writes GORM's own SQL wherever GORM's filter is right (GORM's
// test suite asserts that text), for both column types, with and without
// the plugin; and the two column types always render alike.
func TestFilterSQLIsGORMs(t *testing.T) {
	plain := testdb.Open(t, "sqlite", &gorm.Config{Logger: logger.Discard})
	ours := testdb.Open(t, "sqlite", &gorm.Config{Logger: logger.Discard})
	require.NoError(t, ours.Use(softdelete.New()))
	sql := func(db *gorm.DB, model any, q func(*gorm.DB) *gorm.DB) string {
		return db.ToSQL(func(tx *gorm.DB) *gorm.DB { return q(tx.Model(model)).Find(model) })
	}
	cases := []struct {
		name    string
		q       func(*gorm.DB) *gorm.DB
		grouped bool // GORM's filter gets it wrong: the plugin parenthesises
	}{
		{"lone Or", func(db *gorm.DB) *gorm.DB { return db.Or("id = ?", 1) }, false},
		{"Where then Or", func(db *gorm.DB) *gorm.DB { return db.Where("name = ?", "a").Or("name = ?", "b") }, false},
		{"Not raw", func(db *gorm.DB) *gorm.DB { return db.Not("name = ?", "a") }, false},
		{"Not raw with OR", func(db *gorm.DB) *gorm.DB { return db.Not("name = ? OR age = ?", "a", 1) }, false},
		{"Not struct", func(db *gorm.DB) *gorm.DB { return db.Not(&TextGorm{Name: "a", Age: 2}) }, false},
		{"struct", func(db *gorm.DB) *gorm.DB { return db.Where(&TextGorm{Name: "a", Age: 2}) }, false},
		{"raw with OR", func(db *gorm.DB) *gorm.DB { return db.Where("name = ? OR age = ?", "a", 1) }, false},
		{"group holding an Or", func(db *gorm.DB) *gorm.DB {
			return db.Where("name = ?", "a").Where(db.Session(&gorm.Session{NewDB: true}).Or("age = ?", 1))
		}, false},
		{"OR on a new line", func(db *gorm.DB) *gorm.DB { return db.Where("name = 'a'\nOR age = 1") }, true},
		{"Not over a new-line OR", func(db *gorm.DB) *gorm.DB { return db.Not("name = 'a'\nOR age = 1") }, true},
		{"trailing comment", func(db *gorm.DB) *gorm.DB { return db.Where("name = 'a' -- c") }, true},
		{"leading lone Or", func(db *gorm.DB) *gorm.DB { return db.Or("name = ?", "a").Where("age = ?", 1) }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gormText := sql(plain, &TextGorm{}, c.q)
			withPlugin := sql(ours, &TextGorm{}, c.q)
			oursText := sql(ours, &TextOurs{}, c.q)
			assert.Equal(t, withPlugin, oursText, "both column types render alike")
			if c.grouped {
				assert.NotEqual(t, gormText, withPlugin, "GORM's filter is wrong here: grouped")
				return
			}
			assert.Equal(t, gormText, withPlugin, "GORM's text, to the letter")
		})
	}
}
