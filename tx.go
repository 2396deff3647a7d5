package softdelete

import (
	"gorm.io/gorm"
)

// ownTxKey marks a statement whose transaction the plugin opened itself.
const ownTxKey = "softdelete:own_transaction"

// beginOwnTransaction makes the statement's connection a transaction when it
// is not one already (SkipDefaultTransaction, no caller transaction), so a
// cascade and its root statement commit or roll back together. Inside GORM's
// default transaction or a caller's, it does nothing.
func beginOwnTransaction(db *gorm.DB) error {
	if db.DryRun {
		return nil
	}
	if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); inTx {
		return nil
	}
	tx := db.Session(&gorm.Session{NewDB: true}).Begin()
	if tx.Error != nil {
		return db.AddError(tx.Error)
	}
	db.Statement.ConnPool = tx.Statement.ConnPool
	db.InstanceSet(ownTxKey, tx)
	return nil
}

// endOwnTransaction commits (or, after an error, rolls back) a transaction
// opened by beginOwnTransaction. It runs last in the delete processor.
func endOwnTransaction(db *gorm.DB) {
	v, ok := db.InstanceGet(ownTxKey)
	if !ok {
		return
	}
	tx := v.(*gorm.DB)
	if db.Error != nil {
		tx.Rollback()
		return
	}
	_ = db.AddError(tx.Commit().Error)
}
