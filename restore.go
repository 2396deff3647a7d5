package softdelete

import (
	"errors"
	"slices"
	"time"

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
		_ = db.AddError(m.notSoftDeletable("Restore"))
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
	p.captureChanges(db, OpRestore, m, time.Time{}, nil)
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

// translateRestoreError reports a unique violation during Restore (db.Error
// set by the failed statement) as a *RestoreConflictError naming the table
// and index, keeping the driver's error in the chain.
func translateRestoreError(db *gorm.DB) {
	err := db.Error
	if err == nil || errors.Is(err, ErrRestoreConflict) {
		return
	}
	v, ok := dialect.Of(db).UniqueViolation(db, err)
	if !ok {
		return
	}
	db.Error = conflictError(db, v, err)
}

// conflictError names the index a violation hit: the name the database
// reports (PostgreSQL), or the declared index with the reported columns
// (SQLite), or the declared unique indexes it can be.
func conflictError(db *gorm.DB, v dialect.Violation, err error) *RestoreConflictError {
	e := &RestoreConflictError{Table: v.Table, Index: v.Index, Columns: v.Columns, Err: err}
	p, s := pluginOf(db), db.Statement.Schema
	if e.Table == "" && s != nil {
		e.Table = s.Table
	}
	if p == nil || s == nil {
		return e
	}
	if e.Index != "" {
		if m := p.metaOfIndex(e.Index); m != nil {
			e.Table = m.schema.Table
		}
		return e
	}
	m := p.meta(s)
	if v.Table != "" && v.Table != s.Table {
		m = p.metaOfTable(v.Table)
	}
	if m == nil {
		return e
	}
	for i := range m.indexes {
		if ix := &m.indexes[i]; ix.unique {
			if len(v.Columns) > 0 && ix.hasColumns(v.Columns) {
				e.Index = ix.name
				return e
			}
			e.Candidates = append(e.Candidates, ix.name)
		}
	}
	if len(v.Columns) == 0 && len(e.Candidates) == 1 {
		e.Index, e.Candidates = e.Candidates[0], nil
	}
	if len(v.Columns) > 0 {
		e.Candidates = nil
	}
	return e
}

// metaOfIndex finds the cached metadata of the model declaring the index
// called name, or nil.
func (p *Plugin) metaOfIndex(name string) *modelMeta {
	var found *modelMeta
	p.metas.Range(func(_, v any) bool {
		m, _ := v.(*modelMeta)
		if m != nil && slices.ContainsFunc(m.indexes, func(ix indexSpec) bool { return ix.name == name }) {
			found = m
			return false
		}
		return true
	})
	return found
}

// metaOfTable finds the cached metadata of a model stored in table (cascade
// children hit during a restore), or nil.
func (p *Plugin) metaOfTable(table string) *modelMeta {
	var found *modelMeta
	p.metas.Range(func(_, v any) bool {
		if m, _ := v.(*modelMeta); m != nil && m.schema.Table == table && m.softDeletable() {
			found = m
			return false
		}
		return true
	})
	return found
}
