package softdelete

import (
	"fmt"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Restore undeletes the rows value and conds select (same arguments as
// db.Delete), and clears the soft-delete field of value:
//
//	softdelete.Restore(db, &post)
//	// UPDATE "posts" SET "deleted_at"=NULL WHERE "posts"."id" = 1 AND "posts"."deleted_at" IS NOT NULL
//
// RowsAffected is the number of rows restored (0, without error, for live
// rows). Conditions of the chain (db.Where) apply; Select and Omit do not (a
// restore never deletes associations: declare softdelete:"cascade" to bring
// children back). Without any condition it fails with
// gorm.ErrMissingWhereClause; on a model with no soft-delete field with
// ErrNotSoftDeletable; without the plugin registered with ErrNotRegistered;
// when a restored row would clash with a live row's unique key with
// ErrRestoreConflict, and nothing is restored (inside a caller's transaction
// the failed restore is rolled back to a savepoint: the transaction stays
// usable). Cascade children deleted by the same delete come back too.
// BeforeRestore/AfterRestore model hooks run around it, GORM's
// BeforeDelete/AfterDelete hooks do not; writes made in the restore hooks run
// their own hooks. It may be called inside any hook: it acts on a statement
// of its own.
func Restore(db *gorm.DB, value any, conds ...any) *gorm.DB {
	return runVerb(db, verbRestore, "Restore", value, conds)
}

// restore renders UPDATE t SET deleted_at = NULL WHERE <conds> AND deleted_at IS NOT NULL,
// after the parent check, the hooks and the cascade.
func (p *Plugin) restore(db *gorm.DB, m *modelMeta, hooks bool) {
	stmt := db.Statement
	if !m.softDeletable() {
		_ = db.AddError(fmt.Errorf("%w: Restore on %s", ErrNotSoftDeletable, m.schema.Name))
		return
	}
	addPrimaryKeyConds(stmt)
	if !hasConditions(stmt) {
		_ = db.AddError(gorm.ErrMissingWhereClause)
		return
	}
	if hooks && m.beforeRestore && callHook(db, beforeRestore) != nil {
		return
	}
	callers := whereConds(stmt)
	addPredicate(stmt, clause.Neq{Column: m.column(), Value: nil})
	if p.protectCallerTx(db, m) != nil || p.checkParents(db, m) != nil || p.cascadeRestore(db, m, callers) != nil {
		return
	}
	buildUpdate(stmt, m.restoreSet())
}

// protectCallerTx puts a restore without cascades or parents, which is one
// statement, in a savepoint when it runs inside a caller's transaction on a
// database where a failed statement aborts the transaction (PostgreSQL): a
// unique clash must leave the caller's transaction usable. Multi-statement
// restores get theirs from atomic.
func (p *Plugin) protectCallerTx(db *gorm.DB, m *modelMeta) error {
	if len(m.cascades) > 0 || len(m.parents) > 0 || !dialect.Of(db).Features().Has(dialect.AbortsTransactionOnError) {
		return nil
	}
	if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); !inTx || inGormTransaction(db) {
		return nil
	}
	return atomic(db)
}

// afterRestore finishes a Restore: it reports unique clashes as
// ErrRestoreConflict, clears the passed value's column and runs AfterRestore.
func (p *Plugin) afterRestore(db *gorm.DB, hooks bool) {
	if db.Error != nil {
		translateRestoreError(db)
		return
	}
	m := p.meta(db.Statement.Schema)
	writeBack(db.Statement, m, nil)
	if hooks && m.afterRestore {
		_ = callHook(db, afterRestore)
	}
}

// restoreSet is the SET of a restore: the timestamp and the actor cleared.
func (m *modelMeta) restoreSet() clause.Set {
	set := clause.Set{{Column: clause.Column{Name: m.field.DBName}, Value: nil}}
	if m.deletedBy != nil {
		set = append(set, clause.Assignment{Column: clause.Column{Name: m.deletedBy.DBName}, Value: nil})
	}
	return set
}
