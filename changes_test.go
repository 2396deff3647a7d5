package softdelete_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
)

// changeLog records the changes WithChanges reports; fail makes it refuse them.
type changeLog struct {
	mu      sync.Mutex
	changes []softdelete.Change
	fail    error
}

func (l *changeLog) record(_ context.Context, c softdelete.Change) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	l.changes = append(l.changes, c)
	return nil
}

func (l *changeLog) take() []softdelete.Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.changes
	l.changes = nil
	return out
}

// ids returns a change's single-column keys as sorted uints.
func changedIDs(c softdelete.Change) []uint {
	out := make([]uint, 0, len(c.Keys))
	for _, id := range c.IDs() {
		var u uint
		_, _ = fmt.Sscan(fmt.Sprint(id), &u)
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// summary renders changes as "op table cascade [ids]" lines.
func summary(changes []softdelete.Change) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = fmt.Sprintf("%s %s %v %v", c.Op, c.Table, c.Cascade, changedIDs(c))
	}
	return out
}

type changeActorKey struct{}

func changesDB(t *testing.T, fn func(t *testing.T, e *env, log *changeLog)) {
	log := &changeLog{}
	actor := func(ctx context.Context) any { return ctx.Value(changeActorKey{}) }
	eachDBWith(t, setup{opts: []softdelete.Option{softdelete.WithChanges(log.record), softdelete.WithActor(actor)}},
		func(t *testing.T, e *env) {
			log.take()
			fn(t, e, log)
		})
}

// TestChangesReportExactlyTheChangedKeys: a bulk delete, restore and hard
// delete by condition each report exactly the rows they changed, with the
// stored timestamp and the actor; a cascade reports each level, children
// first, and restores only the children the same delete took.
func TestChangesReportExactlyTheChangedKeys(t *testing.T) {
	changesDB(t, func(t *testing.T, e *env, log *changeLog) {
		a, posts := e.seedPosts(t, 4)
		c := Comment{PostID: posts[0].ID, Body: "c"}
		require.NoError(t, e.db.Create(&c).Error)
		log.take()

		// posts[3] deleted on its own first: not reported again, not restored
		require.NoError(t, e.db.Delete(&posts[3]).Error)
		assert.Equal(t, []string{fmt.Sprintf("delete posts false [%d]", posts[3].ID)}, summary(log.take()))
		e.clock.Advance(time.Second)

		ctx := context.WithValue(context.Background(), changeActorKey{}, "ann")
		res := e.db.WithContext(ctx).Delete(&a)
		require.NoError(t, res.Error)
		got := log.take()
		assert.Equal(t, []string{
			fmt.Sprintf("delete comments true [%d]", c.ID),
			fmt.Sprintf("delete posts true [%d %d %d]", posts[0].ID, posts[1].ID, posts[2].ID),
			fmt.Sprintf("delete authors false [%d]", a.ID),
		}, summary(got))
		stored := e.deletedAt(t, "posts", posts[0].ID)
		require.NotNil(t, stored)
		for _, ch := range got {
			assert.True(t, ch.At.Equal(*stored), "At is the stored timestamp: %v vs %v", ch.At, *stored)
			assert.Equal(t, "ann", ch.Actor)
			assert.Equal(t, []string{"id"}, ch.Columns)
		}
		assert.Equal(t, "Post", got[1].Model)

		require.NoError(t, softdelete.Restore(e.db, &a).Error)
		assert.Equal(t, []string{
			fmt.Sprintf("restore comments true [%d]", c.ID),
			fmt.Sprintf("restore posts true [%d %d %d]", posts[0].ID, posts[1].ID, posts[2].ID),
			fmt.Sprintf("restore authors false [%d]", a.ID),
		}, summary(log.take()), "posts[3], deleted on its own, stays deleted")

		require.NoError(t, e.db.Delete(&Post{}, "author_id = ? AND id <> ?", a.ID, posts[0].ID).Error)
		assert.Equal(t, []string{fmt.Sprintf("delete posts false [%d %d]", posts[1].ID, posts[2].ID)}, summary(log.take()))
		res = softdelete.Restore(e.db, &Post{}, "author_id = ?", a.ID)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 3, res.RowsAffected)
		assert.Equal(t, []string{fmt.Sprintf("restore posts false [%d %d %d]", posts[1].ID, posts[2].ID, posts[3].ID)}, summary(log.take()),
			"a bulk restore by condition reports exactly the restored rows")

		require.NoError(t, softdelete.HardDelete(e.db, &Post{}, "id IN ?", []uint{posts[2].ID, posts[3].ID}).Error)
		assert.Equal(t, []string{fmt.Sprintf("hard_delete posts false [%d %d]", posts[2].ID, posts[3].ID)}, summary(log.take()))

		res = e.db.Delete(&Post{}, "id = ?", posts[3].ID)
		require.NoError(t, res.Error)
		assert.Empty(t, log.take(), "a statement that changed nothing reports nothing")
	})
}

