package bench

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// buildOps are the statement-building operations of one implementation on a
// DryRun session: nothing reaches the database.
type buildOps struct {
	find, count, delete, restore func(db *gorm.DB) error
}

// buildImpls are the implementations of the build benchmarks, in report
// order, with whether they run on a db with the plugin registered.
var buildImpls = []struct {
	name   string
	plugin bool
	ops    buildOps
}{
	{ImplPlain, false, buildOps{
		find: func(db *gorm.DB) error {
			var xs []PlainItem[f50]
			return db.Where("owner_id = ?", 7).Where("deleted_at IS NULL").Find(&xs).Error
		},
		count: func(db *gorm.DB) error {
			var n int64
			return db.Model(&PlainItem[f50]{}).Where("owner_id = ?", 7).Where("deleted_at IS NULL").Count(&n).Error
		},
		delete: func(db *gorm.DB) error {
			x := PlainItem[f50]{ID: 5}
			return db.Model(&x).Where("deleted_at IS NULL").UpdateColumn("deleted_at", time.Now()).Error
		},
		restore: func(db *gorm.DB) error {
			x := PlainItem[f50]{ID: 5}
			return db.Model(&x).Where("deleted_at IS NOT NULL").UpdateColumn("deleted_at", nil).Error
		},
	}},
	{ImplBuiltin, false, buildOps{
		find: func(db *gorm.DB) error {
			var xs []BuiltinItem[f50]
			return db.Where("owner_id = ?", 7).Find(&xs).Error
		},
		count: func(db *gorm.DB) error {
			var n int64
			return db.Model(&BuiltinItem[f50]{}).Where("owner_id = ?", 7).Count(&n).Error
		},
		delete: func(db *gorm.DB) error {
			x := BuiltinItem[f50]{}
			x.ID = 5
			return db.Delete(&x).Error
		},
		restore: func(db *gorm.DB) error {
			x := BuiltinItem[f50]{}
			x.ID = 5
			return db.Unscoped().Model(&x).UpdateColumn("deleted_at", nil).Error
		},
	}},
	{ImplSoftDelete, false, buildOps{
		find: func(db *gorm.DB) error {
			var xs []SDItem[f50]
			return db.Where("owner_id = ?", 7).Find(&xs).Error
		},
		count: func(db *gorm.DB) error {
			var n int64
			return db.Model(&SDItem[f50]{}).Where("owner_id = ?", 7).Count(&n).Error
		},
		delete: func(db *gorm.DB) error {
			x := SDItem[f50]{ID: 5}
			return db.Delete(&x).Error
		},
		restore: func(db *gorm.DB) error {
			x := SDItem[f50]{ID: 5}
			return db.Unscoped().Model(&x).UpdateColumn("deleted_at", 0).Error
		},
	}},
	{ImplPlugin, true, buildOps{
		find: func(db *gorm.DB) error {
			var xs []PluginItem[f50]
			return db.Where("owner_id = ?", 7).Find(&xs).Error
		},
		count: func(db *gorm.DB) error {
			var n int64
			return db.Model(&PluginItem[f50]{}).Where("owner_id = ?", 7).Count(&n).Error
		},
		delete: func(db *gorm.DB) error {
			x := PluginItem[f50]{}
			x.ID = 5
			return db.Delete(&x).Error
		},
		restore: func(db *gorm.DB) error {
			x := PluginItem[f50]{}
			x.ID = 5
			return softdelete.Restore(db, &x).Error
		},
	}},
}

// buildDBs returns DryRun sessions on an in-memory SQLite database, without
// and with the plugin.
func (e *Env) buildDBs() (none, plugin *gorm.DB, err error) {
	type pair struct{ none, plugin *gorm.DB }
	p, err := once(e, "build-dbs", func() (pair, error) {
		d, err := e.Open(SQLiteMem, "build")
		if err != nil {
			return pair{}, err
		}
		none, err := d.Gorm(GormConfig{DryRun: true})
		if err != nil {
			return pair{}, err
		}
		plugin, err := d.Gorm(GormConfig{DryRun: true, Plugin: true})
		return pair{none, plugin}, err
	})
	return p.none, p.plugin, err
}

// BuildGroups are benchmark 1: statement building only (DryRun, SQLite
// dialect) of Find by condition, Count, soft Delete and Restore.
func (e *Env) BuildGroups() ([]Group, error) {
	none, plugin, err := e.buildDBs()
	if err != nil {
		return nil, err
	}
	ops := []struct {
		name string
		pick func(buildOps) func(*gorm.DB) error
	}{
		{"find", func(o buildOps) func(*gorm.DB) error { return o.find }},
		{"count", func(o buildOps) func(*gorm.DB) error { return o.count }},
		{"delete", func(o buildOps) func(*gorm.DB) error { return o.delete }},
		{"restore", func(o buildOps) func(*gorm.DB) error { return o.restore }},
	}
	var groups []Group
	for _, op := range ops {
		g := Group{Section: "build", Name: op.name}
		for _, impl := range buildImpls {
			db, fn := none, op.pick(impl.ops)
			if impl.plugin {
				db = plugin
			}
			g.Cases = append(g.Cases, Case{Impl: impl.name, Run: func(b *testing.B) error {
				return loop(b, func(int) error { return fn(db) })
			}})
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// UnmanagedGroups are benchmark 2: a model without a soft-delete field, with
// the plugin registered and not (DryRun, SQLite dialect).
func (e *Env) UnmanagedGroups() ([]Group, error) {
	none, plugin, err := e.buildDBs()
	if err != nil {
		return nil, err
	}
	ops := []struct {
		name string
		fn   func(db *gorm.DB) error
	}{
		{"find", func(db *gorm.DB) error {
			var xs []Tag
			return db.Where("name = ?", "go").Find(&xs).Error
		}},
		{"first", func(db *gorm.DB) error {
			var x Tag
			return db.First(&x, 7).Error
		}},
		{"count", func(db *gorm.DB) error {
			var n int64
			return db.Model(&Tag{}).Where("name = ?", "go").Count(&n).Error
		}},
		{"create", func(db *gorm.DB) error {
			return db.Create(&Tag{Name: "go", Slug: "go"}).Error
		}},
		{"update", func(db *gorm.DB) error {
			return db.Model(&Tag{ID: 7}).Update("name", "gopher").Error
		}},
		{"delete", func(db *gorm.DB) error {
			return db.Delete(&Tag{ID: 7}).Error
		}},
	}
	var groups []Group
	for _, op := range ops {
		fn := op.fn
		groups = append(groups, Group{Section: "unmanaged", Name: op.name, Cases: []Case{
			{Impl: ImplNone, Run: func(b *testing.B) error { return loop(b, func(int) error { return fn(none) }) }},
			{Impl: ImplPlugin, Run: func(b *testing.B) error { return loop(b, func(int) error { return fn(plugin) }) }},
		}})
	}
	return groups, nil
}
