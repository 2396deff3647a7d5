package softdelete_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

type Org struct {
	BaseModel
	Name      string
	DeletedBy *string     `softdelete:"deleted_by"`
	Profile   *OrgProfile `softdelete:"cascade"`
	Notes     []Note      `gorm:"polymorphic:Owner" softdelete:"cascade"`
}

type OrgProfile struct {
	BaseModel
	OrgID     uint
	Bio       string
	DeletedBy *string `softdelete:"deleted_by"`
}

type Note struct {
	BaseModel
	OwnerID   uint
	OwnerType string
	Text      string
}

type Team struct {
	BaseModel
	Name  string
	Notes []Note `gorm:"polymorphic:Owner" softdelete:"cascade"`
}

type Category struct {
	BaseModel
	ParentID *uint
	Name     string
	Children []Category `gorm:"foreignKey:ParentID" softdelete:"cascade"`
}

var cascadeModels = []any{&Org{}, &OrgProfile{}, &Note{}, &Team{}, &Category{}}

type actorKey struct{}

func eachCascadeDB(t *testing.T, s setup, fn func(t *testing.T, e *env)) {
	s.opts = append(s.opts, softdelete.WithActor(func(ctx context.Context) any {
		if v, ok := ctx.Value(actorKey{}).(string); ok {
			return v
		}
		return nil
	}))
	eachDBWith(t, s, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, cascadeModels...))
		fn(t, e)
	})
}

// blog: one author, n posts, each with 3 comments.
func (e *env) seedBlog(t *testing.T, name string, n int) (Author, []Post) {
	t.Helper()
	a := Author{Name: name}
	for i := 0; i < n; i++ {
		a.Posts = append(a.Posts, Post{Title: name, Comments: []Comment{{Body: "c1"}, {Body: "c2"}, {Body: "c3"}}})
	}
	require.NoError(t, e.db.Create(&a).Error)
	return a, a.Posts
}

func (e *env) distinctStamps(t *testing.T, authorID uint) []time.Time {
	t.Helper()
	var out []time.Time
	require.NoError(t, e.db.Raw(`SELECT deleted_at FROM authors WHERE id = ?
		UNION SELECT deleted_at FROM posts WHERE author_id = ?
		UNION SELECT c.deleted_at FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.author_id = ?`,
		authorID, authorID, authorID).Scan(&out).Error)
	return out
}

func TestCascadeDeleteAndRestore(t *testing.T) {
	eachCascadeDB(t, setup{}, func(t *testing.T, e *env) {
		a, posts := e.seedBlog(t, "ann", 3)
		other, _ := e.seedBlog(t, "bob", 2)

		// p0 deleted on its own, earlier: it must stay deleted after the restore
		require.NoError(t, e.db.Delete(&posts[0]).Error)
		e.clock.Advance(time.Minute)
		// one comment of p1 deleted on its own too
		require.NoError(t, e.db.Delete(&posts[1].Comments[0]).Error)
		e.clock.Advance(time.Minute)

		res := e.db.Delete(&a)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE author_id = ? AND deleted_at IS NULL", a.ID))
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.author_id = ? AND c.deleted_at IS NULL", a.ID))
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE author_id = ? AND deleted_at IS NOT NULL", other.ID), "other author untouched")
		// three instants: p0's own delete, the comment's own delete, the cascade
		assert.Len(t, e.distinctStamps(t, a.ID), 3)
		assert.EqualValues(t, 2, e.count(t, `SELECT count(*) FROM posts p JOIN authors a ON a.id = p.author_id
			WHERE a.id = ? AND p.deleted_at = a.deleted_at`, a.ID), "p1, p2 carry the author's timestamp")
		assert.EqualValues(t, 5, e.count(t, `SELECT count(*) FROM comments c JOIN posts p ON c.post_id = p.id
			JOIN authors a ON a.id = p.author_id WHERE a.id = ? AND c.deleted_at = a.deleted_at`, a.ID), "so do their 5 live comments")

		res = softdelete.Restore(e.db, &a)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		assert.NotNil(t, e.deletedAt(t, "posts", posts[0].ID), "p0 was deleted before: no zombie")
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM comments WHERE post_id = ? AND deleted_at IS NOT NULL", posts[0].ID))
		assert.NotNil(t, e.deletedAt(t, "comments", posts[1].Comments[0].ID), "comment deleted on its own stays deleted")
		assert.Nil(t, e.deletedAt(t, "posts", posts[1].ID))
		assert.Nil(t, e.deletedAt(t, "posts", posts[2].ID))
		assert.EqualValues(t, 5, e.count(t, "SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.author_id = ? AND c.deleted_at IS NULL", a.ID))
	})
}

