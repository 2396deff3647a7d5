package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, testdb.WithMariaDB())) }

func TestRun(t *testing.T) {
	testdb.Each(t, nil, func(t *testing.T, db *gorm.DB) {
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), &out, db, config{rows: 200, batch: 40, olderThan: 30 * 24 * time.Hour}))
		got := out.String()
		for _, want := range []string{
			"seeded 200 rows: 150 deleted long ago, 25 deleted recently, 25 live\n",
			"\r[##########------------------------------]  26%  40/150",
			"\r[########################################] 100%  150/150\n",
			"purged 150 rows in 4 batches of up to 40",
			"left: 25 live rows, 25 recently deleted rows\n",
		} {
			assert.Contains(t, got, want)
		}
		assert.Equal(t, 4, strings.Count(got, "\r"), "one redraw per batch")
	})
}

func TestDefaultDatabase(t *testing.T) {
	db, err := open("")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, db, config{rows: 16, batch: 1000, olderThan: 24 * time.Hour}))
	assert.Contains(t, out.String(), "purged 14 rows in 1 batches", "a day's retention: the rows deleted 5 days ago go too")
}

func TestCancelled(t *testing.T) {
	db, err := open("")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err = run(ctx, &out, db, config{rows: 16, batch: 1000, olderThan: 30 * 24 * time.Hour})
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, out.String(), "0/12\n")
}
