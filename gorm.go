package softdelete

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
	"gorm.io/gorm/schema"
)

// This file is the seam between the plugin and GORM: every GORM internal the
// plugin relies on — marker keys, the callbacks it is ordered against, the
// "SQL already built" convention, and the copies of GORM's own logic it must
// agree with — lives here, is checked at Initialize where it can be, and is
// pinned by gorm_test.go. A GORM upgrade that moves one of them fails there,
// not silently in users' data.
//
// GORM behaviours the plugin relies on beyond the names below, each pinned
// by the test named:
//   - relation joins render stmt.Joins[i].On after the related model's query
//     clauses, on a scratch statement (filter.go groupJoins;
//     TestRelationJoinConditionsWithOrAreGrouped);
//   - the deletes of GORM's association step (gorm:delete_before_associations)
//     run on sessions that inherit the statement's context and read its
//     Select (callbacks.go startVerb; TestSelectAssociationsDeleteSharesTheTimestamp,
//     TestRestoreWithSelectAssociationsDeletesNothing);
//   - a hook's session copies the statement's SkipHooks into every statement
//     it starts (hooks.go callHook; TestVerbInsideHookActsOnItsOwnStatement);
//   - association mode links many2many rows with ON CONFLICT DO NOTHING on
//     the join model's schema (upsert.go reviveLinks;
//     TestMany2ManyReappendRestoresTheJoinRow);
//   - upserts scan RETURNING one row per inserted row (guard.go
//     protectTombstones; TestSavingAParentWithADeletedChildLoaded);
//   - Raw and Exec render their SQL into stmt.SQL before any callback runs,
//     join strings stay in stmt.Joins (rendered by gorm:query), and Scan
//     swaps the logger for a recorder (leak.go; TestLeakDetectorJoinStrings,
//     TestLeakDetectorLogsThroughTheLogger).

const (
	// gormMarker is GORM's own "soft delete filter already applied" marker in
	// stmt.Clauses, honoured by gorm.SoftDeleteQueryClause and by GORM's
	// missing-WHERE check (callbacks/helper.go checkMissingWhereConditions),
	// which then demands one condition more than the predicate.
	gormMarker = "soft_delete_enabled"
	// gormTxKey is the InstanceSet key GORM's default transaction sets
	// (callbacks/transaction.go BeginTransaction).
	gormTxKey = "gorm:started_transaction"
)

// The GORM callbacks the plugin's callbacks are ordered against.
const (
	cbQuery                  = "gorm:query"
	cbRow                    = "gorm:row"
	cbSaveBeforeAssociations = "gorm:save_before_associations"
	cbUpdate                 = "gorm:update"
	cbCreate                 = "gorm:create"
	cbBeforeDelete           = "gorm:before_delete"
	cbDelete                 = "gorm:delete"
	cbAfterDelete            = "gorm:after_delete"
)

// callbackGetter is what a GORM processor offers to look a callback up.
type callbackGetter interface {
	Get(name string) func(*gorm.DB)
}

// checkAnchors fails when one of the named callbacks is missing from proc:
// GORM ignores an unknown name in Before/After without a word.
func checkAnchors(kind string, proc callbackGetter, names ...string) error {
	var errs []error
	for _, name := range names {
		if proc.Get(name) == nil {
			errs = append(errs, fmt.Errorf("%w: GORM has no %s callback %q", ErrIncompatibleGORM, kind, name))
		}
	}
	return errors.Join(errs...)
}

// checkGORM checks every callback anchor the plugin uses.
func checkGORM(db *gorm.DB) error {
	cb := db.Callback()
	return errors.Join(
		checkAnchors("query", cb.Query(), cbQuery),
		checkAnchors("row", cb.Row(), cbRow),
		checkAnchors("update", cb.Update(), cbSaveBeforeAssociations, cbUpdate),
		checkAnchors("create", cb.Create(), cbSaveBeforeAssociations, cbCreate),
		checkAnchors("delete", cb.Delete(), cbBeforeDelete, cbDelete, cbAfterDelete),
	)
}

// sqlBuilt reports whether a callback has already written the statement's
// SQL: GORM's gorm:delete (and gorm:update) then skip building their own and
// just execute it (with RETURNING support).
func sqlBuilt(stmt *gorm.Statement) bool { return stmt.SQL.Len() > 0 }

// buildUpdate renders the statement as an UPDATE with the given SET, in the
// delete processor: gorm:delete then executes it (see sqlBuilt).
func buildUpdate(stmt *gorm.Statement, set clause.Set) {
	stmt.AddClauseIfNotExists(clause.Update{})
	stmt.AddClause(set)
	stmt.Build(stmt.DB.Callback().Update().Clauses...)
}

// buildDelete renders the statement as a DELETE, as gorm:delete would.
func buildDelete(stmt *gorm.Statement) {
	stmt.AddClauseIfNotExists(clause.Delete{})
	stmt.AddClauseIfNotExists(clause.From{})
	stmt.Build(stmt.DB.Callback().Delete().Clauses...)
}

