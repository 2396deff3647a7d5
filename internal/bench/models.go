package bench

import (
	"database/sql"
	"time"

	"gorm.io/gorm"
	sdplugin "gorm.io/plugin/soft_delete"

	"github.com/gorm-softdelete/softdelete"
)

// Implementation names, as they appear in group cases and in the report.
const (
	ImplRaw         = "raw"         // database/sql, hand-written SQL
	ImplPlain       = "plain"       // GORM, no soft-delete type, filter by hand
	ImplBuiltin     = "builtin"     // GORM's gorm.DeletedAt
	ImplSoftDelete  = "soft_delete" // gorm.io/plugin/soft_delete v1.2.1
	ImplPlugin      = "softdelete"  // this module
	ImplNone        = "none"        // unmanaged model, plugin not registered
	ImplHandwritten = "handwritten" // hand-written SQL or clauses doing what the plugin infers
	ImplBatched     = "batched"     // softdelete.Purge in batches, default options
	ImplBatchTime   = "batchtime"   // softdelete.Purge with BatchTime 20ms
	ImplSingle      = "single"      // one plain DELETE
)

// fraction selects one of the e2e tables by the share of its rows that are
// soft-deleted. Model types are generic over it so that every table has its
// own Go type (GORM caches one schema, and one table name, per type).
type fraction interface {
	// pct is the percentage of deleted rows.
	pct() int
	// items is the table with a timestamp soft-delete column.
	items() string
	// uitems is the table with soft_delete's unix-seconds column.
	uitems() string
}

type (
	f10 struct{}
	f50 struct{}
	f90 struct{}
)

func (f10) pct() int       { return 10 }
func (f10) items() string  { return "items_p10" }
func (f10) uitems() string { return "uitems_p10" }
func (f50) pct() int       { return 50 }
func (f50) items() string  { return "items_p50" }
func (f50) uitems() string { return "uitems_p50" }
func (f90) pct() int       { return 90 }
func (f90) items() string  { return "items_p90" }
func (f90) uitems() string { return "uitems_p90" }

// ItemFields are the payload columns every item model shares (exported:
// GORM ignores the fields of an unexported embedded struct).
type ItemFields struct {
	Name    string
	Slug    string
	OwnerID uint
	Score   int
}

// PlainItem is an item for plain GORM: the soft-delete column is an
// ordinary nullable timestamp and every query filters it by hand.
type PlainItem[F fraction] struct {
	ID        uint `gorm:"primarykey"`
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt sql.NullTime
	ItemFields
}

// TableName implements schema.Tabler.
func (PlainItem[F]) TableName() string { var f F; return f.items() }

// BuiltinItem is an item using GORM's gorm.DeletedAt.
type BuiltinItem[F fraction] struct {
	gorm.Model
	ItemFields
}

// TableName implements schema.Tabler.
func (BuiltinItem[F]) TableName() string { var f F; return f.items() }

// SDItem is an item using gorm.io/plugin/soft_delete (deleted_at holds unix
// seconds, 0 when live).
type SDItem[F fraction] struct {
	ID        uint `gorm:"primarykey"`
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt sdplugin.DeletedAt
	ItemFields
}

// TableName implements schema.Tabler.
func (SDItem[F]) TableName() string { var f F; return f.uitems() }

// PluginItem is an item using this module.
type PluginItem[F fraction] struct {
	softdelete.Model
	ItemFields
}

// TableName implements schema.Tabler.
func (PluginItem[F]) TableName() string { var f F; return f.items() }

// Tag is a model without a soft-delete field: the plugin must not cost it
// anything.
type Tag struct {
	ID        uint `gorm:"primarykey"`
	CreatedAt time.Time
	UpdatedAt time.Time
	Name      string
	Slug      string
}

// User, Post and Comment are the cascade models: deleting a user deletes its
// posts and their comments.
type User struct {
	softdelete.Model
	Name  string
	Posts []Post `softdelete:"cascade"`
}

// Post belongs to a User and has Comments.
type Post struct {
	softdelete.Model
	UserID   uint `gorm:"index"`
	Title    string
	Comments []Comment `softdelete:"cascade"`
}

// Comment belongs to a Post.
type Comment struct {
	softdelete.Model
	PostID uint `gorm:"index"`
	Body   string
}

// Article has a slug unique among live rows (a partial unique index), for
// the upsert and query-plan benchmarks.
type Article struct {
	softdelete.Model
	Slug  string `softdelete:"unique"`
	Title string
	Views int
}

// BuiltinArticle is Article for plain GORM with gorm.DeletedAt, on the same
// table; its upserts spell the conflict target out by hand.
type BuiltinArticle struct {
	gorm.Model
	Slug  string
	Title string
	Views int
}

// TableName implements schema.Tabler.
func (BuiltinArticle) TableName() string { return "articles" }

// PurgeItem is the purge benchmark's model.
type PurgeItem struct {
	softdelete.Model
	Payload string
}
