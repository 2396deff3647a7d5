package softdelete

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// cascadeOp is what a cascade does to the children it reaches.
type cascadeOp uint8

const (
	opDelete  cascadeOp = iota // soft delete live children
	opRestore                  // restore children deleted by the same delete
	opHard                     // hard delete every child
)

// rowSet is a set of rows of one model: the table and the conditions that
// select them. Conditions may refer to clause.CurrentTable: they are only
// ever rendered in a statement on table.
type rowSet struct {
	m     *modelMeta
	table string
	conds []clause.Expression
}

// keys returns a subquery selecting cols of the set's rows.
func (s rowSet) keys(db *gorm.DB, cols ...string) *gorm.DB {
	quoted := quoteColumns(db, s.table, cols)
	// The model lets conditions such as clause.PrimaryKey resolve; Unscoped
	// keeps GORM from adding its own soft-delete predicate.
	return db.Session(&gorm.Session{NewDB: true}).Unscoped().Model(reflect.New(s.m.schema.ModelType).Interface()).
		Table(s.table).Select(quoted).Clauses(clause.Where{Exprs: s.conds})
}

// rootSet is the set of rows the statement itself changes (its WHERE). When
// the model cascades to itself, the set is widened to the whole subtree and the
// statement's WHERE is rewritten to match.
func (p *Plugin) rootSet(db *gorm.DB, m *modelMeta, op cascadeOp) rowSet {
	stmt := db.Statement
	where, _ := stmt.Clauses["WHERE"].Expression.(clause.Where)
	set := rowSet{m: m, table: stmt.Table, conds: where.Exprs}
	if rel := m.selfCascade(); rel != nil {
		set = set.subtree(db, rel, op).detached(db, rel, op)
		stmt.Clauses["WHERE"] = clause.Clause{Name: "WHERE", Expression: clause.Where{Exprs: set.conds}}
		delete(stmt.Clauses, gormMarker) // the predicate is inside the subtree now
	}
	return set
}

// detached prepares a self-referencing subtree for a hard delete where
// foreign keys are checked row by row (MySQL): one DELETE of rows that
// reference each other fails (error 1451) unless every child goes before its
// parent, and never works for a cycle in the data. The subtree's keys are
// read once and locked (so no concurrent Restore changes a row between the
// read and the DELETE), the references among them cleared (UPDATE ... SET
// fk = NULL), and the set becomes those keys. Errors are added to db; the
// set then matches nothing.
func (s rowSet) detached(db *gorm.DB, rel *schema.Relationship, op cascadeOp) rowSet {
	d := dialect.Of(db)
	if op != opHard || db.Error != nil || db.DryRun || !d.Features().Has(dialect.RowByRowForeignKeys) {
		return s
	}
	pk, fk := rel.References[0].PrimaryKey.DBName, rel.References[0].ForeignKey.DBName
	var keys []any
	q := s.keys(db, pk)
	if strength := d.RowLocks(); strength != "" {
		q = q.Clauses(clause.Locking{Strength: strength})
	}
	err := q.Pluck(pk, &keys).Error
	in := clause.IN{Column: clause.Column{Table: s.table, Name: pk}, Values: keys}
	if err == nil && len(keys) > 0 {
		err = db.Session(&gorm.Session{NewDB: true}).Exec("UPDATE ? SET ? = NULL WHERE ?",
			clause.Table{Name: s.table}, clause.Column{Name: fk}, in).Error
	}
	if err != nil {
		_ = db.AddError(fmt.Errorf("softdelete: detach the subtree of %s before deleting it: %w", s.table, err))
		in.Values = nil
	}
	return rowSet{m: s.m, table: s.table, conds: []clause.Expression{in}}
}

