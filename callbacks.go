package softdelete

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// registerCallbacks checks the GORM callbacks the plugin is ordered against,
// wires the plugin into db's processors and returns every error, joined.
func (p *Plugin) registerCallbacks(db *gorm.DB) error {
	if err := checkGORM(db); err != nil {
		return err
	}
	cb := db.Callback()
	return errors.Join(
		cb.Query().Before(cbQuery).Register("softdelete:query", p.scopeRead),
		cb.Row().Before(cbRow).Register("softdelete:row", p.scopeRead),
		cb.Update().Before(cbSaveBeforeAssociations).Register("softdelete:guard_update", p.guardUpdate),
		cb.Update().Before(cbUpdate).Register("softdelete:update", p.scopeUpdate),
		cb.Create().Before(cbSaveBeforeAssociations).Register("softdelete:guard_create", p.guardCreate),
		cb.Create().Before(cbCreate).Register("softdelete:upsert", p.upsert),
		cb.Delete().Before(cbBeforeDelete).Register("softdelete:verb", p.startVerb),
		cb.Delete().Before(cbDelete).Register("softdelete:delete", p.beforeDelete),
		cb.Delete().After(cbDelete).Before(cbAfterDelete).Register("softdelete:after_delete", p.afterDelete),
		cb.Delete().After(cbAfterDelete).Register("softdelete:end", p.endVerb),
		p.registerLeakDetector(db),
	)
}

// verb is what a statement of the delete processor carries out.
type verb uint8

const (
	verbDelete  verb = iota // db.Delete: soft delete (hard under Unscoped)
	verbRestore             // Restore
	verbHard                // HardDelete
)

// verbKey names the statement clause holding a *verbState.
const verbKey = "softdelete:verb"

// verbState is a verb's state on one statement. Restore and HardDelete put
// it on the statement they build; startVerb adds one to a plain Delete only
// when it has to change the statement. What startVerb changes on the caller's
// statement (SkipHooks, Select, Unscoped, the context) is recorded here and
// put back by endVerb, so a chain reused after the call is as it was.
type verbState struct {
	verb  verb
	hooks bool // Restore: run BeforeRestore/AfterRestore (the caller did not skip hooks)

	started   bool // startVerb ran: the fields below hold the caller's values
	skipHooks bool
	unscoped  bool
	selects   []string
	ctx       context.Context
}

func (*verbState) Name() string                   { return verbKey }
func (*verbState) Build(clause.Builder)           {}
func (s *verbState) MergeClause(c *clause.Clause) { c.Expression = s }

// runVerb runs a verb through the delete processor on db's next statement
// (a new one for a root or a hook's session, never a clone of an in-flight
// statement), or fails it when the plugin is not registered.
func runVerb(db *gorm.DB, v verb, name string, value any, conds []any) *gorm.DB {
	tx := db.Clauses(&verbState{verb: v})
	if pluginOf(tx) == nil {
		_ = tx.AddError(notRegistered(name))
		return tx
	}
	return tx.Delete(value, conds...)
}

// verbOf returns the statement's verb state, or nil for a plain Delete.
func verbOf(stmt *gorm.Statement) *verbState {
	s, _ := stmt.Clauses[verbKey].Expression.(*verbState)
	return s
}

// timestampKey is the context key of the deletion timestamp shared by the
// statements of one root delete (see startVerb).
type timestampKey struct{}

// startVerb runs first in the delete processor, before GORM's hooks and
// association step:
//   - Restore: GORM's BeforeDelete/AfterDelete hooks are skipped (the restore
//     hooks run instead) and Select(associations) is set aside, so GORM's
//     association step deletes nothing;
//   - HardDelete: the statement is Unscoped, as db.Unscoped().Delete;
//   - a soft delete that selects associations takes its timestamp now and
//     shares it, through the context, with the deletes GORM's association
//     step runs, so Restore brings those children back with their parent.
func (p *Plugin) startVerb(db *gorm.DB) {
	stmt := db.Statement
	if db.Error != nil || stmt.Schema == nil {
		return
	}
	s := verbOf(stmt)
	if s == nil {
		if len(stmt.Selects) == 0 || stmt.Unscoped || !p.meta(stmt.Schema).softDeletable() {
			return
		}
		if _, shared := stmt.Context.Value(timestampKey{}).(time.Time); shared {
			return
		}
		s = &verbState{verb: verbDelete}
		stmt.AddClause(s)
	}
	s.started, s.skipHooks, s.unscoped, s.selects, s.ctx = true, stmt.SkipHooks, stmt.Unscoped, stmt.Selects, stmt.Context
	switch s.verb {
	case verbRestore:
		s.hooks = !stmt.SkipHooks
		stmt.SkipHooks, stmt.Selects = true, nil
	case verbHard:
		stmt.Unscoped = true
	case verbDelete:
		m := p.meta(stmt.Schema)
		tables := p.associationTables(stmt, m)
		ts, err := pastTombstones(db, tables, m.schema.Table, p.timestamp(db), timeStep(db, m, tables))
		if err != nil {
			_ = db.AddError(err)
			return
		}
		stmt.Context = context.WithValue(stmt.Context, timestampKey{}, ts)
	}
}

