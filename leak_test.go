package softdelete_test

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// APIKey is the table of the leak detector's tests: deleted keys must never
// authenticate.
type APIKey struct {
	softdelete.Model
	Token  string
	UserID uint
}

// leakLog collects what the detector reports.
type leakLog struct {
	mu    sync.Mutex
	leaks []softdelete.Leak
}

func (l *leakLog) report(_ context.Context, leak softdelete.Leak) {
	l.mu.Lock()
	l.leaks = append(l.leaks, leak)
	l.mu.Unlock()
}

// take returns the leaks reported since the last call.
func (l *leakLog) take() []softdelete.Leak {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.leaks
	l.leaks = nil
	return out
}

// tables returns the tables of the leaks reported since the last take.
func (l *leakLog) tables() []string {
	var out []string
	for _, x := range l.take() {
		out = append(out, x.Table)
	}
	return out
}

// eachLeakDB runs fn on every database with the detector on (strict or
// not), api_keys migrated with one live token "live" and one deleted "gone".
// Migrating and seeding must report nothing.
func eachLeakDB(t *testing.T, strict bool, fn func(t *testing.T, e *env, got *leakLog)) {
	got := &leakLog{}
	opt := softdelete.WithLeakDetector(softdelete.LeakConfig{Strict: strict, Report: got.report})
	eachDBWith(t, setup{opts: []softdelete.Option{opt}}, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &APIKey{}))
		require.NoError(t, e.db.Create(&[]APIKey{{Token: "live"}, {Token: "gone"}}).Error)
		require.NoError(t, e.db.Where("token = ?", "gone").Delete(&APIKey{}).Error)
		require.Empty(t, got.take(), "migrations, writes and deletes of the plugin and GORM are not leaks")
		fn(t, e, got)
	})
}

// nextLine returns file:line of the line after the caller's.
func nextLine() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", file, line+1)
}

func TestLeakDetectorCatchesRawStatements(t *testing.T) {
	eachLeakDB(t, false, func(t *testing.T, e *env, got *leakLog) {
		var keys []APIKey
		site := nextLine()
		require.NoError(t, e.db.Raw("SELECT * FROM api_keys WHERE token = ?", "gone").Scan(&keys).Error)
		require.Len(t, keys, 1, "the statement ran: not strict")
		leaks := got.take()
		require.Len(t, leaks, 1)
		l := leaks[0]
		assert.Equal(t, "api_keys", l.Table)
		assert.Equal(t, "deleted_at", l.Column)
		assert.Equal(t, site, l.Caller, "the call site is the test's line")
		assert.False(t, l.Write)
		assert.False(t, l.Join)
		assert.Contains(t, l.SQL, "SELECT * FROM api_keys WHERE token = ")

		cases := []struct {
			name string
			run  func() error
		}{
			{"Raw.Find", func() error { return e.db.Raw("SELECT * FROM api_keys").Find(&keys).Error }},
			{"Raw.Rows", func() error {
				rows, err := e.db.Raw("SELECT id FROM api_keys").Rows()
				if err == nil {
					err = rows.Close()
				}
				return err
			}},
			{"Raw.Row", func() error {
				var n int
				return e.db.Raw("SELECT count(*) FROM api_keys").Row().Scan(&n)
			}},
			{"Exec UPDATE", func() error { return e.db.Exec("UPDATE api_keys SET token = token WHERE id = ?", 1).Error }},
			{"Exec DELETE", func() error { return e.db.Exec("DELETE FROM api_keys WHERE id = ?", -1).Error }},
			{"Exec INSERT SELECT", func() error {
				return e.db.Exec("INSERT INTO api_keys (token, user_id) SELECT token, user_id FROM api_keys WHERE id = -1").Error
			}},
			{"generics Raw", func() error {
				_, err := gorm.G[APIKey](e.db).Raw("SELECT * FROM api_keys").Find(context.Background())
				return err
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				require.NoError(t, c.run())
				assert.Equal(t, []string{"api_keys"}, got.tables())
			})
		}
	})
}