// cascade applies op to every cascade child of parent's rows, deepest level
// first, one statement per relation level. path holds the schemas above, so
// cycles longer than a self-reference stop instead of recursing forever.
func (p *Plugin) cascade(db *gorm.DB, parent rowSet, op cascadeOp, ts time.Time, actor any, path []*schema.Schema) error {
	for _, rel := range parent.m.cascades {
		if rel.FieldSchema == parent.m.schema || onPath(path, rel.FieldSchema) {
			continue
		}
		cm := p.meta(rel.FieldSchema)
		child := rowSet{m: cm, table: cm.schema.Table, conds: childConds(db, rel, parent, op)}
		if self := cm.selfCascade(); self != nil {
			if child = child.subtree(db, self, op).detached(db, self, op); db.Error != nil {
				return db.Error
			}
		}
		if err := p.cascade(db, child, op, ts, actor, append(path, cm.schema)); err != nil {
			return err
		}
		if err := p.execLevel(db, child, op, ts, actor); err != nil {
			return err
		}
	}
	return nil
}

// childConds selects the children of parent's rows through rel that op acts on.
func childConds(db *gorm.DB, rel *schema.Relationship, parent rowSet, op cascadeOp) []clause.Expression {
	cm := rel.FieldSchema
	var fks, pks []string
	var conds []clause.Expression
	for _, ref := range rel.References {
		switch {
		case ref.OwnPrimaryKey:
			fks, pks = append(fks, ref.ForeignKey.DBName), append(pks, ref.PrimaryKey.DBName)
		case ref.PrimaryValue != "":
			conds = append(conds, clause.Eq{Column: clause.Column{Table: cm.Table, Name: ref.ForeignKey.DBName}, Value: ref.PrimaryValue})
		}
	}
	childCol := clause.Column{Table: cm.Table, Name: deletedColumn(cm)}
	switch op {
	case opDelete:
		conds = append(conds, clause.Eq{Column: childCol, Value: nil})
	case opRestore:
		// zombie-free: only children deleted at the same instant as their parent
		fks, pks = append(fks, childCol.Name), append(pks, deletedColumn(parent.m.schema))
		conds = append(conds, clause.Neq{Column: childCol, Value: nil})
	}
	return append(conds, inSubquery(db, cm.Table, fks, parent.keys(db, pks...)))
}

// inSubquery renders ("t"."a","t"."b") IN (subquery).
func inSubquery(db *gorm.DB, table string, cols []string, sub *gorm.DB) clause.Expression {
	return clause.Expr{SQL: columnList(db, table, cols) + " IN (?)", Vars: []any{sub}}
}

// columnList renders "t"."a", or ("t"."a","t"."b") for several columns.
func columnList(db *gorm.DB, table string, cols []string) string {
	quoted := quoteColumns(db, table, cols)
	if len(quoted) == 1 {
		return quoted[0]
	}
	return "(" + strings.Join(quoted, ",") + ")"
}

// quoteColumns quotes each of cols as a column of table: "t"."c".
func quoteColumns(db *gorm.DB, table string, cols []string) []string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = db.Statement.Quote(clause.Column{Table: table, Name: c})
	}
	return quoted
}

// subtree widens s to its rows and all their descendants through the
// self-referencing relation rel (a recursive CTE; UNION stops on cycles).
func (s rowSet) subtree(db *gorm.DB, rel *schema.Relationship, op cascadeOp) rowSet {
	pk, fk := rel.References[0].PrimaryKey.DBName, rel.References[0].ForeignKey.DBName
	q := func(c string) string { return db.Statement.Quote(c) }
	del := q(deletedColumn(s.m.schema))
	seed, step := s.keys(db, pk, deletedColumn(s.m.schema)), ""
	switch op {
	case opDelete:
		step = " AND c." + del + " IS NULL"
	case opRestore:
		step = " AND c." + del + " = t.ts"
	}
	sql := "WITH RECURSIVE sd_tree(k, ts) AS (? UNION SELECT c." + q(pk) + ", c." + del +
		" FROM " + q(s.table) + " c JOIN sd_tree t ON c." + q(fk) + " = t.k" + step + ") SELECT k FROM sd_tree"
	sub := db.Session(&gorm.Session{NewDB: true}).Raw(sql, seed)
	return rowSet{m: s.m, table: s.table, conds: []clause.Expression{
		clause.Expr{SQL: q(s.table) + "." + q(pk) + " IN (?)", Vars: []any{sub}},
	}}
}