// endVerb runs last in the delete processor: it finishes what atomic
// started and puts back what startVerb changed.
func (p *Plugin) endVerb(db *gorm.DB) {
	endTransaction(db)
	stmt := db.Statement
	s := verbOf(stmt)
	if s == nil {
		return
	}
	if s.started {
		stmt.SkipHooks, stmt.Unscoped, stmt.Selects, stmt.Context = s.skipHooks, s.unscoped, s.selects, s.ctx
	}
	delete(stmt.Clauses, verbKey)
}

// beforeDelete turns db.Delete into a soft delete, and carries out the Restore
// and HardDelete verbs, which travel through the delete processor so that
// GORM's transaction, RETURNING and DryRun handling apply to them unchanged.
func (p *Plugin) beforeDelete(db *gorm.DB) {
	stmt := db.Statement
	if db.Error != nil || sqlBuilt(stmt) {
		return
	}
	s := verbOf(stmt)
	if stmt.Schema == nil {
		if s != nil {
			p.tableVerb(db, s)
		}
		return
	}
	m := p.meta(stmt.Schema)
	if m.err != nil {
		_ = db.AddError(m.err)
		return
	}
	switch {
	case s != nil && s.verb == verbHard:
		p.hardDelete(db, m)
	case s != nil && s.verb == verbRestore:
		p.restore(db, m, s.hooks)
	case !stmt.Unscoped && m.softDeletable():
		p.softDelete(db, m)
	}
}

// tableVerb carries out a verb on Table("name") with no model: GORM would
// otherwise run its plain DELETE, and a "restore" would remove the rows. A
// table registered as soft-deletable (see AutoMigrate) is restored with
// UPDATE ... SET deleted_at = NULL (no hooks, no cascade: there is no model),
// and emptied of its tombstones by HardDelete under OnlyDeleted; anything
// else fails with ErrNotSoftDeletable. A HardDelete without scope is GORM's
// DELETE, as db.Table("name").Delete would be.
func (p *Plugin) tableVerb(db *gorm.DB, s *verbState) {
	stmt := db.Statement
	sc, scoped := scopeOf(stmt)
	if s.verb == verbHard && !(scoped && sc == scopeOnly) {
		return
	}
	col, ok := p.tables.Load(baseTable(stmt))
	if !ok {
		_ = db.AddError(fmt.Errorf("%w: %s on table %q: no model, and the table is not registered by softdelete.AutoMigrate",
			ErrNotSoftDeletable, verbName(s.verb), stmt.Table))
		return
	}
	column := clause.Column{Table: clause.CurrentTable, Name: col.(string)}
	addPredicate(stmt, clause.Neq{Column: column, Value: nil})
	if s.verb == verbHard {
		countPredicateAsCondition(stmt) // gorm:delete builds the DELETE from the WHERE above
		return
	}
	if !hasConditions(stmt) {
		_ = db.AddError(gorm.ErrMissingWhereClause)
		return
	}
	buildUpdate(stmt, clause.Set{{Column: clause.Column{Name: column.Name}, Value: nil}})
}

// verbName names a verb for messages.
func verbName(v verb) string {
	switch v {
	case verbRestore:
		return "Restore"
	case verbHard:
		return "HardDelete"
	}
	return "Delete"
}

// afterDelete finishes a Restore (see afterRestore) and reports the change
// of a verb (see WithChanges).
func (p *Plugin) afterDelete(db *gorm.DB) {
	if s := verbOf(db.Statement); s != nil && s.verb == verbRestore && db.Statement.Schema != nil {
		p.afterRestore(db, s.hooks)
	}
	if p.changes != nil {
		p.reportChanges(db)
	}
}
