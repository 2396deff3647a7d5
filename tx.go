package softdelete

import (
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

const (
	// txKey names the statement marker (in stmt.Clauses, never rendered)
	// recording what atomic started. A map lookup, unlike db.InstanceGet,
	// costs no allocation on the common path where nothing was started.
	txKey     = "softdelete:tx"
	savepoint = "softdelete_cascade"
)

// txState is what atomic started for one statement.
type txState struct {
	own       *gorm.DB      // a transaction of the plugin's own
	pool      gorm.ConnPool // the statement's pool before own replaced it
	savepoint bool          // a savepoint inside the caller's transaction
}

func (txState) Name() string                   { return txKey }
func (txState) Build(clause.Builder)           {}
func (s txState) MergeClause(c *clause.Clause) { c.Expression = s }

// atomic makes the rest of a multi-statement operation (cascade, parent check
// and the root statement) all-or-nothing:
//   - inside GORM's default transaction: nothing to do, GORM rolls back on error;
//   - inside a caller's transaction: a savepoint, rolled back to on error, so the
//     caller's transaction stays usable and unchanged (PostgreSQL included);
//   - outside any transaction (SkipDefaultTransaction): a transaction of its own.
//
// endTransaction finishes what atomic started. Errors are added to db.
func atomic(db *gorm.DB) error {
	if _, started := db.Statement.Clauses[txKey]; started || db.DryRun {
		return nil
	}
	if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); inTx {
		if inGormTransaction(db) {
			return nil
		}
		if err := exec(db, "SAVEPOINT "+savepoint); err != nil {
			return db.AddError(err)
		}
		db.Statement.AddClause(txState{savepoint: true})
		return nil
	}
	tx := db.Session(&gorm.Session{NewDB: true}).Begin()
	if tx.Error != nil {
		return db.AddError(tx.Error)
	}
	db.Statement.AddClause(txState{own: tx, pool: db.Statement.ConnPool})
	db.Statement.ConnPool = tx.Statement.ConnPool
	return nil
}

// exec runs one statement on the statement's connection, whatever error the
// statement already carries (a Session copies db.Error, which would skip it).
func exec(db *gorm.DB, sql string) error {
	tx := db.Session(&gorm.Session{NewDB: true})
	tx.Error = nil
	return tx.Exec(sql).Error
}

// endTransaction commits (or, after an error, rolls back) what atomic
// started, and leaves the statement as it was before (its own pool, no
// transaction state), so a chain reused afterwards starts afresh. It runs
// last in the delete processor (see endVerb). A failed rollback is reported
// with the statement's error.
func endTransaction(db *gorm.DB) {
	stmt := db.Statement
	state, ok := stmt.Clauses[txKey].Expression.(txState)
	if !ok {
		return
	}
	delete(stmt.Clauses, txKey)
	switch {
	case state.savepoint && db.Error != nil:
		if err := exec(db, "ROLLBACK TO SAVEPOINT "+savepoint); err != nil {
			// SQLite rolls a whole transaction back on some errors (SQLITE_FULL):
			// the savepoint, and the caller's work before it, are gone
			db.Error = fmt.Errorf("%w (the savepoint is gone — the database ended the caller's transaction: roll it back and retry: %w)", db.Error, err)
		}
	case state.savepoint:
		_ = db.AddError(exec(db, "RELEASE SAVEPOINT "+savepoint))
	case db.Error != nil:
		stmt.ConnPool = state.pool
		if err := state.own.Rollback().Error; err != nil {
			db.Error = fmt.Errorf("%w (rollback: %w)", db.Error, err)
		}
	default:
		stmt.ConnPool = state.pool
		commit(db, state.own)
	}
}

// commit commits the plugin's own transaction; when that fails because the
// statement's context ended, the error says so.
func commit(db *gorm.DB, tx *gorm.DB) {
	if err := tx.Commit().Error; err != nil {
		if cerr := db.Statement.Context.Err(); cerr != nil {
			err = fmt.Errorf("%w (commit: %w)", cerr, err)
		}
		_ = db.AddError(err)
	}
}

// retryableStates are the SQLSTATEs of a transaction the database aborted so
// that another could go on: a deadlock (40P01) or a serialization failure
// (40001). Running the whole operation again is the remedy.
var retryableStates = map[string]bool{"40P01": true, "40001": true}

// IsRetryable reports whether err (from any call of this package or of
// GORM) means the database rolled the operation back for a concurrent one —
// a deadlock between two cascades, a serialization failure, SQLite's
// "database is locked" past busy_timeout — so that running it again, in a
// new transaction, may succeed. Nothing of the failed operation remains.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var state interface{ SQLState() string }
	if errors.As(err, &state) && retryableStates[state.SQLState()] {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "database table is locked")
}
