package dialect

import "strings"

// DDL says how index DDL is rendered for a migration file or a build that
// must not block writes.
type DDL struct {
	// Concurrently builds or drops the index without blocking writes to its
	// table (PostgreSQL's CONCURRENTLY). Only dialects with the
	// ConcurrentIndexes feature honour it; others ignore it. Such a statement
	// cannot run inside a transaction, and a failed concurrent build leaves an
	// invalid index behind (Index.Invalid) that must be dropped before the
	// build is retried.
	Concurrently bool
	// IfExists makes a CREATE skip an index that already exists (IF NOT
	// EXISTS) and a DROP skip one that does not (IF EXISTS), so a migration
	// that stopped half way can be run again.
	IfExists bool
}

// CreateIndexDDL renders CREATE [UNIQUE] INDEX [IF NOT EXISTS] "name" ON
// "table" (...) [WHERE pred], or, for an index that backs a constraint,
// ALTER TABLE "table" ADD CONSTRAINT "name" UNIQUE (...). Concurrently is
// ignored: the ANSI base has no non-blocking build.
func (a ansi) CreateIndexDDL(ix Index, o DDL) string {
	return a.createIndex(ix, "", o.IfExists)
}

// DropIndexDDL renders DROP INDEX [IF EXISTS] "name", or ALTER TABLE "table"
// DROP CONSTRAINT [IF EXISTS] "name" for an index backing a constraint.
// Concurrently is ignored.
func (a ansi) DropIndexDDL(ix Index, o DDL) (string, error) {
	if ix.Constraint {
		return a.dropConstraint(ix, o), nil
	}
	return "DROP INDEX " + ifExists(o) + a.Quote(ix.Name), nil
}

// createIndex renders CREATE [UNIQUE] INDEX [<keyword>] [IF NOT EXISTS] ...;
// keyword is "" or "CONCURRENTLY".
func (a ansi) createIndex(ix Index, keyword string, ifNotExists bool) string {
	if ix.Constraint {
		return "ALTER TABLE " + a.QuoteTable(ix.Table) + " ADD CONSTRAINT " + a.Quote(ix.Name) +
			" UNIQUE (" + a.columnList(ix.Columns) + ")"
	}
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX ")
	if keyword != "" {
		b.WriteString(keyword + " ")
	}
	if ifNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(a.Quote(ix.Name) + " ON " + a.QuoteTable(ix.Table) + " (" + a.columnList(ix.Columns) + ")")
	if ix.Where != "" {
		b.WriteString(" WHERE " + ix.Where)
	}
	return b.String()
}

// dropConstraint renders ALTER TABLE "table" DROP CONSTRAINT [IF EXISTS] "name".
func (a ansi) dropConstraint(ix Index, o DDL) string {
	return "ALTER TABLE " + a.QuoteTable(ix.Table) + " DROP CONSTRAINT " + ifExists(o) + a.Quote(ix.Name)
}

// ifExists is "IF EXISTS " when o asks for it.
func ifExists(o DDL) string {
	if o.IfExists {
		return "IF EXISTS "
	}
	return ""
}

// CreateIndexDDL renders the index with CONCURRENTLY when asked.
func (p postgres) CreateIndexDDL(ix Index, o DDL) string {
	keyword := ""
	if o.Concurrently {
		keyword = "CONCURRENTLY"
	}
	return p.createIndex(ix, keyword, o.IfExists)
}

// DropIndexDDL drops the index (schema-qualified, CONCURRENTLY when asked),
// or the constraint it backs (ALTER TABLE takes a short exclusive lock; there
// is no concurrent form).
func (p postgres) DropIndexDDL(ix Index, o DDL) (string, error) {
	if ix.Constraint {
		return p.dropConstraint(ix, o), nil
	}
	name := p.Quote(ix.Name)
	if s := schemaOf(ix.Table); s != "" {
		name = p.QuoteTable(s) + "." + name
	}
	keyword := ""
	if o.Concurrently {
		keyword = "CONCURRENTLY "
	}
	return "DROP INDEX " + keyword + ifExists(o) + name, nil
}

// DropIndexDDL drops the index; one backing a UNIQUE or PRIMARY KEY
// constraint cannot be dropped in SQLite (the table must be rebuilt).
func (s sqlite) DropIndexDDL(ix Index, o DDL) (string, error) {
	if ix.Constraint {
		return s.DropIndex(ix)
	}
	return s.ansi.DropIndexDDL(ix, o)
}

// RenameIndex renders ALTER INDEX "from" RENAME TO "to" (the index of
// table; PostgreSQL qualifies it with the table's schema).
func (a ansi) RenameIndex(table, from, to string) string {
	name := a.Quote(from)
	if s := schemaOf(table); s != "" {
		name = a.QuoteTable(s) + "." + name
	}
	return "ALTER INDEX " + name + " RENAME TO " + a.Quote(to)
}