// execLevel runs op's statement on one relation level (and reports the
// rows it changed, see WithChanges).
func (p *Plugin) execLevel(db *gorm.DB, s rowSet, op cascadeOp, ts time.Time, actor any) error {
	table, where := clause.Table{Name: s.table}, clause.Where{Exprs: s.conds}
	sql, vars := "DELETE FROM ? ?", []any{table, where}
	switch op {
	case opDelete:
		sql, vars = "UPDATE ? ? ?", []any{table, s.m.deleteSet(ts, actor), where}
	case opRestore:
		sql, vars = "UPDATE ? ? ?", []any{table, s.m.restoreSet(), where}
	}
	if p.changes != nil && len(s.m.schema.PrimaryFieldDBNames) > 0 {
		at := ts
		if op != opDelete {
			at = time.Time{}
		}
		_, err := p.execChanged(db, p.newChange(db, op.change(), s, at, actor, true), s, sql, vars...)
		return err
	}
	return db.Session(&gorm.Session{NewDB: true}).Exec(sql, vars...).Error
}

// change is the Op a cascade operation reports.
func (op cascadeOp) change() Op {
	switch op {
	case opDelete:
		return OpDelete
	case opRestore:
		return OpRestore
	}
	return OpHardDelete
}

// selfCascade returns the model's cascade relation to itself, if any.
func (m *modelMeta) selfCascade() *schema.Relationship {
	for _, rel := range m.cascades {
		if rel.FieldSchema == m.schema {
			return rel
		}
	}
	return nil
}

// deletedColumn returns the soft-delete column of a model known to have one
// (checked when its cascade tag was parsed).
func deletedColumn(s *schema.Schema) string {
	for _, f := range s.Fields {
		if f.DBName != "" && isSoftDeleteType(f.IndirectFieldType) {
			return f.DBName
		}
	}
	return ""
}

// onPath reports whether s is on path (the schemas above a cascade level).
func onPath(path []*schema.Schema, s *schema.Schema) bool { return slices.Contains(path, s) }

// checkParents fails a restore whose rows have a soft-deleted belongs-to
// parent, naming the first such parent.
func (p *Plugin) checkParents(db *gorm.DB, m *modelMeta) error {
	if len(m.parents) == 0 {
		return nil
	}
	if err := atomic(db); err != nil {
		return err
	}
	where, _ := db.Statement.Clauses["WHERE"].Expression.(clause.Where)
	set := rowSet{m: m, table: db.Statement.Table, conds: where.Exprs}
	for _, rel := range m.parents {
		pm := p.meta(rel.FieldSchema)
		var fks, pks []string
		for _, ref := range rel.References {
			fks, pks = append(fks, ref.ForeignKey.DBName), append(pks, ref.PrimaryKey.DBName)
		}
		var found []map[string]any
		err := db.Session(&gorm.Session{NewDB: true}).Unscoped().Table(pm.schema.Table).Select(pks).
			Where(clause.Neq{Column: clause.Column{Table: pm.schema.Table, Name: pm.field.DBName}, Value: nil}).
			Where(inSubquery(db, pm.schema.Table, pks, set.keys(db, fks...))).Limit(1).Find(&found).Error
		if err != nil {
			return db.AddError(err)
		}
		if len(found) > 0 {
			return db.AddError(fmt.Errorf("%w: restore %s: %s %v is deleted (restore it first)",
				ErrParentDeleted, m.schema.Name, pm.schema.Name, found[0]))
		}
	}
	return nil
}