func TestLeakDetectorWritesAreFlaggedAsWrites(t *testing.T) {
	eachLeakDB(t, false, func(t *testing.T, e *env, got *leakLog) {
		require.NoError(t, e.db.Exec("UPDATE api_keys SET token = ? WHERE token = ?", "gone2", "gone").Error)
		leaks := got.take()
		require.Len(t, leaks, 1)
		assert.True(t, leaks[0].Write, "a raw UPDATE without the predicate touches tombstones")
		assert.Equal(t, int64(1), e.count(t, "SELECT count(*) FROM api_keys WHERE token = 'gone2' AND deleted_at IS NOT NULL"),
			"not strict: the statement ran (and rewrote a tombstone)")
	})
}

func TestLeakDetectorSilentOnFilteredStatements(t *testing.T) {
	eachLeakDB(t, true, func(t *testing.T, e *env, got *leakLog) {
		q := func(name string) string { return e.db.Statement.Quote(name) }
		stmts := []string{
			"SELECT * FROM api_keys WHERE token = ? AND deleted_at IS NULL",
			"SELECT * FROM api_keys WHERE deleted_at IS NULL AND token = ?",
			"SELECT * FROM api_keys k WHERE k.token = ? AND k.deleted_at IS NULL",
			"SELECT * FROM " + q("api_keys") + " WHERE " + q("token") + " = ? AND " + q("api_keys") + "." + q("deleted_at") + " IS NULL",
			"SELECT * FROM api_keys WHERE token = ? AND deleted_at IS NOT NULL",
			"SELECT * FROM api_keys WHERE (token = ? OR token = 'x') AND (deleted_at IS NULL)",
			"WITH live AS (SELECT * FROM api_keys WHERE deleted_at IS NULL) SELECT * FROM live WHERE token = ?",
			"UPDATE api_keys SET token = token WHERE token = ? AND deleted_at IS NULL",
			"DELETE FROM api_keys WHERE token = ? AND deleted_at IS NOT NULL AND deleted_at < '2000-01-01'",
			"DELETE FROM api_keys WHERE deleted_at < '2000-01-01' AND token = ?",
			"INSERT INTO api_keys (token, user_id, created_at, updated_at) VALUES (?, 0, '2026-01-01', '2026-01-01')",
		}
		for _, s := range stmts {
			assert.NoError(t, closeRows(e.db.Raw(s, "zz").Rows()), s)
			assert.Empty(t, got.take(), s)
		}
	})
}

