// Partial-index declarations: the softdelete:"unique" and softdelete:"index" tags
// of a model, grouped into live-only (partial) index specifications.

package softdelete

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

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
		return fmt.Errorf("%s on a model with no soft-delete field%s (%w)", kind, m.unsupportedHint(), ErrNotSoftDeletable)
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
