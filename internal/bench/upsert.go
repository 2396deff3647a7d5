package bench

import (
	"fmt"
	"strconv"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
)

// upsertUpdates are the columns an upsert overwrites.
var upsertUpdates = clause.AssignmentColumns([]string{"title", "views"})

// liveTarget is the partial index predicate as a conflict target, written
// by hand the way the plugin infers it.
var liveTarget = clause.Where{Exprs: []clause.Expression{
	clause.Eq{Column: clause.Column{Name: "deleted_at"}, Value: nil},
}}

// upsertImpls are the upsert variants, in report order:
//   - builtin: no plugin, gorm.DeletedAt, conflict target and the DO UPDATE
//     guard against tombstones both written by hand;
//   - handwritten: plugin registered, TargetWhere written by hand (the
//     plugin's inference is skipped);
//   - softdelete: plugin registered, TargetWhere inferred from
//     softdelete:"unique".
var upsertImpls = []struct {
	name   string
	plugin bool
	run    func(db *gorm.DB, slug string, views int) *gorm.DB
}{
	{ImplBuiltin, false, func(db *gorm.DB, slug string, views int) *gorm.DB {
		return db.Clauses(clause.OnConflict{
			Columns:     []clause.Column{{Name: "slug"}},
			TargetWhere: liveTarget,
			DoUpdates:   upsertUpdates,
			Where: clause.Where{Exprs: []clause.Expression{
				clause.Eq{Column: clause.Column{Table: "articles", Name: "deleted_at"}, Value: nil},
			}},
		}).Create(&BuiltinArticle{Slug: slug, Title: "t", Views: views})
	}},
	{ImplHandwritten, true, func(db *gorm.DB, slug string, views int) *gorm.DB {
		return db.Clauses(clause.OnConflict{
			Columns:     []clause.Column{{Name: "slug"}},
			TargetWhere: liveTarget,
			DoUpdates:   upsertUpdates,
		}).Create(&Article{Slug: slug, Title: "t", Views: views})
	}},
	{ImplPlugin, true, func(db *gorm.DB, slug string, views int) *gorm.DB {
		return db.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "slug"}},
			DoUpdates: upsertUpdates,
		}).Create(&Article{Slug: slug, Title: "t", Views: views})
	}},
}

// articlesDB returns t's database with the articles table: rows live
// articles (slugs s-1..s-rows), each slug with two tombstones.
func (e *Env) articlesDB(t Target) (*DB, error) {
	return once(e, "articles-"+string(t), func() (*DB, error) {
		d, err := e.Open(t, "articles")
		if err != nil {
			return nil, err
		}
		db, err := d.Gorm(GormConfig{Plugin: true})
		if err != nil {
			return nil, err
		}
		if err := softdelete.AutoMigrate(db, &Article{}); err != nil {
			return nil, err
		}
		n := e.Scale.UpsertRows
		now := tsLit(d, "0")
		if err := d.Exec(fmt.Sprintf(`INSERT INTO articles (id, created_at, updated_at, deleted_at, slug, title, views)
				SELECT x, %s, %s, CASE WHEN x > %d THEN %s END, 's-' || ((x - 1) %% %d + 1), 't', 0 FROM %s`,
			now, now, n, tsLit(d, "x"), n, series(d, 3*n))); err != nil {
			return nil, err
		}
		if t == Postgres {
			if err := d.Exec(fmt.Sprintf("SELECT setval('articles_id_seq', %d)", 3*n)); err != nil {
				return nil, err
			}
		}
		return d, analyze(d)
	})
}

// UpsertGroups are benchmark 6: an upsert whose conflict columns are a
// partial unique index, statement building only (DryRun) and end to end
// on SQLite in memory and PostgreSQL. Every upsert hits a live row.
func (e *Env) UpsertGroups(targets []Target) ([]Group, error) {
	none, plugin, err := e.buildDBs()
	if err != nil {
		return nil, err
	}
	build := Group{Section: "upsert", Name: "build"}
	for _, impl := range upsertImpls {
		db, run := none, impl.run
		if impl.plugin {
			db = plugin
		}
		build.Cases = append(build.Cases, Case{Impl: impl.name, Run: func(b *testing.B) error {
			return loop(b, func(i int) error { return run(db, "s-1", i).Error })
		}})
	}
	groups := []Group{build}
	for _, t := range targets {
		d, err := e.articlesDB(t)
		if err != nil {
			return nil, err
		}
		slugs := make([]string, e.Scale.UpsertRows)
		for i := range slugs {
			slugs[i] = "s-" + strconv.Itoa(i+1)
		}
		g := Group{Section: "upsert", Name: string(t)}
		for _, impl := range upsertImpls {
			db, err := d.Gorm(GormConfig{Plugin: impl.plugin})
			if err != nil {
				return nil, err
			}
			run := impl.run
			g.Cases = append(g.Cases, Case{Impl: impl.name, Run: func(b *testing.B) error {
				return loop(b, func(i int) error {
					res := run(db, slugs[i%len(slugs)], i)
					return wantOne(res.RowsAffected, res.Error)
				})
			}})
		}
		groups = append(groups, g)
	}
	return groups, nil
}
