package softdelete

import (
	"reflect"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// liveFilter is DeletedAt's query and update clause: it ANDs "deleted_at IS
// NULL" to reads, relation joins, association queries and updates, unless
// the statement is Unscoped or already filtered (GORM's marker, also set by
// the scopes).
type liveFilter struct {
	pred   clause.Expression // "t"."deleted_at" IS NULL, boxed once per schema
	update bool              // as an update clause: only while GORM builds the SQL
}

func newLiveFilter(f *schema.Field, update bool) liveFilter {
	return liveFilter{
		pred:   clause.Eq{Column: clause.Column{Table: clause.CurrentTable, Name: f.DBName}, Value: nil},
		update: update,
	}
}

func (liveFilter) Name() string               { return "" }
func (liveFilter) Build(clause.Builder)       {}
func (liveFilter) MergeClause(*clause.Clause) {}

// ModifyStatement implements gorm.StatementModifier. Like GORM's own clause
// it also honours the Unscoped of the statement's *gorm.DB: for a relation
// join the clause runs on a scratch statement building the ON condition, and
// db.Unscoped() on the query must reach it.
func (f liveFilter) ModifyStatement(stmt *gorm.Statement) {
	if stmt.Unscoped || stmt.DB.Statement.Unscoped || (f.update && sqlBuilt(stmt)) {
		return
	}
	if _, done := stmt.Clauses[gormMarker]; !done {
		addPredicate(stmt, f.pred)
	}
}

// addPredicate makes the statement's WHERE "<conditions> AND pred" and marks
// the statement as filtered. The conditions keep the meaning GORM gives them
// alone (see groupConds), so no raw SQL — an OR on a new line, under Not, in
// a lone Or, next to a quoted name, or a trailing -- comment — can escape the
// predicate: a filtered query returns exactly the live rows of the unfiltered
// one.
func addPredicate(stmt *gorm.Statement, pred clause.Expression) {
	c, ok := stmt.Clauses["WHERE"]
	where, _ := c.Expression.(clause.Where)
	if !ok || len(where.Exprs) == 0 {
		c.Name, c.Expression = "WHERE", clause.Where{Exprs: []clause.Expression{pred}}
	} else {
		conds := groupConds(where.Exprs)
		exprs := make([]clause.Expression, len(conds)+1)
		exprs[copy(exprs, conds)] = pred
		c.Expression = clause.Where{Exprs: exprs}
	}
	stmt.Clauses["WHERE"] = c
	stmt.Clauses[gormMarker] = clause.Clause{}
}

// groupForGorm groups the WHERE of a statement on a gorm.DeletedAt model
// before GORM's own clause (one of clauses) appends its predicate, with the
// same effect as addPredicate. Models with this package's column type, and
// statements GORM will not filter, are left alone.
func groupForGorm(stmt *gorm.Statement, clauses []clause.Interface) {
	if len(clauses) == 0 || stmt.Unscoped {
		return
	}
	if _, ours := clauses[0].(liveFilter); ours {
		return
	}
	if _, done := stmt.Clauses[gormMarker]; done {
		return
	}
	c, ok := stmt.Clauses["WHERE"]
	where, _ := c.Expression.(clause.Where)
	if !ok || len(where.Exprs) == 0 {
		return
	}
	if safeConds(gormConds(where.Exprs)) {
		return // GORM's own clause gets it right, and its SQL stays GORM's
	}
	c.Expression = clause.Where{Exprs: []clause.Expression{group(where.Exprs)}}
	stmt.Clauses["WHERE"] = c
}

// groupJoins groups the conditions of relation joins (Joins("Author",
// db.Where(...).Or(...))) whose model is filtered: GORM renders the ON as
// "<filter> AND <conditions>", where an OR among the conditions would bypass
// the filter. The statement's join list is copied, never changed in place.
func groupJoins(stmt *gorm.Statement) {
	if stmt.Schema == nil || stmt.Unscoped || len(stmt.Joins) == 0 {
		return
	}
	copied := false
	for i := range stmt.Joins {
		on := stmt.Joins[i].On
		if on == nil || len(on.Exprs) == 0 || !filteredRelation(stmt.Schema, stmt.Joins[i].Name) {
			continue
		}
		grouped := groupConds(on.Exprs)
		if &grouped[0] == &on.Exprs[0] {
			continue
		}
		if !copied {
			stmt.Joins = append(stmt.Joins[:0:0], stmt.Joins...)
			copied = true
		}
		stmt.Joins[i].On = &clause.Where{Exprs: grouped}
	}
}

// filteredRelation reports whether a relation join path ("Author",
// "Manager.Company") reaches a model with query clauses (a soft-delete filter).
func filteredRelation(s *schema.Schema, path string) bool {
	if rel, ok := s.Relationships.Relations[path]; ok {
		return len(rel.FieldSchema.QueryClauses) > 0
	}
	for _, name := range strings.Split(path, ".") {
		rel, ok := s.Relationships.Relations[name]
		if !ok {
			return false
		}
		if len(rel.FieldSchema.QueryClauses) > 0 {
			return true
		}
		s = rel.FieldSchema
	}
	return false
}

// groupConds returns conditions that can take " AND pred" after them and
// keep the meaning GORM gives them alone. When GORM's own soft-delete clause
// would get that right it gets exactly its result (gormConds), so the SQL
// text is GORM's; otherwise the conditions become one expression rendered in
// parentheses (group). Only GORM's own clause types are used, so GORM can
// still read the conditions back (FirstOrInit/FirstOrCreate take their
// search values from clause.Eq and clause.AndConditions).
func groupConds(exprs []clause.Expression) []clause.Expression {
	if conds := gormConds(exprs); safeConds(conds) {
		return conds
	}
	return []clause.Expression{group(exprs)}
}

// gormConds returns conditions as GORM's soft-delete clause
// (gorm.SoftDeleteQueryClause) leaves them before it appends its predicate:
// a lone Or anywhere makes them one clause.And group.
func gormConds(exprs []clause.Expression) []clause.Expression {
	for _, e := range exprs {
		if or, ok := e.(clause.OrConditions); ok && len(or.Exprs) == 1 {
			return []clause.Expression{clause.And(exprs...)}
		}
	}
	return exprs
}

// safeConds reports whether conditions, rendered by clause.Where with the
// predicate ANDed after (or before) them, mean what they mean alone: every
// one is an operand an AND cannot split (safeOperand), and a lone group is
// not one that clause.Where would have reordered when rendering it alone.
func safeConds(conds []clause.Expression) bool {
	if len(conds) == 1 {
		if and, ok := conds[0].(clause.AndConditions); ok && len(and.Exprs) > 1 && reorders(and.Exprs) {
			return false
		}
	}
	for _, e := range conds {
		if !safeOperand(e) {
			return false
		}
	}
	return true
}

// reorders reports whether group(exprs) renders differently from
// clause.AndConditions{exprs}: a leading lone Or (clause.Where.Build moves
// it, a nested group does not), or a trailing line comment.
func reorders(exprs []clause.Expression) bool {
	if or, ok := exprs[0].(clause.OrConditions); ok && len(or.Exprs) == 1 {
		return true
	}
	switch e := exprs[len(exprs)-1].(type) {
	case clause.Expr:
		return openComment(e.SQL)
	case clause.NamedExpr:
		return openComment(e.SQL)
	}
	return false
}

// safeOperand reports whether a condition, as one operand of a WHERE of
// several, renders as a unit an AND cannot split. clause.Where parenthesises
// raw SQL holding " AND " or " OR " itself (and a lone group's raw
// condition), so only an OR it misses — after a newline, a tab or a
// parenthesis, in an expression argument — or a comment is a problem.
func safeOperand(e clause.Expression) bool {
	switch v := e.(type) {
	case clause.Eq, clause.Neq, clause.IN, clause.Gt, clause.Gte, clause.Lt, clause.Lte, clause.Like:
		return true
	case clause.Expr:
		return safeRaw(v.SQL, v.Vars, true)
	case clause.NamedExpr:
		return safeRaw(v.SQL, v.Vars, true)
	case clause.AndConditions:
		if len(v.Exprs) == 1 {
			if x, ok := v.Exprs[0].(clause.Expr); ok {
				return safeRaw(x.SQL, x.Vars, true)
			}
			return safeBare(v.Exprs[0])
		}
		return commentFree(v.Exprs)
	case clause.OrConditions:
		return len(v.Exprs) > 1 && commentFree(v.Exprs) // a lone Or is joined with OR
	case clause.NotConditions:
		return safeNot(v)
	case clause.Where:
		return safeNested(v)
	}
	return false
}

// safeBare reports whether a condition rendered with no parentheses of
// GORM's around it (alone in a group) is a unit an AND cannot split.
func safeBare(e clause.Expression) bool {
	switch v := e.(type) {
	case clause.Expr:
		return safeRaw(v.SQL, v.Vars, false)
	case clause.NamedExpr:
		return safeRaw(v.SQL, v.Vars, false)
	case clause.AndConditions:
		if len(v.Exprs) == 1 {
			return safeBare(v.Exprs[0])
		}
		return commentFree(v.Exprs)
	case clause.OrConditions:
		if len(v.Exprs) == 1 {
			return safeBare(v.Exprs[0])
		}
		return commentFree(v.Exprs)
	}
	return safeOperand(e)
}

// safeNot reports whether a Not renders as a unit: several conditions, or
// negated structured comparisons, are; one raw condition is when Not.Build
// parenthesises it (clause.Expr holding " AND " or " OR ") or holds no OR.
func safeNot(not clause.NotConditions) bool {
	if len(not.Exprs) != 1 {
		return commentFree(not.Exprs)
	}
	switch v := not.Exprs[0].(type) {
	case clause.Eq, clause.Neq, clause.IN, clause.Gt, clause.Gte, clause.Lt, clause.Lte, clause.Like:
		return true
	case clause.Expr:
		return safeRaw(v.SQL, v.Vars, true)
	case clause.NamedExpr:
		return safeRaw(v.SQL, v.Vars, false)
	}
	return false
}

// safeNested reports whether a nested clause.Where (association mode builds
// them), rendered bare as clause.Where.Build renders it, is a unit.
func safeNested(w clause.Where) bool {
	inner := whereExprs(w)
	switch len(inner) {
	case 0:
		return true
	case 1:
		return safeBare(inner[0])
	}
	for _, e := range inner {
		if or, ok := e.(clause.OrConditions); (ok && len(or.Exprs) == 1) || !safeOperand(e) {
			return false
		}
	}
	return true
}

// commentFree reports whether no raw SQL in conditions (at any depth) holds
// a comment, which could swallow what follows it.
func commentFree(exprs []clause.Expression) bool {
	for _, e := range exprs {
		switch v := e.(type) {
		case clause.Expr:
			if hasComment(v.SQL) {
				return false
			}
		case clause.NamedExpr:
			if hasComment(v.SQL) {
				return false
			}
		case clause.AndConditions:
			if !commentFree(v.Exprs) {
				return false
			}
		case clause.OrConditions:
			if !commentFree(v.Exprs) {
				return false
			}
		case clause.NotConditions:
			if !commentFree(v.Exprs) {
				return false
			}
		case clause.Where:
			if !commentFree(v.Exprs) {
				return false
			}
		}
	}
	return true
}

// safeRaw reports whether raw SQL is a unit: no comment, and either
// parenthesised by GORM (gormWraps: it holds " AND " or " OR ") or without
// an OR and without expression arguments (written into the SQL as they are).
func safeRaw(sql string, vars []any, gormWraps bool) bool {
	switch {
	case hasComment(sql):
		return false
	case !hasOr(sql) && plainVars(vars):
		return true
	}
	return gormWraps && wrappedByGORM(sql)
}

// wrappedByGORM reports whether clause.Where (and Not) parenthesise raw SQL
// next to other conditions: when it holds " AND " or " OR ".
func wrappedByGORM(sql string) bool {
	upper := strings.ToUpper(sql)
	return strings.Contains(upper, clause.AndWithSpace) || strings.Contains(upper, clause.OrWithSpace)
}

// hasComment reports whether raw SQL holds a comment marker.
func hasComment(sql string) bool {
	return strings.Contains(sql, "--") || strings.Contains(sql, "/*")
}

// group renders several conditions as GORM's WHERE would, in parentheses:
// an AndConditions of them in the order clause.Where.Build gives them (a
// leading lone Or moves after the first other condition). A line comment
// ending the last condition is ended before the closing parenthesis.
func group(exprs []clause.Expression) clause.Expression {
	switch len(exprs) {
	case 0:
		return clause.AndConditions{}
	case 1:
		return parenthesize(exprs[0])
	}
	exprs = whereOrder(exprs)
	last := len(exprs) - 1
	switch e := exprs[last].(type) {
	case clause.Expr:
		if openComment(e.SQL) {
			e.SQL += "\n"
			exprs[last] = e
		}
	case clause.NamedExpr:
		if openComment(e.SQL) {
			e.SQL += "\n"
			exprs[last] = e
		}
	}
	return clause.AndConditions{Exprs: exprs}
}

// whereOrder returns a copy of exprs in the order clause.Where.Build renders
// them: the first condition that is not a lone Or comes first.
func whereOrder(exprs []clause.Expression) []clause.Expression {
	out := append([]clause.Expression(nil), exprs...)
	for i, e := range out {
		if or, ok := e.(clause.OrConditions); !ok || len(or.Exprs) > 1 {
			out[0], out[i] = out[i], out[0]
			break
		}
	}
	return out
}

// parenthesize wraps one condition in parentheses: raw SQL gets them in its
// text; any other expression becomes the argument of "(?)".
func parenthesize(e clause.Expression) clause.Expression {
	switch v := e.(type) {
	case clause.AndConditions:
		if len(v.Exprs) == 1 {
			return parenthesize(v.Exprs[0])
		}
		return group(v.Exprs)
	case clause.Where:
		return group(whereExprs(v))
	case clause.Expr:
		return clause.Expr{SQL: wrapSQL(v.SQL), Vars: v.Vars, WithoutParentheses: v.WithoutParentheses}
	case clause.NamedExpr:
		return clause.NamedExpr{SQL: wrapSQL(v.SQL), Vars: v.Vars}
	}
	if k := reflect.ValueOf(e).Kind(); k == reflect.Slice || k == reflect.Array {
		// right after "(" GORM expands a slice argument into a list
		return clause.Expr{SQL: "( ?)", Vars: []any{e}}
	}
	return clause.Expr{SQL: "(?)", Vars: []any{e}}
}

// whereExprs returns the conditions a nested clause.Where renders, as its
// Build does: the conditions of a lone group.
func whereExprs(w clause.Where) []clause.Expression {
	if len(w.Exprs) == 1 {
		if and, ok := w.Exprs[0].(clause.AndConditions); ok {
			return and.Exprs
		}
	}
	return w.Exprs
}

// wrapSQL parenthesises raw SQL. SQL holding " AND " or " OR " is left as it
// is: clause.Where parenthesises it itself next to another condition, and
// doubling the parentheses would only change GORM's text. A leading
// placeholder is kept away from the "(" (GORM renders "(?" and "(@name"
// differently), and a trailing line comment is ended before the ")".
func wrapSQL(sql string) string {
	end := ""
	if openComment(sql) {
		end = "\n"
	}
	if upper := strings.ToUpper(sql); strings.Contains(upper, clause.AndWithSpace) || strings.Contains(upper, clause.OrWithSpace) {
		return sql + end
	}
	open := "("
	if strings.HasPrefix(sql, "?") || strings.HasPrefix(sql, "@") {
		open = "( "
	}
	return open + sql + end + ")"
}

// openComment reports whether raw SQL may end inside a -- line comment.
func openComment(sql string) bool {
	i := strings.LastIndex(sql, "--")
	return i >= 0 && !strings.Contains(sql[i:], "\n")
}

// plainVars reports whether raw SQL's arguments are values: an expression
// argument (gorm.Expr("a OR b") for a "?") is written into the SQL as it is.
func plainVars(vars []any) bool {
	for _, v := range vars {
		if _, expr := v.(clause.Expression); expr {
			return false
		}
	}
	return true
}

// hasOr reports whether raw SQL may hold an OR operator: "or" (any case)
// not glued to a letter, underscore or $ on either side. A false alarm
// ("x1or", 'a or b' in a string) only adds parentheses.
func hasOr(sql string) bool {
	for i := 0; i+1 < len(sql); i++ {
		if (sql[i]|0x20) == 'o' && (sql[i+1]|0x20) == 'r' &&
			(i == 0 || !wordChar(sql[i-1])) && (i+2 == len(sql) || !wordChar(sql[i+2])) {
			return true
		}
	}
	return false
}

// wordChar reports whether b glues to a keyword: a letter, _ or $.
func wordChar(b byte) bool {
	return b == '_' || b == '$' || ('a' <= b|0x20 && b|0x20 <= 'z') || b >= 0x80
}

// scopeRead applies WithDeleted/OnlyDeleted to reads of a model, groups the
// conditions of filtered relation joins, and applies the live filter (or a
// scope) to Table("x") reads of a registered soft-deletable table. The
// default filter of a model itself comes from its column type's
// QueryClauses, so the common path here is one map lookup.
func (p *Plugin) scopeRead(db *gorm.DB) {
	stmt := db.Statement
	if db.Error != nil {
		return
	}
	sc, marked := scopeOf(stmt)
	if stmt.Schema == nil {
		p.scopeTable(stmt, sc, marked)
		return
	}
	m := p.meta(stmt.Schema)
	if m.err != nil {
		_ = db.AddError(m.err) // a bad softdelete tag fails every statement on the model
		return
	}
	groupJoins(stmt)
	if !marked {
		groupForGorm(stmt, stmt.Schema.QueryClauses)
		return
	}
	switch {
	case sc == scopeOnly:
		p.onlyDeleted(db, m)
	case sc == scopeWith && m.softDeletable():
		stmt.Clauses[gormMarker] = clause.Clause{}
	}
}

// scopeUpdate applies WithDeleted/OnlyDeleted to Update(s)/UpdateColumn(s).
func (p *Plugin) scopeUpdate(db *gorm.DB) {
	stmt := db.Statement
	if db.Error != nil || stmt.Schema == nil {
		return
	}
	sc, marked := scopeOf(stmt)
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
		_ = db.AddError(m.notSoftDeletable("OnlyDeleted"))
		return
	}
	if _, done := db.Statement.Clauses[gormMarker]; !done {
		addPredicate(db.Statement, clause.Neq{Column: m.column(), Value: nil})
	}
}

// scopeTable filters a Table("x") read with no model when x was registered
// as soft-deletable by AutoMigrate.
func (p *Plugin) scopeTable(stmt *gorm.Statement, sc scope, marked bool) {
	if stmt.Unscoped || (marked && sc == scopeWith) || stmt.Table == "" {
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
	if marked && sc == scopeOnly {
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
