package softdelete

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// ErrDuplicateLiveKeys is returned by AutoMigrate when live rows already
// share a key of a unique index it would create (or rebuild); the error
// names the index and one duplicated key. Nothing is changed. It also
// satisfies errors.Is(err, gorm.ErrDuplicatedKey).
var ErrDuplicateLiveKeys = fmt.Errorf("softdelete: live rows share a unique key (%w)", gorm.ErrDuplicatedKey)

// Default index names. A softdelete:"unique" field gets
// uidx_<table>_<column>, a softdelete:"index" field idx_<table>_<column>_live
// (dots of a schema-qualified table become underscores). Names longer than
// dialect.MaxIdentifierLength bytes are shortened, see shortenName.
const (
	uniquePrefix = "uidx_"
	indexPrefix  = "idx_"
	indexSuffix  = "_live"
	// hashLen is the number of hex digits of the hash ending a shortened name.
	hashLen = 8
)

// indexTag is one field's index tag, as parsed.
type indexTag struct {
	field  *schema.Field
	unique bool
	name   string // "" for the default name
}

// indexSpec is one partial index declared with softdelete tags: its columns
// hold among live rows only.
type indexSpec struct {
	name     string
	explicit bool // named in the tag (softdelete:"unique:NAME"), so fields may share it
	unique   bool
	fields   []*schema.Field // in field order
	columns  []string        // DBNames of fields
	// target is the live-row predicate as an ON CONFLICT target (unique
	// indexes only): "deleted_at" IS NULL, literal SQL so the database can
	// infer the partial index.
	target clause.Where
}

// addIndexField records a field's index tag (unique or not, with an explicit
// name or ""), after checking what can be checked on its own.
func (m *modelMeta) addIndexField(f *schema.Field, unique bool, name string) error {
	kind := tagKind(unique)
	switch {
	case m.field == nil:
		return fmt.Errorf("%s on a model with no soft-delete field (%w)", kind, ErrNotSoftDeletable)
	case f.DBName == "":
		return fmt.Errorf("%s needs a column field", kind)
	case f == m.field || f.DBName == m.field.DBName:
		return fmt.Errorf("%s on the soft-delete column itself (every partial index already filters it)", kind)
	case len(name) > dialect.MaxIdentifierLength:
		return fmt.Errorf("index name %q is %d bytes; at most %d are allowed (PostgreSQL's limit)",
			name, len(name), dialect.MaxIdentifierLength)
	}
	m.idxTags = append(m.idxTags, indexTag{field: f, unique: unique, name: name})
	return nil
}

// tagKind is the tag keyword of an index kind, for messages.
func tagKind(unique bool) string {
	if unique {
		return "unique"
	}
	return "index"
}

// groupIndexes turns the recorded tags into index specs, sorted by name: one
// per unnamed tag, one per NAME (its fields in field order). It appends
// errors for a NAME used with both unique and index, a field listed twice in
// one index, and two indexes of the model with the same name.
func groupIndexes(m *modelMeta, errs []error) ([]indexSpec, []error) {
	g := indexGrouper{m: m, byName: map[string]int{}}
	for _, t := range m.idxTags {
		if err := g.add(t); err != nil {
			errs = append(errs, m.tagError(t.field, err))
		}
	}
	sort.Slice(g.specs, func(a, b int) bool { return g.specs[a].name < g.specs[b].name })
	for i := range g.specs {
		g.specs[i].finish(m)
	}
	return g.specs, errs
}

// indexGrouper collects a model's index tags into specs by name.
type indexGrouper struct {
	m      *modelMeta
	specs  []indexSpec
	byName map[string]int // name -> index in specs
}

// add puts one tag into its index: a new one, or the explicitly named one
// it shares.
func (g *indexGrouper) add(t indexTag) error {
	name := t.name
	if name == "" {
		name = defaultIndexName(g.m.schema.Table, t.field.DBName, t.unique)
	}
	i, seen := g.byName[name]
	switch {
	case !seen:
		g.byName[name] = len(g.specs)
		g.specs = append(g.specs, indexSpec{name: name, explicit: t.name != "", unique: t.unique,
			fields: []*schema.Field{t.field}})
		return nil
	case t.name == "" || !g.specs[i].explicit:
		return fmt.Errorf("index name %q is used twice", name)
	}
	return g.specs[i].add(t)
}

// add adds the field of a named tag to the index of that name.
func (s *indexSpec) add(t indexTag) error {
	if s.unique != t.unique {
		return fmt.Errorf("index name %q is used with both unique and index", s.name)
	}
	for _, f := range s.fields {
		if f == t.field {
			return fmt.Errorf("field listed twice in index %q", s.name)
		}
	}
	s.fields = append(s.fields, t.field)
	return nil
}

// finish computes the columns and, for a unique index, the conflict target.
func (s *indexSpec) finish(m *modelMeta) {
	s.columns = make([]string, len(s.fields))
	for i, f := range s.fields {
		s.columns[i] = f.DBName
	}
	if s.unique {
		s.target = clause.Where{Exprs: []clause.Expression{
			clause.Eq{Column: clause.Column{Name: m.field.DBName}, Value: nil},
		}}
	}
}

