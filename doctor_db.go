// The doctor's database checks: full unique indexes, declared partial
// indexes, cascade foreign-key indexes, live rows of deleted parents and
// planner statistics.

package softdelete

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// ddl is how the doctor's fixes are rendered: CONCURRENTLY where possible
// (run them outside a transaction), IF [NOT] EXISTS.
func (c *checkup) ddl() dialect.DDL {
	return migrationDDL(c.d, MigrationOptions{Concurrently: true})
}

// liveOnly is the predicate of the model's partial indexes.
func (c *checkup) liveOnly() string { return c.d.Quote(c.m.field.DBName) + " IS NULL" }

// gormUniqueTags reports gorm:"uniqueIndex" and gorm:"unique" on a
// soft-deletable model.
func (c *checkup) gormUniqueTags() {
	c.tagged = map[string]bool{}
	if !c.m.softDeletable() {
		return
	}
	s := c.m.schema
	for _, idx := range s.ParseIndexes() {
		if idx.Class != "UNIQUE" || mentions(idx.Where, c.m.field.DBName) {
			continue
		}
		var names, cols []string
		for _, o := range idx.Fields {
			names = append(names, o.Name)
			cols = append(cols, o.DBName)
		}
		c.tagged[strings.Join(cols, ",")] = true
		c.gormUniqueFinding(strings.Join(names, ", "), `gorm:"uniqueIndex"`,
			dialect.Index{Name: idx.Name, Table: s.Table, Columns: cols, Unique: true})
	}
	for _, f := range s.Fields {
		if f.Unique && f.DBName != "" && !f.PrimaryKey {
			name := c.db.NamingStrategy.UniqueName(s.Table, f.DBName)
			c.tagged[f.DBName] = true
			c.gormUniqueFinding(f.Name, `gorm:"unique"`,
				dialect.Index{Name: name, Table: s.Table, Columns: []string{f.DBName}, Unique: true, Constraint: true})
		}
	}
}

// gormUniqueFinding records one GORM unique tag and the conversion of the
// index (or constraint) it created.
func (c *checkup) gormUniqueFinding(fields, tag string, old dialect.Index) {
	f := Finding{Kind: FindingGORMUniqueTag, Field: fields,
		Problem: fmt.Sprintf("%s makes GORM create the full unique %s %s on (%s).", tag, kindOf(old), old.Name, strings.Join(old.Columns, ", ")),
		Why:     "deleted rows keep their keys: once a row is deleted no live row can take its key again.",
		Fix: `replace the tag with softdelete:"unique" (softdelete:"unique:NAME" on each field of a composite key), ` +
			"then drop the full index in favour of the live-only one (the SQL below, outside a transaction where it says CONCURRENTLY).",
		SQL: c.conversion(old),
	}
	if len(f.SQL) == 1 {
		f.Fix += " SQLite cannot drop a UNIQUE constraint: the table must be rebuilt without it."
	}
	c.add(f)
}

// kindOf names what holds a unique key: "index" or "constraint".
func kindOf(ix dialect.Index) string {
	if ix.Constraint {
		return "constraint"
	}
	return "index"
}

// mentions reports whether a predicate mentions column.
func mentions(pred, column string) bool {
	return strings.Contains(dialect.NormalizePredicate(pred), strings.ToLower(column))
}

// conversion returns the statements replacing the full unique index old by
// a live-only one on the same columns: the model's declared index when it
// has one on those columns, else one of the default name. Where the old
// index cannot be dropped (a SQLite UNIQUE constraint), only the create is
// returned.
func (c *checkup) conversion(old dialect.Index) []string {
	old.Table = c.m.schema.Table // as the model names it, not as the catalog qualifies it
	cols := slices.DeleteFunc(slices.Clone(old.Columns), func(col string) bool { return col == c.m.field.DBName })
	name := ""
	for _, s := range c.m.indexes {
		if s.unique && s.hasColumns(cols) {
			name = s.name
		}
	}
	if name == "" {
		name = shortenName(uniquePrefix + strings.ReplaceAll(c.m.schema.Table, ".", "_") + "_" + strings.Join(cols, "_"))
	}
	ddl := c.ddl()
	create := c.d.CreateIndexDDL(dialect.Index{Name: name, Table: old.Table, Columns: cols, Unique: true, Where: c.liveOnly()}, ddl)
	drop, err := c.d.DropIndexDDL(old, ddl)
	switch {
	case err != nil:
		return []string{create}
	case name == old.Name:
		return []string{drop, create}
	}
	return []string{create, drop}
}

// readIndexes reads every index of table from the catalog; ok is false on
// a database whose catalog the plugin cannot read.
func (c *checkup) readIndexes(table string) (ixs []dialect.Index, ok bool, err error) {
	names, err := c.d.IndexNames(c.db, table)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	for _, n := range names {
		ix, err := c.d.ReadIndex(c.db, n, table)
		if err != nil {
			return nil, false, err
		}
		if ix != nil {
			ixs = append(ixs, *ix)
		}
	}
	return ixs, true, nil
}

// tableIndexes reports the full unique indexes and constraints of a
// soft-deletable table (other than the primary key and those reported as
// GORM tags).
func (c *checkup) tableIndexes() error {
	if !c.m.softDeletable() {
		return nil
	}
	ixs, _, err := c.readIndexes(c.m.schema.Table)
	if err != nil {
		return err
	}
	for _, ix := range ixs {
		if !ix.Unique || ix.Where != "" || c.tagged[strings.Join(ix.Columns, ",")] || slices.Contains(ix.Columns, "") ||
			slices.Equal(ix.Columns, c.m.schema.PrimaryFieldDBNames) || c.declares(ix.Name) {
			continue
		}
		c.fullUniqueFinding(ix)
	}
	return nil
}