// lockRows locks a set of rows before a cascade touches their children
// (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers and needs
// no lock). A cascade locks two sets:
//   - every row the caller's conditions select, deleted or not: under READ
//     COMMITTED each statement of the cascade reads a fresh snapshot, so a
//     Restore committed between a Delete's children UPDATE and its root
//     UPDATE would leave live children under a deleted parent (and the other
//     way round). With the lock the second of two such operations waits for
//     the first to commit: the outcome is one of the two serial ones;
//   - for a cascading delete, the rows it deletes (a self-referencing model's
//     whole subtree). A transaction inserting a child under one of them holds
//     a key-share lock on it through the foreign-key check: the delete waits
//     for it, and its children UPDATE then sees the new child. Conversely an
//     application that inserts children only after reading their parent FOR
//     SHARE and live waits for the delete and then finds the parent deleted.
func lockRows(db *gorm.DB, set rowSet) error {
	strength := dialect.Of(db).RowLocks()
	if strength == "" || db.DryRun {
		return nil
	}
	var locked []map[string]any
	err := set.keys(db, set.m.schema.PrimaryFieldDBNames...).
		Clauses(clause.Locking{Strength: strength}).Find(&locked).Error
	return db.AddError(err)
}

// cascadeDelete soft-deletes the cascade children of the statement's rows and
// returns the timestamp it stamped them with: ts, or (when own) past the
// newest tombstone below, so children deleted earlier never share it (see
// cascadeTimestamp). A timestamp shared with GORM's association step is
// already past it and used as it is. callers are the caller's conditions
// (the WHERE before the soft-delete predicate), see lockRows.
func (p *Plugin) cascadeDelete(db *gorm.DB, m *modelMeta, callers []clause.Expression, ts time.Time, own bool, actor any) (time.Time, error) {
	if len(m.cascades) == 0 {
		return ts, nil
	}
	if err := atomic(db); err != nil {
		return ts, err
	}
	if lockRows(db, rowSet{m: m, table: db.Statement.Table, conds: callers}) != nil {
		return ts, db.Error
	}
	root := p.rootSet(db, m, opDelete)
	if m.selfCascade() != nil && lockRows(db, root) != nil {
		return ts, db.Error
	}
	if own {
		var err error
		if ts, err = p.cascadeTimestamp(db, m, ts); err != nil {
			return ts, db.AddError(err)
		}
	}
	if err := p.cascade(db, root, opDelete, ts, actor, []*schema.Schema{m.schema}); err != nil {
		return ts, db.AddError(err)
	}
	return ts, nil
}

// cascadeRestore restores the children deleted together with the statement's
// rows, after locking the rows the caller's conditions select (see lockRows).
func (p *Plugin) cascadeRestore(db *gorm.DB, m *modelMeta, callers []clause.Expression) error {
	if len(m.cascades) == 0 {
		return nil
	}
	if err := atomic(db); err != nil {
		return err
	}
	if lockRows(db, rowSet{m: m, table: db.Statement.Table, conds: callers}) != nil {
		return db.Error
	}
	return p.runCascade(db, m, opRestore, time.Time{}, nil)
}

// cascadeHardDelete removes the cascade children of the statement's rows.
func (p *Plugin) cascadeHardDelete(db *gorm.DB, m *modelMeta) error {
	return p.runCascade(db, m, opHard, time.Time{}, nil)
}

// runCascade makes sure a multi-statement operation runs in a transaction and
// walks the cascade tree. Errors are added to db.
func (p *Plugin) runCascade(db *gorm.DB, m *modelMeta, op cascadeOp, ts time.Time, actor any) error {
	if len(m.cascades) == 0 {
		return nil
	}
	if err := atomic(db); err != nil {
		return err
	}
	root := p.rootSet(db, m, op)
	if err := p.cascade(db, root, op, ts, actor, []*schema.Schema{m.schema}); err != nil {
		return db.AddError(err)
	}
	return nil
}
