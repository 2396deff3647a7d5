// Migration: AutoMigrate and IndexSQL plan the partial indexes the models
// declare, check live rows for duplicates and create or repair the indexes.

package softdelete

import (
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// plannedIndex is one index AutoMigrate or IndexSQL deals with.
type plannedIndex struct {
	meta *modelMeta
	def  dialect.Index
}

// indexPlan is what AutoMigrate does for a list of models: the
// soft-deletable models to register and the partial indexes to ensure, in
// model order then index name.
type indexPlan struct {
	dialect dialect.Dialect
	metas   []*modelMeta
	indexes []plannedIndex
}

// planIndexes parses models and validates their tags and index names
// (across models too), without touching the database. It returns every
// problem found, joined.
func planIndexes(db *gorm.DB, entry string, models []any) (*indexPlan, error) {
	p := pluginOf(db)
	if p == nil {
		return nil, notRegistered(entry)
	}
	plan := &indexPlan{dialect: dialect.Of(db)}
	owners := map[string]*modelMeta{}
	var errs []error
	for i, model := range models {
		m, err := p.metaFor(db, model)
		if m == nil {
			errs = append(errs, notAModel(entry, i, model, err))
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if slices.Contains(plan.metas, m) {
			continue
		}
		plan.metas = append(plan.metas, m)
		errs = append(errs, plan.addIndexes(m, owners)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return plan, nil
}

// notAModel is the error of an argument of AutoMigrate or IndexSQL (the i-th
// of models, 0-based) that GORM cannot parse as a model: 42, nil, a string.
// It wraps gorm.ErrInvalidValue and GORM's parse error.
func notAModel(entry string, i int, model any, err error) error {
	return fmt.Errorf("softdelete: %s: argument %d (%T) is not a model: %w: %w", entry, i+1, model, gorm.ErrInvalidValue, err)
}

// addIndexes plans the indexes of one model; owners maps index names to the
// model that declared them.
func (plan *indexPlan) addIndexes(m *modelMeta, owners map[string]*modelMeta) []error {
	if f := plan.dialect.Features(); len(m.indexes) > 0 && !f.Has(dialect.PartialIndexes) && !f.Has(dialect.GeneratedColumnIndexes) {
		return []error{fmt.Errorf("softdelete: %s declares partial indexes on %s: %w",
			m.schema.Name, plan.dialect.Name(), dialect.ErrNoPartialIndexes)}
	}
	var errs []error
	for i := range m.indexes {
		s := &m.indexes[i]
		if other, taken := owners[s.name]; taken {
			errs = append(errs, fmt.Errorf("%w: index name %q is declared by both %s and %s",
				ErrInvalidTag, s.name, other.schema.Name, m.schema.Name))
			continue
		}
		owners[s.name] = m
		plan.indexes = append(plan.indexes, plannedIndex{meta: m, def: s.definition(plan.dialect, m)})
	}
	return errs
}

// AutoMigrate runs db.AutoMigrate for models, creates the partial indexes
// their softdelete tags declare, and registers their tables as
// soft-deletable (when the plugin is registered), so Table("name") reads are
// filtered too:
//
//	softdelete.AutoMigrate(db, &Article{})
//	// CREATE TABLE "articles" (...)  -- db.AutoMigrate
//	// CREATE UNIQUE INDEX "uidx_articles_slug" ON "articles" ("slug") WHERE "deleted_at" IS NULL
//
// Tags are validated first: a bad tag fails with ErrInvalidTag (naming the
// model and field) before anything runs. It is idempotent: an index whose
// definition in the catalog matches is left alone; one of the same name whose
// columns, uniqueness or predicate differ is dropped and rebuilt in the same
// transaction, and the repair is logged (db.Logger.Warn). All index DDL of one
// call runs in one transaction. When live rows already share a key of a
// unique index to create, it fails with ErrDuplicateLiveKeys naming the index
// and one such key, and no index is changed. A plugin created
// WithConcurrentIndexes builds the indexes CONCURRENTLY on PostgreSQL
// instead, one statement at a time outside any transaction, so writers are
// not blocked (see WithConcurrentIndexes).
func AutoMigrate(db *gorm.DB, models ...any) error {
	plan, err := planIndexes(db, "AutoMigrate", models)
	if err != nil {
		return err
	}
	if err := plan.refuseTransaction(db); err != nil {
		return err
	}
	plan.sizeKeyStrings()
	if err := db.AutoMigrate(models...); err != nil {
		return err
	}
	plan.register(pluginOf(db))
	return plan.apply(db)
}

// keyStringSize is the length GORM's MySQL dialector gives a string field
// with a GORM index tag (varchar(191): 764 bytes of utf8mb4, within every
// InnoDB key limit).
const keyStringSize = 191

// sizeKeyStrings gives the unsized string key columns of the planned indexes
// the length GORM gives its own indexed strings, on databases whose unsized
// strings cannot be keys (MySQL: longtext); the tables are then created with
// varchar(191) columns the live-only index can be built on.
func (plan *indexPlan) sizeKeyStrings() {
	if !plan.dialect.Features().Has(dialect.SizedKeyStrings) {
		return
	}
	for _, m := range plan.metas {
		for i := range m.indexes {
			for _, f := range m.indexes[i].fields {
				if f.DataType == schema.String && f.Size == 0 {
					f.Size = keyStringSize
				}
			}
		}
	}
}

// IndexSQL returns the statements AutoMigrate would run to create the
// partial indexes of models from scratch, in model order then index name, for
// migration files:
//
//	stmts, err := softdelete.IndexSQL(db, &Article{})
//	// CREATE UNIQUE INDEX "uidx_articles_slug" ON "articles" ("slug") WHERE "deleted_at" IS NULL
//
// It does not touch the database. Tags are validated as by AutoMigrate.
func IndexSQL(db *gorm.DB, models ...any) ([]string, error) {
	plan, err := planIndexes(db, "IndexSQL", models)
	if err != nil {
		return nil, err
	}
	stmts := make([]string, len(plan.indexes))
	for i, ix := range plan.indexes {
		stmts[i] = plan.dialect.CreateIndex(ix.def)
	}
	return stmts, nil
}

// register records the soft-deletable tables with the plugin.
func (plan *indexPlan) register(p *Plugin) {
	for _, m := range plan.metas {
		if m.softDeletable() {
			p.tables.Store(m.schema.Table, m.field.DBName)
		}
	}
}

// apply ensures every planned index, all in one transaction.
func (plan *indexPlan) apply(db *gorm.DB) error {
	if len(plan.indexes) == 0 {
		return nil
	}
	if plan.concurrent(db) {
		return plan.applyConcurrently(db)
	}
	return db.Session(&gorm.Session{NewDB: true}).Transaction(func(tx *gorm.DB) error {
		for _, ix := range plan.indexes {
			if err := plan.ensure(tx, ix.def); err != nil {
				return err
			}
		}
		return nil
	})
}

// ensure creates want, leaves it alone when the catalog already holds it,
// or rebuilds a same-named index whose definition differs.
func (plan *indexPlan) ensure(tx *gorm.DB, want dialect.Index) error {
	d := plan.dialect
	have, err := d.ReadIndex(tx, want.Name, want.Table)
	switch {
	case err != nil:
		return fmt.Errorf("softdelete: %w", err)
	case have == nil:
		return plan.create(tx, want)
	case !dialect.SameTable(have.Table, want.Table):
		return fmt.Errorf("%w: index name %q is already used by table %s", ErrInvalidTag, want.Name, have.Table)
	case dialect.Same(*have, want):
		return nil
	}
	if err := checkDuplicates(tx, d, want); err != nil {
		return err
	}
	drop, err := d.DropIndex(*have)
	if err != nil {
		return fmt.Errorf("softdelete: rebuild index %s: %w", want.Name, err)
	}
	if err := tx.Exec(drop).Error; err != nil {
		return fmt.Errorf("softdelete: drop index %s: %w", want.Name, err)
	}
	tx.Logger.Warn(tx.Statement.Context, "softdelete: index %s on %s was %s, want %s: dropped and rebuilt",
		want.Name, want.Table, dialect.Describe(*have), dialect.Describe(want))
	return plan.create(tx, want)
}

// create checks a unique index against existing live rows, then creates it.
func (plan *indexPlan) create(tx *gorm.DB, want dialect.Index) error {
	if err := checkDuplicates(tx, plan.dialect, want); err != nil {
		return err
	}
	if err := tx.Exec(plan.dialect.CreateIndex(want)).Error; err != nil {
		return fmt.Errorf("softdelete: create index %s: %w", want.Name, err)
	}
	tx.Logger.Info(tx.Statement.Context, "softdelete: created index %s on %s %s",
		want.Name, want.Table, dialect.Describe(want))
	return nil
}

// checkDuplicates fails with ErrDuplicateLiveKeys when rows matching a
// unique index's predicate share a key, naming one such key.
func checkDuplicates(tx *gorm.DB, d dialect.Dialect, ix dialect.Index) error {
	if !ix.Unique {
		return nil
	}
	rows, err := tx.Raw(d.DuplicateKeySQL(ix)).Rows()
	if err != nil {
		return fmt.Errorf("softdelete: check index %s for duplicates: %w", ix.Name, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return rows.Err()
	}
	vals := make([]any, len(ix.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return fmt.Errorf("softdelete: check index %s for duplicates: %w", ix.Name, err)
	}
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		}
	}
	return &DuplicateLiveKeysError{Index: ix.Name, Table: ix.Table, Columns: ix.Columns, Key: vals}
}