func TestCascadeByConditionsAndStatementCount(t *testing.T) {
	eachCascadeDB(t, setup{}, func(t *testing.T, e *env) {
		counts := map[int]int{}
		for _, n := range []int{1, 20} {
			a, _ := e.seedBlog(t, "n"+string(rune('a'+n)), n)
			e.log.reset()
			res := e.db.Where("name = ?", a.Name).Delete(&Author{})
			require.NoError(t, res.Error)
			assert.EqualValues(t, n*3, e.count(t, "SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.author_id = ? AND c.deleted_at IS NOT NULL", a.ID))
			counts[n] = len(e.log.starting("UPDATE"))
			e.log.reset()
			require.NoError(t, softdelete.Restore(e.db, &Author{}, "name = ?", a.Name).Error)
			assert.Len(t, e.log.starting("UPDATE"), counts[n], "restore: one statement per level too")
			assert.EqualValues(t, n*3, e.count(t, "SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.author_id = ? AND c.deleted_at IS NULL", a.ID))
		}
		assert.Equal(t, 3, counts[1], "comments, posts, authors")
		assert.Equal(t, counts[1], counts[20], "statement count does not grow with children")
		e.log.mu.Lock()
		defer e.log.mu.Unlock()
	})
}

func TestCascadeOrderChildrenFirst(t *testing.T) {
	eachCascadeDB(t, setup{}, func(t *testing.T, e *env) {
		a, _ := e.seedBlog(t, "ann", 1)
		e.log.reset()
		require.NoError(t, e.db.Delete(&a).Error)
		ups := e.log.starting("UPDATE")
		require.Len(t, ups, 3)
		assert.Contains(t, unquote(ups[0]), "UPDATE comments")
		assert.Contains(t, unquote(ups[1]), "UPDATE posts")
		assert.Contains(t, unquote(ups[2]), "UPDATE authors")
	})
}

func TestCascadeIsAtomic(t *testing.T) {
	for name, s := range map[string]setup{
		"default transaction":    {},
		"SkipDefaultTransaction": {cfg: func(c *gorm.Config) { c.SkipDefaultTransaction = true }},
	} {
		t.Run(name, func(t *testing.T) {
			eachCascadeDB(t, s, func(t *testing.T, e *env) {
				a, _ := e.seedBlog(t, "ann", 2)
				boom := errors.New("boom")
				err := e.db.Transaction(func(tx *gorm.DB) error {
					require.NoError(t, tx.Delete(&a).Error)
					return boom
				})
				assert.ErrorIs(t, err, boom)
				assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM comments WHERE deleted_at IS NOT NULL"))

				// failure in the root UPDATE, after the cascade statements ran: a
				// unique index among deleted authors makes deleting a second "ann" fail
				ghost := Author{Name: "ann"}
				require.NoError(t, e.db.Create(&ghost).Error)
				require.NoError(t, e.db.Delete(&ghost).Error)
				require.NoError(t, e.db.Exec(e.indexDDL(t, "CREATE UNIQUE INDEX deleted_names ON authors (name) WHERE deleted_at IS NOT NULL")).Error)
				err = e.db.Delete(&a).Error
				require.Error(t, err)
				assert.Nil(t, e.deletedAt(t, "authors", a.ID))
				assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL"), "cascade rolled back")
				assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM comments WHERE deleted_at IS NOT NULL"))
			})
		})
	}
}

