// Package dialect holds everything the softdelete plugin does differently per
// database: index DDL and catalog reads, unique-violation detection, and
// capability flags (partial indexes, FOR UPDATE SKIP LOCKED).
//
// Code outside this package branches on capabilities (the Feature set a
// Dialect reports), never on dialect names; Of is the one way to get the
// dialect of a *gorm.DB. Adding a database (MySQL is next) means adding one
// implementation of Dialect and one case in For.
//
// The package imports no driver: errors are recognised through GORM's
// gorm.ErrorTranslator (gorm.ErrDuplicatedKey) and the drivers' messages.
package dialect

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// MaxIdentifierLength is the longest identifier, in bytes, every supported
// database keeps intact (PostgreSQL's NAMEDATALEN-1; it silently truncates
// longer names).
const MaxIdentifierLength = 63

// ErrNoPartialIndexes is returned (wrapped) when a partial index is asked of
// a database that cannot build one. It matches errors.ErrUnsupported.
var ErrNoPartialIndexes = fmt.Errorf("partial indexes are not supported on this database (%w)", errors.ErrUnsupported)

// Index is the definition of one index: what the plugin wants, or what the
// catalog holds.
type Index struct {
	Name    string
	Table   string   // as the model names it; may be schema-qualified ("s.t")
	Columns []string // key columns in order; "" for an expression
	Unique  bool
	Where   string // predicate without the WHERE keyword; "" for a full index

	// Set by ReadIndex only.
	Constraint bool // the index backs a constraint (drop the constraint, not the index)
	Invalid    bool // the index exists but is not usable (PostgreSQL indisvalid = false)
}

// Violation describes a unique-key violation reported by the database.
type Violation struct {
	Index   string   // index or constraint name, when the database reports it (PostgreSQL)
	Table   string   // table, when reported instead of the index (SQLite)
	Columns []string // columns, when reported instead of the index (SQLite)
}

// Dialect is one database's capabilities and SQL.
type Dialect interface {
	// Name is the GORM dialector name ("postgres", "sqlite", ...).
	Name() string
	// Features is the set of capabilities the database has.
	Features() Feature
	// RowID names the physical row address (see Feature RowID), or "".
	RowID() string
	// KeysIn returns the condition "lhs is one of the rows of the subquery ?"
	// for keys of n columns, in the form the planner serves best for a batch of
	// keys: PostgreSQL plans "id = ANY(ARRAY(subquery))" as an index lookup per
	// key, where "id IN (subquery)" in a DELETE may become a hash join over
	// the whole table.
	KeysIn(lhs string, n int) string
	// RowLocks returns the SELECT locking strength ("UPDATE" on PostgreSQL)
	// that makes a transaction wait for, and then block, writers that hold or
	// take locks on the rows (foreign-key checks of concurrent child inserts
	// included), or "" when writes are serialised anyway (SQLite).
	RowLocks() string
	// Quote quotes one identifier (an index or column name).
	Quote(ident string) string
	// QuoteTable quotes a table name, each dot-separated part on its own.
	QuoteTable(table string) string
	// CreateIndex returns the CREATE [UNIQUE] INDEX statement of ix.
	CreateIndex(ix Index) string
	// DropIndex returns the statement removing ix as read by ReadIndex
	// (DROP INDEX, or ALTER TABLE ... DROP CONSTRAINT for a constraint).
	DropIndex(ix Index) (string, error)
	// CreateIndexDDL returns the statement creating ix as o says
	// (CONCURRENTLY, IF NOT EXISTS); for an index backing a constraint
	// (Index.Constraint), the ALTER TABLE ... ADD CONSTRAINT ... UNIQUE that
	// recreates it.
	CreateIndexDDL(ix Index, o DDL) string
	// DropIndexDDL returns the statement removing ix as o says
	// (CONCURRENTLY, IF EXISTS).
	DropIndexDDL(ix Index, o DDL) (string, error)
	// RenameIndex returns the statement renaming index from of table to to.
	RenameIndex(table, from, to string) string
	// DuplicateKeySQL returns a query selecting one key of ix's columns held
	// by more than one row matching ix's predicate (no row: none).
	DuplicateKeySQL(ix Index) string
	// ReadIndex reads the definition of the index called name from the
	// catalog of db's current schema; nil when there is none. table is the
	// table the caller expects it on (it selects the schema of a qualified
	// table).
	ReadIndex(db *gorm.DB, name, table string) (*Index, error)
	// UniqueViolation reports whether err is a unique-key violation and what
	// the database says about it.
	UniqueViolation(db *gorm.DB, err error) (Violation, bool)
	// IndexNames lists the names of every index of table (those backing
	// constraints included), sorted.
	IndexNames(db *gorm.DB, table string) ([]string, error)
	// NullFraction reports the fraction of NULLs in column according to the
	// planner's statistics; ok is false when there are none to read.
	NullFraction(db *gorm.DB, table, column string) (frac float64, ok bool, err error)
	// TimeStep is the precision the database stores f's timestamps with
	// (a microsecond; MySQL: the column type's fractional digits).
	TimeStep(db *gorm.DB, f *schema.Field) time.Duration
	// Sweeper returns how Purge sweeps a table by physical row address (TID
	// ranges, rowid ranges), or nil when the database has no such address
	// range scan (the default): Purge then batches by key.
	Sweeper() Sweeper
}

// For returns the dialect of a GORM dialector name (db.Dialector.Name()).
// Unknown databases get a conservative dialect without partial indexes or
// SKIP LOCKED.
func For(name string) Dialect {
	switch name {
	case "postgres":
		return postgres{}
	case "sqlite", "sqlite3":
		return sqlite{}
	case "mysql":
		return mysql{}
	}
	return generic{name: name}
}

// Same reports whether the existing index have matches the wanted index
// want: name, table, uniqueness, columns in order and predicate (compared
// after normalisation, see NormalizePredicate), and usable.
func Same(have, want Index) bool {
	return have.Name == want.Name &&
		baseName(have.Table) == baseName(want.Table) &&
		have.Unique == want.Unique &&
		!have.Invalid &&
		slices.Equal(have.Columns, want.Columns) &&
		NormalizePredicate(have.Where) == NormalizePredicate(want.Where)
}

// SameTable reports whether two table names denote the same table, ignoring
// a schema qualifier (the catalog reads one schema).
func SameTable(a, b string) bool { return baseName(a) == baseName(b) }

// Describe renders an index definition for log and error messages:
// UNIQUE (slug) WHERE deleted_at is null.
func Describe(ix Index) string {
	var b strings.Builder
	if ix.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("(" + strings.Join(ix.Columns, ", ") + ")")
	if p := NormalizePredicate(ix.Where); p != "" {
		b.WriteString(" WHERE " + p)
	}
	if ix.Invalid {
		b.WriteString(" INVALID")
	}
	return b.String()
}

// NormalizePredicate reduces a predicate to a canonical form for comparison:
// identifier quotes and parentheses removed, whitespace collapsed, lower
// case. `("deleted_at" IS NULL)` and `deleted_at is null` compare equal.
func NormalizePredicate(pred string) string {
	pred = strings.Map(func(r rune) rune {
		switch r {
		case '"', '`', '[', ']', '(', ')':
			return ' '
		}
		return r
	}, pred)
	return strings.ToLower(strings.Join(strings.Fields(pred), " "))
}

// baseName strips a schema qualifier: "s.t" → "t".
func baseName(table string) string {
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		return table[i+1:]
	}
	return table
}

// schemaOf returns the schema qualifier of a table, or "".
func schemaOf(table string) string {
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		return table[:i]
	}
	return ""
}