// addPrimaryKeyConds adds the primary keys of the passed value (and of Model,
// when it differs) as conditions: a copy of what gorm:delete does
// (callbacks/delete.go Delete), since the plugin builds the statement first.
func addPrimaryKeyConds(stmt *gorm.Statement) {
	s := stmt.Schema
	_, values := schema.GetIdentityFieldValuesMap(stmt.Context, stmt.ReflectValue, s.PrimaryFields)
	column, vals := schema.ToQueryValues(stmt.Table, s.PrimaryFieldDBNames, values)
	if len(vals) > 0 {
		stmt.AddClause(clause.Where{Exprs: []clause.Expression{clause.IN{Column: column, Values: vals}}})
	}
	if stmt.ReflectValue.CanAddr() && stmt.Dest != stmt.Model && stmt.Model != nil {
		_, values = schema.GetIdentityFieldValuesMap(stmt.Context, reflectOf(stmt.Model), s.PrimaryFields)
		column, vals = schema.ToQueryValues(stmt.Table, s.PrimaryFieldDBNames, values)
		if len(vals) > 0 {
			stmt.AddClause(clause.Where{Exprs: []clause.Expression{clause.IN{Column: column, Values: vals}}})
		}
	}
}

// hasConditions reports whether the statement has a WHERE of its own (not
// counting the soft-delete predicate), or global writes are allowed: the
// rule of GORM's checkMissingWhereConditions (callbacks/helper.go).
func hasConditions(stmt *gorm.Statement) bool {
	if stmt.DB.AllowGlobalUpdate {
		return true
	}
	c, ok := stmt.Clauses["WHERE"]
	if !ok {
		return false
	}
	where, _ := c.Expression.(clause.Where)
	n := len(where.Exprs)
	if _, marked := stmt.Clauses[gormMarker]; marked {
		n--
	}
	return n > 0
}

// countPredicateAsCondition makes GORM's missing-WHERE check count the
// soft-delete predicate as a condition of its own, by removing the marker
// that makes it demand one more (HardDelete under OnlyDeleted empties the
// trash). Only for a statement no soft-delete filter applies to any more.
func countPredicateAsCondition(stmt *gorm.Statement) { delete(stmt.Clauses, gormMarker) }

// writesZeroValues reports whether an update writes the zero values of the
// model's fields too: Save selects "*" (finisher_api.go Save), and an
// explicit Select writes what it names.
func writesZeroValues(stmt *gorm.Statement) bool { return len(stmt.Selects) > 0 }

// inGormTransaction reports whether the statement runs in the transaction
// GORM's default-transaction callback opened for it.
func inGormTransaction(db *gorm.DB) bool {
	_, started := db.InstanceGet(gormTxKey)
	return started
}

// The leak detector's GORM internals (leak.go, WithLeakDetector).

// cbRaw is the callback of the raw processor (Exec) the detector runs before.
const cbRaw = "gorm:raw"

// rawJoin reports whether GORM renders a join of the statement as the text
// it was given rather than as a relation join: a copy of GORM's test
// (callbacks/query.go BuildQuerySQL) — a name that is neither a relation of
// the model nor a dotted path of relations ("Manager.Company").
func rawJoin(stmt *gorm.Statement, name string) bool {
	if stmt.Schema == nil {
		return true
	}
	rels := stmt.Schema.Relationships.Relations
	if _, ok := rels[name]; ok {
		return false
	}
	for _, part := range strings.Split(name, ".") { // a single name is not a relation: raw
		rel, ok := rels[part]
		if !ok {
			return true
		}
		rels = rel.FieldSchema.Relationships.Relations
	}
	return false
}

// scanRecorder reports whether l is the recorder GORM's Scan swaps in for
// the statement's logger (finisher_api.go Scan): what it is asked to warn
// goes to logger.Default, not to the logger the user configured.
func scanRecorder(l logger.Interface) bool {
	return reflect.TypeOf(l) == reflect.TypeOf(logger.Recorder.New())
}

// statementCaller returns the file:line of the code that ran the statement
// being processed, found as GORM's logger finds it (utils.FileWithLineNum:
// the first frame outside gorm.io, generated *.gen.go files skipped) and
// past this package's own frames. internal reports that the statement was
// issued by this package (outside its tests), by GORM's migrator or by a
// driver (SQLite's table rebuilds, savepoints): not the user's SQL.
func statementCaller() (caller string, internal bool) {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	own := reflect.TypeOf((*Plugin)(nil)).Elem().PkgPath() + "."
	inGORM := false
	for {
		f, more := frames.Next()
		switch {
		case strings.HasPrefix(f.Function, "gorm.io/"):
			inGORM = true
			internal = internal || strings.HasPrefix(f.Function, "gorm.io/gorm/migrator.") ||
				strings.HasPrefix(f.Function, "gorm.io/driver/")
		case !inGORM || strings.HasSuffix(f.File, ".gen.go"):
			// the detector's own frames, above GORM's processor; generated code
		default:
			ours := strings.HasPrefix(f.Function, own) && !strings.HasSuffix(f.File, "_test.go")
			return f.File + ":" + strconv.Itoa(f.Line), internal || ours
		}
		if !more {
			return "", internal
		}
	}
}
