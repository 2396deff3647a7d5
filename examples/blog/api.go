package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
)

// App is the blog's JSON API over a database that has the softdelete plugin
// registered and the models migrated (see setup).
type App struct {
	db  *gorm.DB
	log *log.Logger // internal errors are logged here, never sent to clients
}

// newServer returns the API's HTTP handler on db (prepared by setup).
func newServer(db *gorm.DB) http.Handler {
	return (&App{db: db, log: log.Default()}).routes()
}

// routes maps every endpoint to its handler.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range map[string]handlerFunc{
		"POST /users":              a.createUser,
		"GET /users/{id}":          a.getUser,
		"DELETE /users/{id}":       a.deleteUser,
		"POST /users/{id}/restore": a.restoreUser,

		"GET /posts":                  a.listPosts,
		"POST /posts":                 a.createPost,
		"GET /posts/{slug}":           a.getPost,
		"DELETE /posts/{slug}":        a.deletePost,
		"POST /posts/{slug}/restore":  a.restorePost,
		"GET /posts/{slug}/comments":  a.listComments,
		"POST /posts/{slug}/comments": a.createComment,
		"GET /admin/trash":            a.trash,
		"DELETE /admin/posts/{slug}":  a.hardDeletePost,
	} {
		mux.Handle(pattern, a.handle(h))
	}
	return jsonFallback(mux)
}

// handlerFunc is an endpoint: it writes a successful response itself and
// returns any error for handle to turn into a JSON error response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to http.Handler.
func (a *App) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}

// conn is the database bound to the request's context: a client that goes
// away cancels its queries.
func (a *App) conn(r *http.Request) *gorm.DB { return a.db.WithContext(r.Context()) }

// Users.

// createUser: POST /users {"name": "ann"} → 201 and the user.
func (a *App) createUser(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return httpError(http.StatusBadRequest, "name is required")
	}
	u := User{Name: in.Name}
	if err := a.conn(r).Create(&u).Error; err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}

// getUser: GET /users/{id} → the live user with their live posts.
func (a *App) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	var u User
	if err := a.conn(r).Preload("Posts", byID).First(&u, id).Error; err != nil {
		return orNotFound(err, "user %d not found", id)
	}
	return writeJSON(w, http.StatusOK, u)
}

// deleteUser: DELETE /users/{id} → 204. The user's live posts and their
// comments are soft-deleted with them, with the same timestamp.
func (a *App) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	err = a.conn(r).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := tx.Clauses(forUpdate).First(&u, id).Error; err != nil {
			return orNotFound(err, "user %d not found", id)
		}
		// Lock the posts the cascade will delete, so no comment is added to
		// one of them meanwhile (see createComment).
		if err := tx.Clauses(forUpdate).Select("id").Where("author_id = ?", id).Find(&[]Post{}).Error; err != nil {
			return err
		}
		return tx.Delete(&u).Error
	})
	return noContent(w, err)
}

