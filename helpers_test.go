package softdelete_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/dialect"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, testdb.WithMariaDB())) }

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

// skipUnless skips the rest of a test on a database without feature: a
// difference the README's Compatibility section and docs/mysql.md record
// (reason says which). With skipIf it is the one way a behaviour test is
// skipped on a database.
func (e *env) skipUnless(t *testing.T, feature dialect.Feature, reason string) {
	t.Helper()
	e.skipIf(t, !dialect.Of(e.db).Features().Has(feature), reason)
}

// skipIf skips the rest of a test when skip holds: a documented difference
// of e's database no Feature names (reason says which).
func (e *env) skipIf(t *testing.T, skip bool, reason string) {
	t.Helper()
	if skip {
		t.Skipf("%s: %s (a documented difference, see docs/mysql.md)", e.name, reason)
	}
}

// refType is the column type of a foreign key to a uint primary key
// (MySQL's foreign keys need the referenced column's exact type: GORM's
// bigint unsigned).
func (e *env) refType() string {
	if e.name == "mysql" {
		return "BIGINT UNSIGNED"
	}
	return "INTEGER"
}

// createIndexRE parses the CREATE [UNIQUE] INDEX statements tests write by
// hand: name, table, column list, predicate.
var createIndexRE = regexp.MustCompile(`(?is)^CREATE (UNIQUE )?INDEX "?(\w+)"? ON "?(\w+)"? \(([^)]*)\)(?: WHERE (.*))?$`)

// indexDDL returns a CREATE [UNIQUE] INDEX statement written for PostgreSQL
// and SQLite (partial or not) in e's database's form: on MySQL the ALTER
// TABLE that builds the same index through a generated column.
func (e *env) indexDDL(t *testing.T, sql string) string {
	t.Helper()
	if e.name != "mysql" {
		return sql
	}
	m := createIndexRE.FindStringSubmatch(strings.TrimSpace(sql))
	require.NotNil(t, m, "not a CREATE INDEX: %s", sql)
	ix := dialect.Index{Unique: m[1] != "", Name: m[2], Table: m[3], Where: strings.ReplaceAll(m[5], `"`, "`")}
	for _, c := range strings.Split(m[4], ",") {
		ix.Columns = append(ix.Columns, strings.Trim(strings.TrimSpace(c), `"`))
	}
	return dialect.Of(e.db).CreateIndex(ix)
}

// gormMigrate runs plain GORM's AutoMigrate of models (no live-only
// indexes), with their softdelete key strings sized first on MySQL as
// softdelete.AutoMigrate sizes them (an unsized string is longtext there,
// which no index can be built on).
func (e *env) gormMigrate(t *testing.T, models ...any) {
	t.Helper()
	if dialect.Of(e.db).Features().Has(dialect.SizedKeyStrings) {
		for _, m := range models {
			stmt := &gorm.Statement{DB: e.db}
			require.NoError(t, stmt.Parse(m))
			for _, f := range stmt.Schema.Fields {
				tag := f.Tag.Get("softdelete")
				if (strings.Contains(tag, "unique") || strings.Contains(tag, "index")) && f.DataType == schema.String && f.Size == 0 {
					f.Size = 191
				}
			}
		}
	}
	require.NoError(t, e.db.AutoMigrate(models...))
}

// castText renders CAST(expr AS TEXT), in the spelling of e's database.
func (e *env) castText(expr string) string {
	if e.name == "mysql" {
		return "CAST(" + expr + " AS CHAR)"
	}
	return "CAST(" + expr + " AS TEXT)"
}

// stored is ts as e's soft-delete columns store it: truncated to
// microseconds, or to milliseconds on MySQL (GORM's datetime(3)).
func (e *env) stored(ts time.Time) time.Time {
	if e.name == "mysql" {
		return ts.UTC().Truncate(time.Millisecond)
	}
	return ts.UTC().Truncate(time.Microsecond)
}

// indexNameRE finds the index name in CREATE [UNIQUE] INDEX "name" and in
// MySQL's ALTER TABLE ... ADD [UNIQUE] INDEX `name`.
var indexNameRE = regexp.MustCompile("INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?[\x60\"]([^\x60\"]+)[\x60\"]")

// indexNameIn returns the name of the index a DDL statement creates, or "".
func indexNameIn(stmt string) string {
	if m := indexNameRE.FindStringSubmatch(stmt); m != nil {
		return m[1]
	}
	return ""
}

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
