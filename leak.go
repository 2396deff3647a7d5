package softdelete

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
	"github.com/gorm-softdelete/softdelete/internal/sqlscan"
)

// LeakConfig configures the leak detector; see WithLeakDetector.
type LeakConfig struct {
	// Strict fails a leaking statement with a *LeakError
	// (errors.Is(err, ErrSoftDeleteLeak)) before it runs. Otherwise the
	// statement runs and the leak is reported.
	Strict bool
	// Report, when set, receives every leak found (in strict mode too),
	// with the statement's context. When nil, leaks are logged as warnings
	// through the statement's logger (not in strict mode: the error names
	// the leak).
	Report func(ctx context.Context, leak Leak)
}

// Leak is a statement that reads (or updates or deletes) rows of a
// soft-deletable table without a soft-delete predicate for it: tombstones
// can reach the caller.
type Leak struct {
	// Table is the soft-deletable table, as registered.
	Table string
	// Ref is how the statement refers to it: its alias, or its name as
	// written.
	Ref string
	// Column is the table's soft-delete column, the predicate's subject.
	Column string
	// Write is true when the statement updates or deletes the table's rows
	// (UPDATE or DELETE ... WHERE without the predicate touches tombstones).
	Write bool
	// Join is true when SQL is a join string (Joins("JOIN ...")) of a
	// statement GORM builds, false for the SQL of Raw or Exec.
	Join bool
	// SQL is the statement as GORM renders it (placeholders, not values),
	// or the join string.
	SQL string
	// Caller is the file:line of the code that ran the statement, found as
	// GORM's logger finds it.
	Caller string
}

// String describes the leak: where, what, and the SQL.
func (l Leak) String() string {
	what, verb := "statement", "reads"
	if l.Join {
		what = "join"
	}
	if l.Write {
		verb = "writes"
	}
	ref := ""
	if !strings.EqualFold(l.Ref, l.Table) {
		ref = " (as " + l.Ref + ")"
	}
	return fmt.Sprintf("%s: %s %s soft-deletable table %s%s without a %s predicate: %s",
		l.Caller, what, verb, l.Table, ref, l.Column, l.SQL)
}

// WithLeakDetector makes the plugin inspect every Raw and Exec statement
// and every join string of the statements GORM builds, for development and
// CI: a statement that reads a soft-deletable table (a model the plugin has
// parsed, or a table softdelete.AutoMigrate registered) without
// "deleted_at IS NULL" (or IS NOT NULL, a deliberate trash read) on that
// table is reported with the table and the caller's file:line — logged, or
// failed before it runs with Strict. GORM's own statements, the plugin's,
// statements under db.Unscoped() or a WithDeleted/OnlyDeleted scope, and
// INSERT ... VALUES are never reported; a raw UPDATE or DELETE with a WHERE
// that does not exclude tombstones is (Leak.Write). Without this option no
// callback is registered: it costs nothing. docs/leak-detector.md has the
// rules.
func WithLeakDetector(cfg LeakConfig) Option {
	return func(p *Plugin) { p.leaks = &leakDetector{cfg: cfg} }
}

// leakDetector is the state of WithLeakDetector.
type leakDetector struct {
	cfg  LeakConfig
	root *gorm.Config // the config Initialize saw: its logger, see logger
}

// registerLeakDetector registers the detector's callbacks, only when the
// option is set.
func (p *Plugin) registerLeakDetector(db *gorm.DB) error {
	if p.leaks == nil {
		return nil
	}
	p.leaks.root = db.Config
	cb := db.Callback()
	return errors.Join(
		checkAnchors("raw", cb.Raw(), cbRaw),
		cb.Query().Before(cbQuery).Register("softdelete:leaks", p.detectLeaks),
		cb.Row().Before(cbRow).Register("softdelete:leaks", p.detectLeaks),
		cb.Raw().Before(cbRaw).Register("softdelete:leaks", p.detectLeaks),
	)
}

// detectLeaks inspects the statement about to run and reports its leaks.
func (p *Plugin) detectLeaks(db *gorm.DB) {
	stmt := db.Statement
	if db.Error != nil || stmt.Unscoped || (stmt.SQL.Len() == 0 && len(stmt.Joins) == 0) {
		return
	}
	if _, scoped := scopeOf(stmt); scoped {
		return
	}
	leaks := p.findLeaks(stmt)
	if len(leaks) == 0 {
		return
	}
	caller, internal := statementCaller()
	if internal {
		return
	}
	for i := range leaks {
		leaks[i].Caller = caller
	}
	p.leaks.report(db, leaks)
}

// findLeaks analyses the SQL of a Raw/Exec statement, or the join strings
// of a statement GORM builds.
func (p *Plugin) findLeaks(stmt *gorm.Statement) []Leak {
	syn := sqlscan.Syntax{MySQL: dialect.Of(stmt.DB).Features().Has(dialect.MySQLSyntax)}
	tables := p.softTables()
	if stmt.SQL.Len() > 0 {
		sql := stmt.SQL.String()
		return leaksOf(sqlscan.Unguarded(sqlscan.Lex(sql, syn), tables), sql, false)
	}
	var leaks []Leak
	var conds [][]sqlscan.Token
	condsRead := false
	for _, j := range stmt.Joins {
		if !rawJoin(stmt, j.Name) {
			continue
		}
		if !condsRead {
			conds, condsRead = whereTokens(stmt, syn), true
		}
		found := sqlscan.Join(stmt.Table, sqlscan.Lex(j.Name, syn), conds, tables)
		leaks = append(leaks, leaksOf(found, j.Name, true)...)
	}
	return leaks
}