// restoreUser: POST /users/{id}/restore → 200 and the user with their posts.
// Only the posts (and comments) deleted together with the user come back; a
// post deleted earlier on its own stays deleted.
func (a *App) restoreUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	var u User
	err = a.conn(r).Transaction(func(tx *gorm.DB) error {
		res := softdelete.Restore(tx, &User{}, id)
		switch {
		case errors.Is(res.Error, softdelete.ErrRestoreConflict):
			return httpError(http.StatusConflict,
				"restoring user %d would bring back a post whose slug a live post now holds: delete that post first", id)
		case res.Error != nil:
			return res.Error
		case res.RowsAffected == 0:
			return httpError(http.StatusNotFound, "no deleted user %d", id)
		}
		return tx.Preload("Posts", byID).First(&u, id).Error
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

// Posts.

// listPosts: GET /posts → the live posts, oldest first, with their authors.
func (a *App) listPosts(w http.ResponseWriter, r *http.Request) error {
	posts := []Post{}
	if err := a.conn(r).Preload("Author").Order("id").Find(&posts).Error; err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, posts)
}

// getPost: GET /posts/{slug} → the live post with that slug, with its author.
func (a *App) getPost(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	var p Post
	if err := a.conn(r).Preload("Author").Where("slug = ?", slug).First(&p).Error; err != nil {
		return orNotFound(err, "post %q not found", slug)
	}
	return writeJSON(w, http.StatusOK, p)
}

// createPost: POST /posts {"title", "slug", "body", "author_id"} → 201 and
// the post. 409 when a live post has the slug, 422 when the author is
// unknown or deleted.
func (a *App) createPost(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Title    string `json:"title"`
		Slug     string `json:"slug"`
		Body     string `json:"body"`
		AuthorID uint   `json:"author_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := checkPost(in.Title, in.Slug, in.AuthorID); err != nil {
		return err
	}
	p := Post{Title: in.Title, Slug: in.Slug, Body: in.Body, AuthorID: in.AuthorID}
	err := a.conn(r).Transaction(func(tx *gorm.DB) error {
		var author User
		if err := tx.Clauses(forShare).First(&author, in.AuthorID).Error; err != nil {
			return orStatus(err, http.StatusUnprocessableEntity, "author %d does not exist or is deleted", in.AuthorID)
		}
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		p.Author = &author
		return nil
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return httpError(http.StatusConflict, "slug %q is taken by a live post", in.Slug)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

// deletePost: DELETE /posts/{slug} → 204. The post's comments go with it.
func (a *App) deletePost(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	err := a.conn(r).Transaction(func(tx *gorm.DB) error {
		var p Post
		if err := tx.Clauses(forUpdate).Where("slug = ?", slug).First(&p).Error; err != nil {
			return orNotFound(err, "post %q not found", slug)
		}
		return tx.Delete(&p).Error
	})
	return noContent(w, err)
}

// restorePost: POST /posts/{slug}/restore → 200 and the post. It restores the
// most recently deleted post with that slug, and the comments deleted with it.
// 409 when a live post holds the slug, or when the post's author is deleted.
func (a *App) restorePost(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	var p Post
	err := a.conn(r).Transaction(func(tx *gorm.DB) error {
		err := tx.Scopes(softdelete.OnlyDeleted).Clauses(forUpdate).
			Where("slug = ?", slug).Order("deleted_at DESC").Order("id DESC").First(&p).Error
		if err != nil {
			return orNotFound(err, "no deleted post %q", slug)
		}
		// Hold the author while restoring, so a concurrent delete of the
		// author cannot miss the post (Restore checks the author is live).
		if err := tx.Scopes(softdelete.WithDeleted).Clauses(forShare).Select("id").First(&User{}, p.AuthorID).Error; err != nil {
			return err
		}
		switch err := softdelete.Restore(tx, &p).Error; {
		case errors.Is(err, softdelete.ErrParentDeleted):
			return httpError(http.StatusConflict,
				"the author of post %q (user %d) is deleted: restore the user first (POST /users/%d/restore)", slug, p.AuthorID, p.AuthorID)
		case errors.Is(err, softdelete.ErrRestoreConflict):
			return httpError(http.StatusConflict,
				"slug %q is taken by a live post: delete that one first, or hard-delete this one", slug)
		case err != nil:
			return err
		}
		return tx.Preload("Author").First(&p, p.ID).Error
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// Comments.

// listComments: GET /posts/{slug}/comments → the live post's live comments.
func (a *App) listComments(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	var p Post
	if err := a.conn(r).Preload("Comments", byID).Where("slug = ?", slug).First(&p).Error; err != nil {
		return orNotFound(err, "post %q not found", slug)
	}
	if p.Comments == nil {
		p.Comments = []Comment{}
	}
	return writeJSON(w, http.StatusOK, p.Comments)
}

// createComment: POST /posts/{slug}/comments {"author", "body"} → 201 and the
// comment.
func (a *App) createComment(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	var in struct {
		Author string `json:"author"`
		Body   string `json:"body"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Author == "" || in.Body == "" {
		return httpError(http.StatusBadRequest, "author and body are required")
	}
	c := Comment{Author: in.Author, Body: in.Body}
	err := a.conn(r).Transaction(func(tx *gorm.DB) error {
		var p Post
		if err := tx.Clauses(forShare).Select("id").Where("slug = ?", slug).First(&p).Error; err != nil {
			return orNotFound(err, "post %q not found", slug)
		}
		c.PostID = p.ID
		return tx.Create(&c).Error
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

// Administration.

// trash: GET /admin/trash → the deleted posts, most recently deleted first,
// with their authors. Preloads keep their own default (live rows only), so
// the author is preloaded WithDeleted: the trash shows who wrote a post even
// when the author was deleted too.
func (a *App) trash(w http.ResponseWriter, r *http.Request) error {
	posts := []Post{}
	err := a.conn(r).Scopes(softdelete.OnlyDeleted).Preload("Author", softdelete.WithDeleted).
		Order("deleted_at DESC").Order("id DESC").Find(&posts).Error
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, posts)
}

// hardDeletePost: DELETE /admin/posts/{slug} → 204. It removes for good the
// live post with that slug or, when there is none, every deleted post with
// that slug; comments (deleted or not) go with them.
func (a *App) hardDeletePost(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	err := a.conn(r).Transaction(func(tx *gorm.DB) error {
		var p Post
		err := tx.Clauses(forUpdate).Where("slug = ?", slug).First(&p).Error
		if err == nil {
			return softdelete.HardDelete(tx, &p).Error
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		res := softdelete.HardDelete(tx.Scopes(softdelete.OnlyDeleted), &Post{}, "slug = ?", slug)
		if res.Error == nil && res.RowsAffected == 0 {
			return httpError(http.StatusNotFound, "post %q not found, live or deleted", slug)
		}
		return res.Error
	})
	return noContent(w, err)
}

// Helpers.

// Row locks for the transactions above (PostgreSQL; SQLite ignores them and
// serializes writers instead, see sqliteParams). A write that needs a live
// parent holds the parent FOR SHARE; a delete takes its rows FOR UPDATE first.
// The plugin's cascade updates children before their parent, so without the
// locks a comment created while its post is being deleted could stay live
// under a deleted post.
var (
	forUpdate = clause.Locking{Strength: clause.LockingStrengthUpdate}
	forShare  = clause.Locking{Strength: clause.LockingStrengthShare}
)

// byID orders a preload.
func byID(db *gorm.DB) *gorm.DB { return db.Order("id") }

// userID parses the {id} path segment; anything but a positive integer
// names no user.
func userID(r *http.Request) (uint, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 0)
	if err != nil || id == 0 {
		return 0, httpError(http.StatusNotFound, "user %q not found", r.PathValue("id"))
	}
	return uint(id), nil
}

// checkPost validates a new post's fields. A slug is lower-case letters,
// digits and inner hyphens, so it can be used in a URL path as it is.
func checkPost(title, slug string, authorID uint) error {
	if title == "" || slug == "" || authorID == 0 {
		return httpError(http.StatusBadRequest, "title, slug and author_id are required")
	}
	if len(slug) > maxSlug {
		return httpError(http.StatusBadRequest, "slug longer than %d bytes", maxSlug)
	}
	for i, c := range slug {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' && i > 0 && i < len(slug)-1) {
			return httpError(http.StatusBadRequest, "slug %q: use lower-case letters, digits and hyphens", slug)
		}
	}
	return nil
}

// Limits on requests.
const (
	maxBody = 1 << 20 // bytes of a request body
	maxSlug = 100     // bytes of a slug
)

// decode reads the request body as one JSON object into v. Unknown fields
// are refused (a client cannot set "id" or "deleted_at"), so are trailing data
// and bodies over maxBody.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("unexpected data after the JSON object")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge):
		return httpError(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", maxBody)
	default:
		return httpError(http.StatusBadRequest, "invalid JSON body: %v", err)
	}
}

// writeJSON sends v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v) // an error here is a broken connection; handle logs it
}