// TestLeakDetectorSilentOnGORMReads runs GORM's reads, writes and the
// plugin's verbs with the strict detector: none may fail or be reported.
func TestLeakDetectorSilentOnGORMReads(t *testing.T) {
	eachLeakDB(t, true, func(t *testing.T, e *env, got *leakLog) {
		a, posts := e.seedPosts(t, 3)
		require.NoError(t, e.db.Create(&Comment{PostID: posts[0].ID, Body: "c"}).Error)
		require.NoError(t, e.db.Delete(&posts[2]).Error)
		var ps []Post
		var p Post
		var n int64
		var titles []string
		var authors []Author
		reads := []struct {
			name string
			run  func() error
		}{
			{"Find", func() error { return e.db.Find(&ps).Error }},
			{"First", func() error { return e.db.First(&p).Error }},
			{"Take", func() error { return e.db.Take(&p).Error }},
			{"Last", func() error { return e.db.Last(&p).Error }},
			{"Count", func() error { return e.db.Model(&Post{}).Count(&n).Error }},
			{"Pluck", func() error { return e.db.Model(&Post{}).Pluck("title", &titles).Error }},
			{"Scan", func() error { return e.db.Model(&Post{}).Select("title").Scan(&titles).Error }},
			{"Rows", func() error { return closeRows(e.db.Model(&Post{}).Rows()) }},
			{"Row", func() error { return e.db.Model(&Post{}).Select("count(*)").Row().Scan(&n) }},
			{"Group", func() error {
				return closeRows(e.db.Model(&Post{}).Select("author_id, count(*)").Group("author_id").Rows())
			}},
			{"Preload", func() error { return e.db.Preload("Posts.Comments").Find(&authors).Error }},
			{"Joins", func() error { return e.db.Joins("Author").Find(&ps).Error }},
			{"InnerJoins", func() error { return e.db.InnerJoins("Author").Find(&ps).Error }},
			{"association", func() error { return e.db.Model(&a).Association("Posts").Find(&ps) }},
			{"assoc count", func() error { _ = e.db.Model(&a).Association("Posts").Count(); return nil }},
			{"subquery", func() error {
				return e.db.Where("author_id IN (?)", e.db.Model(&Author{}).Select("id")).Find(&ps).Error
			}},
			{"Raw subquery", func() error {
				return e.db.Raw("SELECT count(*) FROM (?) AS p", e.db.Model(&Post{})).Scan(&n).Error
			}},
			{"Table", func() error { return e.db.Table("posts").Count(&n).Error }},
			{"FindInBatches", func() error { return e.db.FindInBatches(&ps, 2, func(*gorm.DB, int) error { return nil }).Error }},
			{"FirstOrCreate", func() error { return e.db.FirstOrCreate(&Author{}, Author{Name: "ann"}).Error }},
			{"generics", func() error { _, err := gorm.G[Post](e.db).Find(context.Background()); return err }},
			{"gorm.DeletedAt", func() error { return e.db.Find(&[]Legacy{}).Error }},
			{"WithDeleted", func() error {
				return e.db.Scopes(softdelete.WithDeleted).Raw("SELECT * FROM posts").Scan(&ps).Error
			}},
			{"Unscoped", func() error { return e.db.Unscoped().Exec("UPDATE posts SET views = views").Error }},
			{"Update", func() error { return e.db.Model(&posts[0]).Update("views", 9).Error }},
			{"Restore", func() error { return softdelete.Restore(e.db, &posts[2]).Error }},
			{"cascade", func() error { return e.db.Delete(&a).Error }},
			{"Restore cascade", func() error {
				return softdelete.Restore(e.db, &a).Error
			}},
			{"HardDelete", func() error { return softdelete.HardDelete(e.db, &posts[1]).Error }},
			{"Purge", func() error {
				_, err := softdelete.Purge(context.Background(), e.db, &Author{}, softdelete.PurgeOptions{OlderThan: time.Nanosecond})
				return err
			}},
			{"AutoMigrate again", func() error { return softdelete.AutoMigrate(e.db, allModels...) }},
			{"GORM AutoMigrate", func() error { return e.db.AutoMigrate(&APIKey{}) }},
		}
		for _, read := range reads {
			t.Run(read.name, func(t *testing.T) {
				require.NoError(t, read.run())
				assert.Empty(t, got.take())
			})
		}
		assert.NotEmpty(t, e.log.matching("SELECT MAX("),
			"the plugin's own read of tombstones (the cascade's newest-tombstone check) ran, unreported")
	})
}

func closeRows(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	return rows.Close()
}

