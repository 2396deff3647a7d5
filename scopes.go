package softdelete

import (
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// scopeKey names the statement clause recording a scope. Statement clauses,
// unlike db.Set values, are not copied into Preload or other nested
// statements, so a scope affects only the model being queried.
const scopeKey = "softdelete:scope"

// scope says which rows of the queried model a statement sees.
type scope uint8

const (
	scopeLive scope = iota // default: live rows only
	scopeWith              // WithDeleted: live and deleted rows
	scopeOnly              // OnlyDeleted: deleted rows only
)

// scopeMarker is a clause that only records a scope on a statement. As a
// gorm.StatementModifier it also fails the statement when the plugin is not
// registered: nothing would read the scope, and it would silently do nothing.
type scopeMarker scope

func (scopeMarker) Name() string                   { return scopeKey }
func (scopeMarker) Build(clause.Builder)           {}
func (m scopeMarker) MergeClause(c *clause.Clause) { c.Expression = m }

// ModifyStatement implements gorm.StatementModifier.
func (m scopeMarker) ModifyStatement(stmt *gorm.Statement) {
	stmt.Clauses[scopeKey] = clause.Clause{Name: scopeKey, Expression: m}
	if pluginOf(stmt.DB) == nil {
		_ = stmt.AddError(notRegistered(m.String()))
	}
}

// String names the scope, for messages.
func (m scopeMarker) String() string {
	if scope(m) == scopeOnly {
		return "OnlyDeleted"
	}
	return "WithDeleted"
}

// scopeOf returns the scope recorded on the statement, and whether there is one.
func scopeOf(stmt *gorm.Statement) (scope, bool) {
	m, ok := stmt.Clauses[scopeKey].Expression.(scopeMarker)
	return scope(m), ok
}

// WithDeleted is a scope that shows live and deleted rows of the queried model:
//
//	db.Scopes(softdelete.WithDeleted).Find(&posts)
//	// SELECT * FROM "posts"
//
// Associations keep their own default; opt a preload in with
// db.Preload("Posts", softdelete.WithDeleted). Writes are unaffected except that
// Update(s) may then change deleted rows too. Without the plugin registered
// the statement fails with ErrNotRegistered. For the generics API, see
// WithDeletedClause.
func WithDeleted(db *gorm.DB) *gorm.DB { return db.Clauses(scopeMarker(scopeWith)) }

// OnlyDeleted is a scope that shows only deleted rows of the queried model:
//
//	db.Scopes(softdelete.OnlyDeleted).Find(&posts)
//	// SELECT * FROM "posts" WHERE "posts"."deleted_at" IS NOT NULL
//
// Every statement under it is restricted to deleted rows: a Delete changes
// nothing (the rows are deleted already), and HardDelete counts the scope as a
// condition, so HardDelete(db.Scopes(softdelete.OnlyDeleted), &Post{})
// empties the trash. On a model with no soft-delete field the statement fails
// with ErrNotSoftDeletable; without the plugin registered with
// ErrNotRegistered. For the generics API, see OnlyDeletedClause.
func OnlyDeleted(db *gorm.DB) *gorm.DB { return db.Clauses(scopeMarker(scopeOnly)) }

// WithDeletedClause is WithDeleted for GORM's generics API, which starts a
// new statement from the *gorm.DB it is given and so drops that db's pending
// scopes (as it drops every chain method): pass the clause instead.
//
//	gorm.G[Post](db, softdelete.WithDeletedClause).Find(ctx)
//	gorm.G[Post](db).Where("author_id = ?", 7).Scopes(softdelete.WithDeletedStatement).Find(ctx)
var WithDeletedClause clause.Expression = scopeMarker(scopeWith)

// OnlyDeletedClause is OnlyDeleted for GORM's generics API (see
// WithDeletedClause): gorm.G[Post](db, softdelete.OnlyDeletedClause).Find(ctx).
var OnlyDeletedClause clause.Expression = scopeMarker(scopeOnly)

// WithDeletedStatement is WithDeleted in the form of the generics API's
// Scopes: gorm.G[Post](db).Scopes(softdelete.WithDeletedStatement).
func WithDeletedStatement(stmt *gorm.Statement) { scopeMarker(scopeWith).ModifyStatement(stmt) }

// OnlyDeletedStatement is OnlyDeleted in the form of the generics API's
// Scopes: gorm.G[Post](db).Scopes(softdelete.OnlyDeletedStatement).
func OnlyDeletedStatement(stmt *gorm.Statement) { scopeMarker(scopeOnly).ModifyStatement(stmt) }
