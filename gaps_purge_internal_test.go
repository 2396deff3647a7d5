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
