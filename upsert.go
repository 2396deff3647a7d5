package softdelete

import (
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// upsert gives an INSERT ... ON CONFLICT whose columns are those of a
// partial unique index of the model that index's predicate as conflict
// target (ON CONFLICT ("slug") WHERE "deleted_at" IS NULL), without which
// the database cannot infer the index. An explicit TargetWhere or
// OnConstraint is left alone.
func (p *Plugin) upsert(db *gorm.DB) {
	stmt := db.Statement
	if db.Error != nil || stmt.Schema == nil {
		return
	}
	c, ok := stmt.Clauses["ON CONFLICT"]
	if !ok {
		return
	}
	oc, ok := c.Expression.(clause.OnConflict)
	if !ok || oc.OnConstraint != "" || len(oc.TargetWhere.Exprs) > 0 || len(oc.Columns) == 0 {
		return
	}
	m := p.meta(stmt.Schema)
	if !m.softDeletable() || m.err != nil {
		return
	}
	for i := range m.indexes {
		if s := &m.indexes[i]; s.unique && s.covers(oc.Columns) {
			oc.TargetWhere = s.target
			c.Expression = oc
			stmt.Clauses["ON CONFLICT"] = c
			return
		}
	}
}

// reviveLinks restores the tombstones of join rows GORM is about to insert.
// Association mode links many2many rows with INSERT ... ON CONFLICT DO
// NOTHING; on a soft-deletable join model the tombstone of a removed link
// holds its key, so re-appending the link would silently leave it deleted.
// The tombstones among the rows being inserted are restored first (one
// UPDATE), and the insert then finds them live, as it finds any live link.
func (p *Plugin) reviveLinks(db *gorm.DB, m *modelMeta) {
	stmt := db.Statement
	oc, ok := stmt.Clauses["ON CONFLICT"].Expression.(clause.OnConflict)
	if !ok || !oc.DoNothing || len(oc.Columns) > 0 || len(stmt.Schema.PrimaryFields) == 0 || !p.isJoinTable(stmt.Schema) {
		return
	}
	s := stmt.Schema
	_, values := schema.GetIdentityFieldValuesMap(stmt.Context, stmt.ReflectValue, s.PrimaryFields)
	column, vals := schema.ToQueryValues(stmt.Table, s.PrimaryFieldDBNames, values)
	if len(vals) == 0 {
		return
	}
	err := db.Session(&gorm.Session{NewDB: true}).Exec("UPDATE ? ? ?", clause.Table{Name: stmt.Table}, m.restoreSet(),
		clause.Where{Exprs: []clause.Expression{clause.IN{Column: column, Values: vals}, deletedCond(s, false)}}).Error
	_ = db.AddError(err)
}

// isJoinTable reports whether s is the join model of a many2many relation
// of a model the plugin has seen (association mode writes the owner first).
func (p *Plugin) isJoinTable(s *schema.Schema) bool {
	found := false
	p.metas.Range(func(_, v any) bool {
		for _, rel := range v.(*modelMeta).links {
			if rel.JoinTable == s {
				found = true
				return false
			}
		}
		return true
	})
	return found
}