// leaksOf turns findings into leaks.
func leaksOf(found []sqlscan.Finding, sql string, join bool) []Leak {
	leaks := make([]Leak, len(found))
	for i, f := range found {
		leaks[i] = Leak{Table: f.Table, Ref: f.Name, Column: f.Column, Write: f.Write, Join: join, SQL: sql}
	}
	return leaks
}

// softTables returns the lookup of the soft-deletable tables the plugin
// knows — registered by AutoMigrate or parsed models — by name, qualified
// or not (public.api_keys finds api_keys, accounts finds app.accounts),
// case-insensitively. The index is built on the first lookup.
func (p *Plugin) softTables() sqlscan.Tables {
	var byName map[string][2]string
	return func(parts []string) (string, string, bool) {
		if byName == nil {
			byName = p.softTableIndex()
		}
		e, ok := byName[strings.ToLower(strings.Join(parts, "."))]
		if !ok && len(parts) > 1 {
			e, ok = byName[strings.ToLower(parts[len(parts)-1])]
		}
		return e[0], e[1], ok
	}
}

// softTableIndex maps lower-cased table names (and the unqualified names
// of schema-qualified ones) to the table and its soft-delete column.
func (p *Plugin) softTableIndex() map[string][2]string {
	byName := map[string][2]string{}
	add := func(table, column string) {
		byName[strings.ToLower(table)] = [2]string{table, column}
		if i := strings.LastIndexByte(table, '.'); i >= 0 {
			if short := strings.ToLower(table[i+1:]); byName[short][0] == "" {
				byName[short] = [2]string{table, column}
			}
		}
	}
	p.tables.Range(func(k, v any) bool {
		add(k.(string), v.(string))
		return true
	})
	p.metas.Range(func(_, v any) bool {
		if m, _ := v.(*modelMeta); m.softDeletable() {
			add(m.schema.Table, m.field.DBName)
		}
		return true
	})
	return byName
}

// whereTokens returns the conditions GORM ANDs into the statement's WHERE,
// where a raw join's predicate may stand instead of its ON; none when a
// lone Or makes the WHERE a disjunction.
func whereTokens(stmt *gorm.Statement, syn sqlscan.Syntax) [][]sqlscan.Token {
	where, _ := stmt.Clauses["WHERE"].Expression.(clause.Where)
	for _, e := range where.Exprs {
		if or, ok := e.(clause.OrConditions); ok && len(or.Exprs) == 1 {
			return nil
		}
	}
	return condTokens(stmt, where.Exprs, syn, nil)
}

// condTokens appends the tokens of the ANDed conditions exprs: raw SQL, and
// column IS [NOT] NULL conditions (Where(map[string]any{"p.deleted_at": nil})).
func condTokens(stmt *gorm.Statement, exprs []clause.Expression, syn sqlscan.Syntax, out [][]sqlscan.Token) [][]sqlscan.Token {
	for _, e := range exprs {
		switch v := e.(type) {
		case clause.Expr:
			out = append(out, sqlscan.Lex(v.SQL, syn))
		case clause.NamedExpr:
			out = append(out, sqlscan.Lex(v.SQL, syn))
		case clause.AndConditions:
			out = condTokens(stmt, v.Exprs, syn, out)
		case clause.Eq:
			if v.Value == nil {
				out = append(out, nullTokens(stmt, v.Column, false))
			}
		case clause.Neq:
			if v.Value == nil {
				out = append(out, nullTokens(stmt, v.Column, true))
			}
		}
	}
	return out
}

// nullTokens renders column IS [NOT] NULL for a clause column: a string
// or a clause.Column, whose name may be qualified ("p.deleted_at").
func nullTokens(stmt *gorm.Statement, column any, not bool) []sqlscan.Token {
	var qual, name string
	switch c := column.(type) {
	case string:
		name = c
	case clause.Column:
		qual, name = c.Table, c.Name
		if qual == clause.CurrentTable {
			qual = stmt.Table
		}
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 && qual == "" {
		qual, name = name[:i], name[i+1:] // Where(map[string]any{"p.deleted_at": nil})
	}
	return sqlscan.IsNull(qual, name, not)
}

// report reports the leaks of one statement: to Report, as the statement's
// error (strict), or as warnings.
func (d *leakDetector) report(db *gorm.DB, leaks []Leak) {
	ctx := db.Statement.Context
	if d.cfg.Report != nil {
		for _, l := range leaks {
			d.cfg.Report(ctx, l)
		}
	}
	switch {
	case d.cfg.Strict:
		_ = db.AddError(&LeakError{Leak: leaks[0], Leaks: leaks})
	case d.cfg.Report == nil:
		log := d.logger(db)
		for _, l := range leaks {
			log.Warn(ctx, "softdelete: leak: %s", l)
		}
	}
}

// logger returns the statement's logger; inside Scan, which swaps in a
// recorder that would send warnings to logger.Default, the db's own.
func (d *leakDetector) logger(db *gorm.DB) logger.Interface {
	if db.Logger == nil || scanRecorder(db.Logger) {
		return d.root.Logger
	}
	return db.Logger
}
