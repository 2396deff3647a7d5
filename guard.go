package softdelete

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// guardCreate refuses a Create (or Save of a new row) that writes a non-NULL
// soft-delete column, and keeps upserts (including Save's fallback INSERT ...
// ON CONFLICT DO UPDATE) from rewriting tombstones.
func (p *Plugin) guardCreate(db *gorm.DB) {
	if m := p.guardedMeta(db); m != nil {
		p.guardWrite(db, m, false, true)
		if db.Error == nil && upsertWrites(db.Statement, m) {
			_ = db.AddError(fmt.Errorf("%w: %s.%s in an upsert's DO UPDATE", ErrDeletedAtWrite, m.schema.Name, m.field.Name))
		}
		if db.Error == nil {
			protectTombstones(db.Statement, m)
		}
	}
}

// upsertWrites reports whether an ON CONFLICT DO UPDATE assigns the
// soft-delete column anything but the inserted row's own value (excluded.col,
// which the guard has already checked is NULL): that would delete the live
// row the insert conflicts with.
func upsertWrites(stmt *gorm.Statement, m *modelMeta) bool {
	oc, ok := stmt.Clauses["ON CONFLICT"].Expression.(clause.OnConflict)
	if !ok {
		return false
	}
	for _, a := range oc.DoUpdates {
		if isColumn(m, a.Column.Name) {
			if _, excluded := a.Value.(clause.Column); !excluded {
				return true
			}
		}
	}
	return false
}

// isColumn reports whether name (a column or field name, in any spelling
// GORM resolves) designates the soft-delete column.
func isColumn(m *modelMeta, name string) bool {
	return name == m.field.DBName || m.schema.LookUpField(name) == m.field || strings.EqualFold(name, m.field.DBName)
}

// guardUpdate refuses Update(s)/UpdateColumn(s)/Save writing the column.
func (p *Plugin) guardUpdate(db *gorm.DB) {
	if m := p.guardedMeta(db); m != nil {
		_, scoped := scopeOf(db.Statement)
		p.guardWrite(db, m, scoped, false)
	}
}

// guardedMeta returns the metadata of a soft-deletable model the statement
// writes, or nil when the guard does not apply (Unscoped, no such field).
func (p *Plugin) guardedMeta(db *gorm.DB) *modelMeta {
	stmt := db.Statement
	if db.Error != nil || stmt.Schema == nil || stmt.Unscoped {
		return nil
	}
	m := p.meta(stmt.Schema)
	if m.err != nil {
		_ = db.AddError(m.err)
		return nil
	}
	if !m.softDeletable() {
		return nil
	}
	return m
}

// guardWrite adds ErrDeletedAtWrite when the statement's data sets the
// soft-delete column to a non-NULL value (or to anything, when nullToo).
func (p *Plugin) guardWrite(db *gorm.DB, m *modelMeta, nullToo, create bool) {
	stmt := db.Statement
	if !destWrites(stmt, m, nullToo) {
		return
	}
	if sel, restricted := stmt.SelectAndOmitColumns(create, !create); !selected(sel, restricted, m.field.DBName) {
		return
	}
	_ = db.AddError(fmt.Errorf("%w: %s.%s (use Delete/Restore, or Unscoped for imports)",
		ErrDeletedAtWrite, m.schema.Name, m.field.Name))
}

// selected reports whether a column survives Select/Omit.
func selected(sel map[string]bool, restricted bool, column string) bool {
	v, ok := sel[column]
	return (ok && v) || (!ok && !restricted)
}

// destWrites reports whether the statement's Dest carries a soft-delete
// value that counts as a write: maps by column or field name, structs of the
// model type, and slices of either.
func destWrites(stmt *gorm.Statement, m *modelMeta, nullToo bool) bool {
	switch dest := stmt.Dest.(type) {
	case map[string]any:
		return mapWrites(dest, m, nullToo)
	case []map[string]any:
		for _, row := range dest {
			if mapWrites(row, m, nullToo) {
				return true
			}
		}
		return false
	}
	rv := reflectOf(stmt.Dest)
	switch rv.Kind() {
	case reflect.Struct:
		return structWrites(stmt, rv, m, nullToo)
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			if structWrites(stmt, reflect.Indirect(rv.Index(i)), m, nullToo) {
				return true
			}
		}
	}
	return false
}

// mapWrites checks one map of column values. Keys are resolved as GORM
// resolves them (column or field name, or what the naming strategy maps to
// the column: "deletedAt", "DELETED_AT"), so no spelling slips past.
func mapWrites(row map[string]any, m *modelMeta, nullToo bool) bool {
	for key, v := range row {
		if (nullToo || !isNull(v)) && isColumn(m, key) {
			return true
		}
	}
	return false
}

// structWrites checks one struct of the model's type.
func structWrites(stmt *gorm.Statement, rv reflect.Value, m *modelMeta, nullToo bool) bool {
	if rv.Kind() != reflect.Struct || rv.Type() != m.schema.ModelType {
		return false
	}
	v, zero := m.field.ValueOf(stmt.Context, rv)
	if zero || isNull(v) {
		return nullToo && writesZeroValues(stmt) // NULL is written too
	}
	return true
}

// isNull reports whether v is written as SQL NULL.
func isNull(v any) bool {
	if v == nil {
		return true
	}
	if valuer, ok := v.(driver.Valuer); ok {
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Ptr && rv.IsNil() {
			return true
		}
		val, err := valuer.Value()
		return err == nil && val == nil
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Ptr && rv.IsNil()
}

// protectTombstones adds "WHERE <table>.deleted_at IS NULL" to an upsert's
// DO UPDATE, so a conflict with a deleted row never rewrites or resurrects it.
func protectTombstones(stmt *gorm.Statement, m *modelMeta) {
	c, ok := stmt.Clauses["ON CONFLICT"]
	if !ok {
		return
	}
	oc, ok := c.Expression.(clause.OnConflict)
	if !ok || oc.DoNothing || (!oc.UpdateAll && len(oc.DoUpdates) == 0) || len(oc.Where.Exprs) > 0 {
		return
	}
	oc.Where = clause.Where{Exprs: []clause.Expression{
		clause.Eq{Column: clause.Column{Table: stmt.Table, Name: m.field.DBName}, Value: nil},
	}}
	c.Expression = oc
	stmt.Clauses["ON CONFLICT"] = c
}