var errRefused = errors.New("outbox full")

// TestChangeRefusedRollsTheOperationBack: an error from the callback fails
// the operation and nothing of it stays — on its own, in GORM's default
// transaction, and inside a caller's transaction (rolled back to a
// savepoint: the caller's transaction stays usable and keeps its work).
func TestChangeRefusedRollsTheOperationBack(t *testing.T) {
	changesDB(t, func(t *testing.T, e *env, log *changeLog) {
		_, posts := e.seedPosts(t, 2)
		require.NoError(t, e.db.Create(&Comment{PostID: posts[0].ID, Body: "c"}).Error)
		deleted := func() int64 {
			return e.count(t, "SELECT (SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL) + (SELECT count(*) FROM comments WHERE deleted_at IS NOT NULL)")
		}
		log.fail = errRefused
		for name, db := range map[string]*gorm.DB{
			"default transaction": e.db,
			"no transaction":      e.db.Session(&gorm.Session{SkipDefaultTransaction: true}),
		} {
			err := db.Delete(&posts[0]).Error
			require.ErrorIs(t, err, errRefused, name)
			assert.Zero(t, deleted(), name)
		}

		err := e.db.Transaction(func(tx *gorm.DB) error {
			require.NoError(t, tx.Model(&posts[1]).Update("title", "kept").Error)
			require.ErrorIs(t, tx.Delete(&Post{}, "id = ?", posts[0].ID).Error, errRefused)
			var n int64
			require.NoError(t, tx.Model(&Post{}).Where("title = ?", "kept").Count(&n).Error, "the caller's transaction is usable")
			assert.EqualValues(t, 1, n)
			return nil
		})
		require.NoError(t, err)
		assert.Zero(t, deleted())
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM posts WHERE title = 'kept'"))

		log.fail = nil
		require.NoError(t, softdelete.HardDelete(e.db, &posts[1]).Error)
		log.fail = errRefused
		require.ErrorIs(t, e.db.Delete(&posts[0]).Error, errRefused)
		require.NoError(t, e.db.Unscoped().Model(&Post{}).Where("id = ?", posts[0].ID).Update("deleted_at", time.Now()).Error)
		require.ErrorIs(t, softdelete.Restore(e.db, &Post{}, "id = ?", posts[0].ID).Error, errRefused)
		assert.NotNil(t, e.deletedAt(t, "posts", posts[0].ID), "the restore was rolled back")
	})
}

// outboxRow is a transactional outbox written from the change events.
type outboxRow struct {
	ID    uint
	Op    string
	Table string
	Key   string
}

// TestOutboxFollowsTheTransaction: outbox rows written with ChangeTx(ctx)
// commit with the change and vanish with a rolled-back one.
func TestOutboxFollowsTheTransaction(t *testing.T) {
	write := func(ctx context.Context, c softdelete.Change) error {
		tx := softdelete.ChangeTx(ctx)
		for _, id := range c.IDs() {
			if err := tx.Create(&outboxRow{Op: string(c.Op), Table: c.Table, Key: fmt.Sprint(id)}).Error; err != nil {
				return err
			}
		}
		return nil
	}
	eachDBWith(t, setup{opts: []softdelete.Option{softdelete.WithChanges(write)}}, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&outboxRow{}))
		_, posts := e.seedPosts(t, 3)

		errAbort := errors.New("abort")
		err := e.db.Transaction(func(tx *gorm.DB) error {
			require.NoError(t, tx.Delete(&posts[0]).Error)
			return errAbort
		})
		require.ErrorIs(t, err, errAbort)
		assert.Zero(t, e.count(t, "SELECT count(*) FROM outbox_rows"), "no event for rolled-back work")
		assert.Nil(t, e.deletedAt(t, "posts", posts[0].ID))

		require.NoError(t, e.db.Transaction(func(tx *gorm.DB) error { return tx.Delete(&posts[1]).Error }))
		require.NoError(t, e.db.Delete(&posts[2]).Error)
		var rows []outboxRow
		require.NoError(t, e.db.Order("id").Find(&rows).Error)
		keys := make([]string, len(rows))
		for i, r := range rows {
			keys[i] = r.Op + " " + r.Table + " " + r.Key
		}
		assert.Equal(t, []string{"delete posts " + fmt.Sprint(posts[1].ID), "delete posts " + fmt.Sprint(posts[2].ID)}, keys)
	})
}