func TestLeakDetectorJoinStrings(t *testing.T) {
	eachLeakDB(t, false, func(t *testing.T, e *env, got *leakLog) {
		e.seedPosts(t, 1)
		cases := []struct {
			name  string
			query func(*gorm.DB) *gorm.DB
			want  []string
		}{
			{"join without predicate", func(db *gorm.DB) *gorm.DB {
				return db.Joins("JOIN posts ON posts.author_id = authors.id")
			}, []string{"posts"}},
			{"join with predicate", func(db *gorm.DB) *gorm.DB {
				return db.Joins("JOIN posts ON posts.author_id = authors.id AND posts.deleted_at IS NULL")
			}, nil},
			{"left join alias without predicate", func(db *gorm.DB) *gorm.DB {
				return db.Joins("LEFT JOIN posts p ON p.author_id = authors.id")
			}, []string{"posts"}},
			{"left join alias with predicate", func(db *gorm.DB) *gorm.DB {
				return db.Joins("LEFT JOIN posts p ON p.author_id = authors.id AND p.deleted_at IS NULL")
			}, nil},
			{"predicate in Where", func(db *gorm.DB) *gorm.DB {
				return db.Joins("JOIN posts p ON p.author_id = authors.id").Where("p.deleted_at IS NULL")
			}, nil},
			{"predicate as a map", func(db *gorm.DB) *gorm.DB {
				return db.Joins("JOIN posts p ON p.author_id = authors.id").Where(map[string]any{"p.deleted_at": nil})
			}, nil},
			{"predicate under a lone Or", func(db *gorm.DB) *gorm.DB {
				return db.Joins("JOIN posts p ON p.author_id = authors.id").Where("p.deleted_at IS NULL").Or("p.views > 0")
			}, []string{"posts"}},
			{"quoted", func(db *gorm.DB) *gorm.DB {
				q := db.Statement.Quote
				return db.Joins("JOIN " + q("posts") + " AS " + q("p") + " ON " + q("p.author_id") + " = " + q("authors.id") + " AND " + q("p.deleted_at") + " IS NULL")
			}, nil},
			{"predicate in a comment", func(db *gorm.DB) *gorm.DB {
				return db.Joins("JOIN posts p ON p.author_id = authors.id /* AND p.deleted_at IS NULL */")
			}, []string{"posts"}},
			{"subquery argument built from a model", func(db *gorm.DB) *gorm.DB {
				return db.Joins("JOIN (?) p ON p.author_id = authors.id", e.db.Model(&Post{}).Select("author_id"))
			}, nil},
			{"relation join", func(db *gorm.DB) *gorm.DB { return db.Model(&Post{}).Joins("Author") }, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var n int64
				site := nextLine()
				require.NoError(t, c.query(e.db.Model(&Author{})).Count(&n).Error)
				leaks := got.take()
				require.Len(t, leaks, len(c.want))
				for i, l := range leaks {
					assert.Equal(t, c.want[i], l.Table)
					assert.True(t, l.Join)
					assert.Equal(t, site, l.Caller)
				}
			})
		}
	})
}

