package softdelete

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// pluginName is the name the plugin registers under (gorm.Config.Plugins key).
const pluginName = "softdelete"

// DeletedAt is the soft-delete column: NULL means live, a timestamp means deleted
// at that instant. Use it as a field of a model (or embed Model). The plugin
// filters it out of every read, turns Delete into a timestamp update, and guards
// it against accidental writes.
type DeletedAt sql.NullTime

// IsDeleted reports whether the value marks a deleted row.
func (d DeletedAt) IsDeleted() bool { return d.Valid }

// Scan implements sql.Scanner.
func (d *DeletedAt) Scan(value any) error { return (*sql.NullTime)(d).Scan(value) }

// Value implements driver.Valuer: NULL when live.
func (d DeletedAt) Value() (driver.Value, error) {
	if !d.Valid {
		return nil, nil
	}
	return d.Time, nil
}

// MarshalJSON encodes a live value as null and a deleted one as its timestamp.
func (d DeletedAt) MarshalJSON() ([]byte, error) {
	if !d.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(d.Time)
}

// UnmarshalJSON decodes null as live and a timestamp as deleted.
func (d *DeletedAt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = DeletedAt{}
		return nil
	}
	if err := json.Unmarshal(b, &d.Time); err != nil {
		return err
	}
	d.Valid = true
	return nil
}

// QueryClauses makes GORM filter deleted rows out of reads, relation joins and
// association queries: "deleted_at IS NULL" as literal SQL, ANDed to the
// statement's conditions as a whole (see addPredicate).
func (DeletedAt) QueryClauses(f *schema.Field) []clause.Interface {
	return []clause.Interface{newLiveFilter(f, false)}
}

// UpdateClauses keeps Update/Updates/UpdateColumn(s) away from deleted rows.
func (DeletedAt) UpdateClauses(f *schema.Field) []clause.Interface {
	return []clause.Interface{newLiveFilter(f, true)}
}

// DeleteClauses refuses a Delete the plugin did not turn into a soft delete
// (the plugin is not registered): hard-deleting silently would lose data.
func (DeletedAt) DeleteClauses(*schema.Field) []clause.Interface {
	return []clause.Interface{unregisteredGuard{}}
}

// unregisteredGuard is the delete clause of DeletedAt; see DeleteClauses.
type unregisteredGuard struct{}

func (unregisteredGuard) Name() string               { return "" }
func (unregisteredGuard) Build(clause.Builder)       {}
func (unregisteredGuard) MergeClause(*clause.Clause) {}
func (unregisteredGuard) ModifyStatement(stmt *gorm.Statement) {
	if !sqlBuilt(stmt) && !stmt.Unscoped {
		_ = stmt.AddError(ErrNotRegistered)
	}
}

// Model is a drop-in replacement for gorm.Model whose DeletedAt is this
// package's column type.
type Model struct {
	ID        uint `gorm:"primarykey"`
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt DeletedAt `gorm:"index"`
}

// Plugin is the GORM plugin; create it with New and register it with db.Use.
type Plugin struct {
	now   func() time.Time
	actor func(ctx context.Context) any

	concurrentIndexes bool // WithConcurrentIndexes

	leaks *leakDetector // WithLeakDetector; nil: no callback registered

	changes func(ctx context.Context, c Change) error // WithChanges

	metas  sync.Map // *schema.Schema -> *modelMeta (nil entries for models without the field)
	tables sync.Map // table name -> string (soft-delete column), see AutoMigrate
	reach  sync.Map // *schema.Schema -> []cascadeTable, see cascadeTables
}

var _ gorm.Plugin = (*Plugin)(nil)

// Option configures the plugin.
type Option func(*Plugin)

// New returns the plugin: db.Use(softdelete.New()).
func New(opts ...Option) *Plugin {
	p := &Plugin{}
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// WithClock sets the clock deletion timestamps are taken from (default: the
// database's NowFunc). Timestamps are always stored in UTC, truncated to
// microseconds (PostgreSQL's precision).
func WithClock(now func() time.Time) Option {
	return func(p *Plugin) { p.now = now }
}

// WithActor sets the function that says who deletes. Its result (called with
// the statement's context, see db.WithContext) is stored in the field tagged
// softdelete:"deleted_by", in the same UPDATE that sets the timestamp; Restore
// clears it.
func WithActor(actor func(ctx context.Context) any) Option {
	return func(p *Plugin) { p.actor = actor }
}

// WithConcurrentIndexes makes AutoMigrate build (and rebuild) the partial
// indexes without blocking writes, on a database that can (PostgreSQL:
// CREATE INDEX CONCURRENTLY). The statements then run one by one outside any
// transaction instead of all in one: a failure leaves the indexes built
// before it in place (the invalid index a failed build leaves is dropped),
// and calling AutoMigrate inside a transaction fails with
// ErrConcurrentIndexInTx. Elsewhere (SQLite) it changes nothing.
func WithConcurrentIndexes() Option {
	return func(p *Plugin) { p.concurrentIndexes = true }
}

// Name implements gorm.Plugin.
func (*Plugin) Name() string { return pluginName }

// Initialize implements gorm.Plugin: it registers the callbacks (and, on
// MySQL, the upsert guard's clause builder, see guardDuplicateKeyUpdates).
func (p *Plugin) Initialize(db *gorm.DB) error {
	if err := p.registerCallbacks(db); err != nil {
		return err
	}
	p.guardDuplicateKeyUpdates(db)
	return nil
}

// timestamp returns the deletion timestamp of one root operation: UTC,
// truncated to the precision of the statement's soft-delete column and the
// columns its cascades reach (microseconds, or MySQL's datetime(3)
// milliseconds: see timeStep), so what is stored equals what is written back.
func (p *Plugin) timestamp(db *gorm.DB) time.Time {
	now := p.now
	if now == nil {
		now = db.NowFunc
	}
	ts := now().UTC().Truncate(time.Microsecond)
	if s := db.Statement.Schema; s != nil {
		if m := p.meta(s); m.softDeletable() {
			ts = ts.Truncate(timeStep(db, m, p.cascadeTables(m)))
		}
	}
	return ts
}

// pluginOf returns the plugin registered on db, or nil.
func pluginOf(db *gorm.DB) *Plugin {
	p, _ := db.Config.Plugins[pluginName].(*Plugin)
	return p
}
