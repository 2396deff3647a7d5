package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// each runs fn on SQLite and PostgreSQL with the example's gorm.Config, like
// testdb.Each, but opens SQLite as the example does (open: a file with
// sqliteParams, _txlock=immediate included), since its transactions rely on it.
func each(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	for _, target := range []string{"sqlite", "postgres"} {
		t.Run(target, func(t *testing.T) {
			if target == "postgres" {
				fn(t, testdb.Open(t, "postgres", gormConfig(false)))
				return
			}
			fn(t, openFile(t, filepath.Join(t.TempDir(), "blog.db")))
		})
	}
}

// openFile opens the SQLite file as main does, closing it in t.Cleanup.
func openFile(t *testing.T, file string) *gorm.DB {
	t.Helper()
	db, err := open("", file, false)
	require.NoError(t, err)
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

// client drives the API over real HTTP.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

// newClient prepares db (plugin and migration, with opts) and serves the API
// on a loopback port for the duration of the test.
func newClient(t *testing.T, db *gorm.DB, opts ...softdelete.Option) client {
	t.Helper()
	require.NoError(t, setup(db, opts...))
	return serveHandler(t, newServer(db))
}

// serveHandler serves h with httptest on a loopback port.
func serveHandler(t *testing.T, h http.Handler) client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return client{t: t, base: srv.URL, http: srv.Client()}
}

// do sends a request: body is sent as is when it is a string, encoded as
// JSON otherwise (nil: no body). It returns the status and the body.
func (c client) do(method, path string, body any) (int, http.Header, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(c.t, err)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	require.NoError(c.t, err)
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, resp.Header, data
}

// ok requires status and decodes the JSON response into out (unless nil).
func (c client) ok(method, path string, body any, status int, out any) {
	c.t.Helper()
	got, h, data := c.do(method, path, body)
	require.Equal(c.t, status, got, "%s %s: %s", method, path, data)
	if out == nil {
		if status == http.StatusNoContent {
			assert.Empty(c.t, data, "%s %s: a 204 has no body", method, path)
		}
		return
	}
	assert.Equal(c.t, "application/json", h.Get("Content-Type"), "%s %s", method, path)
	require.NoError(c.t, json.Unmarshal(data, out), "%s %s: %s", method, path, data)
}

// fails requires status and a JSON body {"error": msg}, and returns msg.
func (c client) fails(method, path string, body any, status int) string {
	c.t.Helper()
	got, h, data := c.do(method, path, body)
	require.Equal(c.t, status, got, "%s %s: %s", method, path, data)
	assert.Equal(c.t, "application/json", h.Get("Content-Type"), "%s %s", method, path)
	var e map[string]string
	require.NoError(c.t, json.Unmarshal(data, &e), "%s %s: %s", method, path, data)
	require.Len(c.t, e, 1, "%s %s: %s", method, path, data)
	require.NotEmpty(c.t, e["error"], "%s %s: %s", method, path, data)
	return e["error"]
}

// user creates a user.
func (c client) user(name string) User {
	c.t.Helper()
	var u User
	c.ok("POST", "/users", map[string]any{"name": name}, http.StatusCreated, &u)
	require.NotZero(c.t, u.ID)
	return u
}

// post creates a post.
func (c client) post(slug string, author User) Post {
	c.t.Helper()
	var p Post
	c.ok("POST", "/posts", map[string]any{"title": "About " + slug, "slug": slug, "body": "Text of " + slug, "author_id": author.ID}, http.StatusCreated, &p)
	require.NotZero(c.t, p.ID)
	return p
}

// comment adds a comment to the post with slug.
func (c client) comment(slug, author, body string) Comment {
	c.t.Helper()
	var cm Comment
	c.ok("POST", "/posts/"+slug+"/comments", map[string]any{"author": author, "body": body}, http.StatusCreated, &cm)
	return cm
}

