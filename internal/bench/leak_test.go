package bench

import (
	"context"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// leakKey is the model of BenchmarkLeakDetector.
type leakKey struct {
	softdelete.Model
	Key string
}

// BenchmarkLeakDetector measures what WithLeakDetector costs (issue 17):
// building a Raw statement, an Exec and a Find with a join string
// (DryRun: no database time) with plain GORM, with the plugin and the
// detector off (no callback registered: the same as the plugin alone), and
// with the detector on.
func BenchmarkLeakDetector(b *testing.B) {
	setups := []struct {
		name string
		opts []softdelete.Option // nil: plain GORM
	}{
		{"gorm", nil},
		{"off", []softdelete.Option{}},
		{"on", []softdelete.Option{softdelete.WithLeakDetector(softdelete.LeakConfig{
			Report: func(context.Context, softdelete.Leak) {},
		})}},
	}
	for _, s := range setups {
		db := leakDB(b, s.opts)
		var keys []leakKey
		b.Run("raw/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				db.Raw("SELECT * FROM leak_keys WHERE key = ? AND deleted_at IS NULL", "k").Find(&keys)
			}
		})
		b.Run("exec/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				db.Exec("UPDATE leak_keys SET key = ? WHERE id = ? AND deleted_at IS NULL", "k", 1)
			}
		})
		b.Run("find/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				db.Joins("JOIN leak_keys k2 ON k2.id = leak_keys.id AND k2.deleted_at IS NULL").Find(&keys)
			}
		})
	}
}

// leakDB opens an in-memory SQLite database in DryRun mode, with the plugin
// registered with opts (none when opts is nil) and leak_keys migrated.
func leakDB(b *testing.B, opts []softdelete.Option) *gorm.DB {
	db, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		b.Fatal(err)
	}
	if opts != nil {
		if err := db.Use(softdelete.New(opts...)); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.AutoMigrate(&leakKey{}); err != nil {
		b.Fatal(err)
	}
	return db.Session(&gorm.Session{DryRun: true})
}
