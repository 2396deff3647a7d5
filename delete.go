package softdelete

import (
	"fmt"
	"reflect"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// beforeDelete turns db.Delete into a soft delete, and carries out the Restore
// and HardDelete verbs, which travel through the delete processor so that
// GORM's transaction, RETURNING and DryRun handling apply to them unchanged.
func (p *Plugin) beforeDelete(db *gorm.DB) {
	stmt := db.Statement
	if db.Error != nil || stmt.Schema == nil || stmt.SQL.Len() > 0 {
		return
	}
	m := p.meta(stmt.Schema)
	if m.err != nil {
		_ = db.AddError(m.err)
		return
	}
	switch verb, _ := markerOf(stmt, verbKey); verb {
	case scopeHard:
		p.hardDelete(db, m)
	case scopeRestore, scopeRestoreQuiet:
		p.restore(db, m, verb == scopeRestore)
	default:
		if !stmt.Unscoped && m.softDeletable() {
			p.softDelete(db, m)
		}
	}
}

// softDelete renders UPDATE t SET deleted_at = <ts> WHERE <conds> AND deleted_at IS NULL,
// after cascading to children, and writes ts back into the passed value.
func (p *Plugin) softDelete(db *gorm.DB, m *modelMeta) {
	stmt := db.Statement
	addPrimaryKeyConds(stmt)
	if !hasConditions(stmt) {
		_ = db.AddError(gorm.ErrMissingWhereClause)
		return
	}
	ts := p.timestamp(db)
	actor, err := p.actorValue(stmt, m)
	if err != nil {
		_ = db.AddError(err)
		return
	}
	addPredicate(stmt, clause.Eq{Column: m.column(), Value: nil})
	if p.cascadeDelete(db, m, ts, actor) != nil {
		return
	}
	buildUpdate(stmt, m.deleteSet(ts, actor))
	writeBack(stmt, m, ts)
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
	addPredicate(stmt, clause.Neq{Column: m.column(), Value: nil})
	if p.checkParents(db, m) != nil || p.cascadeRestore(db, m) != nil {
		return
	}
	buildUpdate(stmt, m.restoreSet())
}

// hardDelete renders the DELETE (honouring OnlyDeleted) after removing
// cascade children.
func (p *Plugin) hardDelete(db *gorm.DB, m *modelMeta) {
	stmt := db.Statement
	addPrimaryKeyConds(stmt)
	if sc, _ := markerOf(stmt, scopeKey); sc == scopeOnly {
		if p.onlyDeleted(db, m); db.Error != nil {
			return
		}
	}
	if !hasConditions(stmt) {
		_ = db.AddError(gorm.ErrMissingWhereClause)
		return
	}
	if p.cascadeHardDelete(db, m) != nil {
		return
	}
	stmt.AddClauseIfNotExists(clause.Delete{})
	stmt.AddClauseIfNotExists(clause.From{})
	stmt.Build(stmt.DB.Callback().Delete().Clauses...)
}

// afterDelete finishes a Restore: it reports unique clashes as
// ErrRestoreConflict, clears the passed value's column and runs AfterRestore.
func (p *Plugin) afterDelete(db *gorm.DB) {
	stmt := db.Statement
	verb, _ := markerOf(stmt, verbKey)
	if stmt.Schema == nil || (verb != scopeRestore && verb != scopeRestoreQuiet) {
		return
	}
	if db.Error != nil {
		translateRestoreError(db)
		return
	}
	m := p.meta(stmt.Schema)
	writeBack(stmt, m, nil)
	if verb == scopeRestore && m.afterRestore {
		_ = callHook(db, afterRestore)
	}
}

// deleteSet is the SET of a soft delete.
func (m *modelMeta) deleteSet(ts time.Time, actor any) clause.Set {
	set := clause.Set{{Column: clause.Column{Name: m.field.DBName}, Value: ts}}
	if m.deletedBy != nil && actor != nil {
		set = append(set, clause.Assignment{Column: clause.Column{Name: m.deletedBy.DBName}, Value: actor})
	}
	return set
}

// restoreSet is the SET of a restore: the timestamp and the actor cleared.
func (m *modelMeta) restoreSet() clause.Set {
	set := clause.Set{{Column: clause.Column{Name: m.field.DBName}, Value: nil}}
	if m.deletedBy != nil {
		set = append(set, clause.Assignment{Column: clause.Column{Name: m.deletedBy.DBName}, Value: nil})
	}
	return set
}

// writeBack stores value (a timestamp, or nil for live) in the soft-delete
// field of the value passed to Delete/Restore: a struct or a slice of them.
func writeBack(stmt *gorm.Statement, m *modelMeta, value any) {
	rv := stmt.ReflectValue
	switch rv.Kind() {
	case reflect.Struct:
		if rv.CanAddr() && rv.Type() == m.schema.ModelType {
			_ = stmt.AddError(m.field.Set(stmt.Context, rv, value))
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			if elem := reflect.Indirect(rv.Index(i)); elem.Kind() == reflect.Struct && elem.CanAddr() {
				_ = stmt.AddError(m.field.Set(stmt.Context, elem, value))
			}
		}
	}
}

// reflectOf returns the struct or slice value behind v's pointers.
func reflectOf(v any) reflect.Value {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Ptr {
		rv = rv.Elem()
	}
	return rv
}