// comments lists the comments' bodies of the post with slug.
func (c client) comments(slug string) []string {
	c.t.Helper()
	var cs []Comment
	c.ok("GET", "/posts/"+slug+"/comments", nil, http.StatusOK, &cs)
	bodies := []string{}
	for _, cm := range cs {
		bodies = append(bodies, cm.Body)
	}
	return bodies
}

// trash returns "slug#id by author" for every post in the trash, in order,
// and checks each is deleted.
func (c client) trash() []string {
	c.t.Helper()
	var posts []Post
	c.ok("GET", "/admin/trash", nil, http.StatusOK, &posts)
	out := []string{}
	for _, p := range posts {
		assert.True(c.t, p.DeletedAt.IsDeleted(), "trash entry %s is deleted", p.Slug)
		author := "?"
		if p.Author != nil {
			author = p.Author.Name
		}
		out = append(out, fmt.Sprintf("%s#%d by %s", p.Slug, p.ID, author))
	}
	return out
}

// live returns the slugs of GET /posts.
func (c client) live() []string {
	c.t.Helper()
	var posts []Post
	c.ok("GET", "/posts", nil, http.StatusOK, &posts)
	out := []string{}
	for _, p := range posts {
		require.NotNil(c.t, p.Author, "post %s has its author", p.Slug)
		assert.Equal(c.t, p.AuthorID, p.Author.ID)
		out = append(out, p.Slug)
	}
	return out
}

// physical counts a model's rows, deleted or not.
func physical(t *testing.T, db *gorm.DB, model any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.Unscoped().Model(model).Count(&n).Error)
	return n
}

// TestPostLifecycle: create, comment, delete (404, slug free), reuse the
// slug, restore conflict, trash, hard delete of the live post, restore with
// comments, hard delete of the deleted ones.
func TestPostLifecycle(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		c := newClient(t, db)
		ann, bob := c.user("ann"), c.user("bob")

		first := c.post("hello-world", ann)
		assert.Equal(t, "hello-world", first.Slug)
		assert.Equal(t, "About hello-world", first.Title)
		assert.Equal(t, ann.ID, first.AuthorID)
		require.NotNil(t, first.Author)
		assert.Equal(t, "ann", first.Author.Name)
		assert.False(t, first.DeletedAt.IsDeleted())
		c.comment("hello-world", "bob", "Nice post")
		c.comment("hello-world", "cy", "Agreed")
		assert.Equal(t, []string{"Nice post", "Agreed"}, c.comments("hello-world"))
		assert.Equal(t, []string{"hello-world"}, c.live())

		var got Post
		c.ok("GET", "/posts/hello-world", nil, http.StatusOK, &got)
		assert.Equal(t, first.ID, got.ID)
		assert.Equal(t, "ann", got.Author.Name)
		_, _, raw := c.do("GET", "/posts/hello-world", nil)
		assert.Contains(t, string(raw), `"deleted_at":null`)

		// Two live posts cannot share a slug.
		assert.Equal(t, `slug "hello-world" is taken by a live post`,
			c.fails("POST", "/posts", map[string]any{"title": "Again", "slug": "hello-world", "author_id": bob.ID}, http.StatusConflict))

		// Delete: the post and its comments are gone for readers.
		c.ok("DELETE", "/posts/hello-world", nil, http.StatusNoContent, nil)
		assert.Equal(t, `post "hello-world" not found`, c.fails("GET", "/posts/hello-world", nil, http.StatusNotFound))
		c.fails("GET", "/posts/hello-world/comments", nil, http.StatusNotFound)
		c.fails("POST", "/posts/hello-world/comments", map[string]any{"author": "x", "body": "y"}, http.StatusNotFound)
		c.fails("DELETE", "/posts/hello-world", nil, http.StatusNotFound)
		assert.Equal(t, []string{}, c.live())

		// The slug is free: a new post takes it.
		second := c.post("hello-world", bob)
		assert.NotEqual(t, first.ID, second.ID)
		c.comment("hello-world", "ann", "Welcome")

		// Restoring the old one would clash.
		msg := c.fails("POST", "/posts/hello-world/restore", nil, http.StatusConflict)
		assert.Equal(t, `slug "hello-world" is taken by a live post: delete that one first, or hard-delete this one`, msg)
		c.ok("GET", "/posts/hello-world", nil, http.StatusOK, &got)
		assert.Equal(t, second.ID, got.ID)

		// The trash shows the deleted post with its author.
		assert.Equal(t, []string{fmt.Sprintf("hello-world#%d by ann", first.ID)}, c.trash())

		// Hard delete takes the live post (and its comment) for good...
		c.ok("DELETE", "/admin/posts/hello-world", nil, http.StatusNoContent, nil)
		c.fails("GET", "/posts/hello-world", nil, http.StatusNotFound)
		assert.Equal(t, []string{fmt.Sprintf("hello-world#%d by ann", first.ID)}, c.trash())
		assert.EqualValues(t, 1, physical(t, db, &Post{}))
		assert.EqualValues(t, 2, physical(t, db, &Comment{}))

		// ...so the old one can come back, with the comments deleted with it.
		var restored Post
		c.ok("POST", "/posts/hello-world/restore", nil, http.StatusOK, &restored)
		assert.Equal(t, first.ID, restored.ID)
		assert.False(t, restored.DeletedAt.IsDeleted())
		require.NotNil(t, restored.Author)
		assert.Equal(t, "ann", restored.Author.Name)
		assert.Equal(t, []string{"Nice post", "Agreed"}, c.comments("hello-world"))
		assert.Equal(t, []string{}, c.trash())
		c.fails("POST", "/posts/hello-world/restore", nil, http.StatusNotFound)

		// With no live post, hard delete empties the slug's trash.
		c.ok("DELETE", "/posts/hello-world", nil, http.StatusNoContent, nil)
		assert.Len(t, c.trash(), 1)
		c.ok("DELETE", "/admin/posts/hello-world", nil, http.StatusNoContent, nil)
		assert.Equal(t, []string{}, c.trash())
		assert.Equal(t, `post "hello-world" not found, live or deleted`,
			c.fails("DELETE", "/admin/posts/hello-world", nil, http.StatusNotFound))
		c.fails("POST", "/posts/hello-world/restore", nil, http.StatusNotFound)
		assert.EqualValues(t, 0, physical(t, db, &Post{}))
		assert.EqualValues(t, 0, physical(t, db, &Comment{}))
	})
}

