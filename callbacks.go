package softdelete

import (
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// registerCallbacks wires the plugin into db's processors and returns every
// registration error, joined.
func (p *Plugin) registerCallbacks(db *gorm.DB) error {
	cb := db.Callback()
	return errors.Join(
		cb.Query().Before("gorm:query").Register("softdelete:query", p.scopeRead),
		cb.Row().Before("gorm:row").Register("softdelete:row", p.scopeRead),
		cb.Update().Before("gorm:save_before_associations").Register("softdelete:guard_update", p.guardUpdate),
		cb.Update().Before("gorm:update").Register("softdelete:update", p.scopeUpdate),
		cb.Create().Before("gorm:save_before_associations").Register("softdelete:guard_create", p.guardCreate),
		cb.Create().Before("gorm:create").Register("softdelete:upsert", p.upsert),
		cb.Delete().Before("gorm:delete").Register("softdelete:delete", p.beforeDelete),
		cb.Delete().After("gorm:delete").Before("gorm:after_delete").Register("softdelete:after_delete", p.afterDelete),
		cb.Delete().After("gorm:after_delete").Register("softdelete:end_transaction", endTransaction),
	)
}

// scopeRead applies WithDeleted/OnlyDeleted to reads of a model, and the live
// filter (or a scope) to Table("x") reads of a registered soft-deletable table.
// The default filter of a model itself comes from its column type's
// QueryClauses, so the common path here is one map lookup.
func (p *Plugin) scopeRead(db *gorm.DB) {
	stmt := db.Statement
	sc, marked := markerOf(stmt, scopeKey)
	if db.Error != nil {
		return
	}
	if !marked && stmt.Schema != nil {
		groupForGorm(stmt, stmt.Schema.QueryClauses)
		return
	}
	if stmt.Schema == nil {
		p.scopeTable(stmt, sc)
		return
	}
	m := p.meta(stmt.Schema)
	switch {
	case m.err != nil:
		_ = db.AddError(m.err)
	case sc == scopeOnly:
		p.onlyDeleted(db, m)
	case sc == scopeWith && m.softDeletable():
		stmt.Clauses[gormMarker] = clause.Clause{}
	}
}

// scopeUpdate applies WithDeleted/OnlyDeleted to Update(s)/UpdateColumn(s).
func (p *Plugin) scopeUpdate(db *gorm.DB) {
	stmt := db.Statement
	sc, marked := markerOf(stmt, scopeKey)
	if db.Error != nil || stmt.Schema == nil {
		return
	}
	if !marked {
		groupForGorm(stmt, stmt.Schema.UpdateClauses)
		return
	}
	m := p.meta(stmt.Schema)
	switch {
	case sc == scopeOnly:
		p.onlyDeleted(db, m)
	case sc == scopeWith && m.softDeletable():
		// Unscoped rather than GORM's marker: the marker would make GORM's
		// missing-WHERE check demand one condition more than the user wrote.
		stmt.Unscoped = true
	}
}

// onlyDeleted restricts the statement to deleted rows.
func (p *Plugin) onlyDeleted(db *gorm.DB, m *modelMeta) {
	if !m.softDeletable() {
		_ = db.AddError(fmt.Errorf("%w: OnlyDeleted on %s", ErrNotSoftDeletable, m.schema.Name))
		return
	}
	if _, done := db.Statement.Clauses[gormMarker]; !done {
		addPredicate(db.Statement, clause.Neq{Column: m.column(), Value: nil})
	}
}

// scopeTable filters a Table("x") read with no model when x was registered
// as soft-deletable by AutoMigrate.
func (p *Plugin) scopeTable(stmt *gorm.Statement, sc scope) {
	if stmt.Unscoped || sc == scopeWith || stmt.Table == "" {
		return
	}
	col, ok := p.tables.Load(baseTable(stmt))
	if !ok {
		return
	}
	if _, done := stmt.Clauses[gormMarker]; done {
		return
	}
	column := clause.Column{Table: clause.CurrentTable, Name: col.(string)}
	if sc == scopeOnly {
		addPredicate(stmt, clause.Neq{Column: column, Value: nil})
		return
	}
	addPredicate(stmt, clause.Eq{Column: column, Value: nil})
}

// baseTable returns the real table name of a Table("name alias") statement.
func baseTable(stmt *gorm.Statement) string {
	if stmt.TableExpr == nil {
		return stmt.Table
	}
	name, _, _ := strings.Cut(strings.TrimSpace(stmt.TableExpr.SQL), " ")
	return strings.Trim(name, "\"`")
}

// addPrimaryKeyConds adds the primary keys of the passed value (and of Model,
// when it differs) as conditions, as gorm:delete does.
func addPrimaryKeyConds(stmt *gorm.Statement) {
	s := stmt.Schema
	_, values := schema.GetIdentityFieldValuesMap(stmt.Context, stmt.ReflectValue, s.PrimaryFields)
	column, vals := schema.ToQueryValues(stmt.Table, s.PrimaryFieldDBNames, values)
	if len(vals) > 0 {
		stmt.AddClause(clause.Where{Exprs: []clause.Expression{clause.IN{Column: column, Values: vals}}})
	}
	if stmt.ReflectValue.CanAddr() && stmt.Dest != stmt.Model && stmt.Model != nil {
		_, values = schema.GetIdentityFieldValuesMap(stmt.Context, reflectOf(stmt.Model), s.PrimaryFields)
		column, vals = schema.ToQueryValues(stmt.Table, s.PrimaryFieldDBNames, values)
		if len(vals) > 0 {
			stmt.AddClause(clause.Where{Exprs: []clause.Expression{clause.IN{Column: column, Values: vals}}})
		}
	}
}

// hasConditions reports whether the statement has a WHERE of its own (not
// counting the soft-delete predicate), or global writes are allowed.
func hasConditions(stmt *gorm.Statement) bool {
	if stmt.DB.AllowGlobalUpdate {
		return true
	}
	c, ok := stmt.Clauses["WHERE"]
	if !ok {
		return false
	}
	where, _ := c.Expression.(clause.Where)
	n := len(where.Exprs)
	if _, marked := stmt.Clauses[gormMarker]; marked {
		n--
	}
	return n > 0
}

// buildUpdate renders the statement as an UPDATE with the given SET; the
// delete processor then just executes it (with RETURNING where supported).
func buildUpdate(stmt *gorm.Statement, set clause.Set) {
	stmt.AddClauseIfNotExists(clause.Update{})
	stmt.AddClause(set)
	stmt.Build(stmt.DB.Callback().Update().Clauses...)
}
