package softdelete

import (
	"fmt"

	"gorm.io/gorm"
)

// Keys of the statement's instance settings (db.InstanceSet) for the
// transaction state of a multi-statement operation.
const (
	ownTxKey     = "softdelete:own_transaction"
	savepointKey = "softdelete:savepoint"
	gormTxKey    = "gorm:started_transaction" // set by GORM's default transaction
	savepoint    = "softdelete_cascade"
)

// atomic makes the rest of a multi-statement operation (cascade, parent check
// and the root statement) all-or-nothing:
//   - inside GORM's default transaction: nothing to do, GORM rolls back on error;
//   - inside a caller's transaction: a savepoint, rolled back to on error, so the
//     caller's transaction stays usable and unchanged (PostgreSQL included);
//   - outside any transaction (SkipDefaultTransaction): a transaction of its own.
//
// endTransaction finishes what atomic started. Errors are added to db.
func atomic(db *gorm.DB) error {
	if db.DryRun {
		return nil
	}
	if _, started := db.InstanceGet(ownTxKey); started {
		return nil
	}
	if _, started := db.InstanceGet(savepointKey); started {
		return nil
	}
	if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); inTx {
		if _, gormTx := db.InstanceGet(gormTxKey); gormTx {
			return nil
		}
		return savepointStep(db, "SAVEPOINT ", savepointKey)
	}
	tx := db.Session(&gorm.Session{NewDB: true}).Begin()
	if tx.Error != nil {
		return db.AddError(tx.Error)
	}
	db.Statement.ConnPool = tx.Statement.ConnPool
	db.InstanceSet(ownTxKey, tx)
	return nil
}

// savepointStep runs one savepoint statement on the statement's connection
// and, when mark is set, records that the savepoint exists.
func savepointStep(db *gorm.DB, verb, mark string) error {
	if err := db.Session(&gorm.Session{NewDB: true}).Exec(verb + savepoint).Error; err != nil {
		return db.AddError(err)
	}
	if mark != "" {
		db.InstanceSet(mark, true)
	}
	return nil
}

// endTransaction commits (or, after an error, rolls back) what atomic
// started. It runs last in the delete processor.
func endTransaction(db *gorm.DB) {
	if _, ok := db.InstanceGet(savepointKey); ok {
		if db.Error != nil {
			// a fresh session: a Session copies db.Error, which would skip the
			// statement; the statement's error stays the one reported
			tx := db.Session(&gorm.Session{NewDB: true})
			tx.Error = nil
			tx.Exec("ROLLBACK TO SAVEPOINT " + savepoint)
			return
		}
		savepointStep(db, "RELEASE SAVEPOINT ", "")
		return
	}
	v, ok := db.InstanceGet(ownTxKey)
	if !ok {
		return
	}
	tx := v.(*gorm.DB)
	if db.Error != nil {
		tx.Rollback()
		return
	}
	if err := tx.Commit().Error; err != nil {
		if cerr := db.Statement.Context.Err(); cerr != nil {
			err = fmt.Errorf("%w (commit: %w)", cerr, err) // say why: the context ended
		}
		_ = db.AddError(err)
	}
}
