package dialect

import (
	"errors"
	"strings"

	"gorm.io/gorm"
)

// ansi is the SQL shared by databases that quote identifiers with double
// quotes and spell CREATE INDEX the standard way; dialects embed it.
type ansi struct{}

// Quote quotes one identifier with double quotes, doubling embedded ones.
func (ansi) Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// QuoteTable quotes each dot-separated part of a table name.
func (a ansi) QuoteTable(table string) string { return quoteTable(a.Quote, table) }

// The SQL below is shared by every dialect but quoted by each one's own
// Quote: an embedding dialect's methods are not seen from ansi's, so the
// quoting function is passed in.

// quoteTable quotes each dot-separated part of a table name with quote.
func quoteTable(quote func(string) string, table string) string {
	parts := strings.Split(table, ".")
	for i, p := range parts {
		parts[i] = quote(p)
	}
	return strings.Join(parts, ".")
}

// columnList quotes and joins columns: "a", "b".
func columnList(quote func(string) string, cols []string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quote(c)
	}
	return strings.Join(quoted, ", ")
}

// duplicateKeySQL is DuplicateKeySQL quoted with quote.
func duplicateKeySQL(quote func(string) string, ix Index) string {
	cols := columnList(quote, ix.Columns)
	conds := make([]string, 0, len(ix.Columns)+1)
	if ix.Where != "" {
		conds = append(conds, "("+ix.Where+")")
	}
	for _, c := range ix.Columns {
		conds = append(conds, quote(c)+" IS NOT NULL")
	}
	return "SELECT " + cols + " FROM " + quoteTable(quote, ix.Table) +
		" WHERE " + strings.Join(conds, " AND ") +
		" GROUP BY " + cols + " HAVING count(*) > 1 LIMIT 1"
}

// CreateIndex renders CREATE [UNIQUE] INDEX "name" ON "table" ("a", "b") [WHERE pred].
func (a ansi) CreateIndex(ix Index) string {
	ix.Constraint = false
	return a.createIndex(ix, "", false)
}

// DuplicateKeySQL renders
// SELECT "a", "b" FROM "t" WHERE (pred) AND "a" IS NOT NULL AND "b" IS NOT NULL
// GROUP BY "a", "b" HAVING count(*) > 1 LIMIT 1.
// Rows with a NULL key column never clash in a unique index, so they are skipped.
func (a ansi) DuplicateKeySQL(ix Index) string { return duplicateKeySQL(a.Quote, ix) }

// columnList quotes and joins columns: "a", "b".
func (a ansi) columnList(cols []string) string { return columnList(a.Quote, cols) }

// isDuplicateKey reports whether err, or any error it wraps, is a unique
// violation according to GORM: already translated to gorm.ErrDuplicatedKey,
// or translated so by the dialector's gorm.ErrorTranslator.
func isDuplicateKey(db *gorm.DB, err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var t gorm.ErrorTranslator
	if db != nil {
		t, _ = db.Dialector.(gorm.ErrorTranslator)
	}
	if t == nil {
		return false
	}
	found := false
	walk(err, func(e error) bool {
		found = errors.Is(t.Translate(e), gorm.ErrDuplicatedKey)
		return found
	})
	return found
}

// walk calls fn on err and every error it wraps (Unwrap() error and
// Unwrap() []error), depth first, until fn returns true.
func walk(err error, fn func(error) bool) bool {
	if err == nil {
		return false
	}
	if fn(err) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return walk(u.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if walk(e, fn) {
				return true
			}
		}
	}
	return false
}

// generic is the dialect of a database the plugin has no specific support
// for: no partial indexes, no SKIP LOCKED, message-free violation detection.
type generic struct {
	ansi
	name string
}

func (g generic) Name() string { return g.name }

// Features: AbortsTransactionOnError is assumed (a savepoint too many is
// harmless); nothing else is.
func (generic) Features() Feature { return AbortsTransactionOnError }
func (generic) RowID() string     { return "" }
func (generic) RowLocks() string  { return "" }

// DropIndex is unsupported without catalog support.
func (g generic) DropIndex(Index) (string, error) {
	return "", ErrNoPartialIndexes
}

// ReadIndex is unsupported without catalog support.
func (g generic) ReadIndex(*gorm.DB, string, string) (*Index, error) {
	return nil, ErrNoPartialIndexes
}

// UniqueViolation recognises violations GORM's translator reports.
func (generic) UniqueViolation(db *gorm.DB, err error) (Violation, bool) {
	return Violation{}, isDuplicateKey(db, err)
}

// KeysIn implements Dialect.
func (generic) KeysIn(lhs string, _ int) string { return lhs + " IN (?)" }
