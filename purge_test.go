package softdelete_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/dialect"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// Purge test models. PurgeEvent is a plain model; PurgeKV has a composite
// primary key and PurgeLog none. PurgeOwner → PurgeItem → PurgePart cascade
// with real foreign keys, PurgeNode is a self-referencing cascade tree.
type PurgeEvent struct {
	softdelete.Model
	Name string
}

type PurgeKV struct {
	Ns        string               `gorm:"primaryKey"`
	Key       string               `gorm:"primaryKey"`
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

type PurgeLog struct {
	Line      string
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

type PurgeOwner struct {
	softdelete.Model
	Name  string
	Items []PurgeItem `gorm:"foreignKey:OwnerID" softdelete:"cascade"`
}

type PurgeItem struct {
	softdelete.Model
	OwnerID uint
	Parts   []PurgePart `gorm:"foreignKey:ItemID" softdelete:"cascade"`
}

type PurgePart struct {
	softdelete.Model
	ItemID uint
}

type PurgeNode struct {
	softdelete.Model
	ParentID *uint
	Children []PurgeNode `gorm:"foreignKey:ParentID" softdelete:"cascade"`
}

// PurgeShelf and PurgeBin share polymorphic PurgeLabels; a shelf has one
// PurgeCover.
type PurgeShelf struct {
	softdelete.Model
	Labels []PurgeLabel `gorm:"polymorphic:Owner" softdelete:"cascade"`
	Cover  *PurgeCover  `gorm:"foreignKey:ShelfID" softdelete:"cascade"`
}

type PurgeBin struct {
	softdelete.Model
	Labels []PurgeLabel `gorm:"polymorphic:Owner" softdelete:"cascade"`
}

type PurgeLabel struct {
	softdelete.Model
	OwnerID   uint
	OwnerType string
}

type PurgeCover struct {
	softdelete.Model
	ShelfID uint
}

// retention is the OlderThan the tests use: rows deleted at "old" time are
// due, rows deleted at "young" time are not (see purgeClock).
const retention = 5 * 24 * time.Hour

// expire moves the clock so that what was deleted until now is older than
// retention, and what is deleted next (before young) is not.
func (e *env) expire() { e.clock.Advance(10 * 24 * time.Hour) }

// purgeDB migrates the purge models (with their foreign keys) into e.
func purgeDB(t *testing.T, e *env) {
	t.Helper()
	require.NoError(t, e.db.AutoMigrate(&PurgeEvent{}, &PurgeKV{}, &PurgeLog{},
		&PurgeOwner{}, &PurgeItem{}, &PurgePart{}, &PurgeNode{},
		&PurgeShelf{}, &PurgeBin{}, &PurgeLabel{}, &PurgeCover{}))
}

// fkCount counts the foreign keys declared on table.
func (e *env) fkCount(t *testing.T, table string) int64 {
	if e.name == "mysql" {
		return e.count(t, `SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table)
	}
	if e.name == "postgres" {
		return e.count(t, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = ?::regclass", table)
	}
	return e.count(t, "SELECT count(*) FROM pragma_foreign_key_list(?)", table)
}

// flat describes a cascade-free model for the batch tests: how to create
// rows from..to-1 (labelled x00000, x00001, ...) and the label column.
type flat struct {
	name  string
	model any
	table string
	col   string
	rows  func(from, to int) any
}

var flats = []flat{
	{"serial key", &PurgeEvent{}, "purge_events", "name", func(from, to int) any {
		var xs []PurgeEvent
		for i := from; i < to; i++ {
			xs = append(xs, PurgeEvent{Name: fmt.Sprintf("x%05d", i)})
		}
		return &xs
	}},
	{"composite key", &PurgeKV{}, "purge_kvs", "key", func(from, to int) any {
		var xs []PurgeKV
		for i := from; i < to; i++ {
			xs = append(xs, PurgeKV{Ns: fmt.Sprintf("n%d", i%3), Key: fmt.Sprintf("x%05d", i)})
		}
		return &xs
	}},
	{"no primary key", &PurgeLog{}, "purge_logs", "line", func(from, to int) any {
		var xs []PurgeLog
		for i := from; i < to; i++ {
			xs = append(xs, PurgeLog{Line: fmt.Sprintf("x%05d", i)})
		}
		return &xs
	}},
}

// seedFlat creates old+young+live rows of f: the first old are deleted and
// then expired, the next young deleted recently, the rest live.
func (e *env) seedFlat(t *testing.T, f flat, old, young, live int) {
	t.Helper()
	require.NoError(t, e.db.CreateInBatches(f.rows(0, old+young+live), 500).Error)
	key := func(i int) string { return fmt.Sprintf("x%05d", i) }
	col := quoteFor(e)(f.col) // "key" is a reserved word on MySQL
	require.NoError(t, e.db.Where(col+" < ?", key(old)).Delete(f.model).Error)
	e.expire()
	require.NoError(t, e.db.Where(col+" >= ? AND "+col+" < ?", key(old), key(old+young)).Delete(f.model).Error)
}

// progress collects the OnBatch calls of a Purge.
type progress struct {
	mu    sync.Mutex
	calls []softdelete.PurgeProgress
}

func (p *progress) add(pp softdelete.PurgeProgress) {
	p.mu.Lock()
	p.calls = append(p.calls, pp)
	p.mu.Unlock()
}

func TestPurgeBatches(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		for _, f := range flats {
			t.Run(f.name, func(t *testing.T) {
				if f.name == "no primary key" {
					e.skipUnless(t, dialect.RowID, "rows have no address: Purge needs a primary key")
				}
				e.seedFlat(t, f, 2503, 7, 5)
				var got progress
				n, err := softdelete.Purge(context.Background(), e.db, f.model,
					softdelete.PurgeOptions{OlderThan: retention, BatchSize: 1000, OnBatch: got.add})
				require.NoError(t, err)
				assert.EqualValues(t, 2503, n)
				if e.name == "sqlite" {
					// the rowid sweep takes exactly the next BatchSize due rows
					assert.Equal(t, []softdelete.PurgeProgress{
						{Table: f.table, Batch: 1, Purged: 1000},
						{Table: f.table, Batch: 2, Purged: 2000},
						{Table: f.table, Batch: 3, Purged: 2503},
					}, got.calls)
				} else {
					// the TID-range sweep sizes page ranges to hold about BatchSize rows
					assertProgress(t, got.calls, f.table, 2503)
				}
				assert.EqualValues(t, 7, e.count(t, "SELECT count(*) FROM "+f.table+" WHERE deleted_at IS NOT NULL"))
				assert.EqualValues(t, 5, e.count(t, "SELECT count(*) FROM "+f.table+" WHERE deleted_at IS NULL"))

				n, err = softdelete.Purge(context.Background(), e.db, f.model, softdelete.PurgeOptions{OlderThan: retention})
				require.NoError(t, err)
				assert.Zero(t, n, "a second run finds nothing")
			})
		}
	})
}

func TestPurgeDefaultBatchAndExactMultiple(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 2000, 1, 1)
		var got progress
		n, err := softdelete.Purge(context.Background(), e.db, &PurgeEvent{},
			softdelete.PurgeOptions{OlderThan: retention, OnBatch: got.add})
		require.NoError(t, err)
		assert.EqualValues(t, 2000, n)
		assertProgress(t, got.calls, "purge_events", 2000)
		if e.name == "sqlite" {
			assert.Len(t, got.calls, 2, "BatchSize 0 means 1000; an empty last batch is not reported")
		}
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM purge_events"))
	})
}

// assertProgress checks OnBatch calls of one table: batches numbered from 1,
// running totals rising to want.
func assertProgress(t *testing.T, calls []softdelete.PurgeProgress, table string, want int64) {
	t.Helper()
	require.NotEmpty(t, calls)
	var prev int64
	for i, c := range calls {
		assert.Equal(t, table, c.Table)
		assert.Equal(t, i+1, c.Batch)
		assert.Greater(t, c.Purged, prev, "every reported batch removed rows")
		prev = c.Purged
	}
	assert.Equal(t, want, prev)
}

func TestPurgeSQL(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 3, 1, 1)
		e.log.reset()
		_, err := softdelete.Purge(context.Background(), e.db, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention})
		require.NoError(t, err)
		deletes := e.log.matching("DELETE")
		require.Len(t, deletes, 1, "one statement per batch")
		sql := strings.ReplaceAll(deletes[0], "`", `"`)
		if e.name == "mysql" {
			// no row address: the keys of the batch, read (and locked) first
			assert.Regexp(t, `^DELETE FROM "purge_events" WHERE "purge_events"."id" IN \(1,2,3\) AND `, sql)
		} else if e.name == "postgres" {
			// a TID range: a TID Range Scan of those pages, nothing read twice
			assert.Regexp(t, `^DELETE FROM "purge_events" WHERE ctid >= '\(0,1\)'::tid AND ctid < '\(\d+,\d+\)'::tid AND `, sql)
			assert.Contains(t, sql, "set_config('lock_timeout', '1ms', true)", "never waits long for a row lock")
		} else {
			assert.Regexp(t, `^DELETE FROM "purge_events" WHERE rowid >= 1 AND rowid < 6 AND `, sql)
			assert.NotContains(t, sql, "FOR UPDATE")
		}
		assert.Regexp(t, `AND "purge_events"."deleted_at" < [^)]+( AND|$)`, sql, "the retention predicate is on the DELETE")
		assert.NotRegexp(t, regexp.MustCompile(`LIMIT \d+$`), sql, "never DELETE ... LIMIT")
	})
}

// seedOwner creates an owner with items items of parts parts each.
func (e *env) seedOwner(t *testing.T, name string, items, parts int) PurgeOwner {
	t.Helper()
	o := PurgeOwner{Name: name}
	for i := 0; i < items; i++ {
		o.Items = append(o.Items, PurgeItem{Parts: make([]PurgePart, parts)})
	}
	require.NoError(t, e.db.Create(&o).Error)
	return o
}

// tableCounts counts the physical rows of the cascade tables.
func (e *env) tableCounts(t *testing.T) [3]int64 {
	return [3]int64{
		e.count(t, "SELECT count(*) FROM purge_owners"),
		e.count(t, "SELECT count(*) FROM purge_items"),
		e.count(t, "SELECT count(*) FROM purge_parts"),
	}
}

func TestPurgeCascade(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		require.EqualValues(t, 1, e.fkCount(t, "purge_items"), "real foreign key items → owners")
		require.EqualValues(t, 1, e.fkCount(t, "purge_parts"), "real foreign key parts → items")

		old := e.seedOwner(t, "old", 2, 2)     // deleted long ago with its tree
		keep := e.seedOwner(t, "live", 2, 1)   // live; one item deleted long ago on its own
		young := e.seedOwner(t, "young", 1, 1) // deleted recently with its tree
		require.NoError(t, e.db.Delete(&old.Items[1].Parts[0]).Error)
		require.NoError(t, e.db.Delete(&keep.Items[0]).Error)
		require.NoError(t, e.db.Delete(&old).Error) // cascades to the rest of its tree
		e.expire()
		late := PurgePart{ItemID: old.Items[0].ID} // added after the owner's deletion, deleted recently
		require.NoError(t, e.db.Create(&late).Error)
		require.NoError(t, e.db.Delete(&late).Error)
		require.NoError(t, e.db.Delete(&young).Error)
		require.Equal(t, [3]int64{3, 5, 8}, e.tableCounts(t))

		e.log.reset()
		var got progress
		n, err := softdelete.Purge(context.Background(), e.db, &PurgeOwner{},
			softdelete.PurgeOptions{OlderThan: retention, OnBatch: got.add})
		require.NoError(t, err)
		assert.EqualValues(t, 1+2+5, n, "the old owner, its items and all its deleted parts, the younger one too")
		assert.Equal(t, []softdelete.PurgeProgress{
			{Table: "purge_parts", Batch: 1, Purged: 5},
			{Table: "purge_items", Batch: 1, Purged: 7},
			{Table: "purge_owners", Batch: 1, Purged: 8},
		}, got.calls)
		assert.Equal(t, [3]int64{2, 3, 3}, e.tableCounts(t))
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM purge_owners WHERE id = ?", old.ID))
		assert.NotNil(t, e.deletedAt(t, "purge_items", keep.Items[0].ID), "an expired child of a live owner is its own model's business")
		assert.NotNil(t, e.deletedAt(t, "purge_owners", young.ID))

		deletes := e.log.matching("DELETE FROM")
		require.Len(t, deletes, 3)
		for i, table := range []string{"purge_parts", "purge_items", "purge_owners"} {
			assert.Contains(t, strings.ReplaceAll(deletes[i], "`", `"`), `DELETE FROM "`+table+`"`, "children first")
		}
	})
}

func TestPurgeCascadeBatches(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		for i := 0; i < 5; i++ {
			o := e.seedOwner(t, fmt.Sprint("o", i), 1, 1)
			require.NoError(t, e.db.Delete(&o).Error)
		}
		e.expire()
		var got progress
		n, err := softdelete.Purge(context.Background(), e.db, &PurgeOwner{},
			softdelete.PurgeOptions{OlderThan: retention, BatchSize: 2, OnBatch: got.add})
		require.NoError(t, err)
		assert.EqualValues(t, 15, n)
		var owners []softdelete.PurgeProgress
		for _, c := range got.calls {
			if c.Table == "purge_owners" {
				owners = append(owners, c)
			}
		}
		assert.Equal(t, []softdelete.PurgeProgress{
			{Table: "purge_owners", Batch: 1, Purged: 6},
			{Table: "purge_owners", Batch: 2, Purged: 12},
			{Table: "purge_owners", Batch: 3, Purged: 15},
		}, owners)
		assert.Len(t, got.calls, 9, "three tables, three batches")
		assert.Equal(t, [3]int64{0, 0, 0}, e.tableCounts(t))
	})
}

func TestPurgeLiveChild(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		o := e.seedOwner(t, "old", 2, 1)
		other := e.seedOwner(t, "other", 1, 1)
		require.NoError(t, e.db.Delete(&o).Error)
		require.NoError(t, e.db.Delete(&other).Error)
		orphan := PurgePart{ItemID: o.Items[1].ID} // a live part under a deleted item
		require.NoError(t, e.db.Create(&orphan).Error)
		e.expire()
		before := e.tableCounts(t)

		n, err := softdelete.Purge(context.Background(), e.db, &PurgeOwner{}, softdelete.PurgeOptions{OlderThan: retention})
		require.ErrorIs(t, err, softdelete.ErrLiveChild)
		assert.Zero(t, n)
		for _, want := range []string{
			fmt.Sprintf("purge_parts row id=%d (model PurgePart) is live", orphan.ID),
			fmt.Sprintf("parent purge_items row id=%d (model PurgeItem)", o.Items[1].ID),
		} {
			assert.Contains(t, err.Error(), want)
		}
		var live *softdelete.LiveChildError
		require.ErrorAs(t, err, &live)
		assert.Equal(t, "PurgeItem.Parts", live.Relation)
		assert.Equal(t, "purge_parts", live.Table)
		assert.Equal(t, "PurgePart", live.Model)
		assert.EqualValues(t, orphan.ID, live.Key["id"])
		assert.Equal(t, "purge_items", live.ParentTable)
		assert.Equal(t, "PurgeItem", live.ParentModel)
		assert.EqualValues(t, o.Items[1].ID, live.ParentKey["id"])
		assert.Equal(t, before, e.tableCounts(t), "nothing of the batch is deleted")
	})
}

func TestPurgeSelfCascade(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		root := PurgeNode{Children: []PurgeNode{{Children: []PurgeNode{{}, {}}}, {}}}
		require.NoError(t, e.db.Create(&root).Error)
		require.NoError(t, e.db.Delete(&root).Error) // the whole tree
		e.expire()
		late := PurgeNode{ParentID: &root.Children[0].Children[0].ID}
		require.NoError(t, e.db.Create(&late).Error)

		_, err := softdelete.Purge(context.Background(), e.db, &PurgeNode{}, softdelete.PurgeOptions{OlderThan: retention})
		require.ErrorIs(t, err, softdelete.ErrLiveChild, "a live descendant blocks its ancestors")
		assert.EqualValues(t, 6, e.count(t, "SELECT count(*) FROM purge_nodes"))

		require.NoError(t, e.db.Delete(&late).Error) // young tombstone: goes with its ancestors
		n, err := softdelete.Purge(context.Background(), e.db, &PurgeNode{}, softdelete.PurgeOptions{OlderThan: retention})
		require.NoError(t, err)
		assert.EqualValues(t, 6, n)
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM purge_nodes"))
	})
}

func TestPurgePolymorphicAndHasOne(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		shelf := PurgeShelf{Labels: make([]PurgeLabel, 2), Cover: &PurgeCover{}}
		bin := PurgeBin{Labels: make([]PurgeLabel, 1)}
		require.NoError(t, e.db.Create(&shelf).Error)
		require.NoError(t, e.db.Create(&bin).Error)
		require.Equal(t, shelf.ID, bin.ID, "same key, other owner type")
		require.NoError(t, e.db.Delete(&shelf).Error)
		require.NoError(t, e.db.Delete(&bin.Labels[0]).Error)
		e.expire()

		n, err := softdelete.Purge(context.Background(), e.db, &PurgeShelf{}, softdelete.PurgeOptions{OlderThan: retention})
		require.NoError(t, err)
		assert.EqualValues(t, 1+2+1, n)
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM purge_covers"))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM purge_labels WHERE owner_type = ?", "purge_bins"),
			"the bin's label is not the shelf's")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM purge_labels"))
	})
}

func TestPurgeGormDeletedAt(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		rows := []Legacy{{Name: "old"}, {Name: "young"}, {Name: "live"}}
		require.NoError(t, e.db.Create(&rows).Error)
		require.NoError(t, e.db.Delete(&rows[0]).Error)
		e.expire()
		require.NoError(t, e.db.Delete(&rows[1]).Error)
		n, err := softdelete.Purge(context.Background(), e.db, &Legacy{}, softdelete.PurgeOptions{OlderThan: retention})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM legacies"))
	})
}

func TestPurgeWithoutPlugin(t *testing.T) {
	testdb.Each(t, nil, func(t *testing.T, db *gorm.DB) {
		require.NoError(t, db.AutoMigrate(&PurgeEvent{}))
		now := time.Now().UTC()
		at := func(d time.Duration) softdelete.DeletedAt {
			return softdelete.DeletedAt{Time: now.Add(-d), Valid: true}
		}
		require.NoError(t, db.Create(&[]PurgeEvent{
			{Name: "old", Model: softdelete.Model{DeletedAt: at(40 * 24 * time.Hour)}},
			{Name: "young", Model: softdelete.Model{DeletedAt: at(time.Hour)}},
			{Name: "live"},
		}).Error)
		opts := softdelete.PurgeOptions{OlderThan: 30 * 24 * time.Hour}
		n, err := softdelete.Purge(context.Background(), db, &PurgeEvent{}, opts)
		require.ErrorIs(t, err, softdelete.ErrNotRegistered)
		assert.Zero(t, n)
		var left int64
		require.NoError(t, db.Raw("SELECT count(*) FROM purge_events").Scan(&left).Error)
		assert.EqualValues(t, 3, left, "nothing is purged")
		_, err = softdelete.NewPurger(db, time.Hour, softdelete.Policy{Model: &PurgeEvent{}, Options: opts})
		require.ErrorIs(t, err, softdelete.ErrNotRegistered)
	})
}

func TestPurgeCancel(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 2503, 2, 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var got progress
		n, err := softdelete.Purge(ctx, e.db, &PurgeEvent{}, softdelete.PurgeOptions{
			OlderThan: retention, BatchSize: 300,
			OnBatch: func(p softdelete.PurgeProgress) { got.add(p); cancel() },
		})
		require.ErrorIs(t, err, context.Canceled)
		require.Len(t, got.calls, 1)
		assert.Equal(t, got.calls[0].Purged, n, "the committed batch stays, and is counted")
		assert.Less(t, n, int64(2503))
		if e.name == "sqlite" {
			assert.EqualValues(t, 300, n)
		}
		assert.EqualValues(t, 2506-n, e.count(t, "SELECT count(*) FROM purge_events"))

		rest, err := softdelete.Purge(context.Background(), e.db, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention, BatchSize: 1000})
		require.NoError(t, err)
		assert.EqualValues(t, 2503-n, rest, "a rerun finishes the job")
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM purge_events"))
	})
}

func TestPurgeCancelledContext(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		o := e.seedOwner(t, "o", 1, 1)
		require.NoError(t, e.db.Delete(&o).Error)
		e.expire()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for _, model := range []any{&PurgeOwner{}, &PurgeEvent{}} {
			n, err := softdelete.Purge(ctx, e.db, model, softdelete.PurgeOptions{OlderThan: retention})
			require.ErrorIs(t, err, context.Canceled)
			assert.Zero(t, n)
		}
		assert.Equal(t, [3]int64{1, 1, 1}, e.tableCounts(t))
	})
}

func TestPurgeBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 3, 0, 0)
		ok := softdelete.PurgeOptions{OlderThan: retention}
		for _, c := range []struct {
			name  string
			db    *gorm.DB
			model any
			opts  softdelete.PurgeOptions
			want  error
		}{
			{"zero retention", e.db, &PurgeEvent{}, softdelete.PurgeOptions{}, softdelete.ErrInvalidRetention},
			{"negative retention", e.db, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: -time.Hour}, softdelete.ErrInvalidRetention},
			{"negative batch size", e.db, &PurgeEvent{}, softdelete.PurgeOptions{OlderThan: retention, BatchSize: -1}, softdelete.ErrInvalidBatchSize},
			{"no soft-delete field", e.db, &Tag{}, ok, softdelete.ErrNotSoftDeletable},
			{"nil db", nil, &PurgeEvent{}, ok, gorm.ErrInvalidDB},
			{"nil model", e.db, nil, ok, gorm.ErrInvalidValue},
			{"nil model pointer", e.db, (*PurgeEvent)(nil), ok, gorm.ErrInvalidValue},
		} {
			t.Run(c.name, func(t *testing.T) {
				n, err := softdelete.Purge(context.Background(), c.db, c.model, c.opts)
				require.ErrorIs(t, err, c.want)
				assert.Zero(t, n)
				assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM purge_events"), "nothing deleted")
			})
		}
	})
}

// onPostgres runs fn on PostgreSQL only: row locks are what it is about.
func onPostgres(t *testing.T, fn func(t *testing.T, e *env)) {
	eachDB(t, func(t *testing.T, e *env) {
		if e.name != "postgres" {
			t.Skip("row locking: PostgreSQL only")
		}
		fn(t, e)
	})
}

// purgeAsync runs Purge in a goroutine; wait returns its result, failing the
// test if Purge is still blocked after a generous time.
func purgeAsync(t *testing.T, db *gorm.DB, model any, opts softdelete.PurgeOptions) (wait func() (int64, error)) {
	type result struct {
		n   int64
		err error
	}
	ch := make(chan result, 1)
	go func() {
		n, err := softdelete.Purge(context.Background(), db, model, opts)
		ch <- result{n, err}
	}()
	return func() (int64, error) {
		select {
		case r := <-ch:
			return r.n, r.err
		case <-time.After(time.Minute):
			t.Fatal("Purge is blocked")
			return 0, nil
		}
	}
}

// tablePurge is one model purged by a concurrency test, and the rows it must remove.
type tablePurge struct {
	model any
	table string
	want  int64
}

func TestPurgeConcurrentRestore(t *testing.T) {
	onPostgres(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 10, 0, 0)
		for i := 0; i < 10; i++ {
			o := e.seedOwner(t, fmt.Sprint("o", i), 1, 1)
			require.NoError(t, e.db.Delete(&o).Error)
		}
		e.expire()
		for _, c := range []tablePurge{
			{&PurgeEvent{}, "purge_events", 9},
			{&PurgeOwner{}, "purge_owners", 9 * 3},
		} {
			t.Run(c.table, func(t *testing.T) {
				var id uint
				require.NoError(t, e.db.Raw("SELECT min(id) FROM "+c.table).Scan(&id).Error)
				restore := e.db.Begin()
				require.NoError(t, restore.Error)
				defer restore.Rollback()
				res := restore.Exec("UPDATE "+c.table+" SET deleted_at = NULL WHERE id = ?", id)
				require.NoError(t, res.Error)
				require.EqualValues(t, 1, res.RowsAffected)

				n, err := purgeAsync(t, e.db, c.model, softdelete.PurgeOptions{OlderThan: retention, BatchSize: 3})()
				require.NoError(t, err)
				assert.EqualValues(t, c.want, n, "the locked row is skipped, the others go")
				require.NoError(t, restore.Commit().Error)
				assert.Nil(t, e.deletedAt(t, c.table, id), "the restored row survives, live")
				assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM "+c.table))
			})
		}
	})
}

func TestPurgeParallel(t *testing.T) {
	onPostgres(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 3000, 0, 0)
		e.clock.Advance(-10 * 24 * time.Hour) // delete the owners at the events' time
		for i := 0; i < 100; i++ {
			o := e.seedOwner(t, fmt.Sprint("o", i), 2, 1)
			require.NoError(t, e.db.Delete(&o).Error)
		}
		e.expire()
		for _, c := range []tablePurge{
			{&PurgeEvent{}, "purge_events", 3000},
			{&PurgeOwner{}, "purge_owners", 100 * 5},
		} {
			t.Run(c.table, func(t *testing.T) {
				opts := softdelete.PurgeOptions{OlderThan: retention, BatchSize: 7}
				a := purgeAsync(t, e.db, c.model, opts)
				b := purgeAsync(t, e.db, c.model, opts)
				na, errA := a()
				nb, errB := b()
				require.NoError(t, errA)
				require.NoError(t, errB)
				assert.Equal(t, c.want, na+nb, "every row removed exactly once")
				assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM "+c.table))
			})
		}
	})
}

// purgeLogger records the messages a Purger logs.
type purgeLogger struct {
	logger.Interface
	mu   sync.Mutex
	info []string
	errs []string
	runs chan struct{} // receives after every Info
}

func (l *purgeLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l *purgeLogger) Info(_ context.Context, msg string, args ...any) {
	l.mu.Lock()
	l.info = append(l.info, fmt.Sprintf(msg, args...))
	l.mu.Unlock()
	select {
	case l.runs <- struct{}{}:
	default:
	}
}

func (l *purgeLogger) Error(_ context.Context, msg string, args ...any) {
	l.mu.Lock()
	l.errs = append(l.errs, fmt.Sprintf(msg, args...))
	l.mu.Unlock()
}

func newPurgeLogger() *purgeLogger {
	return &purgeLogger{Interface: logger.Discard, runs: make(chan struct{}, 1)}
}

func TestPurgerRunOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		e.seedFlat(t, flats[0], 12, 1, 1)
		o := e.seedOwner(t, "o", 1, 1)
		live := e.seedOwner(t, "live", 0, 0)
		require.NoError(t, e.db.Delete(&o).Error)
		orphan := PurgeItem{OwnerID: live.ID}
		require.NoError(t, e.db.Create(&orphan).Error)
		e.clock.Advance(10 * 24 * time.Hour)
		log := newPurgeLogger()
		db := e.db.Session(&gorm.Session{Logger: log})
		week := softdelete.PurgeOptions{OlderThan: retention}
		p, err := softdelete.NewPurger(db, time.Hour,
			softdelete.Policy{Model: &PurgeEvent{}, Options: week},
			softdelete.Policy{Model: &PurgeOwner{}, Options: week},
		)
		require.NoError(t, err)

		n, err := p.RunOnce(context.Background())
		require.NoError(t, err)
		assert.EqualValues(t, 13+3, n, "every expired event (the young one too by now) and the owner's tree")
		require.Len(t, log.info, 2)
		assert.Contains(t, log.info[0], "purged 13 rows from purge_events")
		assert.Contains(t, log.info[1], "purged 3 rows from purge_owners")
		assert.Empty(t, log.errs)

		// a live child makes that policy fail: logged as an error, the rest still runs
		require.NoError(t, e.db.Delete(&live).Error) // cascades to orphan
		require.NoError(t, e.db.Create(&PurgeItem{OwnerID: live.ID}).Error)
		e.clock.Advance(10 * 24 * time.Hour)
		p, err = softdelete.NewPurger(db, time.Hour,
			softdelete.Policy{Model: &PurgeOwner{}, Options: week},
			softdelete.Policy{Model: &PurgeEvent{}, Options: week},
		)
		require.NoError(t, err)
		_, err = p.RunOnce(context.Background())
		require.ErrorIs(t, err, softdelete.ErrLiveChild)
		require.Len(t, log.errs, 1)
		assert.Contains(t, log.errs[0], "purge of purge_owners failed")
		assert.Len(t, log.info, 3, "the next policy still ran")
	})
}

func TestPurgerRun(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		purgeDB(t, e)
		log := newPurgeLogger()
		p, err := softdelete.NewPurger(e.db.Session(&gorm.Session{Logger: log}), time.Millisecond,
			softdelete.Policy{Model: &PurgeEvent{}, Options: softdelete.PurgeOptions{OlderThan: retention}})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		for i := 0; i < 3; i++ { // at least three runs
			select {
			case <-log.runs:
			case <-time.After(time.Minute):
				t.Fatal("no run logged")
			}
		}
		cancel()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(time.Minute):
			t.Fatal("Run did not return after cancel")
		}
	})
}

func TestNewPurgerBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		ok := softdelete.Policy{Model: &Post{}, Options: softdelete.PurgeOptions{OlderThan: time.Hour}}
		for _, c := range []struct {
			name     string
			db       *gorm.DB
			interval time.Duration
			policies []softdelete.Policy
			want     error
		}{
			{"nil db", nil, time.Hour, []softdelete.Policy{ok}, gorm.ErrInvalidDB},
			{"zero interval", e.db, 0, []softdelete.Policy{ok}, softdelete.ErrInvalidInterval},
			{"no policies", e.db, time.Hour, nil, gorm.ErrInvalidValue},
			{"bad retention", e.db, time.Hour, []softdelete.Policy{ok, {Model: &Post{}}}, softdelete.ErrInvalidRetention},
			{"bad batch size", e.db, time.Hour, []softdelete.Policy{{Model: &Post{}, Options: softdelete.PurgeOptions{OlderThan: 1, BatchSize: -5}}}, softdelete.ErrInvalidBatchSize},
			{"not soft-deletable", e.db, time.Hour, []softdelete.Policy{{Model: &Tag{}, Options: ok.Options}}, softdelete.ErrNotSoftDeletable},
		} {
			t.Run(c.name, func(t *testing.T) {
				p, err := softdelete.NewPurger(c.db, c.interval, c.policies...)
				require.ErrorIs(t, err, c.want)
				assert.Nil(t, p)
			})
		}
	})
}

// PurgeTenantRow belongs to a tenant: a tenant's Where limits Purge.
type PurgeTenantRow struct {
	softdelete.Model
	TenantID uint
}

func TestPurgeHonoursTheChainsConditions(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &PurgeTenantRow{}))
		rows := []PurgeTenantRow{{TenantID: 1}, {TenantID: 1}, {TenantID: 2}, {TenantID: 2}, {TenantID: 2}}
		require.NoError(t, e.db.Create(&rows).Error)
		require.NoError(t, e.db.Where("id > ?", 0).Delete(&PurgeTenantRow{}).Error)
		e.clock.Advance(48 * time.Hour)

		tenant := func(id uint) func(*gorm.DB) *gorm.DB {
			return func(db *gorm.DB) *gorm.DB { return db.Where("tenant_id = ?", id) }
		}
		n, err := softdelete.Purge(context.Background(), e.db.Where("tenant_id = ?", 1), &PurgeTenantRow{}, softdelete.PurgeOptions{OlderThan: time.Hour})
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM purge_tenant_rows WHERE tenant_id = 2"))
		n, err = softdelete.Purge(context.Background(), e.db.Scopes(tenant(2)), &PurgeTenantRow{}, softdelete.PurgeOptions{OlderThan: time.Hour, BatchSize: 2})
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM purge_tenant_rows"))
	})
}
