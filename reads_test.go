package softdelete_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// readFixture: author ann with posts p1 (live), p2 (deleted), p3 (live);
// author bob (deleted) with post p4 (live).
type readFixture struct {
	ann, bob       Author
	p1, p2, p3, p4 Post
}

func seedReads(t *testing.T, e *env) readFixture {
	t.Helper()
	var f readFixture
	f.ann, f.bob = Author{Name: "ann"}, Author{Name: "bob"}
	require.NoError(t, e.db.Create(&f.ann).Error)
	require.NoError(t, e.db.Create(&f.bob).Error)
	f.p1 = Post{AuthorID: f.ann.ID, Title: "p1", Views: 1}
	f.p2 = Post{AuthorID: f.ann.ID, Title: "p2", Views: 2}
	f.p3 = Post{AuthorID: f.ann.ID, Title: "p3", Views: 3}
	f.p4 = Post{AuthorID: f.bob.ID, Title: "p4", Views: 4}
	for _, p := range []*Post{&f.p1, &f.p2, &f.p3, &f.p4} {
		require.NoError(t, e.db.Create(p).Error)
	}
	require.NoError(t, e.db.Delete(&f.p2).Error)
	// delete bob alone, not his post: raw SQL avoids the cascade
	require.NoError(t, e.db.Exec("UPDATE authors SET deleted_at = ? WHERE id = ?", e.clock.Now(), f.bob.ID).Error)
	return f
}

func titles(ps []Post) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Title
	}
	return out
}

