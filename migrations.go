// Migration files: MigrationSQL renders the up and down statements of the
// partial indexes models declare, optionally CONCURRENTLY on PostgreSQL, and
// the conversion of existing full unique indexes into live-only ones.

package softdelete

import (
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// MigrationOptions says how MigrationSQL renders statements.
type MigrationOptions struct {
	// Concurrently builds and drops indexes without blocking writes, on a
	// database that can (PostgreSQL: CREATE/DROP INDEX CONCURRENTLY). Such
	// statements cannot run inside a transaction: Migration.NoTransaction is
	// then true, and a migration tool must run each statement on its own
	// (goose: -- +goose NO TRANSACTION; golang-migrate: one statement per
	// file). Elsewhere (SQLite) it is ignored and the files stay transactional.
	Concurrently bool
	// Replace lists existing full unique indexes (or constraints) that the
	// models' live-only indexes replace: the up migration builds the partial
	// index, then drops the full one; the down migration rebuilds the full
	// one, then drops the partial one.
	Replace []Replacement
}

// Replacement names an existing full unique index that a model's live-only
// unique index replaces.
type Replacement struct {
	// Index is the partial unique index that takes over, as the model
	// declares it (IndexSQL shows the names): "uidx_users_email".
	Index string
	// Old is the full unique index or constraint to drop:
	// "idx_users_email" from gorm:"uniqueIndex", "uni_users_email" from
	// gorm:"unique" (PostgreSQL), or a hand-written migration's name. It may
	// equal Index: the old index is then dropped first.
	Old string
	// Constraint says Old is a table constraint (gorm:"unique" on
	// PostgreSQL), dropped with ALTER TABLE ... DROP CONSTRAINT. SQLite keeps
	// such constraints in CREATE TABLE and cannot drop them: MigrationSQL
	// fails with ErrInvalidMigration there.
	Constraint bool
}

// Migration is the up and down SQL of the partial indexes of some models.
type Migration struct {
	// Steps holds one step per index, in model order then index name.
	Steps []IndexMigration
	// NoTransaction is true when the statements use CONCURRENTLY: they must
	// run outside any transaction, one statement at a time.
	NoTransaction bool
}

// IndexMigration is what one index needs, up and down.
type IndexMigration struct {
	Model string // the Go model declaring the index
	Table string
	Index string
	// Up creates the index (IF NOT EXISTS) and drops the full unique index
	// it replaces, if any.
	Up []string
	// Down reverses Up: rebuilds the replaced full unique index, if any, and
	// drops the index (IF EXISTS). Rebuilding a full unique index fails once
	// a deleted key has been reused by a live row: that is the point of the
	// live-only index.
	Down []string
	// Repair drops and rebuilds the index. Run it when the index exists but
	// is invalid (a CONCURRENTLY build that failed leaves it so, and IF NOT
	// EXISTS then skips it): Check reports such an index with these
	// statements, and AutoMigrate rebuilds it by itself.
	Repair []string
}

// StatementPair is one statement of a step and the statement undoing it.
type StatementPair struct{ Up, Down string }

// Pairs splits the step into its statements, each with the one undoing it,
// in Up order: running every pair's Up in order, then every pair's Down in
// reverse order, runs Up then Down. It suits tools that want one statement
// per migration (golang-migrate with CONCURRENTLY: a file pair per
// statement).
func (s IndexMigration) Pairs() []StatementPair {
	pairs := make([]StatementPair, len(s.Up))
	for i, up := range s.Up {
		pairs[i] = StatementPair{Up: up, Down: s.Down[len(s.Down)-1-i]}
	}
	return pairs
}

// Up returns every step's Up statements, in order.
func (m *Migration) Up() []string {
	var out []string
	for _, s := range m.Steps {
		out = append(out, s.Up...)
	}
	return out
}

// Down returns every step's Down statements, steps in reverse order.
func (m *Migration) Down() []string {
	var out []string
	for _, s := range slices.Backward(m.Steps) {
		out = append(out, s.Down...)
	}
	return out
}

// MigrationSQL returns the up and down statements of the partial indexes
// models declare, for migration files (golang-migrate, goose, Atlas, ...):
//
//	m, err := softdelete.MigrationSQL(db, softdelete.MigrationOptions{Concurrently: true}, &User{})
//	// m.Up():   CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "uidx_users_email" ON "users" ("email") WHERE "deleted_at" IS NULL
//	// m.Down(): DROP INDEX CONCURRENTLY IF EXISTS "uidx_users_email"
//
// Statements are rendered for db's dialect; IF [NOT] EXISTS makes a
// half-applied migration safe to run again. Like IndexSQL it does not touch
// the database and validates tags as AutoMigrate does; a Replacement naming
// no unique index of models, or with an empty Old, fails with
// ErrInvalidMigration. On MySQL/MariaDB each statement is the ALTER TABLE
// that adds (or drops) the index with its generated column. See
// docs/migrations.md.
func MigrationSQL(db *gorm.DB, opts MigrationOptions, models ...any) (*Migration, error) {
	plan, err := planIndexes(db, "MigrationSQL", models)
	if err != nil {
		return nil, err
	}
	if f := plan.dialect.Features(); len(plan.indexes) > 0 && !f.Has(dialect.PartialIndexes) && !f.Has(dialect.GeneratedColumnIndexes) {
		return nil, fmt.Errorf("%w: %s has no live-only indexes (%w)",
			ErrInvalidMigration, plan.dialect.Name(), errors.ErrUnsupported)
	}
	if err := checkReplacements(plan, opts.Replace); err != nil {
		return nil, err
	}
	ddl := migrationDDL(plan.dialect, opts)
	m := &Migration{NoTransaction: ddl.Concurrently}
	for _, ix := range plan.indexes {
		step, err := indexStep(plan.dialect, ddl, ix, opts.Replace)
		if err != nil {
			return nil, err
		}
		m.Steps = append(m.Steps, step)
	}
	return m, nil
}

// migrationDDL is how migration statements are rendered on d: always with
// IF [NOT] EXISTS, CONCURRENTLY when asked and possible.
func migrationDDL(d dialect.Dialect, opts MigrationOptions) dialect.DDL {
	return dialect.DDL{
		IfExists:     true,
		Concurrently: opts.Concurrently && d.Features().Has(dialect.ConcurrentIndexes),
	}
}

// checkReplacements fails with ErrInvalidMigration for a replacement whose
// Index is not a planned unique index, or whose Old is empty.
func checkReplacements(plan *indexPlan, rs []Replacement) error {
	for _, r := range rs {
		if r.Old == "" {
			return fmt.Errorf("%w: replacement of %q names no old index", ErrInvalidMigration, r.Index)
		}
		i := slices.IndexFunc(plan.indexes, func(ix plannedIndex) bool { return ix.def.Name == r.Index })
		switch {
		case i < 0:
			return fmt.Errorf("%w: replacement of %q by %q: the models declare no index %q",
				ErrInvalidMigration, r.Old, r.Index, r.Index)
		case !plan.indexes[i].def.Unique:
			return fmt.Errorf("%w: replacement of %q by %q: %q is not unique (softdelete:\"index\")",
				ErrInvalidMigration, r.Old, r.Index, r.Index)
		}
	}
	return nil
}

// indexStep renders one index's up, down and repair statements.
func indexStep(d dialect.Dialect, ddl dialect.DDL, ix plannedIndex, rs []Replacement) (IndexMigration, error) {
	step := IndexMigration{Model: ix.meta.schema.Name, Table: ix.def.Table, Index: ix.def.Name}
	create := d.CreateIndexDDL(ix.def, ddl)
	drop, err := d.DropIndexDDL(ix.def, ddl)
	if err != nil {
		return step, fmt.Errorf("%w: index %s: %w", ErrInvalidMigration, ix.def.Name, err)
	}
	step.Repair = []string{drop, create}
	step.Up = []string{create}
	step.Down = []string{drop}
	for _, r := range rs {
		if r.Index != ix.def.Name {
			continue
		}
		if err := addReplacement(d, ddl, ix.def, r, &step); err != nil {
			return step, err
		}
	}
	return step, nil
}

// addReplacement adds the drop of the full unique index r.Old to step's Up
// and its rebuild to step's Down.
func addReplacement(d dialect.Dialect, ddl dialect.DDL, def dialect.Index, r Replacement, step *IndexMigration) error {
	old := dialect.Index{Name: r.Old, Table: def.Table, Columns: def.Columns, Unique: true, Constraint: r.Constraint}
	drop, err := d.DropIndexDDL(old, ddl)
	if err != nil {
		return fmt.Errorf("%w: replace %s by %s: %w", ErrInvalidMigration, r.Old, def.Name, err)
	}
	rebuild := d.CreateIndexDDL(old, ddl)
	if r.Old == def.Name {
		// Same name: the old index must go before the new one can be built,
		// and the new one before the old one comes back.
		step.Up = append([]string{drop}, step.Up...)
		step.Down = append(step.Down, rebuild)
		return nil
	}
	step.Up = append(step.Up, drop)
	step.Down = append([]string{rebuild}, step.Down...)
	return nil
}
