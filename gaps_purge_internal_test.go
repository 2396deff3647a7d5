package softdelete

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// Models for the batch-size cap: gapCapOwner cascades (one-column key),
// gapCapPair cascades with a two-column key, gapCapFlat has no cascade.
type gapCapOwner struct {
	ID        uint
	DeletedAt DeletedAt
	Kids      []gapCapKid `gorm:"foreignKey:OwnerID" softdelete:"cascade"`
}

type gapCapKid struct {
	ID        uint
	OwnerID   uint
	DeletedAt DeletedAt
}

type gapCapPair struct {
	A         uint `gorm:"primaryKey"`
	B         uint `gorm:"primaryKey"`
	DeletedAt DeletedAt
	Kids      []gapCapPairKid `gorm:"foreignKey:PairA,PairB;references:A,B" softdelete:"cascade"`
}

type gapCapPairKid struct {
	ID        uint
	PairA     uint
	PairB     uint
	DeletedAt DeletedAt
}

type gapCapFlat struct {
	ID        uint
	DeletedAt DeletedAt
}

// TestPurgeBatchSizeCap pins the cap on the keys a batch of a model with
// cascades binds: 30000 (below SQLite's 32766 parameters), divided by the
// number of key columns. Models without cascades bind no keys: no cap.
func TestPurgeBatchSizeCap(t *testing.T) {
	db := testdb.Open(t, "sqlite", &gorm.Config{Logger: logger.Discard})
	require.NoError(t, db.Use(New()))
	require.Less(t, maxBatchKeys, 32767, "must stay below SQLite's parameter limit")
	cases := []struct {
		name  string
		model any
		batch int
		want  int
	}{
		{"cascade, default size", &gapCapOwner{}, 0, DefaultPurgeBatchSize},
		{"cascade, size at the cap", &gapCapOwner{}, 30000, 30000},
		{"cascade, size above the cap", &gapCapOwner{}, 30001, 30000},
		{"cascade, huge size", &gapCapOwner{}, 1 << 20, 30000},
		{"cascade, two-column key, at the cap", &gapCapPair{}, 15000, 15000},
		{"cascade, two-column key, above the cap", &gapCapPair{}, 15001, 15000},
		{"no cascade, no cap", &gapCapFlat{}, 1 << 20, 1 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j, err := newPurgeJob(context.Background(), db, c.model, PurgeOptions{OlderThan: time.Hour, BatchSize: c.batch})
			require.NoError(t, err)
			assert.Equal(t, c.want, j.size)
		})
	}
}

// TestPurgeBatchTimeAdapts pins how BatchTime resizes batches: by the ratio
// of 80% of BatchTime to the last batch's time, at most ×1.5 or ÷2 per
// batch, never below one row nor above the cap; without BatchTime the size
// stays.
func TestPurgeBatchTimeAdapts(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name      string
		every     time.Duration
		size, max int
		took      time.Duration
		want      int
	}{
		{"no BatchTime: size kept", 0, 1000, maxBatchRows, ms, 1000},
		{"on target (80% of BatchTime)", 20 * ms, 1000, maxBatchRows, 16 * ms, 1000},
		{"a bit fast: grows by the ratio", 20 * ms, 1000, maxBatchRows, 12800 * time.Microsecond, 1250},
		{"very fast: at most ×1.5", 20 * ms, 1000, maxBatchRows, ms, 1500},
		{"instant: at most ×1.5", 20 * ms, 1000, maxBatchRows, 0, 1500},
		{"at BatchTime: shrinks to aim below it", 20 * ms, 1000, maxBatchRows, 20 * ms, 800},
		{"very slow: at most halves", 20 * ms, 1000, maxBatchRows, time.Second, 500},
		{"never below one row", 20 * ms, 1, maxBatchRows, time.Second, 1},
		{"never above the cap", 20 * ms, 900, 1000, ms, 1000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := &purgeJob{every: c.every, size: c.size, maxSize: c.max}
			j.adapt(c.took)
			assert.Equal(t, c.want, j.size)
		})
	}
}

// TestPurgeSweepAims pins the sweep's correction of the rows a span is asked
// for, so spans remove about BatchSize rows: by BatchSize over the rows the
// last span removed, within ×1.5 / ÷2, ×1.5 after an empty span, at most
// maxAskFactor BatchSizes; BatchTime, when set, decides alone.
func TestPurgeSweepAims(t *testing.T) {
	cases := []struct {
		name    string
		every   time.Duration
		asked   int
		removed int64
		want    int
	}{
		{"removed what was asked", 0, 1000, 1000, 1000},
		{"removed 80%: ask more", 0, 1000, 800, 1250},
		{"removed too many: ask fewer", 0, 1000, 1600, 625},
		{"removed far too many: at most halves", 0, 1000, 100000, 500},
		{"empty span: ×1.5", 0, 1000, 0, 1500},
		{"empty spans: at most maxAskFactor BatchSizes", 0, 1000 * maxAskFactor, 0, 1000 * maxAskFactor},
		{"BatchTime decides", time.Millisecond, 1000, 10, 1000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := &purgeJob{every: c.every, size: 1000, asked: c.asked}
			j.aim(c.removed)
			assert.Equal(t, c.want, j.asked)
		})
	}
	j := &purgeJob{size: 700}
	assert.Equal(t, 700, j.ask(), "the first span asks for BatchSize rows")
}
