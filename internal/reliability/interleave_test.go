package reliability_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// parentOps are the two cascading operations that race on one parent.
var parentOps = map[string]func(db *gorm.DB, id uint) error{
	"Delete":  func(db *gorm.DB, id uint) error { return db.Delete(&FParent{}, id).Error },
	"Restore": func(db *gorm.DB, id uint) error { return softdelete.Restore(db, &FParent{}, id).Error },
}

// The ways the first operation is held while the second one starts.
const (
	// holdMidOperation: parked at the fault point between the cascade's
	// child statement and the parent's statement, inside GORM's default
	// transaction (its row locks taken so far are held).
	holdMidOperation = "parked between its child and parent statements"
	// holdUncommitted: done inside a caller's transaction that is not yet
	// committed (every row lock it took is held).
	holdUncommitted = "done in a caller's transaction, not yet committed"
)

// backendPID returns the PostgreSQL backend pid of db's connection (a
// transaction's, or a statement's inside its transaction).
func backendPID(t *testing.T, db *gorm.DB) int {
	t.Helper()
	var pid int
	require.NoError(t, db.Session(&gorm.Session{NewDB: true}).Raw("SELECT pg_backend_pid()").Scan(&pid).Error)
	return pid
}

// waitBlockedOrDone returns once done has a value (the operation finished:
// the value is put back) or a backend of admin's database waits for a lock
// held by backend holder. It polls pg_stat_activity: a condition, not a
// guess at how long the operation takes.
func waitBlockedOrDone(t *testing.T, admin *gorm.DB, holder int, done chan error) (blocked bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			done <- err
			return false
		default:
		}
		if rawCount(t, admin, "SELECT count(*) FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))", holder) > 0 {
			return true
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second operation neither finished nor waited for backend %d within 10s", holder)
		}
		time.Sleep(time.Millisecond)
	}
}

// assertSerialFamily checks that a parent and its kids are in a state one of
// the serial orders of the racing operations leaves: the parent live with
// every kid live except lone (deleted on its own at loneAt, which stays as
// it is), or the parent deleted with every other kid deleted at the
// parent's very timestamp. A live kid under a deleted parent, a kid deleted
// at another instant under a live parent, or lone restored is not serial.
func assertSerialFamily(t *testing.T, db *gorm.DB, parentID, lone uint, loneAt time.Time) {
	t.Helper()
	parent, kids := family(t, db, parentID)
	require.Len(t, parent, 1)
	p := parent[0].DeletedAt
	for _, k := range kids {
		switch {
		case k.ID == lone:
			if assert.NotNil(t, k.DeletedAt, "kid %d was deleted on its own: restored (zombie)", k.ID) {
				assert.True(t, k.DeletedAt.Equal(loneAt), "kid %d keeps its own timestamp", k.ID)
			}
		case p == nil:
			assert.Nil(t, k.DeletedAt, "parent live, kid %d deleted at %v: not a serial outcome", k.ID, k.DeletedAt)
		default:
			if assert.NotNil(t, k.DeletedAt, "parent deleted at %s, kid %d live: not a serial outcome", p, k.ID) {
				assert.True(t, k.DeletedAt.Equal(*p), "parent deleted at %s, kid %d at %s: not one delete", p, k.ID, k.DeletedAt)
			}
		}
	}
}

// TestConcurrentRestoreAndDeleteEndInASerialOutcome (PostgreSQL): a Delete
// and a Restore of the same cascading parent (three kids, one of them
// deleted on its own earlier) race, deterministically interleaved: the
// first operation is held — parked between its child and parent statements
// inside its transaction, or done in an uncommitted caller's transaction —
// while the second starts; the test waits until the second has finished or
// waits for a lock of the first (pg_blocking_pids), then lets the first
// commit. Both succeed, and raw SQL finds the family in the state one of
// the two serial orders gives: no live kid under a deleted parent, no kid
// lost under a restored one, no zombie. From a live and from a deleted
// parent, with each operation first.
func TestConcurrentRestoreAndDeleteEndInASerialOutcome(t *testing.T) {
	db := testdb.Open(t, "postgres", quietConfig())
	clk := newClock()
	setup(t, db, clk, &FParent{}, &FKid{})
	registerFaultPoints(t, db)
	for _, initial := range []string{"live", "deleted"} {
		for _, first := range []string{"Delete", "Restore"} {
			second := map[string]string{"Delete": "Restore", "Restore": "Delete"}[first]
			for _, hold := range []string{holdMidOperation, holdUncommitted} {
				name := fmt.Sprintf("%s parent/%s %s/then %s", initial, first, hold, second)
				t.Run(name, func(t *testing.T) {
					p := FParent{Name: name, Kids: []FKid{{}, {}, {}}}
					require.NoError(t, db.Create(&p).Error)
					clk.Advance(time.Second)
					lone := p.Kids[0]
					require.NoError(t, db.Delete(&lone).Error)
					loneAt := lone.DeletedAt.Time
					if initial == "deleted" {
						clk.Advance(time.Second)
						require.NoError(t, db.Delete(&FParent{}, p.ID).Error)
					}
					clk.Advance(time.Second)

					firstDone := make(chan error, 1)
					var holder int
					var release func()
					switch hold {
					case holdMidOperation:
						reached, resume := make(chan struct{}), make(chan struct{})
						f := &fault{point: betweenStatements, action: func(tx *gorm.DB) {
							holder = backendPID(t, tx)
							close(reached)
							<-resume
						}}
						ctx := context.WithValue(context.Background(), faultKey{}, f)
						go func() { firstDone <- parentOps[first](db.WithContext(ctx), p.ID) }()
						select {
						case <-reached:
						case err := <-firstDone:
							t.Fatalf("%s finished without reaching its fault point: %v", first, err)
						}
						release = func() { close(resume) }
					case holdUncommitted:
						tx := db.Begin()
						require.NoError(t, tx.Error)
						defer tx.Rollback()
						holder = backendPID(t, tx)
						require.NoError(t, parentOps[first](tx, p.ID))
						release = func() { firstDone <- tx.Commit().Error }
					}

					secondDone := make(chan error, 1)
					go func() { secondDone <- parentOps[second](db, p.ID) }()
					blocked := waitBlockedOrDone(t, db, holder, secondDone)
					t.Logf("%s waited for %s's locks: %v", second, first, blocked)
					release()
					require.NoError(t, <-firstDone, first)
					require.NoError(t, <-secondDone, second)
					assertSerialFamily(t, db, p.ID, lone.ID, loneAt)
				})
			}
		}
	}
}
