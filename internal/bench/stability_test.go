package bench

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
)

// stabilityCalls is the number of mixed calls of the stability test.
const stabilityCalls = 10_000

// shape is one query shape: the same call with other values must produce
// the same SQL text (values bound, never inlined).
type shape struct {
	name string
	call func(db *gorm.DB, r *rand.Rand) error
}

// item is the stability test's model (the 50% deleted e2e table).
type item = PluginItem[f50]

// shapes are the calls of the stability test, each one statement. The page
// size is constant: GORM binds LIMIT/OFFSET on PostgreSQL, but GORM's
// SQLite driver writes them into the text, so on SQLite every page size is
// a shape of its own, by the driver's design (not the plugin's).
func shapes(rows int) []shape {
	id := func(r *rand.Rand) uint { return uint(r.IntN(rows) + 1) }
	owner := func(r *rand.Rand) uint { return uint(r.IntN(100)) }
	return []shape{
		{"first by pk", func(db *gorm.DB, r *rand.Rand) error {
			var x item
			return ignoreNotFound(db.First(&x, id(r)).Error)
		}},
		{"find by owner", func(db *gorm.DB, r *rand.Rand) error {
			var xs []item
			return db.Where("owner_id = ?", owner(r)).Find(&xs).Error
		}},
		{"count by owner", func(db *gorm.DB, r *rand.Rand) error {
			var n int64
			return db.Model(&item{}).Where("owner_id = ?", owner(r)).Count(&n).Error
		}},
		{"page", func(db *gorm.DB, r *rand.Rand) error {
			var xs []item
			return db.Where("score > ?", r.IntN(1000)).Order("id").Limit(20).Find(&xs).Error
		}},
		{"in three", func(db *gorm.DB, r *rand.Rand) error {
			var xs []item
			return db.Where("id IN ?", []uint{id(r), id(r), id(r)}).Find(&xs).Error
		}},
		{"pluck", func(db *gorm.DB, r *rand.Rand) error {
			var names []string
			return db.Model(&item{}).Where("owner_id = ?", owner(r)).Pluck("name", &names).Error
		}},
		{"with deleted", func(db *gorm.DB, r *rand.Rand) error {
			var x item
			return ignoreNotFound(db.Scopes(softdelete.WithDeleted).Where("id = ?", id(r)).Take(&x).Error)
		}},
		{"only deleted count", func(db *gorm.DB, r *rand.Rand) error {
			var n int64
			return db.Scopes(softdelete.OnlyDeleted).Model(&item{}).Where("owner_id = ?", owner(r)).Count(&n).Error
		}},
		{"soft delete by pk", func(db *gorm.DB, r *rand.Rand) error {
			x := item{}
			x.ID = id(r)
			return db.Delete(&x).Error
		}},
		{"restore by pk", func(db *gorm.DB, r *rand.Rand) error {
			x := item{}
			x.ID = id(r)
			return softdelete.Restore(db, &x).Error
		}},
		{"soft delete by condition", func(db *gorm.DB, r *rand.Rand) error {
			return db.Where("owner_id = ? AND score = ?", owner(r), r.IntN(1000)).Delete(&item{}).Error
		}},
		{"restore by condition", func(db *gorm.DB, r *rand.Rand) error {
			return softdelete.Restore(db, &item{}, "owner_id = ? AND score = ?", owner(r), r.IntN(1000)).Error
		}},
		{"update", func(db *gorm.DB, r *rand.Rand) error {
			x := item{}
			x.ID = id(r)
			return db.Model(&x).Update("score", r.IntN(1000)).Error
		}},
		{"create", func(db *gorm.DB, r *rand.Rand) error {
			x := item{}
			x.Name, x.Slug, x.OwnerID = "new", "new-"+strconv.Itoa(r.Int()), owner(r)
			return db.Create(&x).Error
		}},
		{"upsert inferred", func(db *gorm.DB, r *rand.Rand) error {
			return db.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "slug"}},
				DoUpdates: clause.AssignmentColumns([]string{"views"}),
			}).Create(&Article{Slug: "s-" + strconv.Itoa(r.IntN(50)+1), Views: r.IntN(100)}).Error
		}},
		{"table read", func(db *gorm.DB, r *rand.Rand) error {
			var n int64
			return db.Table("articles").Where("views > ?", r.IntN(100)).Count(&n).Error
		}},
	}
}

// ignoreNotFound treats gorm.ErrRecordNotFound as success.
func ignoreNotFound(err error) error {
	if err == gorm.ErrRecordNotFound {
		return nil
	}
	return err
}

// TestStatementTextsAreStable is benchmark 7 as a test: 10 000 calls mixed
// at random over the shapes above produce exactly one SQL text per shape,
// so no value is ever inlined and prepared-statement caches stay bounded.
// Without PrepareStmt the texts are those executed; with it, those
// prepared (and GORM's statement cache holds one entry per shape).
func TestStatementTextsAreStable(t *testing.T) {
	e := newEnv(t, tinyScale)
	for _, target := range availableTargets(t) {
		if target == SQLiteFile {
			continue
		}
		for _, prepare := range []bool{false, true} {
			name := string(target)
			if prepare {
				name += "/prepared"
			}
			t.Run(name, func(t *testing.T) {
				d, err := e.Open(target, "stability")
				if err != nil {
					t.Fatal(err)
				}
				if err := createItems(d, tinyScale.ItemRows); err != nil {
					t.Fatal(err)
				}
				pool := NewCountingPool(d.SQL)
				db, err := d.Gorm(GormConfig{Plugin: true, PrepareStmt: prepare, Pool: pool})
				if err != nil {
					t.Fatal(err)
				}
				if err := softdelete.AutoMigrate(db, &Article{}); err != nil {
					t.Fatal(err)
				}
				checkStable(t, db, pool, shapes(tinyScale.ItemRows), prepare)
			})
		}
	}
}

// checkStable runs every shape once, then stabilityCalls random ones, and
// compares the distinct SQL texts with the shapes.
func checkStable(t *testing.T, db *gorm.DB, pool *CountingPool, shapes []shape, prepare bool) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	cached := func() int { return 0 }
	if prepare {
		psdb, ok := db.ConnPool.(*gorm.PreparedStmtDB)
		if !ok {
			t.Fatalf("PrepareStmt: ConnPool is %T", db.ConnPool)
		}
		cached = func() int { return len(psdb.Stmts.Keys()) }
	}
	before := cached() // statements of the setup (AutoMigrate)
	pool.Reset()
	for _, s := range shapes {
		if err := s.call(db, r); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if got := pool.Texts(); len(got) != len(shapes) {
		t.Fatalf("%d shapes produced %d SQL texts (each shape must be one statement):\n%s",
			len(shapes), len(got), strings.Join(got, "\n"))
	}
	for i := 0; i < stabilityCalls; i++ {
		s := shapes[r.IntN(len(shapes))]
		if err := s.call(db, r); err != nil {
			t.Fatalf("call %d, %s: %v", i, s.name, err)
		}
	}
	got := pool.Texts()
	if len(got) != len(shapes) {
		t.Errorf("%d mixed calls over %d shapes produced %d distinct SQL texts:\n%s",
			stabilityCalls, len(shapes), len(got), strings.Join(got, "\n"))
	}
	if n := cached() - before; prepare && n != len(shapes) {
		t.Errorf("GORM's prepared statement cache gained %d statements, want %d", n, len(shapes))
	}
	stmts, _ := pool.Counts()
	t.Logf("%d calls, %d statements sent, %d distinct texts", stabilityCalls+len(shapes), stmts, len(got))
}
