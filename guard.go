package softdelete

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// guardCreate refuses a Create (or Save of a new row) that writes a non-NULL
// soft-delete column, and keeps upserts (including Save's fallback INSERT ...
// ON CONFLICT DO UPDATE) from rewriting tombstones.
func (p *Plugin) guardCreate(db *gorm.DB) {
	m := p.guardedMeta(db)
	if m == nil {
		return
	}
	if !resavesTombstones(db, m) {
		p.guardWrite(db, m, false, true)
	}
	if db.Error == nil && upsertWrites(db.Statement, m) {
		_ = db.AddError(fmt.Errorf("%w: %s.%s in an upsert's DO UPDATE", ErrDeletedAtWrite, m.schema.Name, m.field.Name))
	}
	if db.Error == nil && upsertHitsTombstones(db, m) {
		_ = db.AddError(fmt.Errorf("%w: the upsert's rows include soft-deleted %s rows (restore them first)", ErrDeletedAtWrite, m.schema.Name))
	}
	if db.Error == nil {
		protectTombstones(db.Statement, m)
		p.reviveLinks(db, m)
	}
}

// resavesTombstones reports whether a Create whose rows carry a deletion
// timestamp only re-saves rows that exist: GORM saves the associations of a
// parent (Save(&author), association mode) as INSERT ... ON CONFLICT (id)
// DO UPDATE SET <foreign key>, with every loaded child, deleted ones
// included. When that upsert targets the primary key, does not assign the
// soft-delete column, and every row with a timestamp already exists, the
// timestamp is never written (the conflict path is taken, and
// protectTombstones keeps the tombstones as they are), so there is nothing
// to refuse.
func resavesTombstones(db *gorm.DB, m *modelMeta) bool {
	stmt := db.Statement
	oc, ok := stmt.Clauses["ON CONFLICT"].Expression.(clause.OnConflict)
	if !ok || oc.UpdateAll || oc.OnConstraint != "" || len(m.schema.PrimaryFields) == 0 ||
		!(oc.DoNothing || onPrimaryKey(oc.Columns, m)) || upsertWrites(stmt, m) {
		return false
	}
	keys, ok := tombstoneKeys(stmt, m)
	if !ok || len(keys) == 0 {
		return false
	}
	column, vals := schema.ToQueryValues(stmt.Table, m.schema.PrimaryFieldDBNames, keys)
	var n int64
	err := db.Session(&gorm.Session{NewDB: true}).Unscoped().Table(stmt.Table).
		Where(clause.IN{Column: column, Values: vals}).Count(&n).Error
	return err == nil && n == int64(len(keys))
}

// onPrimaryKey reports whether conflict columns are exactly the primary key.
func onPrimaryKey(cols []clause.Column, m *modelMeta) bool {
	if len(cols) != len(m.schema.PrimaryFieldDBNames) {
		return false
	}
	for _, c := range cols {
		if c.Raw || !slices.Contains(m.schema.PrimaryFieldDBNames, c.Name) {
			return false
		}
	}
	return true
}

// tombstoneKeys returns the primary keys of the statement's rows that carry
// a deletion timestamp, distinct; ok is false when such a row has no key or
// the rows are not structs of the model.
func tombstoneKeys(stmt *gorm.Statement, m *modelMeta) (keys [][]any, ok bool) {
	seen := map[string]bool{}
	add := func(rv reflect.Value) bool {
		if rv.Kind() != reflect.Struct || rv.Type() != m.schema.ModelType {
			return false
		}
		if v, zero := m.field.ValueOf(stmt.Context, rv); zero || isNull(v) {
			return true
		}
		key := make([]any, len(m.schema.PrimaryFields))
		for i, f := range m.schema.PrimaryFields {
			v, zero := f.ValueOf(stmt.Context, rv)
			if zero {
				return false
			}
			key[i] = v
		}
		if id := fmt.Sprint(key...); !seen[id] {
			seen[id] = true
			keys = append(keys, key)
		}
		return true
	}
	rv := stmt.ReflectValue
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			if !add(reflect.Indirect(rv.Index(i))) {
				return nil, false
			}
		}
		return keys, true
	}
	return keys, add(rv)
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
	return name == m.field.DBName || m.schema.LookUpField(name) == m.field || looseName(name) == looseName(m.field.DBName)
}