// TestUserCascade: deleting a user takes their posts and comments; the trash
// still shows who wrote them; a post cannot come back without its author;
// restoring the user brings back only what went with them (zombie-free), and
// refuses when one of their posts' slugs was taken meanwhile.
func TestUserCascade(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		c := newClient(t, db)
		ann, bob := c.user("ann"), c.user("bob")
		draft, second := c.post("draft", ann), c.post("second", ann)
		c.post("bobs", bob)
		c.comment("draft", "bob", "Unfinished?")
		c.comment("second", "bob", "Great")
		c.comment("second", "cy", "Indeed")

		// Monday: ann deletes her draft. Friday: an admin deletes ann.
		c.ok("DELETE", "/posts/draft", nil, http.StatusNoContent, nil)
		c.ok("DELETE", fmt.Sprintf("/users/%d", ann.ID), nil, http.StatusNoContent, nil)

		c.fails("GET", fmt.Sprintf("/users/%d", ann.ID), nil, http.StatusNotFound)
		c.fails("DELETE", fmt.Sprintf("/users/%d", ann.ID), nil, http.StatusNotFound)
		c.fails("GET", "/posts/second", nil, http.StatusNotFound)
		c.fails("GET", "/posts/second/comments", nil, http.StatusNotFound)
		assert.Equal(t, []string{"bobs"}, c.live())
		var deletedComments int64
		require.NoError(t, db.Scopes(softdelete.OnlyDeleted).Model(&Comment{}).Count(&deletedComments).Error)
		assert.EqualValues(t, 3, deletedComments)

		// The trash names the (deleted) author: the preload is WithDeleted.
		assert.Equal(t, []string{
			fmt.Sprintf("second#%d by ann", second.ID),
			fmt.Sprintf("draft#%d by ann", draft.ID),
		}, c.trash())

		// A post cannot come back while its author is deleted.
		msg := c.fails("POST", "/posts/second/restore", nil, http.StatusConflict)
		assert.Equal(t, fmt.Sprintf(`the author of post "second" (user %d) is deleted: restore the user first (POST /users/%d/restore)`, ann.ID, ann.ID), msg)
		c.fails("GET", "/posts/second", nil, http.StatusNotFound)

		// Saturday: restoring ann brings back what went with her, not the draft.
		var back User
		c.ok("POST", fmt.Sprintf("/users/%d/restore", ann.ID), nil, http.StatusOK, &back)
		assert.Equal(t, "ann", back.Name)
		assert.False(t, back.DeletedAt.IsDeleted())
		require.Len(t, back.Posts, 1)
		assert.Equal(t, second.ID, back.Posts[0].ID)
		assert.Equal(t, []string{"Great", "Indeed"}, c.comments("second"))
		c.fails("GET", "/posts/draft", nil, http.StatusNotFound)
		assert.Equal(t, []string{fmt.Sprintf("draft#%d by ann", draft.ID)}, c.trash())
		assert.ElementsMatch(t, []string{"bobs", "second"}, c.live())
		c.fails("POST", fmt.Sprintf("/users/%d/restore", ann.ID), nil, http.StatusNotFound)
		var got User
		c.ok("GET", fmt.Sprintf("/users/%d", ann.ID), nil, http.StatusOK, &got)
		require.Len(t, got.Posts, 1)

		// The draft, on its own, can be restored now that ann is back.
		c.ok("POST", "/posts/draft/restore", nil, http.StatusOK, nil)
		assert.Equal(t, []string{"Unfinished?"}, c.comments("draft"))

		// Bob goes; ann takes his slug; bob cannot come back with it.
		c.ok("DELETE", fmt.Sprintf("/users/%d", bob.ID), nil, http.StatusNoContent, nil)
		annsBobs := c.post("bobs", ann)
		msg = c.fails("POST", fmt.Sprintf("/users/%d/restore", bob.ID), nil, http.StatusConflict)
		assert.Equal(t, fmt.Sprintf("restoring user %d would bring back a post whose slug a live post now holds: delete that post first", bob.ID), msg)
		c.fails("GET", fmt.Sprintf("/users/%d", bob.ID), nil, http.StatusNotFound)

		// Restore picks the most recently deleted post of a slug.
		c.ok("DELETE", "/posts/bobs", nil, http.StatusNoContent, nil)
		var restored Post
		c.ok("POST", "/posts/bobs/restore", nil, http.StatusOK, &restored)
		assert.Equal(t, annsBobs.ID, restored.ID)
		c.fails("POST", "/posts/bobs/restore", nil, http.StatusConflict) // bob's: author deleted (and slug taken)

		// Once ann's is gone for good, bob comes back with his post.
		c.ok("DELETE", "/admin/posts/bobs", nil, http.StatusNoContent, nil)
		c.ok("POST", fmt.Sprintf("/users/%d/restore", bob.ID), nil, http.StatusOK, &got)
		require.Len(t, got.Posts, 1)
		assert.Equal(t, "bobs", got.Posts[0].Slug)
		c.ok("GET", "/posts/bobs", nil, http.StatusOK, &restored)
		assert.Equal(t, "bob", restored.Author.Name)
	})
}

