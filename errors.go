package softdelete

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// Sentinel errors. Every error the package returns wraps one of these (or a GORM
// error such as gorm.ErrMissingWhereClause), so callers test them with errors.Is.
var (
	// ErrNotSoftDeletable is returned by OnlyDeleted, Restore and Purge (and
	// AutoMigrate for a model carrying soft-delete tags) when the model has no
	// soft-delete field (DeletedAt or gorm.DeletedAt).
	ErrNotSoftDeletable = errors.New("softdelete: model has no soft-delete field")

	// ErrDeletedAtWrite is returned when Create, Update, Updates, UpdateColumn(s)
	// or Save would write the soft-delete column (a non-NULL value, or NULL under
	// WithDeleted/OnlyDeleted). Nothing is written. Use db.Delete and Restore, or
	// db.Unscoped() for data imports.
	ErrDeletedAtWrite = errors.New("softdelete: soft-delete column is written only by Delete and Restore")

	// ErrRestoreConflict is returned by Restore when a restored row would share a
	// unique key (a partial unique index) with a live row. Nothing is restored.
	// The error is a *RestoreConflictError naming the table and the index.
	// It also satisfies errors.Is(err, gorm.ErrDuplicatedKey).
	ErrRestoreConflict = restoreConflict{}

	// ErrParentDeleted is returned by Restore when a row's belongs-to parent is
	// itself still soft-deleted. Nothing is restored.
	ErrParentDeleted = errors.New("softdelete: parent row is still deleted")

	// ErrInvalidRetention is returned by Purge when PurgeOptions.OlderThan <= 0.
	ErrInvalidRetention = errors.New("softdelete: retention must be positive")

	// ErrInvalidTag is returned (wrapped, naming model and field) by
	// AutoMigrate, IndexSQL and the first statement on a model for a softdelete
	// struct tag that is unknown or misplaced: cascade on a belongs-to,
	// many2many or plain field; an index on the soft-delete column itself; an
	// index name that is too long, clashes with another index, or is shared by
	// two models; a softdelete tag under a key the plugin does not read
	// (softDelete:"unique", gorm:"softdelete:unique").
	ErrInvalidTag = errors.New("softdelete: invalid struct tag")

	// ErrInvalidActor is returned by a soft delete when the WithActor function
	// returns a value that does not fit the softdelete:"deleted_by" field.
	ErrInvalidActor = errors.New("softdelete: invalid actor value")

	// ErrNotRegistered is returned by every entry point of the package — the
	// WithDeleted/OnlyDeleted scopes (and their generics forms), Restore,
	// HardDelete, AutoMigrate, IndexSQL, Purge, NewPurger — and by Delete on a
	// model with this package's DeletedAt, when the plugin was not registered
	// with db.Use(softdelete.New()) on that *gorm.DB: without it a scope would
	// be silently dropped, a restore would do nothing, and "empty the trash"
	// would hard-delete live rows.
	ErrNotRegistered = errors.New("softdelete: plugin not registered (db.Use(softdelete.New()))")

	// ErrDuplicateLiveKeys is returned by AutoMigrate when live rows already
	// share a key of a unique index it would create (or rebuild); the error is
	// a *DuplicateLiveKeysError naming the index and one duplicated key.
	// Nothing is changed. It also satisfies errors.Is(err, gorm.ErrDuplicatedKey).
	ErrDuplicateLiveKeys = fmt.Errorf("softdelete: live rows share a unique key (%w)", gorm.ErrDuplicatedKey)

	// ErrInvalidBatchSize is returned by Purge and NewPurger when
	// PurgeOptions.BatchSize is negative. Nothing is deleted.
	ErrInvalidBatchSize = errors.New("softdelete: purge batch size must not be negative")

	// ErrInvalidBatchTime is returned by Purge and NewPurger when
	// PurgeOptions.BatchTime is negative. Nothing is deleted.
	ErrInvalidBatchTime = errors.New("softdelete: purge batch time must not be negative")

	// ErrLiveChild is returned by Purge when a row due for purge has a live
	// child through a softdelete:"cascade" relation: purging the parent would
	// orphan the child (or break its foreign key). The error is a
	// *LiveChildError naming the relation, the child's table, model and key
	// and the parent's; the batch that found it is rolled back, batches
	// committed before it stay committed.
	ErrLiveChild = errors.New("softdelete: a live cascade child blocks the purge")

	// ErrIncompatibleGORM is returned by Initialize (db.Use) when GORM lacks a
	// callback the plugin orders its own callbacks against: registering
	// relative to a missing name would silently put them in the wrong place.
	ErrIncompatibleGORM = errors.New("softdelete: incompatible GORM version")
)

