package softdelete_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// With db.Use(softdelete.New()) forgotten, every entry point must fail with
// ErrNotRegistered and change nothing: a scope silently dropped would show
// live rows as the trash, and "empty the trash" would hard-delete them.
func TestEveryEntryPointNeedsThePlugin(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target, func(t *testing.T) {
			db := testdb.Open(t, target, &gorm.Config{Logger: logger.Discard})
			require.NoError(t, db.AutoMigrate(&Author{}, &Post{}, &Comment{}, &Legacy{}))
			a := Author{Name: "ann"}
			require.NoError(t, db.Create(&a).Error)
			posts := []Post{{AuthorID: a.ID, Title: "live"}, {AuthorID: a.ID, Title: "gone"}}
			require.NoError(t, db.Create(&posts).Error)
			require.NoError(t, db.Exec("UPDATE posts SET deleted_at = CURRENT_TIMESTAMP WHERE title = 'gone'").Error)
			legacy := Legacy{Name: "l"}
			require.NoError(t, db.Create(&legacy).Error)
			require.NoError(t, db.Delete(&legacy).Error, "gorm.DeletedAt deletes are GORM's own")
			ctx := context.Background()

			calls := map[string]func() error{
				"OnlyDeleted":      func() error { var ps []Post; return db.Scopes(softdelete.OnlyDeleted).Find(&ps).Error },
				"WithDeleted":      func() error { var ps []Post; return db.Scopes(softdelete.WithDeleted).Find(&ps).Error },
				"OnlyDeleted call": func() error { var ps []Post; return softdelete.OnlyDeleted(db).Find(&ps).Error },
				"OnlyDeletedClause": func() error {
					_, err := gorm.G[Post](db, softdelete.OnlyDeletedClause).Find(ctx)
					return err
				},
				"OnlyDeletedStatement": func() error {
					_, err := gorm.G[Post](db).Scopes(softdelete.OnlyDeletedStatement).Find(ctx)
					return err
				},
				"Restore":      func() error { return softdelete.Restore(db, &Post{}, "title = ?", "gone").Error },
				"Restore gorm": func() error { return softdelete.Restore(db, &legacy).Error },
				"HardDelete":   func() error { return softdelete.HardDelete(db, &Post{}, "author_id = ?", a.ID).Error },
				"empty the trash": func() error {
					return softdelete.HardDelete(db.Scopes(softdelete.OnlyDeleted), &Post{}, "author_id = ?", a.ID).Error
				},
				"Delete":      func() error { return db.Delete(&posts[0]).Error },
				"AutoMigrate": func() error { return softdelete.AutoMigrate(db, &Post{}) },
				"IndexSQL":    func() error { _, err := softdelete.IndexSQL(db, &Post{}); return err },
				"Purge": func() error {
					_, err := softdelete.Purge(ctx, db, &Post{}, softdelete.PurgeOptions{OlderThan: 1})
					return err
				},
				"NewPurger": func() error {
					_, err := softdelete.NewPurger(db, 1, softdelete.Policy{Model: &Post{}, Options: softdelete.PurgeOptions{OlderThan: 1}})
					return err
				},
			}
			if _, ours := any(Post{}.DeletedAt).(softdelete.DeletedAt); !ours {
				delete(calls, "Delete") // a gorm.DeletedAt delete is GORM's own soft delete
			}
			for name, call := range calls {
				t.Run(name, func(t *testing.T) {
					assert.ErrorIs(t, call(), softdelete.ErrNotRegistered)
					var live, gone, legacyGone int64
					require.NoError(t, db.Raw("SELECT count(*) FROM posts WHERE deleted_at IS NULL").Scan(&live).Error)
					require.NoError(t, db.Raw("SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL").Scan(&gone).Error)
					require.NoError(t, db.Raw("SELECT count(*) FROM legacies WHERE deleted_at IS NOT NULL").Scan(&legacyGone).Error)
					assert.EqualValues(t, 1, live, "the live post is untouched")
					assert.EqualValues(t, 1, gone, "the deleted post is untouched")
					assert.EqualValues(t, 1, legacyGone, "the gorm.DeletedAt row stays deleted")
				})
			}
			require.NoError(t, db.Where("id > ?", 0).Find(&[]Post{}).Error, "the root db is not poisoned by the errors")
		})
	}
}

// DeletedAt filters reads by itself, plugin or not; its filter must leave
// GORM's read-back of the WHERE working there too.
func TestFirstOrCreateWithoutThePlugin(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target, func(t *testing.T) {
			db := testdb.Open(t, target, &gorm.Config{Logger: logger.Discard})
			require.NoError(t, db.AutoMigrate(&Person{}))
			var p Person
			require.NoError(t, db.Where(&Person{Name: "bob", Age: 40}).FirstOrCreate(&p).Error)
			var stored Person
			require.NoError(t, db.Raw("SELECT * FROM people WHERE id = ?", p.ID).Scan(&stored).Error)
			assert.Equal(t, "bob", stored.Name)
			assert.Equal(t, 40, stored.Age)
		})
	}
}