// declares reports whether the model declares a partial index of that name.
func (c *checkup) declares(name string) bool {
	return slices.ContainsFunc(c.m.indexes, func(s indexSpec) bool { return s.name == name })
}

// fullUniqueFinding records a full unique index found in the catalog.
func (c *checkup) fullUniqueFinding(ix dialect.Index) {
	f := Finding{Kind: FindingFullUniqueIndex,
		Problem: fmt.Sprintf("unique %s %s on (%s) counts deleted rows.", kindOf(ix), ix.Name, strings.Join(ix.Columns, ", ")),
		Why:     "a deleted row keeps its key: no live row can take it again.",
		Fix:     "declare the key with softdelete:\"unique\" and replace the index by the live-only one (the SQL below).",
		SQL:     c.conversion(ix),
	}
	if slices.Contains(ix.Columns, c.m.field.DBName) {
		f.Problem = fmt.Sprintf("unique %s %s on (%s) includes the soft-delete column.", kindOf(ix), ix.Name, strings.Join(ix.Columns, ", "))
		f.Why = "NULLs are distinct in a unique index: any number of live rows (deleted_at NULL) may share the key."
	}
	if len(f.SQL) == 1 {
		f.Fix += " SQLite cannot drop a UNIQUE constraint: the table must be rebuilt without it."
	}
	c.add(f)
}

// declaredIndexes reports declared partial indexes that are missing,
// different, or invalid in the catalog.
func (c *checkup) declaredIndexes() error {
	if f := c.d.Features(); len(c.m.indexes) == 0 || !f.Has(dialect.PartialIndexes) && !f.Has(dialect.GeneratedColumnIndexes) {
		return nil
	}
	for i := range c.m.indexes {
		want := c.m.indexes[i].definition(c.d, c.m)
		have, err := c.d.ReadIndex(c.db, want.Name, want.Table)
		if err != nil {
			return err
		}
		step, err := indexStep(c.d, c.ddl(), plannedIndex{meta: c.m, def: want}, nil)
		if err != nil {
			return err
		}
		c.declaredFinding(want, have, step)
	}
	return nil
}

// declaredFinding records the state of one declared index, if it is wrong.
func (c *checkup) declaredFinding(want dialect.Index, have *dialect.Index, step IndexMigration) {
	why := "the key is not enforced among live rows, and upserts on it fail (no arbiter index)."
	switch {
	case have == nil:
		c.add(Finding{Kind: FindingIndexMissing, Problem: fmt.Sprintf("declared index %s is not in the database.", want.Name),
			Why: why, Fix: "run softdelete.AutoMigrate, or a migration with the SQL below (softdelete.MigrationSQL).", SQL: step.Up})
	case have.Invalid:
		c.add(Finding{Kind: FindingInvalidIndex, Problem: fmt.Sprintf("index %s is invalid (a concurrent build failed).", want.Name),
			Why: why + " CREATE INDEX IF NOT EXISTS skips it, so rerunning the migration does not repair it.",
			Fix: "fix the cause (duplicate live keys), then drop and rebuild it (the SQL below), or run softdelete.AutoMigrate.", SQL: step.Repair})
	case !dialect.Same(*have, want):
		c.add(Finding{Kind: FindingIndexMissing, Problem: fmt.Sprintf("index %s is %s, declared %s.", want.Name, dialect.Describe(*have), dialect.Describe(want)),
			Why: why, Fix: "rebuild it (the SQL below), or run softdelete.AutoMigrate, which repairs it.", SQL: step.Repair})
	}
}

// cascadeIndexes reports softdelete:"cascade" relations whose foreign key
// has no index on the child table.
func (c *checkup) cascadeIndexes() error {
	for _, rel := range c.m.cascades {
		child := rel.FieldSchema
		cols := foreignKeys(rel)
		ixs, ok, err := c.readIndexes(child.Table)
		if err != nil || !ok {
			return err
		}
		if slices.ContainsFunc(ixs, func(ix dialect.Index) bool { return leads(ix.Columns, cols) }) {
			continue
		}
		ix := dialect.Index{Name: shortenName(indexPrefix + strings.ReplaceAll(child.Table, ".", "_") + "_" + strings.Join(cols, "_")),
			Table: child.Table, Columns: cols}
		c.add(Finding{Kind: FindingUnindexedForeignKey, Table: child.Table, Field: rel.Name,
			Problem: fmt.Sprintf("cascade %s.%s: %s (%s) has no index.", c.m.schema.Name, rel.Name, child.Table, strings.Join(cols, ", ")),
			Why:     "every cascading delete, restore, hard delete and purge scans the whole child table, holding its locks meanwhile.",
			Fix:     fmt.Sprintf("index the foreign key (gorm:\"index\" on %s's field, or the SQL below).", child.Name),
			SQL:     []string{c.d.CreateIndexDDL(ix, c.ddl())},
		})
	}
	return nil
}

// foreignKeys are the child-side columns of a relation.
func foreignKeys(rel *schema.Relationship) []string {
	cols := make([]string, 0, len(rel.References))
	for _, ref := range rel.References {
		cols = append(cols, ref.ForeignKey.DBName)
	}
	return cols
}

// leads reports whether the first len(cols) columns of an index are cols,
// in any order.
func leads(index, cols []string) bool {
	if len(index) < len(cols) {
		return false
	}
	for _, c := range index[:len(cols)] {
		if !slices.Contains(cols, c) {
			return false
		}
	}
	return true
}