// TestBadRequests: malformed or incomplete bodies are 400 with a message, an
// unknown or deleted author 422, a huge body 413.
func TestBadRequests(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		c := newClient(t, db)
		ann := c.user("ann")
		c.post("p", ann)

		for _, body := range []string{``, `{`, `[]`, `{"name": 7}`, `{"name":"x"} {"name":"y"}`,
			`{"name":"x","deleted_at":"2020-01-01T00:00:00Z"}`, `{"name":"x","id":9}`} {
			assert.Contains(t, c.fails("POST", "/users", body, http.StatusBadRequest), "invalid JSON body", "body %s", body)
		}
		assert.Equal(t, "name is required", c.fails("POST", "/users", `{}`, http.StatusBadRequest))

		for _, body := range []map[string]any{
			{"slug": "s", "author_id": ann.ID},
			{"title": "t", "author_id": ann.ID},
			{"title": "t", "slug": "s"},
		} {
			assert.Equal(t, "title, slug and author_id are required", c.fails("POST", "/posts", body, http.StatusBadRequest))
		}
		for _, slug := range []string{"Hello", "a b", "a/b", "-a", "a-", "ü", strings.Repeat("a", 101)} {
			c.fails("POST", "/posts", map[string]any{"title": "t", "slug": slug, "author_id": ann.ID}, http.StatusBadRequest)
		}
		c.fails("POST", "/posts", `{"title":"t","slug":"s","author_id":"1"}`, http.StatusBadRequest)
		assert.Contains(t, c.fails("POST", "/posts", `{"title":"t","slug":"s","author_id":1,"deleted_at":"2020-01-01T00:00:00Z"}`, http.StatusBadRequest),
			`unknown field "deleted_at"`)

		assert.Equal(t, "author 999 does not exist or is deleted",
			c.fails("POST", "/posts", map[string]any{"title": "t", "slug": "s", "author_id": 999}, http.StatusUnprocessableEntity))
		gone := c.user("gone")
		c.ok("DELETE", fmt.Sprintf("/users/%d", gone.ID), nil, http.StatusNoContent, nil)
		c.fails("POST", "/posts", map[string]any{"title": "t", "slug": "s", "author_id": gone.ID}, http.StatusUnprocessableEntity)

		assert.Equal(t, "author and body are required", c.fails("POST", "/posts/p/comments", `{"author":"x"}`, http.StatusBadRequest))
		c.fails("POST", "/posts/p/comments", `{"author":"x","body":"y","post_id":2}`, http.StatusBadRequest)

		huge := `{"name":"` + strings.Repeat("x", maxBody) + `"}`
		c.fails("POST", "/users", huge, http.StatusRequestEntityTooLarge)

		assert.Equal(t, []string{"p"}, c.live())
		assert.EqualValues(t, 2, physical(t, db, &User{}))
		assert.EqualValues(t, 1, physical(t, db, &Post{}))
		assert.EqualValues(t, 0, physical(t, db, &Comment{}))
	})
}