func TestReadsAreFiltered(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		f := seedReads(t, e)
		db := e.db

		t.Run("Find", func(t *testing.T) {
			var ps []Post
			require.NoError(t, db.Order("id").Find(&ps).Error)
			assert.Equal(t, []string{"p1", "p3", "p4"}, titles(ps))
		})
		t.Run("First/Take/Last by deleted key", func(t *testing.T) {
			for name, fn := range map[string]func(any, ...any) *gorm.DB{"First": db.First, "Take": db.Take, "Last": db.Last} {
				var p Post
				assert.ErrorIs(t, fn(&p, f.p2.ID).Error, gorm.ErrRecordNotFound, name)
			}
			var p Post
			require.NoError(t, db.Last(&p).Error)
			assert.Equal(t, "p4", p.Title)
		})
		t.Run("Count", func(t *testing.T) {
			var n int64
			require.NoError(t, db.Model(&Post{}).Count(&n).Error)
			assert.EqualValues(t, 3, n)
		})
		t.Run("Pluck", func(t *testing.T) {
			var ts []string
			require.NoError(t, db.Model(&Post{}).Order("id").Pluck("title", &ts).Error)
			assert.Equal(t, []string{"p1", "p3", "p4"}, ts)
		})
		t.Run("Scan", func(t *testing.T) {
			var rows []struct{ Title string }
			require.NoError(t, db.Model(&Post{}).Select("title").Order("id").Scan(&rows).Error)
			assert.Len(t, rows, 3)
		})
		t.Run("Rows", func(t *testing.T) {
			rows, err := db.Model(&Post{}).Select("title").Rows()
			require.NoError(t, err)
			defer rows.Close()
			n := 0
			for rows.Next() {
				n++
			}
			assert.Equal(t, 3, n)
		})
		t.Run("Row", func(t *testing.T) {
			var n int64
			require.NoError(t, db.Model(&Post{}).Select("count(*)").Row().Scan(&n))
			assert.EqualValues(t, 3, n)
		})
		t.Run("FindInBatches", func(t *testing.T) {
			var seen []string
			var batch []Post
			require.NoError(t, db.FindInBatches(&batch, 2, func(tx *gorm.DB, _ int) error {
				seen = append(seen, titles(batch)...)
				return nil
			}).Error)
			assert.ElementsMatch(t, []string{"p1", "p3", "p4"}, seen)
		})
		t.Run("Group and aggregate", func(t *testing.T) {
			var sums []struct {
				AuthorID uint
				Total    int
			}
			require.NoError(t, db.Model(&Post{}).Select("author_id, sum(views) as total").Group("author_id").Order("author_id").Scan(&sums).Error)
			require.Len(t, sums, 2)
			assert.Equal(t, 4, sums[0].Total) // p1 + p3, not p2
		})
		t.Run("Subquery", func(t *testing.T) {
			var as []Author
			sub := db.Model(&Post{}).Select("author_id").Where("views >= ?", 2)
			require.NoError(t, db.Unscoped().Where("id IN (?)", sub).Order("id").Find(&as).Error)
			assert.Equal(t, []uint{f.ann.ID, f.bob.ID}, ids(as))
			sub = db.Model(&Post{}).Select("author_id").Where("views = ?", 2) // only the deleted p2
			require.NoError(t, db.Unscoped().Where("id IN (?)", sub).Find(&as).Error)
			assert.Empty(t, as)
		})
		t.Run("Lone Or does not leak", func(t *testing.T) {
			var ps []Post
			require.NoError(t, db.Or("title = ?", "p2").Find(&ps).Error)
			assert.Empty(t, ps)
			require.NoError(t, db.Where("title = ?", "p1").Or("title = ?", "p2").Order("id").Find(&ps).Error)
			assert.Equal(t, []string{"p1"}, titles(ps))
			require.NoError(t, db.Where("title = 'p1' OR title = 'p2'").Find(&ps).Error)
			assert.Equal(t, []string{"p1"}, titles(ps))
			for i, raw := range []string{"title = 'p2' OR\ntitle = 'p1'", "title = 'p2'\tor(title = 'p1')", "(title = 'p2')OR(title = 'p1')"} {
				require.NoError(t, db.Where(raw).Find(&ps).Error)
				assert.Equal(t, []string{"p1"}, titles(ps), "%q", raw)
				var n int64
				require.NoError(t, db.Model(&Post{}).Where(raw).Count(&n).Error)
				assert.EqualValues(t, 1, n, "%q", raw)
				res := db.Model(&Post{}).Where(raw).Update("views", 9+i) // a change each time: MySQL counts changed rows
				require.NoError(t, res.Error)
				assert.EqualValues(t, 1, res.RowsAffected, "update of %q", raw)
			}
		})
		t.Run("Association Find and Count", func(t *testing.T) {
			var ps []Post
			require.NoError(t, db.Model(&f.ann).Association("Posts").Find(&ps))
			assert.ElementsMatch(t, []string{"p1", "p3"}, titles(ps))
			assert.EqualValues(t, 2, db.Model(&f.ann).Association("Posts").Count())
		})
		t.Run("Preload", func(t *testing.T) {
			var a Author
			require.NoError(t, db.Preload("Posts").First(&a, f.ann.ID).Error)
			assert.ElementsMatch(t, []string{"p1", "p3"}, titles(a.Posts))
			var ps []Post
			require.NoError(t, db.Preload("Author").Order("id").Find(&ps).Error)
			require.Len(t, ps, 3)
			assert.Nil(t, ps[2].Author, "deleted author is not preloaded")
		})
		t.Run("Preload opts in with WithDeleted", func(t *testing.T) {
			var a Author
			require.NoError(t, db.Preload("Posts", softdelete.WithDeleted).First(&a, f.ann.ID).Error)
			assert.ElementsMatch(t, []string{"p1", "p2", "p3"}, titles(a.Posts))
		})
		t.Run("Joins keeps parent, filters relation in ON", func(t *testing.T) {
			var ps []Post
			require.NoError(t, db.Joins("Author").Order("posts.id").Find(&ps).Error)
			require.Equal(t, []string{"p1", "p3", "p4"}, titles(ps))
			assert.Equal(t, "ann", ps[0].Author.Name)
			assert.Nil(t, ps[2].Author, "LEFT JOIN keeps p4, without its deleted author")
			require.NoError(t, db.InnerJoins("Author").Order("posts.id").Find(&ps).Error)
			assert.Equal(t, []string{"p1", "p3"}, titles(ps))
		})
		t.Run("Generics", func(t *testing.T) {
			ps, err := gorm.G[Post](db).Order("id").Find(context.Background())
			require.NoError(t, err)
			assert.Equal(t, []string{"p1", "p3", "p4"}, titles(ps))
			n, err := gorm.G[Post](db).Where("id > ?", 0).Count(context.Background(), "*")
			require.NoError(t, err)
			assert.EqualValues(t, 3, n)
			_, err = gorm.G[Post](db).Where("id = ?", f.p2.ID).First(context.Background())
			assert.ErrorIs(t, err, gorm.ErrRecordNotFound)
		})
		t.Run("Table after AutoMigrate", func(t *testing.T) {
			var n int64
			require.NoError(t, db.Table("posts").Count(&n).Error)
			assert.EqualValues(t, 3, n)
			var ts []string
			require.NoError(t, db.Table("posts p").Where("p.views > ?", 0).Order("p.id").Pluck("p.title", &ts).Error)
			assert.Equal(t, []string{"p1", "p3", "p4"}, ts)
			require.NoError(t, db.Table("posts").Scopes(softdelete.OnlyDeleted).Pluck("title", &ts).Error)
			assert.Equal(t, []string{"p2"}, ts)
			require.NoError(t, db.Table("posts").Scopes(softdelete.WithDeleted).Count(&n).Error)
			assert.EqualValues(t, 4, n)
		})
		t.Run("Not filtered: Raw and string joins", func(t *testing.T) {
			var n int64
			require.NoError(t, db.Raw("SELECT count(*) FROM posts").Scan(&n).Error)
			assert.EqualValues(t, 4, n, "Raw is never rewritten")
			var as []Author
			require.NoError(t, db.Joins("JOIN posts ON posts.author_id = authors.id").Where("posts.title = ?", "p2").Find(&as).Error)
			assert.Len(t, as, 1, "a string join sees the deleted post (only authors are filtered)")
		})
	})
}