// restoreConflict is the type of ErrRestoreConflict; it unwraps to
// gorm.ErrDuplicatedKey so both errors.Is checks hold.
type restoreConflict struct{}

func (restoreConflict) Error() string {
	return "softdelete: restore conflicts with a live row's unique key"
}
func (restoreConflict) Unwrap() error { return gorm.ErrDuplicatedKey }

// RestoreConflictError is the error Restore returns when a restored row would
// share a live row's unique key. errors.Is(err, ErrRestoreConflict) and
// errors.Is(err, gorm.ErrDuplicatedKey) hold; the database's own error stays
// in the chain (errors.As(err, &pgErr) works).
type RestoreConflictError struct {
	// Table is the table the row was restored into (a cascade child's table
	// when a child clashed).
	Table string
	// Index is the partial unique index the row would violate, when the
	// database names it (PostgreSQL) or the columns it reports identify one
	// of the model's indexes (SQLite); "" otherwise.
	Index string
	// Columns are the columns the database reported (SQLite), or nil.
	Columns []string
	// Candidates, when Index is "", are the model's unique indexes the
	// violation can be on.
	Candidates []string
	// Err is the database's error.
	Err error
}

func (e *RestoreConflictError) Error() string {
	return ErrRestoreConflict.Error() + ": " + e.target() + ": " + e.Err.Error()
}

// target describes the index the violation hit, as precisely as known.
func (e *RestoreConflictError) target() string {
	switch {
	case e.Index != "":
		return fmt.Sprintf("index %q", e.Index)
	case len(e.Columns) > 0:
		return fmt.Sprintf("unique index on %s (%s)", e.Table, strings.Join(e.Columns, ", "))
	case len(e.Candidates) > 0:
		quoted := make([]string, len(e.Candidates))
		for i, c := range e.Candidates {
			quoted[i] = fmt.Sprintf("%q", c)
		}
		return "one of indexes " + strings.Join(quoted, ", ")
	}
	return "unique index"
}

// Unwrap returns ErrRestoreConflict and the database's error.
func (e *RestoreConflictError) Unwrap() []error { return []error{ErrRestoreConflict, e.Err} }

// DuplicateLiveKeysError is the error AutoMigrate returns when live rows
// already share a key of a unique index it would create. errors.Is(err,
// ErrDuplicateLiveKeys) and errors.Is(err, gorm.ErrDuplicatedKey) hold.
type DuplicateLiveKeysError struct {
	Index   string   // the index that could not be created
	Table   string   // its table
	Columns []string // its columns, in order
	Key     []any    // one key (values of Columns) held by more than one live row
}

func (e *DuplicateLiveKeysError) Error() string {
	return fmt.Sprintf("%v: cannot create index %s on %s: more than one live row has (%s) = (%s)",
		ErrDuplicateLiveKeys, e.Index, e.Table, strings.Join(e.Columns, ", "), formatValues(e.Key))
}

// Unwrap returns ErrDuplicateLiveKeys.
func (e *DuplicateLiveKeysError) Unwrap() error { return ErrDuplicateLiveKeys }