// TestNoChangesWithoutTheOption: without WithChanges the statements are the
// ones they always were (no RETURNING, no key read, no savepoint).
func TestNoChangesWithoutTheOption(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, posts := e.seedPosts(t, 1)
		c := Comment{PostID: posts[0].ID, Body: "leaf"} // no cascade: one statement
		require.NoError(t, e.db.Create(&c).Error)
		e.log.reset()
		require.NoError(t, e.db.Transaction(func(tx *gorm.DB) error { return tx.Delete(&c).Error }))
		require.NoError(t, softdelete.Restore(e.db, &c).Error)
		for _, sql := range e.log.sqls {
			assert.NotContains(t, sql, "RETURNING", sql)
			assert.NotContains(t, sql, "SAVEPOINT", sql)
		}
		assert.True(t, slices.ContainsFunc(e.log.sqls, func(s string) bool { return len(s) > 0 }))
	})
}

// TestPurgeReportsEachBatch: a Purge batch reports the keys it removed from
// each table, cascade children first; a refused change rolls the batch back.
func TestPurgeReportsEachBatch(t *testing.T) {
	changesDB(t, func(t *testing.T, e *env, log *changeLog) {
		a, posts := e.seedPosts(t, 2)
		c := Comment{PostID: posts[0].ID, Body: "c"}
		require.NoError(t, e.db.Create(&c).Error)
		lone := Comment{PostID: posts[1].ID, Body: "lone"}
		require.NoError(t, e.db.Create(&lone).Error)
		require.NoError(t, e.db.Delete(&a).Error) // the cascade takes both comments
		e.clock.Advance(48 * time.Hour)
		log.take()

		opts := softdelete.PurgeOptions{OlderThan: 24 * time.Hour}
		log.fail = errRefused
		_, err := softdelete.Purge(context.Background(), e.db, &Author{}, opts)
		require.ErrorIs(t, err, errRefused)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM authors"), "the batch was rolled back")
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM comments"))

		log.fail = nil
		n, err := softdelete.Purge(context.Background(), e.db, &Author{}, opts)
		require.NoError(t, err)
		assert.EqualValues(t, 5, n)
		assert.Equal(t, []string{
			fmt.Sprintf("purge comments true [%d %d]", c.ID, lone.ID),
			fmt.Sprintf("purge posts true [%d %d]", posts[0].ID, posts[1].ID),
			fmt.Sprintf("purge authors false [%d]", a.ID),
		}, summary(log.take()))

		require.NoError(t, e.db.Exec("INSERT INTO comments (post_id, body, deleted_at) VALUES (NULL, 'x', ?)", e.clock.Now().Add(-72*time.Hour)).Error)
		n, err = softdelete.Purge(context.Background(), e.db, &Comment{}, opts)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		got := log.take()
		require.Len(t, got, 1)
		assert.Equal(t, softdelete.OpPurge, got[0].Op)
		assert.Equal(t, "comments", got[0].Table)
		assert.False(t, got[0].Cascade)
		assert.Len(t, got[0].Keys, 1)
	})
}

// TestChangesWithTheCallersReturning: a Delete carrying the caller's own
// RETURNING clause (GORM scans it into the passed value) still reports its
// keys, and the caller still gets the returned columns.
func TestChangesWithTheCallersReturning(t *testing.T) {
	changesDB(t, func(t *testing.T, e *env, log *changeLog) {
		_, posts := e.seedPosts(t, 1)
		cs := []Comment{{PostID: posts[0].ID, Body: "a"}, {PostID: posts[0].ID, Body: "b"}}
		require.NoError(t, e.db.Create(&cs).Error)
		log.take()
		if e.name == "mysql" {
			t.Skip("no UPDATE ... RETURNING on MySQL/MariaDB")
		}
		var got []Comment
		res := e.db.Clauses(clause.Returning{Columns: []clause.Column{{Name: "id"}, {Name: "body"}}}).
			Where("post_id = ?", posts[0].ID).Delete(&got)
		require.NoError(t, res.Error)
		assert.Len(t, got, 2, "the caller's RETURNING is scanned as in GORM")
		assert.Equal(t, []string{fmt.Sprintf("delete comments false [%d %d]", cs[0].ID, cs[1].ID)}, summary(log.take()))
	})
}
