package dialect

import "gorm.io/gorm"

// Feature is one capability a database has. A Dialect reports the set it has
// (Dialect.Features); code outside this package asks the set, never a
// dialect's name:
//
//	if dialect.Of(db).Features().Has(dialect.SkipLocked) { ... }
type Feature uint64

// The capabilities the plugin adapts to.
const (
	// PartialIndexes: CREATE [UNIQUE] INDEX ... WHERE predicate.
	PartialIndexes Feature = 1 << iota
	// SkipLocked: SELECT ... FOR UPDATE SKIP LOCKED.
	SkipLocked
	// AbortsTransactionOnError: a failed statement aborts the transaction it
	// runs in (PostgreSQL: every later statement fails with 25P02 until a
	// rollback), so a statement allowed to fail inside a caller's transaction
	// needs a savepoint.
	AbortsTransactionOnError
	// RowID: every row has a physical address usable as a key when a table
	// has no primary key (Dialect.RowID names it: SQLite's rowid, PostgreSQL's
	// ctid).
	RowID
	// ConcurrentIndexes: CREATE/DROP INDEX CONCURRENTLY builds and drops an
	// index without blocking writes (outside a transaction only; a failed
	// build leaves an invalid index behind, see Index.Invalid).
	ConcurrentIndexes
	// GeneratedColumnIndexes: no partial indexes, but a live-only index can
	// be built over the key columns and an indexed virtual generated column
	// that is NULL for tombstones (MySQL/MariaDB, see Dialect.CreateIndex).
	GeneratedColumnIndexes
	// ReturningWrites: UPDATE ... RETURNING and DELETE ... RETURNING (PostgreSQL,
	// SQLite >= 3.35). Without it the keys a statement changes are read, locked,
	// before it runs (MariaDB has DELETE ... RETURNING but no UPDATE ... RETURNING).
	ReturningWrites
	// DuplicateKeyUpdate: upserts are INSERT ... ON DUPLICATE KEY UPDATE
	// (MySQL/MariaDB): no conflict target and no WHERE, the update fires on
	// any unique key, and the inserted row's values are VALUES(col).
	DuplicateKeyUpdate
	// SizedKeyStrings: a string column without a length (MySQL's longtext)
	// cannot be an index key; key columns need one (GORM gives its own
	// indexed strings varchar(191)).
	SizedKeyStrings
	// RowByRowForeignKeys: foreign keys are checked for each row as a
	// statement changes it, not at its end (InnoDB), so one DELETE cannot
	// remove rows that reference each other in the wrong order or a cycle.
	RowByRowForeignKeys
	// MySQLSyntax: MySQL's lexical rules — backslash escapes in string
	// literals, "..." as a string (not an identifier), # line comments and
	// /*! ... */ executable comments (read by the leak detector's lexer).
	MySQLSyntax
	// TransactionalDDL: CREATE/DROP INDEX run inside a transaction and roll
	// back with it (MySQL commits DDL implicitly: each statement stands).
	TransactionalDDL
)

// Has reports whether every capability in x is in the set f.
func (f Feature) Has(x Feature) bool { return f&x == x }

// Of returns the dialect of db's database: the one helper the plugin uses to
// pick it (from db.Dialector.Name()).
// For MySQL/MariaDB the server's version decides SkipLocked.
func Of(db *gorm.DB) Dialect {
	d := For(db.Dialector.Name())
	if m, ok := d.(mysql); ok {
		return m.ofServer(db.Dialector)
	}
	return d
}