// LiveChildError is the error Purge returns when a row due for purge has a
// live child through a softdelete:"cascade" relation. errors.Is(err,
// ErrLiveChild) holds.
type LiveChildError struct {
	// Relation is the cascade field that reaches the child, as
	// "ParentModel.Field" (e.g. "Post.Comments").
	Relation string
	// Table, Model and Key identify the live child: its table, model name and
	// primary key (column → value).
	Table string
	Model string
	Key   map[string]any
	// ParentTable, ParentModel and ParentKey identify the parent due for
	// purge; ParentKey holds the referenced columns (usually the primary key).
	ParentTable string
	ParentModel string
	ParentKey   map[string]any
}

func (e *LiveChildError) Error() string {
	return fmt.Sprintf("%v: %s row %s (model %s) is live, but its parent %s row %s (model %s) is due for purge through %s; delete or detach the child first",
		ErrLiveChild, e.Table, formatKey(e.Key), e.Model, e.ParentTable, formatKey(e.ParentKey), e.ParentModel, e.Relation)
}

// Unwrap returns ErrLiveChild.
func (e *LiveChildError) Unwrap() error { return ErrLiveChild }

// formatKey renders column=value pairs sorted by column: id=1,org_id=2.
func formatKey(key map[string]any) string {
	parts := make([]string, 0, len(key))
	for _, c := range slices.Sorted(maps.Keys(key)) {
		parts = append(parts, fmt.Sprintf("%s=%v", c, key[c]))
	}
	return strings.Join(parts, ",")
}

// formatValues renders a key's values for an error message: "a", 1.
func formatValues(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		parts[i] = fmt.Sprintf("%#v", v)
	}
	return strings.Join(parts, ", ")
}

// notRegistered is ErrNotRegistered for one entry point.
func notRegistered(entry string) error {
	return fmt.Errorf("%w: %s needs the plugin", ErrNotRegistered, entry)
}

// Errors of migration files, concurrent index builds and the doctor.
var (
	// ErrInvalidMigration is returned by MigrationSQL for options it cannot
	// honour: a Replacement naming no unique index the models declare, an
	// empty Replacement.Old, a constraint SQLite cannot drop, or a database
	// without partial indexes. Nothing is rendered.
	ErrInvalidMigration = errors.New("softdelete: invalid migration options")

	// ErrConcurrentIndexInTx is returned by AutoMigrate when the plugin was
	// created WithConcurrentIndexes and AutoMigrate is called inside a
	// transaction on a database that builds indexes concurrently
	// (PostgreSQL): CREATE INDEX CONCURRENTLY cannot run in one, and a
	// silent blocking build is what the option exists to avoid. Nothing is
	// changed.
	ErrConcurrentIndexInTx = errors.New("softdelete: concurrent index builds cannot run inside a transaction")
)

// Errors of the leak detector (WithLeakDetector).
var (
	// ErrSoftDeleteLeak is returned, in strict mode, by a Raw or Exec
	// statement, or a statement with a join string, that reads (or updates
	// or deletes) a soft-deletable table without a soft-delete predicate for
	// it. The statement did not run. The error is a *LeakError naming the
	// table and the caller.
	ErrSoftDeleteLeak = errors.New("softdelete: statement reaches soft-deleted rows (no deleted_at predicate)")
)

// LeakError is the error of a statement the strict leak detector stopped.
// errors.Is(err, ErrSoftDeleteLeak) holds; the embedded Leak is the first
// one found (Table, SQL, Caller, ...).
type LeakError struct {
	Leak
	// Leaks is every leak of the statement (Leaks[0] is the embedded Leak).
	Leaks []Leak
}

func (e *LeakError) Error() string {
	msg := ErrSoftDeleteLeak.Error() + ": " + e.Leak.String()
	if n := len(e.Leaks); n > 1 {
		msg += fmt.Sprintf(" (and %d more)", n-1)
	}
	return msg
}

// Unwrap returns ErrSoftDeleteLeak.
func (e *LeakError) Unwrap() error { return ErrSoftDeleteLeak }