func TestLeakDetectorTraps(t *testing.T) {
	eachLeakDB(t, false, func(t *testing.T, e *env, got *leakLog) {
		schema := "main"
		switch e.name {
		case "postgres":
			require.NoError(t, e.db.Raw("SELECT current_schema()").Scan(&schema).Error)
		case "mysql":
			require.NoError(t, e.db.Raw("SELECT DATABASE()").Scan(&schema).Error)
		}
		cases := []struct {
			name string
			sql  string
			leak bool
			only string // the databases that read this SQL ("": all)
		}{
			{"predicate inside a string literal", "SELECT * FROM api_keys WHERE token <> 'x AND deleted_at IS NULL'", true, ""},
			{"predicate inside a doubled-quote literal", "SELECT * FROM api_keys WHERE token <> 'it''s AND deleted_at IS NULL'", true, ""},
			{"predicate inside a line comment", "SELECT * FROM api_keys WHERE token <> 'x' -- AND deleted_at IS NULL", true, ""},
			{"predicate inside a block comment", "SELECT * FROM api_keys WHERE token <> 'x' /* AND deleted_at IS NULL */", true, ""},
			{"predicate under OR", "SELECT * FROM api_keys WHERE token = 'live' OR deleted_at IS NULL", true, ""},
			{"table name inside a literal", "SELECT 'FROM api_keys' AS x", false, ""},
			{"table name inside a comment", "SELECT 1 AS x -- FROM api_keys", false, ""},
			{"double-quoted table", `SELECT * FROM "api_keys"`, true, "sqlite postgres"},
			{"double-quoted string", `SELECT * FROM api_keys WHERE token <> "x AND deleted_at IS NULL"`, true, "mysql"},
			{"backslash-escaped string", `SELECT * FROM api_keys WHERE token <> 'x\' AND deleted_at IS NULL'`, true, "mysql"},
			{"hash comment", "SELECT * FROM api_keys WHERE token <> 'x' # AND deleted_at IS NULL", true, "mysql"},
			{"dollar-quoted string", "SELECT * FROM api_keys WHERE token <> $$x' AND deleted_at IS NULL$$", true, "postgres"},
			{"E string", `SELECT * FROM api_keys WHERE token <> E'x\' AND deleted_at IS NULL'`, true, "postgres"},
			{"a backslash ends a standard string", `SELECT * FROM api_keys WHERE token <> 'x\' AND deleted_at IS NULL`, false, "sqlite postgres"},
			{"backquoted table", "SELECT * FROM `api_keys`", true, "sqlite mysql"},
			{"backquoted predicate", "SELECT * FROM `api_keys` AS `k` WHERE `k`.`deleted_at` IS NULL", false, "sqlite mysql"},
			{"bracketed table", "SELECT * FROM [api_keys]", true, "sqlite"},
			{"bracketed predicate", "SELECT * FROM [api_keys] WHERE [api_keys].[deleted_at] IS NULL", false, "sqlite"},
			{"schema-qualified", "SELECT * FROM " + schema + ".api_keys", true, ""},
			{"schema-qualified guarded", "SELECT * FROM " + schema + ".api_keys k WHERE k.deleted_at IS NULL", false, ""},
			{"subquery", "SELECT * FROM tags WHERE id IN (SELECT user_id FROM api_keys)", true, ""},
			{"guarded subquery", "SELECT * FROM tags WHERE id IN (SELECT user_id FROM api_keys WHERE deleted_at IS NULL)", false, ""},
			{"CTE", "WITH k AS (SELECT * FROM api_keys) SELECT * FROM k", true, ""},
			{"guarded CTE", "WITH k AS (SELECT * FROM api_keys WHERE deleted_at IS NULL) SELECT * FROM k", false, ""},
		}
		for _, c := range cases {
			if c.only != "" && !slices.Contains(strings.Fields(c.only), e.name) {
				continue // not SQL this database reads
			}
			t.Run(c.name, func(t *testing.T) {
				require.NoError(t, closeRows(e.db.Raw(c.sql).Rows()), "the statement is valid SQL")
				var want []string
				if c.leak {
					want = []string{"api_keys"}
				}
				assert.Equal(t, want, got.tables())
			})
		}
	})
}

// TestLeakDetectorStrictRunsNothing checks physically that a strict-mode
// statement that leaks did not run.
func TestLeakDetectorStrictRunsNothing(t *testing.T) {
	eachLeakDB(t, true, func(t *testing.T, e *env, got *leakLog) {
		site := nextLine()
		err := e.db.Exec("UPDATE api_keys SET token = ? WHERE token = ?", "revived", "gone").Error
		require.ErrorIs(t, err, softdelete.ErrSoftDeleteLeak)
		var leak *softdelete.LeakError
		require.ErrorAs(t, err, &leak)
		assert.Equal(t, "api_keys", leak.Table)
		assert.Equal(t, site, leak.Caller)
		assert.True(t, leak.Write)
		assert.Len(t, leak.Leaks, 1)
		assert.Contains(t, err.Error(), site)
		assert.Len(t, got.take(), 1, "Report also hears of it in strict mode")
		assert.Equal(t, int64(0), e.count(t, "SELECT count(*) FROM api_keys WHERE token = 'revived' AND deleted_at IS NOT NULL"))

		err = e.db.Exec("INSERT INTO api_keys (token, user_id) SELECT 'copy', user_id FROM api_keys").Error
		require.ErrorIs(t, err, softdelete.ErrSoftDeleteLeak)
		assert.Equal(t, int64(0), e.count(t, "SELECT count(*) FROM api_keys WHERE token = 'copy' AND deleted_at IS NULL"))

		var keys []APIKey
		err = e.db.Raw("SELECT * FROM api_keys WHERE token = ?", "gone").Scan(&keys).Error
		require.ErrorIs(t, err, softdelete.ErrSoftDeleteLeak)
		assert.Empty(t, keys, "the query did not run")

		var n int64
		err = e.db.Model(&Author{}).Joins("JOIN api_keys k ON k.user_id = authors.id").Count(&n).Error
		require.ErrorIs(t, err, softdelete.ErrSoftDeleteLeak)
		got.take()
	})
}