// TestNotFound: unknown rows, ids that are not ids, unknown paths (404) and
// wrong methods (405) all answer JSON.
func TestNotFound(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		c := newClient(t, db)
		ann := c.user("ann")
		for _, req := range [][2]string{
			{"GET", "/posts/nope"}, {"GET", "/posts/nope/comments"}, {"DELETE", "/posts/nope"},
			{"POST", "/posts/nope/restore"}, {"DELETE", "/admin/posts/nope"},
			{"GET", "/users/999"}, {"GET", "/users/abc"}, {"GET", "/users/0"}, {"GET", "/users/-1"},
			{"DELETE", "/users/999"}, {"POST", "/users/999/restore"},
			{"POST", fmt.Sprintf("/users/%d/restore", ann.ID)}, // live: nothing to restore
			{"GET", "/"}, {"GET", "/nowhere"}, {"GET", "/posts/a/b/c"},
		} {
			c.fails(req[0], req[1], nil, http.StatusNotFound)
		}
		c.fails("POST", "/posts/nope/comments", `{"author":"x","body":"y"}`, http.StatusNotFound)
		assert.Equal(t, "Method Not Allowed", c.fails("PUT", "/posts", nil, http.StatusMethodNotAllowed))
		_, h, _ := c.do("PATCH", "/posts/x", nil)
		assert.Equal(t, "DELETE, GET, HEAD", h.Get("Allow"))
	})
}

