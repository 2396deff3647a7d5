package softdelete

import (
	"errors"
	"fmt"

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
	// two models.
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

// notRegistered is ErrNotRegistered for one entry point.
func notRegistered(entry string) error {
	return fmt.Errorf("%w: %s needs the plugin", ErrNotRegistered, entry)
}
