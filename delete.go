package softdelete

import (
	"reflect"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// softDelete renders UPDATE t SET deleted_at = <ts> WHERE <conds> AND deleted_at IS NULL,
// after cascading to children, and writes ts back into the passed value.
// Under OnlyDeleted the statement matches deleted rows only, which a soft
// delete leaves as they are: it changes nothing.
func (p *Plugin) softDelete(db *gorm.DB, m *modelMeta) {
	stmt := db.Statement
	addPrimaryKeyConds(stmt)
	ts, shared := p.deleteTimestamp(db)
	if !hasConditions(stmt) {
		// rendered first, as GORM renders a refused delete (DryRun shows it)
		addPredicate(stmt, clause.Eq{Column: m.column(), Value: nil})
		buildUpdate(stmt, m.deleteSet(ts, nil))
		_ = db.AddError(gorm.ErrMissingWhereClause)
		return
	}
	actor, err := p.actorValue(stmt, m)
	if err != nil {
		_ = db.AddError(err)
		return
	}
	callers := whereConds(stmt)
	if sc, _ := scopeOf(stmt); sc == scopeOnly {
		addPredicate(stmt, clause.Neq{Column: m.column(), Value: nil})
	}
	addPredicate(stmt, clause.Eq{Column: m.column(), Value: nil})
	if ts, err = p.cascadeDelete(db, m, callers, ts, !shared, actor); err != nil {
		return
	}
	buildUpdate(stmt, m.deleteSet(ts, actor))
	writeBack(stmt, m, ts)
	p.captureChanges(db, OpDelete, m, ts, actor)
}

// whereConds returns the statement's WHERE conditions as they stand.
func whereConds(stmt *gorm.Statement) []clause.Expression {
	where, _ := stmt.Clauses["WHERE"].Expression.(clause.Where)
	return where.Exprs
}

// deleteTimestamp is the timestamp of a soft delete: the one its root delete
// shares through the context (see startVerb; shared is true), or a new one.
func (p *Plugin) deleteTimestamp(db *gorm.DB) (ts time.Time, shared bool) {
	if ts, ok := db.Statement.Context.Value(timestampKey{}).(time.Time); ok {
		return ts, true
	}
	return p.timestamp(db), false
}

// deleteSet is the SET of a soft delete.
func (m *modelMeta) deleteSet(ts time.Time, actor any) clause.Set {
	set := clause.Set{{Column: clause.Column{Name: m.field.DBName}, Value: ts}}
	if m.deletedBy != nil && actor != nil {
		set = append(set, clause.Assignment{Column: clause.Column{Name: m.deletedBy.DBName}, Value: actor})
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