// TestInternalErrorsStayInternal: a database failure is a bare 500 for the
// client, and the detail goes to the log.
func TestInternalErrorsStayInternal(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		require.NoError(t, setup(db))
		var logged bytes.Buffer
		c := serveHandler(t, (&App{db: db, log: log.New(&logged, "", 0)}).routes())
		c.post("p", c.user("ann"))
		require.NoError(t, db.Migrator().DropTable(&Comment{}))

		_, _, body := c.do("GET", "/posts/p/comments", nil)
		assert.Equal(t, "internal server error", c.fails("GET", "/posts/p/comments", nil, http.StatusInternalServerError))
		assert.NotContains(t, string(body), "comments")
		assert.Contains(t, logged.String(), "blog: GET /posts/p/comments: ")
		assert.Contains(t, logged.String(), "comments")
	})
}

// clock is a settable clock for the plugin (deletion timestamps and the
// purge cutoff), safe for the purger's goroutine.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// TestPurger: the -purge-after purger removes posts and users (with their
// posts and comments) deleted longer ago than the retention, and nothing else.
func TestPurger(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		now := newClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		c := newClient(t, db, softdelete.WithClock(now.Now))
		ann, bob := c.user("ann"), c.user("bob")
		c.post("old", ann)
		c.post("young", ann)
		c.post("kept", ann)
		c.post("bobs", bob)
		c.comment("old", "x", "on old")
		c.comment("bobs", "x", "on bobs")

		c.ok("DELETE", "/posts/old", nil, http.StatusNoContent, nil) // day 0
		now.add(10 * 24 * time.Hour)
		c.ok("DELETE", "/posts/young", nil, http.StatusNoContent, nil) // day 10
		c.ok("DELETE", fmt.Sprintf("/users/%d", bob.ID), nil, http.StatusNoContent, nil)

		purger, err := newPurger(db, 30*24*time.Hour, 10*time.Millisecond)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- purger.Run(ctx) }()

		now.add(21 * 24 * time.Hour) // day 31: "old" expired
		require.Eventually(t, func() bool { return physical(t, db, &Post{}) == 3 }, 10*time.Second, 10*time.Millisecond)
		assert.Equal(t, []string{"bobs by bob", "young by ann"}, slugsByAuthor(c.trash()))
		assert.EqualValues(t, 1, physical(t, db, &Comment{}))

		now.add(10 * 24 * time.Hour) // day 41: "young" and bob (with "bobs") expired
		require.Eventually(t, func() bool {
			return physical(t, db, &Post{}) == 1 && physical(t, db, &User{}) == 1
		}, 10*time.Second, 10*time.Millisecond)
		assert.Equal(t, []string{}, c.trash())
		assert.Equal(t, []string{"kept"}, c.live())
		assert.EqualValues(t, 1, physical(t, db, &User{}))
		assert.EqualValues(t, 0, physical(t, db, &Comment{}))

		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
	})
}

// slugsByAuthor drops the ids of trash entries.
func slugsByAuthor(entries []string) []string {
	out := []string{}
	for _, e := range entries {
		slug, rest, _ := strings.Cut(e, "#")
		_, author, _ := strings.Cut(rest, " by ")
		out = append(out, slug+" by "+author)
	}
	return out
}

// TestServe runs serve as main does, on a loopback listener: the API answers,
// -purge-after purges at start, and cancelling the context shuts it down.
func TestServe(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		now := newClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		c := newClient(t, db, softdelete.WithClock(now.Now))
		c.post("expired", c.user("ann"))
		c.ok("DELETE", "/posts/expired", nil, http.StatusNoContent, nil)
		now.add(31 * 24 * time.Hour)

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serve(ctx, db, ln, 30*24*time.Hour) }()

		served := client{t: t, base: "http://" + ln.Addr().String(), http: &http.Client{Timeout: 10 * time.Second}}
		require.Eventually(t, func() bool { return len(served.trash()) == 0 }, 10*time.Second, 10*time.Millisecond)
		served.post("fresh", served.user("bob"))
		assert.Equal(t, []string{"fresh"}, served.live())

		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not return after cancel")
		}
		_, err = http.Get("http://" + ln.Addr().String() + "/posts")
		assert.Error(t, err, "the listener is closed")
	})
}

