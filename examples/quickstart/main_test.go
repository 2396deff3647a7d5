package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, testdb.WithMariaDB())) }

func TestQuickstart(t *testing.T) {
	testdb.Each(t, nil, func(t *testing.T, db *gorm.DB) {
		var out bytes.Buffer
		require.NoError(t, run(&out, db))
		for _, want := range []string{
			"=> found [world]",
			"=> in the trash: [hello]",
			"=> 1 restored, 2 live posts",
			"=> 1 removed, 1 rows left in the table",
			"deleted_at\" IS NOT NULL",
		} {
			assert.Contains(t, unify(out.String()), want)
		}
	})
}

func TestDefaultDatabase(t *testing.T) {
	db, err := open("")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(&out, db))
	assert.Contains(t, out.String(), "=> found [world]")
}

// unify makes SQLite's backquotes look like PostgreSQL's double quotes.
func unify(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte("`"), []byte(`"`))) }
