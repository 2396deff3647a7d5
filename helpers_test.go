package softdelete_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// Test models. Author → Posts → Comments cascade; Tag has no soft-delete
// field; Legacy uses GORM's own gorm.DeletedAt.
type Author struct {
	BaseModel
	Name  string
	Posts []Post `softdelete:"cascade"`
}

type Post struct {
	BaseModel
	AuthorID uint
	Author   *Author
	Title    string
	Views    int
	Comments []Comment `softdelete:"cascade"`
}

type Comment struct {
	BaseModel
	PostID uint
	Body   string
}

type Tag struct {
	ID   uint
	Name string
}

type Legacy struct {
	gorm.Model
	Name string
}

var allModels = []any{&Author{}, &Post{}, &Comment{}, &Tag{}, &Legacy{}}

// fixedClock is a settable clock for deterministic timestamps.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sqlLog collects every statement GORM logs.
type sqlLog struct {
	logger.Interface
	mu   sync.Mutex
	sqls []string
}

func (l *sqlLog) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	l.mu.Lock()
	l.sqls = append(l.sqls, sql)
	l.mu.Unlock()
}

func (l *sqlLog) reset() { l.mu.Lock(); l.sqls = nil; l.mu.Unlock() }

// env is one test database with the plugin registered and the models migrated.
type env struct {
	db    *gorm.DB
	clock *fixedClock
	log   *sqlLog
	name  string
}

type setup struct {
	cfg  func(*gorm.Config)
	opts []softdelete.Option
}

// eachDB runs fn on every database with a fresh, migrated schema.
func eachDB(t *testing.T, fn func(t *testing.T, e *env)) { eachDBWith(t, setup{}, fn) }

func eachDBWith(t *testing.T, s setup, fn func(t *testing.T, e *env)) {
	testdb.Each(t, func() *gorm.Config {
		c := &gorm.Config{}
		if s.cfg != nil {
			s.cfg(c)
		}
		return c
	}, func(t *testing.T, db *gorm.DB) {
		clock := &fixedClock{t: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)}
		log := &sqlLog{Interface: logger.Discard}
		db.Logger = log
		opts := append([]softdelete.Option{softdelete.WithClock(clock.Now)}, s.opts...)
		require.NoError(t, db.Use(softdelete.New(opts...)))
		require.NoError(t, softdelete.AutoMigrate(db, allModels...))
		fn(t, &env{db: db, clock: clock, log: log, name: db.Dialector.Name()})
	})
}

// count returns a raw-SQL count: what is physically in the table.
func (e *env) count(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, e.db.Raw(sql, args...).Scan(&n).Error)
	return n
}

// deletedAt reads a row's raw deleted_at (nil when NULL).
func (e *env) deletedAt(t *testing.T, table string, id uint) *time.Time {
	t.Helper()
	var v *time.Time
	require.NoError(t, e.db.Raw("SELECT deleted_at FROM "+table+" WHERE id = ?", id).Row().Scan(&v))
	return v
}

// seedPosts creates an author with n posts titled p1..pn and returns them.
func (e *env) seedPosts(t *testing.T, n int) (Author, []Post) {
	t.Helper()
	a := Author{Name: "ann"}
	require.NoError(t, e.db.Create(&a).Error)
	posts := make([]Post, n)
	for i := range posts {
		posts[i] = Post{AuthorID: a.ID, Title: "p" + string(rune('1'+i)), Views: i + 1}
	}
	if n > 0 {
		require.NoError(t, e.db.Create(&posts).Error)
	}
	return a, posts
}

func ids[T interface{ getID() uint }](xs []T) []uint {
	out := make([]uint, len(xs))
	for i, x := range xs {
		out[i] = x.getID()
	}
	return out
}

func (p Post) getID() uint    { return p.ID }
func (a Author) getID() uint  { return a.ID }
func (c Comment) getID() uint { return c.ID }

// starting returns the logged statements that begin with prefix.
func (l *sqlLog) starting(prefix string) []string {
	return l.where(func(s string) bool { return strings.HasPrefix(s, prefix) })
}

// matching returns the logged statements that contain substr.
func (l *sqlLog) matching(substr string) []string {
	return l.where(func(s string) bool { return strings.Contains(s, substr) })
}

// where returns the logged statements keep accepts, in order.
func (l *sqlLog) where(keep func(string) bool) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.sqls {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}