func TestParentDeleted(t *testing.T) {
	eachCascadeDB(t, setup{}, func(t *testing.T, e *env) {
		a, posts := e.seedBlog(t, "ann", 2)
		require.NoError(t, e.db.Delete(&a).Error)
		err := softdelete.Restore(e.db, &posts[0]).Error
		assert.ErrorIs(t, err, softdelete.ErrParentDeleted)
		assert.ErrorContains(t, err, "Author")
		assert.NotNil(t, e.deletedAt(t, "posts", posts[0].ID), "nothing changed")
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM comments WHERE post_id = ? AND deleted_at IS NOT NULL", posts[0].ID))
		require.NoError(t, softdelete.Restore(e.db, &a).Error)
		assert.Nil(t, e.deletedAt(t, "posts", posts[0].ID))
	})
}

func TestHardDeleteCascade(t *testing.T) {
	eachCascadeDB(t, setup{}, func(t *testing.T, e *env) {
		a, _ := e.seedBlog(t, "ann", 3)
		b, _ := e.seedBlog(t, "bob", 1)
		require.NoError(t, e.db.Delete(&a).Error)
		res := softdelete.HardDelete(e.db, &Author{}, "name = ?", "ann")
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE author_id = ?", a.ID))
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM comments"), "bob's comments remain")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM posts WHERE author_id = ?", b.ID))
	})
}

func TestActorAndHasOneAndPolymorphic(t *testing.T) {
	eachCascadeDB(t, setup{}, func(t *testing.T, e *env) {
		o := Org{Name: "acme", Profile: &OrgProfile{Bio: "b"}, Notes: []Note{{Text: "n1"}, {Text: "n2"}}}
		team := Team{Name: "t", Notes: []Note{{Text: "team note"}}}
		require.NoError(t, e.db.Create(&o).Error)
		require.NoError(t, e.db.Create(&team).Error)
		// a team with the same id as the org must keep its notes (polymorphic type)
		require.NoError(t, e.db.Exec("UPDATE notes SET owner_id = ? WHERE owner_type = 'teams'", o.ID).Error)

		ctx := context.WithValue(context.Background(), actorKey{}, "alice")
		require.NoError(t, e.db.WithContext(ctx).Delete(&o).Error)
		var by []string
		require.NoError(t, e.db.Raw("SELECT deleted_by FROM orgs UNION ALL SELECT deleted_by FROM org_profiles").Scan(&by).Error)
		assert.Equal(t, []string{"alice", "alice"}, by)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM notes WHERE owner_type = 'orgs' AND deleted_at IS NOT NULL"))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM notes WHERE owner_type = 'teams' AND deleted_at IS NULL"))

		require.NoError(t, softdelete.Restore(e.db, &o).Error)
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM orgs WHERE deleted_by IS NOT NULL OR deleted_at IS NOT NULL"))
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM org_profiles WHERE deleted_by IS NOT NULL OR deleted_at IS NOT NULL"))
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM notes WHERE deleted_at IS NOT NULL"))
	})
}

func TestActorOfWrongType(t *testing.T) {
	eachDBWith(t, setup{opts: []softdelete.Option{softdelete.WithActor(func(context.Context) any { return 42.5 })}}, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, cascadeModels...))
		o := Org{Name: "acme"}
		require.NoError(t, e.db.Create(&o).Error)
		err := e.db.Delete(&o).Error
		assert.ErrorIs(t, err, softdelete.ErrInvalidActor)
		assert.Nil(t, e.deletedAt(t, "orgs", o.ID))
	})
}

func TestSelfReferencingCascade(t *testing.T) {
	eachCascadeDB(t, setup{}, func(t *testing.T, e *env) {
		root := Category{Name: "root"}
		require.NoError(t, e.db.Create(&root).Error)
		parent := root.ID
		var chain []uint
		for i := 0; i < 5; i++ {
			c := Category{Name: "c", ParentID: &parent}
			require.NoError(t, e.db.Create(&c).Error)
			chain = append(chain, c.ID)
			parent = c.ID
		}
		sibling := Category{Name: "other"}
		require.NoError(t, e.db.Create(&sibling).Error)
		// deleted on its own first: stays deleted after restore
		require.NoError(t, e.db.Delete(&Category{}, chain[4]).Error)
		e.clock.Advance(time.Second)

		require.NoError(t, e.db.Delete(&root).Error)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM categories WHERE deleted_at IS NULL"))
		require.NoError(t, softdelete.Restore(e.db, &root).Error)
		assert.EqualValues(t, 6, e.count(t, "SELECT count(*) FROM categories WHERE deleted_at IS NULL"))
		assert.NotNil(t, e.deletedAt(t, "categories", chain[4]))

		// a cycle in the data terminates
		require.NoError(t, e.db.Exec("UPDATE categories SET parent_id = ? WHERE id = ?", chain[3], root.ID).Error)
		require.NoError(t, e.db.Delete(&Category{}, chain[0]).Error)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM categories WHERE deleted_at IS NULL"))
		require.NoError(t, softdelete.HardDelete(e.db, &Category{}, chain[0]).Error)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM categories"))
	})
}