// covers reports whether cols are the index's columns, as a set.
func (s *indexSpec) covers(cols []clause.Column) bool {
	if len(cols) != len(s.columns) {
		return false
	}
	for _, c := range cols {
		if c.Raw || !slices.Contains(s.columns, c.Name) {
			return false
		}
	}
	return true
}

// hasColumns reports whether cols are the index's columns, as a set.
func (s *indexSpec) hasColumns(cols []string) bool {
	if len(cols) != len(s.columns) {
		return false
	}
	for _, c := range cols {
		if !slices.Contains(s.columns, c) {
			return false
		}
	}
	return true
}

// definition is the index as the dialect builds it: the model's table and
// columns, WHERE <soft-delete column> IS NULL.
func (s *indexSpec) definition(d dialect.Dialect, m *modelMeta) dialect.Index {
	return dialect.Index{
		Name:    s.name,
		Table:   m.schema.Table,
		Columns: s.columns,
		Unique:  s.unique,
		Where:   d.Quote(m.field.DBName) + " IS NULL",
	}
}

// defaultIndexName is uidx_<table>_<column> or idx_<table>_<column>_live,
// shortened when too long.
func defaultIndexName(table, column string, unique bool) string {
	base := strings.ReplaceAll(table, ".", "_") + "_" + column
	if unique {
		return shortenName(uniquePrefix + base)
	}
	return shortenName(indexPrefix + base + indexSuffix)
}

// shortenName keeps a name of at most dialect.MaxIdentifierLength bytes as
// it is; a longer one becomes its first bytes (cut at a character boundary)
// + "_" + the first 8 hex digits of the SHA-256 of the whole name, 63 bytes
// at most. The result is deterministic and distinct names stay distinct in
// practice.
func shortenName(name string) string {
	if len(name) <= dialect.MaxIdentifierLength {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	cut := dialect.MaxIdentifierLength - 1 - hashLen
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + "_" + hex.EncodeToString(sum[:])[:hashLen]
}

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
	if len(m.indexes) > 0 && !plan.dialect.Features().Has(dialect.PartialIndexes) {
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
// and one such key, and no index is changed.
func AutoMigrate(db *gorm.DB, models ...any) error {
	plan, err := planIndexes(db, "AutoMigrate", models)
	if err != nil {
		return err
	}
	if err := db.AutoMigrate(models...); err != nil {
		return err
	}
	plan.register(pluginOf(db))
	return plan.apply(db)
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
	return fmt.Errorf("%w: cannot create index %s on %s: more than one live row has (%s) = (%s)",
		ErrDuplicateLiveKeys, ix.Name, ix.Table, strings.Join(ix.Columns, ", "), formatKey(vals))
}

// formatKey renders a key's values for an error message.
func formatKey(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		parts[i] = fmt.Sprintf("%#v", v)
	}
	return strings.Join(parts, ", ")
}

// translateRestoreError reports a unique violation during Restore (db.Error
// set by the failed statement) as ErrRestoreConflict, naming the index and
// keeping the driver's error in the chain.
func translateRestoreError(db *gorm.DB) {
	err := db.Error
	if err == nil || errors.Is(err, ErrRestoreConflict) {
		return
	}
	v, ok := dialect.Of(db).UniqueViolation(db, err)
	if !ok {
		return
	}
	db.Error = fmt.Errorf("%w: %s: %w", ErrRestoreConflict, conflictTarget(db, v), err)
}

// conflictTarget names the index a violation hit: the name the database
// reports (PostgreSQL), or the declared index with the reported columns
// (SQLite), or the declared unique indexes it can be.
func conflictTarget(db *gorm.DB, v dialect.Violation) string {
	if v.Index != "" {
		return fmt.Sprintf("index %q", v.Index)
	}
	p, s := pluginOf(db), db.Statement.Schema
	if p == nil || s == nil {
		return "unique index"
	}
	m := p.meta(s)
	if v.Table != "" && v.Table != s.Table {
		m = p.metaOfTable(v.Table)
	}
	if m == nil {
		return fmt.Sprintf("unique index on %s (%s)", v.Table, strings.Join(v.Columns, ", "))
	}
	var names []string
	for i := range m.indexes {
		if ix := &m.indexes[i]; ix.unique {
			if len(v.Columns) > 0 && ix.hasColumns(v.Columns) {
				return fmt.Sprintf("index %q", ix.name)
			}
			names = append(names, fmt.Sprintf("%q", ix.name))
		}
	}
	switch {
	case len(v.Columns) > 0:
		return fmt.Sprintf("unique index on %s (%s)", v.Table, strings.Join(v.Columns, ", "))
	case len(names) == 1:
		return "index " + names[0]
	case len(names) > 1:
		return "one of indexes " + strings.Join(names, ", ")
	}
	return "unique index"
}

// metaOfTable finds the cached metadata of a model stored in table (cascade
// children hit during a restore), or nil.
func (p *Plugin) metaOfTable(table string) *modelMeta {
	var found *modelMeta
	p.metas.Range(func(_, v any) bool {
		if m, _ := v.(*modelMeta); m != nil && m.schema.Table == table && m.softDeletable() {
			found = m
			return false
		}
		return true
	})
	return found
}
