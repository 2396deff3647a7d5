package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, testdb.WithMariaDB())) }

// want is run's output; the error line is SQLite's (PostgreSQL words it its own way).
const want = `migrate: CREATE UNIQUE INDEX "uidx_unique_example_posts_slug" ON "unique_example_posts" ("slug") WHERE "deleted_at" IS NULL
create:  post 1 "hello-world"
delete:  post 1 deleted, its slug is free
reuse:   post 2 "hello-world" created beside deleted post 1
restore: post 1 refused (ErrRestoreConflict), still deleted: true
  error: softdelete: restore conflicts with a live row's unique key: index "uidx_unique_example_posts_slug": UNIQUE constraint failed: unique_example_posts.slug
upsert:  post 2 title is now "Hello, upsert"
table:   2 rows, 1 live
`

func TestRunInMemory(t *testing.T) {
	db, err := open("", "file::memory:", false)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(&out, db))
	assert.Equal(t, want, out.String())
}

func TestRun(t *testing.T) {
	testdb.Each(t, func() *gorm.Config { return &gorm.Config{Logger: logger.Discard} }, func(t *testing.T, db *gorm.DB) {
		require.NoError(t, db.Use(softdelete.New()))
		var out bytes.Buffer
		require.NoError(t, run(&out, db))
		got := mysqlMigrateLine(t, db, out.String())
		if db.Dialector.Name() == "postgres" {
			assert.Contains(t, got, `  error: softdelete: restore conflicts with a live row's unique key: index "uidx_unique_example_posts_slug": `+
				`ERROR: duplicate key value violates unique constraint "uidx_unique_example_posts_slug" (SQLSTATE 23505)`)
			got = withoutErrorLine(got)
		}
		assert.Equal(t, withoutErrorLine(want), withoutErrorLine(got))

		// Twice in a row: run starts from a fresh table.
		out.Reset()
		require.NoError(t, run(&out, db))
		assert.Equal(t, withoutErrorLine(want), withoutErrorLine(mysqlMigrateLine(t, db, out.String())))

		var rows, live int64
		require.NoError(t, db.Raw("SELECT count(*) FROM unique_example_posts").Scan(&rows).Error)
		require.NoError(t, db.Raw("SELECT count(*) FROM unique_example_posts WHERE deleted_at IS NULL AND title = 'Hello, upsert'").Scan(&live).Error)
		assert.EqualValues(t, 2, rows)
		assert.EqualValues(t, 1, live)
	})
}

// mysqlMigrateLine checks, on MySQL, the first line of out (the index DDL:
// MySQL's ALTER TABLE with its generated column) and replaces it with the
// line the other databases print.
func mysqlMigrateLine(t *testing.T, db *gorm.DB, out string) string {
	t.Helper()
	if db.Dialector.Name() != "mysql" {
		return out
	}
	first, rest, _ := strings.Cut(out, "\n")
	assert.Equal(t, "migrate: ALTER TABLE `unique_example_posts` ADD COLUMN `live_uidx_unique_example_posts_slug` TINYINT "+
		"AS (IF(`deleted_at` IS NULL, 1, NULL)) VIRTUAL INVISIBLE, "+
		"ADD UNIQUE INDEX `uidx_unique_example_posts_slug` (`slug`, `live_uidx_unique_example_posts_slug`)", first)
	wantFirst, _, _ := strings.Cut(want, "\n")
	return wantFirst + "\n" + rest
}

// withoutErrorLine drops the driver-specific "  error:" line.
func withoutErrorLine(s string) string {
	var keep []string
	for _, line := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(line, "  error:") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "")
}