func TestPurgeInterval(t *testing.T) {
	for after, want := range map[time.Duration]time.Duration{
		720 * time.Hour: time.Hour,
		24 * time.Hour:  time.Hour,
		12 * time.Hour:  30 * time.Minute,
		time.Minute:     time.Second*2 + time.Second/2,
		time.Second:     time.Second,
	} {
		assert.Equal(t, want, purgeInterval(after), "purge-after %s", after)
	}
	_, err := newPurger(openFile(t, filepath.Join(t.TempDir(), "blog.db")), 0, time.Second)
	assert.ErrorIs(t, err, softdelete.ErrInvalidRetention)
}

// TestOpenSQLiteFile: the default database is a SQLite file with WAL and
// foreign keys, and survives a restart.
func TestOpenSQLiteFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "blog.db")
	db, err := open("", file, false)
	require.NoError(t, err)
	c := newClient(t, db)
	c.post("persisted", c.user("ann"))
	var mode string
	var fk int
	require.NoError(t, db.Raw("PRAGMA journal_mode").Scan(&mode).Error)
	require.NoError(t, db.Raw("PRAGMA foreign_keys").Scan(&fk).Error)
	assert.Equal(t, "wal", mode)
	assert.Equal(t, 1, fk)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	require.NoError(t, sqlDB.Close())

	c = newClient(t, openFile(t, file))
	assert.Equal(t, []string{"persisted"}, c.live())
}

// TestDeleteUserWaitsForWritersUnderIt: a post and a comment being created
// under a user (their transactions hold the parent FOR SHARE, as createPost
// and createComment do) are not missed by a concurrent DELETE /users/{id}: the
// delete waits for them and then cascades to them too. Without the locks in
// deleteUser the plugin's cascade, which updates children before their parent,
// would leave them live under a deleted user (see the lock comment in api.go).
func TestDeleteUserWaitsForWritersUnderIt(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		c := newClient(t, db)
		ann := c.user("ann")
		p := c.post("p", ann)

		writer := db.Begin()
		defer writer.Rollback() // after a failure; a no-op after Commit
		require.NoError(t, writer.Clauses(forShare).First(&User{}, ann.ID).Error)
		require.NoError(t, writer.Create(&Post{Slug: "q", Title: "t", Body: "b", AuthorID: ann.ID}).Error)
		require.NoError(t, writer.Clauses(forShare).First(&Post{}, p.ID).Error)
		require.NoError(t, writer.Create(&Comment{PostID: p.ID, Author: "x", Body: "y"}).Error)

		deleted := make(chan int, 1)
		go func() {
			status, _, _ := c.do("DELETE", fmt.Sprintf("/users/%d", ann.ID), nil)
			deleted <- status
		}()
		if db.Dialector.Name() == "postgres" {
			require.Eventually(t, func() bool { // the delete is blocked on the writer's lock
				var waiting int64
				require.NoError(t, db.Raw("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()").Scan(&waiting).Error)
				return waiting > 0
			}, 10*time.Second, 5*time.Millisecond)
		} else {
			time.Sleep(200 * time.Millisecond) // the delete waits for the write lock (busy_timeout)
		}
		require.NoError(t, writer.Commit().Error)
		require.Equal(t, http.StatusNoContent, <-deleted)

		assert.Equal(t, []string{}, c.live())
		var comments int64
		require.NoError(t, db.Model(&Comment{}).Count(&comments).Error)
		assert.Zero(t, comments)
		assert.ElementsMatch(t, []string{"p by ann", "q by ann"}, slugsByAuthor(c.trash()))
	})
}