type BadBelongs struct {
	BaseModel
	AuthorID uint
	Author   Author `softdelete:"cascade"`
}

type BadColumn struct {
	BaseModel
	Name string `softdelete:"cascade"`
}

type BadMany struct {
	BaseModel
	Tags []Tag `gorm:"many2many:bad_many_tags" softdelete:"cascade"`
}

type BadValue struct {
	BaseModel
	Name string `softdelete:"uniq"`
}

func TestInvalidCascadeTags(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		for _, m := range []any{&BadBelongs{}, &BadColumn{}, &BadMany{}, &BadValue{}} {
			err := softdelete.AutoMigrate(e.db, m)
			require.ErrorIs(t, err, softdelete.ErrInvalidTag)
			assert.Regexp(t, `Bad\w+\.\w+`, err.Error(), "names model and field")
			err = e.db.Delete(m, 1).Error
			assert.ErrorIs(t, err, softdelete.ErrInvalidTag, "first statement on the model reports it")
		}
	})
}

func TestRestoreConflictInsideCallerTransaction(t *testing.T) {
	eachCascadeDB(t, setup{}, func(t *testing.T, e *env) {
		a, _ := e.seedBlog(t, "ann", 2)
		require.NoError(t, e.db.Delete(&a).Error)
		require.NoError(t, e.db.Exec(e.indexDDL(t, "CREATE UNIQUE INDEX live_bodies ON comments (body) WHERE deleted_at IS NULL")).Error)
		b, _ := e.seedBlog(t, "bob", 1) // bob's live comments c1..c3 now hold the keys

		err := e.db.Transaction(func(tx *gorm.DB) error {
			err := softdelete.Restore(tx, &a).Error
			assert.ErrorIs(t, err, softdelete.ErrRestoreConflict)
			assert.ErrorIs(t, err, gorm.ErrDuplicatedKey)
			// the caller's transaction is still usable (PostgreSQL too) and unchanged
			return tx.Model(&Author{}).Where("id = ?", b.ID).Update("name", "bobby").Error
		})
		require.NoError(t, err)
		assert.NotNil(t, e.deletedAt(t, "authors", a.ID))
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE author_id = ? AND deleted_at IS NULL", a.ID))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM authors WHERE name = 'bobby'"))
	})
}

// A child inserted by a transaction that is still open when a cascading
// delete starts must not survive, live, under its deleted parent: the delete
// locks the parents first (PostgreSQL), waits for the inserter's foreign-key
// lock, and then sees the new child.
func TestCascadeDeleteWaitsForChildInserts(t *testing.T) {
	eachCascadeDB(t, setup{}, func(t *testing.T, e *env) {
		if e.name != "postgres" {
			t.Skip("SQLite serialises writers: the race cannot happen")
		}
		a, _ := e.seedBlog(t, "ann", 1)
		tx := e.db.Begin()
		require.NoError(t, tx.Create(&Post{AuthorID: a.ID, Title: "late"}).Error)

		done := make(chan error, 1)
		go func() { done <- e.db.Delete(&Author{}, a.ID).Error }()
		select {
		case err := <-done:
			t.Fatalf("the delete did not wait for the open insert: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		require.NoError(t, tx.Commit().Error)
		require.NoError(t, <-done)
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM posts WHERE author_id = ? AND deleted_at IS NULL", a.ID))
	})
}