// leakWarnLog records the warnings GORM's logger is given.
type leakWarnLog struct {
	logger.Interface
	mu    sync.Mutex
	warns []string
}

func (l *leakWarnLog) Warn(_ context.Context, msg string, args ...any) {
	l.mu.Lock()
	l.warns = append(l.warns, fmt.Sprintf(msg, args...))
	l.mu.Unlock()
}

func (l *leakWarnLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.warns
	l.warns = nil
	return out
}

func TestLeakDetectorLogsThroughTheLogger(t *testing.T) {
	opt := softdelete.WithLeakDetector(softdelete.LeakConfig{})
	eachDBWith(t, setup{opts: []softdelete.Option{opt}}, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &APIKey{}))
		log := &leakWarnLog{Interface: logger.Discard}
		e.db.Logger = log
		var keys []APIKey
		cases := map[string]func() error{
			// Scan swaps in a recorder that would send warnings to logger.Default
			"Scan": func() error { return e.db.Raw("SELECT * FROM api_keys").Scan(&keys).Error },
			"Find": func() error { return e.db.Raw("SELECT * FROM api_keys").Find(&keys).Error },
			"Exec": func() error { return e.db.Exec("DELETE FROM api_keys WHERE id = 0").Error },
		}
		for name, run := range cases {
			t.Run(name, func(t *testing.T) {
				require.NoError(t, run())
				warns := log.take()
				require.Len(t, warns, 1)
				assert.Contains(t, warns[0], "leak_test.go:")
				assert.Contains(t, warns[0], "api_keys")
			})
		}
	})
}

func TestLeakDetectorOffRegistersNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		cb := e.db.Callback()
		assert.Nil(t, cb.Raw().Get("softdelete:leaks"))
		assert.Nil(t, cb.Query().Get("softdelete:leaks"))
		assert.Nil(t, cb.Row().Get("softdelete:leaks"))
	})
	eachLeakDB(t, false, func(t *testing.T, e *env, _ *leakLog) {
		cb := e.db.Callback()
		assert.NotNil(t, cb.Raw().Get("softdelete:leaks"))
		assert.NotNil(t, cb.Query().Get("softdelete:leaks"))
		assert.NotNil(t, cb.Row().Get("softdelete:leaks"))
	})
}

// TestLeakDetectorOffCostsNothing: without the option, a raw statement
// allocates exactly what it does without the plugin.
func TestLeakDetectorOffCostsNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		open := func(opts ...softdelete.Option) *gorm.DB {
			db, err := gorm.Open(e.db.Dialector, &gorm.Config{Logger: logger.Discard})
			require.NoError(t, err)
			if opts != nil {
				require.NoError(t, db.Use(softdelete.New(opts...)))
			}
			return db
		}
		plain := open()
		plugin := open(softdelete.WithClock(time.Now))
		detect := open(softdelete.WithLeakDetector(softdelete.LeakConfig{Report: func(context.Context, softdelete.Leak) {}}))
		allocs := func(db *gorm.DB) float64 {
			dry := db.Session(&gorm.Session{DryRun: true})
			return testing.AllocsPerRun(50, func() {
				dry.Exec("UPDATE posts SET views = views + 1 WHERE id = ? AND deleted_at IS NULL", 1)
			})
		}
		off, base, on := allocs(plugin), allocs(plain), allocs(detect)
		assert.Equal(t, base, off, "the plugin without the detector adds no allocation to Exec")
		assert.Greater(t, on, off, "the detector, when on, does work (the test can fail)")
	})
}
