package reliability_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// isDeadlock is how a caller recognises a PostgreSQL deadlock (SQLSTATE
// 40P01, retryable: the transaction was rolled back) in an error the plugin
// returned: errors.As to the driver error's SQLState method (pgx's
// *pgconn.PgError has it). The plugin exports no helper of its own.
func isDeadlock(err error) bool {
	var pgErr interface{ SQLState() string }
	return errors.As(err, &pgErr) && pgErr.SQLState() == "40P01"
}

// TestDeadlockBetweenCascadesIsRetryableAndHalfDoneNowhere (PostgreSQL): two
// transactions cascade-delete overlapping subtrees of one self-referencing
// tree in opposite orders —
//
//	x ─┬─ y ── y1      A: Delete(y), then Delete(z)
//	   └─ z ── z1      B: Delete(z), then Delete(x) (whose subtree holds y)
//
// A's second delete waits for B's z; B's second delete then waits for A's y:
// a deadlock. B runs with a short deadlock_timeout and A with a long one, so
// PostgreSQL always aborts B. B's Delete fails with an error a caller can
// recognise as retryable (SQLSTATE 40P01 through errors.As); B's transaction
// is rolled back entirely, A's deletes then complete and commit, each with
// one timestamp for its whole subtree. Retrying B succeeds: it deletes x
// alone (z is gone already), and restoring x brings back x only — y's and
// z's subtrees were deleted by A, not with x.
func TestDeadlockBetweenCascadesIsRetryableAndHalfDoneNowhere(t *testing.T) {
	db := testdb.Open(t, "postgres", quietConfig())
	clk := newClock()
	setup(t, db, clk, &Node{})
	n := tree(t, db, "d", []int{-1, 0, 1, 0, 3}) // x, y, y1, z, z1
	x, y, y1, z, z1 := n[0].ID, n[1].ID, n[2].ID, n[3].ID, n[4].ID

	a := db.Begin()
	require.NoError(t, a.Error)
	defer a.Rollback()
	b := db.Begin()
	require.NoError(t, b.Error)
	defer b.Rollback()
	// deadlock_timeout is superuser-only (the harness connects as postgres)
	if err := a.Exec("SET LOCAL deadlock_timeout = '30s'").Error; err != nil {
		t.Skipf("cannot choose which transaction PostgreSQL aborts: %v", err)
	}
	require.NoError(t, b.Exec("SET LOCAL deadlock_timeout = '20ms'").Error)
	bPID := backendPID(t, b)

	clk.Advance(1)
	require.NoError(t, a.Delete(&Node{}, y).Error, "A: Delete(y)")
	clk.Advance(1)
	require.NoError(t, b.Delete(&Node{}, z).Error, "B: Delete(z)")
	clk.Advance(1)
	aDone := make(chan error, 1)
	go func() { aDone <- a.Delete(&Node{}, z).Error }()
	require.True(t, waitBlockedOrDone(t, db, bPID, aDone), "A's Delete(z) waits for B")

	err := b.Delete(&Node{}, x).Error
	require.Error(t, err, "B: Delete(x) closes the cycle")
	assert.True(t, isDeadlock(err), "a deadlock a caller can recognise (SQLSTATE 40P01 via errors.As): %v", err)
	assert.True(t, softdelete.IsRetryable(err), "softdelete.IsRetryable recognises it: %v", err)
	assert.Equal(t, classDeadlock, classify(err))
	t.Logf("deadlock error as the caller sees it: %v", err)
	require.NoError(t, b.Rollback().Error, "the caller rolls the failed transaction back")

	require.NoError(t, <-aDone, "A's Delete(z) goes on once B is rolled back")
	require.NoError(t, a.Commit().Error)

	ts := tombstones(t, db, "nodes")
	assert.Nil(t, ts[x], "nothing of B's transaction remains: x live")
	require.NotNil(t, ts[y])
	require.NotNil(t, ts[z])
	assert.Equal(t, ts[y], ts[y1], "A's Delete(y): one timestamp for y's subtree")
	assert.Equal(t, ts[z], ts[z1], "A's Delete(z): one timestamp for z's subtree")
	assert.NotEqual(t, *ts[y], *ts[z], "two deletes, two timestamps")

	// the caller retries B's transaction
	clk.Advance(1)
	require.NoError(t, db.Transaction(func(tx *gorm.DB) error {
		if res := tx.Delete(&Node{}, z); res.Error != nil || res.RowsAffected != 0 {
			return errors.Join(res.Error, errors.New("z should be deleted already"))
		}
		return tx.Delete(&Node{}, x).Error
	}), "the retry succeeds")
	after := tombstones(t, db, "nodes")
	require.NotNil(t, after[x])
	for _, id := range []uint{y, y1, z, z1} {
		assert.Equal(t, ts[id], after[id], "node %d keeps A's timestamp", id)
	}
	require.NoError(t, softdelete.Restore(db, &Node{}, x).Error)
	after = tombstones(t, db, "nodes")
	assert.Nil(t, after[x])
	for _, id := range []uint{y, y1, z, z1} {
		assert.NotNil(t, after[id], "node %d was deleted by A, not with x: it stays deleted", id)
	}
}