// looseName folds case and drops underscores, so every spelling a naming
// strategy may map to the column ("deletedAt", "DELETED_AT", "DeletedAt")
// compares equal, whatever the GORM version resolves itself.
func looseName(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", ""))
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
	if db.Error != nil || stmt.Schema == nil {
		return nil
	}
	m := p.meta(stmt.Schema) // also for Unscoped writes: association mode needs the owner's links
	if stmt.Unscoped {
		return nil
	}
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

// protectTombstones keeps an upsert's DO UPDATE from rewriting or
// resurrecting a deleted row it conflicts with. Explicit assignments become
// "col = CASE WHEN t.deleted_at IS NULL THEN <value> ELSE t.col END": every
// conflicting row is still updated (to itself when deleted), so RETURNING
// yields one row per inserted row and GORM writes the keys back to the right
// structs. UpdateAll, whose assignments GORM only builds later, gets "WHERE
// t.deleted_at IS NULL" (a multi-row one is checked first, see
// upsertHitsTombstones).
func protectTombstones(stmt *gorm.Statement, m *modelMeta) {
	c, ok := stmt.Clauses["ON CONFLICT"]
	if !ok || dialect.Of(stmt.DB).Features().Has(dialect.DuplicateKeyUpdate) {
		return // guarded when built, see guardDuplicateKeyUpdates
	}
	oc, ok := c.Expression.(clause.OnConflict)
	if !ok || oc.DoNothing || (!oc.UpdateAll && len(oc.DoUpdates) == 0) || len(oc.Where.Exprs) > 0 {
		return
	}
	live := clause.Column{Table: stmt.Table, Name: m.field.DBName}
	if oc.UpdateAll {
		oc.Where = clause.Where{Exprs: []clause.Expression{clause.Eq{Column: live, Value: nil}}}
	} else {
		set := make(clause.Set, len(oc.DoUpdates))
		for i, a := range oc.DoUpdates {
			set[i] = clause.Assignment{Column: a.Column, Value: clause.Expr{
				SQL:  "CASE WHEN ? IS NULL THEN ? ELSE ? END",
				Vars: []any{live, a.Value, clause.Column{Table: stmt.Table, Name: a.Column.Name}},
			}}
		}
		oc.DoUpdates = set
	}
	c.Expression = oc
	stmt.Clauses["ON CONFLICT"] = c
}

// upsertHitsTombstones reports whether a multi-row UpdateAll upsert (Save of
// a slice) has rows whose primary key belongs to a deleted row. Its DO
// UPDATE skips those rows, and RETURNING would then yield fewer rows than
// were passed: GORM would write keys back to the wrong structs. Such a save
// is refused instead.
func upsertHitsTombstones(db *gorm.DB, m *modelMeta) bool {
	stmt := db.Statement
	oc, ok := stmt.Clauses["ON CONFLICT"].Expression.(clause.OnConflict)
	rv := stmt.ReflectValue
	if !ok || !oc.UpdateAll || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Len() < 2 ||
		len(m.schema.PrimaryFields) == 0 {
		return false
	}
	_, values := schema.GetIdentityFieldValuesMap(stmt.Context, rv, m.schema.PrimaryFields)
	column, vals := schema.ToQueryValues(stmt.Table, m.schema.PrimaryFieldDBNames, values)
	if len(vals) == 0 {
		return false
	}
	var n int64
	err := db.Session(&gorm.Session{NewDB: true}).Unscoped().Table(stmt.Table).
		Where(clause.IN{Column: column, Values: vals}).Where(deletedCond(m.schema, false)).Count(&n).Error
	return err != nil || n > 0
}

// onConflictClause is the name of the upsert clause in GORM's clause builders.
const onConflictClause = "ON CONFLICT"

// guardDuplicateKeyUpdates protects tombstones from upserts on databases
// whose upsert is INSERT ... ON DUPLICATE KEY UPDATE (MySQL): it has no WHERE
// that could skip a deleted row, and GORM's Save falls back to it when its
// filtered UPDATE matched no live row. The dialector's ON CONFLICT clause
// builder is wrapped so that, when the statement is built (after GORM has
// expanded UpdateAll into assignments), each assignment of a soft-deletable
// model's upsert becomes
//
//	col = CASE WHEN `t`.`deleted_at` IS NULL THEN VALUES(col) ELSE `t`.`col` END
//
// A conflicting tombstone is left exactly as it is (neither rewritten nor
// resurrected); a conflicting live row is updated as asked.
func (p *Plugin) guardDuplicateKeyUpdates(db *gorm.DB) {
	if !dialect.Of(db).Features().Has(dialect.DuplicateKeyUpdate) || db.ClauseBuilders == nil {
		return
	}
	build := db.ClauseBuilders[onConflictClause]
	db.ClauseBuilders[onConflictClause] = func(c clause.Clause, b clause.Builder) {
		if stmt, ok := b.(*gorm.Statement); ok {
			c = p.guardAssignments(stmt, c)
		}
		if build != nil {
			build(c, b)
			return
		}
		c.Build(b)
	}
}

// guardAssignments rewrites the assignments of an ON DUPLICATE KEY UPDATE
// on a soft-deletable model (see guardDuplicateKeyUpdates).
func (p *Plugin) guardAssignments(stmt *gorm.Statement, c clause.Clause) clause.Clause {
	oc, ok := c.Expression.(clause.OnConflict)
	if !ok || stmt.Unscoped || stmt.Schema == nil || len(oc.DoUpdates) == 0 {
		return c
	}
	m := p.meta(stmt.Schema)
	if !m.softDeletable() || m.err != nil {
		return c
	}
	live := clause.Column{Table: stmt.Table, Name: m.field.DBName}
	set := make(clause.Set, len(oc.DoUpdates))
	for i, a := range oc.DoUpdates {
		value := a.Value
		if col, ok := value.(clause.Column); ok && col.Table == "excluded" {
			value = clause.Expr{SQL: "VALUES(?)", Vars: []any{clause.Column{Name: col.Name}}}
		}
		set[i] = clause.Assignment{Column: a.Column, Value: clause.Expr{
			SQL:  "CASE WHEN ? IS NULL THEN ? ELSE ? END",
			Vars: []any{live, value, clause.Column{Table: stmt.Table, Name: a.Column.Name}},
		}}
	}
	oc.DoUpdates = set
	c.Expression = oc
	return c
}