func TestScopes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		seedReads(t, e)
		db := e.db
		var ps []Post
		require.NoError(t, db.Scopes(softdelete.WithDeleted).Order("id").Find(&ps).Error)
		assert.Equal(t, []string{"p1", "p2", "p3", "p4"}, titles(ps))
		require.NoError(t, db.Scopes(softdelete.OnlyDeleted).Find(&ps).Error)
		assert.Equal(t, []string{"p2"}, titles(ps))
		require.NoError(t, db.Scopes(softdelete.OnlyDeleted).Or("title = ?", "p1").Find(&ps).Error)
		assert.Empty(t, ps, "a lone Or cannot widen OnlyDeleted to live rows")
		var n int64
		require.NoError(t, db.Model(&Post{}).Scopes(softdelete.OnlyDeleted).Count(&n).Error)
		assert.EqualValues(t, 1, n)

		t.Run("does not leak into later queries", func(t *testing.T) {
			require.NoError(t, db.Scopes(softdelete.OnlyDeleted).Find(&ps).Error)
			require.NoError(t, db.Order("id").Find(&ps).Error)
			assert.Equal(t, []string{"p1", "p3", "p4"}, titles(ps))
		})
		t.Run("affects only the queried model", func(t *testing.T) {
			var as []Author
			require.NoError(t, db.Scopes(softdelete.WithDeleted).Preload("Posts").Order("id").Find(&as).Error)
			require.Len(t, as, 2)
			assert.ElementsMatch(t, []string{"p1", "p3"}, titles(as[0].Posts))
			require.NoError(t, db.Scopes(softdelete.OnlyDeleted).Joins("Author").Find(&ps).Error)
			require.Len(t, ps, 1)
			assert.Equal(t, "ann", ps[0].Author.Name)
		})
		t.Run("OnlyDeleted on a model without the field", func(t *testing.T) {
			var tags []Tag
			err := db.Scopes(softdelete.OnlyDeleted).Find(&tags).Error
			assert.ErrorIs(t, err, softdelete.ErrNotSoftDeletable)
			require.NoError(t, db.Scopes(softdelete.WithDeleted).Find(&tags).Error)
		})
		t.Run("Unscoped", func(t *testing.T) {
			require.NoError(t, db.Unscoped().Find(&ps).Error)
			assert.Len(t, ps, 4)
		})
		t.Run("Update respects scopes", func(t *testing.T) {
			res := db.Model(&Post{}).Where("title IN ?", []string{"p1", "p2"}).Update("views", 10)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected, "deleted p2 untouched")
			assert.EqualValues(t, 2, e.count(t, "SELECT views FROM posts WHERE title = 'p2'"))
			res = db.Scopes(softdelete.OnlyDeleted).Model(&Post{}).Where("views < ?", 100).Update("views", 20)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			res = db.Scopes(softdelete.WithDeleted).Model(&Post{}).Where("views < ?", 100).Update("views", 30)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 4, res.RowsAffected)
			err := db.Scopes(softdelete.WithDeleted).Model(&Post{}).Update("views", 1).Error
			assert.ErrorIs(t, err, gorm.ErrMissingWhereClause)
		})
	})
}

func TestPredicateIsLiteralSQL(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		sql := e.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			var p Post
			return tx.Where("title = ?", "x").First(&p)
		})
		assert.Contains(t, unquote(sql), `posts.deleted_at IS NULL`)
		sql = e.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			var ps []Post
			return tx.Scopes(softdelete.OnlyDeleted).Find(&ps)
		})
		assert.Contains(t, unquote(sql), `posts.deleted_at IS NOT NULL`)
	})
}

// unquote drops identifier quotes so SQL can be compared across dialects.
func unquote(sql string) string { return strings.NewReplacer("`", "", `"`, "").Replace(sql) }

func TestFilterHoldsAgainstRawSQL(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		seedReads(t, e) // p2 is the deleted post
		db := e.db
		cases := map[string]*gorm.DB{
			"OR next to a quoted name": db.Where(`title = 'p2' OR"views" = 1`),
			"Not with a newline OR":    db.Not("title <> 'p2' OR\ntitle = 'p2'"),
			"lone Or with a newline":   db.Or("title = 'p2' OR\nviews = 1"),
			"expression argument":      db.Where("?", gorm.Expr("title = 'p2' OR\nviews = 1")),
			"trailing line comment":    db.Where("title = 'p2' -- the second post"),
			"leading Or then Where":    db.Or("title = ?", "p2").Where("views = ?", 1),
		}
		for name, q := range cases {
			t.Run(name, func(t *testing.T) {
				var all, live []Post
				require.NoError(t, q.Session(&gorm.Session{}).Scopes(softdelete.WithDeleted).Find(&all).Error)
				require.NoError(t, q.Session(&gorm.Session{}).Find(&live).Error)
				var want []string
				for _, p := range all {
					if !p.DeletedAt.Valid {
						want = append(want, p.Title)
					}
				}
				assert.ElementsMatch(t, want, titles(live), "the filtered query is exactly the live rows of the unfiltered one")
				assert.NotContains(t, titles(live), "p2")
			})
		}
	})
}