// noContent sends 204 when err is nil, or returns err.
func noContent(w http.ResponseWriter, err error) error {
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
	}
	return err
}

// apiError is an error with the status and message a client may see.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// httpError returns an apiError.
func httpError(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// orNotFound turns gorm.ErrRecordNotFound into a 404 with the message, and
// returns any other error unchanged.
func orNotFound(err error, format string, args ...any) error {
	return orStatus(err, http.StatusNotFound, format, args...)
}

// orStatus turns gorm.ErrRecordNotFound into status with the message.
func orStatus(err error, status int, format string, args ...any) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return httpError(status, format, args...)
	}
	return err
}

// fail sends err as {"error": "..."}. An apiError is sent as it is; the
// plugin's and GORM's sentinels map to 404/409; anything else is logged
// and sent as a bare 500, so SQL and driver messages never reach a client.
func (a *App) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *apiError
	switch {
	case errors.As(err, &e):
	case errors.Is(err, gorm.ErrRecordNotFound):
		e = &apiError{http.StatusNotFound, "not found"}
	case errors.Is(err, softdelete.ErrParentDeleted):
		e = &apiError{http.StatusConflict, "a parent row is deleted: restore it first"}
	case errors.Is(err, gorm.ErrDuplicatedKey): // softdelete.ErrRestoreConflict too
		e = &apiError{http.StatusConflict, "conflicts with a live row's unique key"}
	default:
		a.log.Printf("blog: %s %s: %v", r.Method, r.URL.Path, err)
		e = &apiError{http.StatusInternalServerError, "internal server error"}
	}
	if w.Header().Get("Content-Type") != "" {
		return // the response is already under way (writeJSON failed)
	}
	_ = writeJSON(w, e.status, map[string]string{"error": e.msg})
}

// jsonFallback sends the mux's own answers for unknown paths (404) and
// known paths with another method (405, with its Allow header) as JSON errors
// too, instead of plain text.
func jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		sw := &swallowErrors{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status != 0 {
			_ = writeJSON(w, sw.status, map[string]string{"error": http.StatusText(sw.status)})
		}
	})
}

// swallowErrors drops a 404 or 405 response (recording its status) and lets
// anything else, such as a redirect to a cleaned path, through.
type swallowErrors struct {
	http.ResponseWriter
	status int
}

func (s *swallowErrors) WriteHeader(code int) {
	if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
		s.status = code
		return
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *swallowErrors) Write(b []byte) (int, error) {
	if s.status != 0 {
		return len(b), nil
	}
	return s.ResponseWriter.Write(b)
}
