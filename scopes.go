package softdelete

import (
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Statement markers live in stmt.Clauses under names no SQL builder renders.
// Unlike db.Set values they are not copied into Preload or other nested
// statements, so a scope affects only the model being queried.
const (
	scopeKey = "softdelete:scope"
	verbKey  = "softdelete:verb"
	// gormMarker is GORM's own "soft delete filter already applied" marker,
	// honoured by gorm.SoftDeleteQueryClause and checkMissingWhereConditions.
	gormMarker = "soft_delete_enabled"
)

// scope says which rows of the queried model a statement sees.
type scope uint8

const (
	scopeLive         scope = iota // default: live rows only
	scopeWith                      // WithDeleted: live and deleted rows
	scopeOnly                      // OnlyDeleted: deleted rows only
	scopeHard                      // verb HardDelete
	scopeRestore                   // verb Restore, running BeforeRestore/AfterRestore hooks
	scopeRestoreQuiet              // verb Restore on a SkipHooks session
)

// marker is a clause.Interface that only records a scope or verb on a statement.
type marker struct {
	key string
	val scope
}

func (m marker) Name() string                 { return m.key }
func (m marker) Build(clause.Builder)         {}
func (m marker) MergeClause(c *clause.Clause) { c.Expression = m }

// markerOf returns the value recorded under key, and whether there is one.
func markerOf(stmt *gorm.Statement, key string) (scope, bool) {
	c, ok := stmt.Clauses[key]
	if !ok {
		return scopeLive, false
	}
	m, ok := c.Expression.(marker)
	return m.val, ok
}

// WithDeleted is a scope that shows live and deleted rows of the queried model:
//
//	db.Scopes(softdelete.WithDeleted).Find(&posts)
//	// SELECT * FROM "posts"
//
// Associations keep their own default; opt a preload in with
// db.Preload("Posts", softdelete.WithDeleted). Writes are unaffected except that
// Update(s) may then change deleted rows too.
func WithDeleted(db *gorm.DB) *gorm.DB {
	return db.Clauses(marker{scopeKey, scopeWith})
}

// OnlyDeleted is a scope that shows only deleted rows of the queried model:
//
//	db.Scopes(softdelete.OnlyDeleted).Find(&posts)
//	// SELECT * FROM "posts" WHERE "posts"."deleted_at" IS NOT NULL
//
// On a model with no soft-delete field the statement fails with
// ErrNotSoftDeletable.
func OnlyDeleted(db *gorm.DB) *gorm.DB {
	return db.Clauses(marker{scopeKey, scopeOnly})
}

// Restore undeletes the rows value and conds select (same arguments as
// db.Delete), and clears the soft-delete field of value:
//
//	softdelete.Restore(db, &post)
//	// UPDATE "posts" SET "deleted_at"=NULL WHERE "posts"."id" = 1 AND "posts"."deleted_at" IS NOT NULL
//
// RowsAffected is the number of rows restored (0, without error, for live
// rows). Conditions of the chain (db.Where) apply. Without any condition it
// fails with gorm.ErrMissingWhereClause; on a model with no soft-delete field
// with ErrNotSoftDeletable; when a restored row would clash with a live row's
// unique key with ErrRestoreConflict. Cascade children deleted by the same
// delete come back too; BeforeRestore/AfterRestore model hooks run around it.
func Restore(db *gorm.DB, value any, conds ...any) *gorm.DB {
	verb := scopeRestore
	if db.Statement.SkipHooks {
		verb = scopeRestoreQuiet
	}
	// SkipHooks keeps BeforeDelete/AfterDelete from running for a restore; the
	// plugin runs the restore hooks itself.
	return db.Session(&gorm.Session{SkipHooks: true}).Clauses(marker{verbKey, verb}).Delete(value, conds...)
}

// HardDelete permanently removes the rows value and conds select, deleted or
// not (same arguments as db.Delete), children of softdelete:"cascade"
// relations first:
//
//	softdelete.HardDelete(db, &post)
//	// DELETE FROM "posts" WHERE "posts"."id" = 1
//
// Combine it with OnlyDeleted to empty the trash:
// softdelete.HardDelete(db.Scopes(softdelete.OnlyDeleted), &Post{}, "author_id = ?", 7).
func HardDelete(db *gorm.DB, value any, conds ...any) *gorm.DB {
	return db.Unscoped().Clauses(marker{verbKey, scopeHard}).Delete(value, conds...)
}
