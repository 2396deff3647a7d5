// Concurrent index builds: AutoMigrate under WithConcurrentIndexes builds
// the partial indexes with CREATE INDEX CONCURRENTLY, one statement at a
// time outside any transaction, so writers keep writing during the build.

package softdelete

import (
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// concurrent reports whether AutoMigrate builds db's indexes concurrently.
func (plan *indexPlan) concurrent(db *gorm.DB) bool {
	p := pluginOf(db)
	return p != nil && p.concurrentIndexes && plan.dialect.Features().Has(dialect.ConcurrentIndexes)
}

// refuseTransaction fails with ErrConcurrentIndexInTx when the indexes are
// to be built concurrently but db is inside a transaction; AutoMigrate asks
// before anything runs.
func (plan *indexPlan) refuseTransaction(db *gorm.DB) error {
	if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); inTx && len(plan.indexes) > 0 && plan.concurrent(db) {
		return fmt.Errorf("%w: AutoMigrate under WithConcurrentIndexes", ErrConcurrentIndexInTx)
	}
	return nil
}

// applyConcurrently ensures every planned index with non-blocking DDL, one
// statement at a time.
func (plan *indexPlan) applyConcurrently(db *gorm.DB) error {
	db = db.Session(&gorm.Session{NewDB: true})
	for _, ix := range plan.indexes {
		if err := plan.ensureConcurrently(db, ix.def); err != nil {
			return err
		}
	}
	return nil
}

// concurrentDDL is the DDL of concurrent builds: CONCURRENTLY, and IF [NOT]
// EXISTS so two nodes migrating at once do not fail each other.
func concurrentDDL() dialect.DDL { return dialect.DDL{Concurrently: true, IfExists: true} }

// ensureConcurrently creates want, leaves it alone when the catalog holds it
// and it is valid, rebuilds an invalid one (a failed concurrent build), or
// replaces an index of the same name that differs without a moment where
// the table has neither (see swapConcurrently).
func (plan *indexPlan) ensureConcurrently(db *gorm.DB, want dialect.Index) error {
	d := plan.dialect
	have, err := d.ReadIndex(db, want.Name, want.Table)
	switch {
	case err != nil:
		return fmt.Errorf("softdelete: %w", err)
	case have == nil:
		return plan.createConcurrently(db, want)
	case !dialect.SameTable(have.Table, want.Table):
		return fmt.Errorf("%w: index name %q is already used by table %s", ErrInvalidTag, want.Name, have.Table)
	case dialect.Same(*have, want):
		return nil
	}
	if err := checkDuplicates(db, d, want); err != nil {
		return err
	}
	db.Logger.Warn(db.Statement.Context, "softdelete: index %s on %s was %s, want %s: rebuilt concurrently",
		want.Name, want.Table, dialect.Describe(*have), dialect.Describe(want))
	if !have.Invalid {
		return plan.swapConcurrently(db, *have, want)
	}
	if err := execDrop(db, d, *have); err != nil {
		return err
	}
	return plan.createConcurrently(db, want)
}

// swapConcurrently replaces the valid index have by want: it builds want
// under a temporary name, drops have, and renames the new index, so the
// table keeps an index (and a unique key its constraint) throughout.
func (plan *indexPlan) swapConcurrently(db *gorm.DB, have, want dialect.Index) error {
	d := plan.dialect
	tmp := want
	tmp.Name = shortenName(want.Name + "_rebuild")
	if err := execDrop(db, d, tmp); err != nil { // a leftover of an interrupted swap
		return err
	}
	if err := plan.createConcurrently(db, tmp); err != nil {
		return err
	}
	if err := execDrop(db, d, have); err != nil {
		return err
	}
	if err := db.Exec(d.RenameIndex(want.Table, tmp.Name, want.Name)).Error; err != nil {
		return fmt.Errorf("softdelete: rename index %s to %s: %w", tmp.Name, want.Name, err)
	}
	return nil
}

// execDrop drops ix concurrently, if it exists.
func execDrop(db *gorm.DB, d dialect.Dialect, ix dialect.Index) error {
	drop, err := d.DropIndexDDL(ix, concurrentDDL())
	if err == nil {
		err = db.Exec(drop).Error
	}
	if err != nil {
		return fmt.Errorf("softdelete: drop index %s: %w", ix.Name, err)
	}
	return nil
}

// createConcurrently checks a unique index against live rows, then builds it
// concurrently. When the build fails (a duplicate written meanwhile, a
// cancelled statement) it drops the invalid index the build left behind.
func (plan *indexPlan) createConcurrently(db *gorm.DB, want dialect.Index) error {
	d := plan.dialect
	if err := checkDuplicates(db, d, want); err != nil {
		return err
	}
	err := db.Exec(d.CreateIndexDDL(want, concurrentDDL())).Error
	if err == nil {
		db.Logger.Info(db.Statement.Context, "softdelete: created index %s on %s %s concurrently",
			want.Name, want.Table, dialect.Describe(want))
		return nil
	}
	err = fmt.Errorf("softdelete: create index %s concurrently: %w", want.Name, err)
	if _, dup := d.UniqueViolation(db, err); dup {
		err = fmt.Errorf("%w: %w", ErrDuplicateLiveKeys, err)
	}
	return errors.Join(err, dropInvalid(db, d, want))
}

// dropInvalid drops want when the catalog holds it as invalid.
func dropInvalid(db *gorm.DB, d dialect.Dialect, want dialect.Index) error {
	have, err := d.ReadIndex(db, want.Name, want.Table)
	if err != nil {
		return fmt.Errorf("softdelete: %w", err)
	}
	if have == nil || !have.Invalid {
		return nil
	}
	return execDrop(db, d, *have)
}
