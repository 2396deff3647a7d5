package softdelete

import (
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
	if stmt.Unscoped || stmt.DB.Statement.Unscoped || (f.update && stmt.SQL.Len() > 0) {
		return
	}
	if _, done := stmt.Clauses[gormMarker]; !done {
		addPredicate(stmt, f.pred)
	}
}

// addPredicate makes the statement's WHERE "(<conditions as written>) AND
// pred" and marks the statement as filtered. The conditions are rendered
// exactly as GORM renders them without the filter (same order, same OR
// precedence), then parenthesised as a whole, so no raw SQL — an OR on a new
// line, under Not, in a lone Or, next to a quoted name, or a trailing --
// comment — can escape the predicate: a filtered query returns exactly the
// live rows of the unfiltered one.
func addPredicate(stmt *gorm.Statement, pred clause.Expression) {
	c, ok := stmt.Clauses["WHERE"]
	where, _ := c.Expression.(clause.Where)
	switch {
	case !ok || len(where.Exprs) == 0:
		c.Name, c.Expression = "WHERE", clause.Where{Exprs: []clause.Expression{pred}}
	case plain(where.Exprs):
		exprs := make([]clause.Expression, len(where.Exprs)+1)
		exprs[copy(exprs, where.Exprs)] = pred
		c.Expression = clause.Where{Exprs: exprs}
	default:
		c.Expression = clause.Where{Exprs: []clause.Expression{group(where.Exprs), pred}}
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
	if where, _ := c.Expression.(clause.Where); ok && len(where.Exprs) > 0 && !plain(where.Exprs) {
		c.Expression = clause.Where{Exprs: []clause.Expression{group(where.Exprs)}}
		stmt.Clauses["WHERE"] = c
	}
}

// plain reports whether conditions can take "AND pred" after them without
// parentheses: each is a structured comparison (col = ?, col IN ...) or raw
// SQL without the word OR or a comment. Those render joined by AND, which
// binds tighter than anything but parentheses, so the SQL stays exactly what
// GORM writes. Anything else (Or/Not/groups, raw SQL that might hold an OR)
// is parenthesised as a whole.
func plain(exprs []clause.Expression) bool {
	for _, e := range exprs {
		switch v := e.(type) {
		case clause.Eq, clause.Neq, clause.IN, clause.Gt, clause.Gte, clause.Lt, clause.Lte, clause.Like:
		case clause.Expr:
			if !plainSQL(v.SQL) || !plainVars(v.Vars) {
				return false
			}
		case clause.NamedExpr:
			if !plainSQL(v.SQL) || !plainVars(v.Vars) {
				return false
			}
		default:
			return false
		}
	}
	return true
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

// plainSQL reports whether raw SQL has no comment and no OR that could be an
// operator: "or" (any case) not glued to a letter, underscore or $ on either
// side. A false alarm ("x1or", 'a or b' in a string) only adds parentheses.
func plainSQL(sql string) bool {
	if strings.Contains(sql, "--") || strings.Contains(sql, "/*") {
		return false
	}
	for i := 0; i+1 < len(sql); i++ {
		if (sql[i]|0x20) == 'o' && (sql[i+1]|0x20) == 'r' &&
			(i == 0 || !wordChar(sql[i-1])) && (i+2 == len(sql) || !wordChar(sql[i+2])) {
			return false
		}
	}
	return true
}

// wordChar reports whether b glues to a keyword: a letter, _ or $.
func wordChar(b byte) bool {
	return b == '_' || b == '$' || ('a' <= b|0x20 && b|0x20 <= 'z') || b >= 0x80
}

// group renders conditions the way GORM renders a WHERE, in parentheses.
type group []clause.Expression

// Build implements clause.Expression.
func (g group) Build(b clause.Builder) {
	exprs := []clause.Expression(g)
	if or, ok := exprs[0].(clause.OrConditions); ok && len(or.Exprs) == 1 {
		// clause.Where.Build reorders a leading lone Or in place: keep the
		// chain's slice intact
		exprs = append([]clause.Expression(nil), exprs...)
	}
	b.WriteByte('(')
	start := builtLen(b)
	clause.Where{Exprs: exprs}.Build(b)
	if start >= 0 && strings.Contains(builtSince(b, start), "--") {
		b.WriteByte('\n') // end a trailing line comment before the parenthesis
	}
	b.WriteByte(')')
}

// builtLen returns how much SQL the builder holds, or -1 when it cannot say.
func builtLen(b clause.Builder) int {
	if stmt, ok := b.(*gorm.Statement); ok {
		return stmt.SQL.Len()
	}
	return -1
}

// builtSince returns the SQL the builder wrote since start.
func builtSince(b clause.Builder, start int) string {
	return b.(*gorm.Statement).SQL.String()[start:]
}
