// The doctor: Check finds soft-delete mistakes in models and in the
// database before they bite, each with why it matters and the fix.

package softdelete

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// FindingKind classifies a Finding.
type FindingKind string

// The kinds of mistakes Check finds.
const (
	// FindingInvalidTag: a softdelete tag the plugin rejects (ErrInvalidTag).
	FindingInvalidTag FindingKind = "invalid-tag"
	// FindingMisspelledTag: a tag meant for the plugin under a key it does
	// not read (softDelete:"unique", gorm:"softdelete:unique").
	FindingMisspelledTag FindingKind = "misspelled-tag"
	// FindingUnsupportedType: a soft-delete-looking field of a type the
	// plugin does not handle (*time.Time, gorm.io/plugin/soft_delete types).
	FindingUnsupportedType FindingKind = "unsupported-type"
	// FindingGORMUniqueTag: gorm:"uniqueIndex" or gorm:"unique" on a
	// soft-deletable model.
	FindingGORMUniqueTag FindingKind = "gorm-unique-tag"
	// FindingFullUniqueIndex: a unique index or constraint of a
	// soft-deletable table that counts deleted rows.
	FindingFullUniqueIndex FindingKind = "full-unique-index"
	// FindingIndexMissing: a declared partial index absent from the
	// database, or different from its declaration.
	FindingIndexMissing FindingKind = "index-missing"
	// FindingInvalidIndex: a declared partial index left invalid by a failed
	// concurrent build.
	FindingInvalidIndex FindingKind = "invalid-index"
	// FindingUnindexedForeignKey: a softdelete:"cascade" relation whose
	// foreign key has no index on the child table.
	FindingUnindexedForeignKey FindingKind = "unindexed-foreign-key"
	// FindingLiveOrphans: live rows whose soft-deletable parent is deleted.
	FindingLiveOrphans FindingKind = "live-orphans"
	// FindingStaleStatistics: planner statistics gathered before the table
	// had tombstones.
	FindingStaleStatistics FindingKind = "stale-statistics"
)

// Finding is one mistake Check found.
type Finding struct {
	Kind  FindingKind
	Model string // the Go model's name
	Table string // the table concerned (a cascade child's for a foreign key)
	Field string // the Go field, or "" when the finding is about the table
	// Problem says what is wrong, Why what it costs, Fix what to do.
	Problem, Why, Fix string
	// SQL holds statements that fix it (for a migration file), when there
	// are any.
	SQL []string
	// Blocking findings make AutoMigrate and every statement on the model
	// fail (ErrInvalidTag); the others only Check reports.
	Blocking bool
}

// String renders the finding for a log or a test failure:
//
//	Post.Slug (posts): full-unique-index: ... Why: ... Fix: ...
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Model)
	if f.Field != "" {
		b.WriteString("." + f.Field)
	}
	fmt.Fprintf(&b, " (%s): %s: %s Why: %s Fix: %s", f.Table, f.Kind, f.Problem, f.Why, f.Fix)
	for _, s := range f.SQL {
		b.WriteString("\n\t" + s + ";")
	}
	return b.String()
}

// Check examines models and their tables and returns the soft-delete
// mistakes it finds, in model order; none is an empty result. It reads the
// database's catalog, statistics and rows (live rows of deleted parents) but
// changes nothing, so it suits a test or a CI step:
//
//	findings, err := softdelete.Check(db, &User{}, &Post{})
//	for _, f := range findings {
//		t.Error(f)
//	}
//
// Models whose table does not exist yet get only the findings of their Go
// declaration. It fails with ErrNotRegistered without the plugin, with
// gorm.ErrInvalidValue for an argument that is not a model, and with the
// database's error when a catalog read fails.
func Check(db *gorm.DB, models ...any) ([]Finding, error) {
	p := pluginOf(db)
	if p == nil {
		return nil, notRegistered("Check")
	}
	db = db.Session(&gorm.Session{NewDB: true})
	findings := []Finding{}
	seen := map[string]bool{}
	for i, model := range models {
		stmt := &gorm.Statement{DB: db}
		if err := stmt.Parse(model); err != nil {
			return nil, notAModel("Check", i, model, err)
		}
		fs, err := checkModel(db, p.meta(stmt.Schema), seen)
		if err != nil {
			return nil, err
		}
		findings = append(findings, fs...)
	}
	return findings, nil
}

// checkModel returns the findings of one model: its declaration, then its
// table when there is one.
func checkModel(db *gorm.DB, m *modelMeta, seen map[string]bool) ([]Finding, error) {
	c := &checkup{db: db, d: dialect.Of(db), m: m, seen: seen}
	c.declaration()
	if !db.Migrator().HasTable(m.schema.Table) {
		return c.findings, nil
	}
	for _, step := range []func() error{c.tableIndexes, c.declaredIndexes, c.cascadeIndexes, c.orphans, c.statistics} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("softdelete: Check %s: %w", m.schema.Name, err)
		}
	}
	return c.findings, nil
}

// checkup collects the findings of one model.
type checkup struct {
	db       *gorm.DB
	d        dialect.Dialect
	m        *modelMeta
	findings []Finding
	tagged   map[string]bool // column lists of the full unique indexes GORM tags declare (reported as tags)
	seen     map[string]bool // relations whose orphans were counted, across models
}

// add records a finding on the model's table.
func (c *checkup) add(f Finding) {
	f.Model = c.m.schema.Name
	if f.Table == "" {
		f.Table = c.m.schema.Table
	}
	c.findings = append(c.findings, f)
}

// declaration finds the mistakes of the Go model alone: its tags and its
// soft-delete field.
func (c *checkup) declaration() {
	for _, err := range c.m.tagErrs {
		c.tagFinding(err)
	}
	if f, typ := unsupportedField(c.m.schema); !c.m.softDeletable() && f != nil {
		c.add(Finding{Kind: FindingUnsupportedType, Field: f.Name,
			Problem: fmt.Sprintf("field %s is %s, which is not a soft-delete type: the model is not soft-deletable.", f.Name, typ),
			Why:     "db.Delete really deletes its rows, reads return every row, and Restore, OnlyDeleted and Purge fail with ErrNotSoftDeletable.",
			Fix:     fmt.Sprintf("declare %s as softdelete.DeletedAt (or embed softdelete.Model); the column stays a nullable timestamp.", f.Name),
		})
	}
	c.gormUniqueTags()
}

// tagFinding turns one tag error of the model into a finding.
func (c *checkup) tagFinding(err error) {
	var mk *tagMistake
	if errors.As(err, &mk) {
		c.add(Finding{Kind: FindingMisspelledTag, Field: mk.field.Name, Blocking: true,
			Problem: fmt.Sprintf("tag %s is not read by the plugin.", mk.written),
			Why:     "the index, cascade or actor it asks for silently does not exist.",
			Fix:     fmt.Sprintf("write %s.", mk.meant),
		})
		return
	}
	c.add(Finding{Kind: FindingInvalidTag, Blocking: true,
		Problem: err.Error() + ".",
		Why:     "AutoMigrate, IndexSQL and every statement on the model fail with ErrInvalidTag.",
		Fix:     "correct the softdelete tag (see docs/unique-keys.md and docs/cascades.md).",
	})
}

// tagMistake is a tag meant for the plugin under a key it does not read.
type tagMistake struct {
	field   *schema.Field
	written string // the tag as written: softDelete:"unique"
	meant   string // the tag the plugin reads: softdelete:"unique"
}

func (e *tagMistake) Error() string {
	return fmt.Sprintf("tag %s is ignored: write %s", e.written, e.meant)
}

// tagMistakes finds misspelled and misplaced softdelete tags: a struct tag
// key spelled otherwise (softDelete, soft_delete, SoftDelete) and a
// softdelete setting inside the gorm tag (gorm:"softdelete:unique"; the
// gorm.io/plugin/soft_delete settings such as softDelete:flag are left
// alone).
func tagMistakes(s *schema.Schema) []*tagMistake {
	var out []*tagMistake
	for _, f := range s.Fields {
		for _, kv := range structTagPairs(f.Tag) {
			if kv[0] != "softdelete" && normalizeKey(kv[0]) == "softdelete" {
				out = append(out, &tagMistake{field: f,
					written: fmt.Sprintf("%s:%q", kv[0], kv[1]), meant: fmt.Sprintf("softdelete:%q", kv[1])})
			}
		}
		if v, ok := gormSetting(f); ok && isOurValue(v) {
			out = append(out, &tagMistake{field: f,
				written: fmt.Sprintf("gorm:\"softdelete:%s\"", v), meant: fmt.Sprintf("softdelete:%q", v)})
		}
	}
	return out
}

// gormSetting returns the value of a soft-delete key inside the gorm tag.
func gormSetting(f *schema.Field) (string, bool) {
	for k, v := range f.TagSettings {
		if normalizeKey(k) == "softdelete" {
			return v, true
		}
	}
	return "", false
}

// isOurValue reports whether a tag value starts with one of the plugin's
// keywords (unique, unique:NAME, index, cascade, deleted_by).
func isOurValue(v string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(v), ":")
	word, _, _ = strings.Cut(word, ";")
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "unique", "index", "cascade", "deleted_by":
		return true
	}
	return false
}

// normalizeKey lower-cases a tag key and drops '_' and '-'.
func normalizeKey(k string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k))
}

// structTagPairs splits a struct tag into key/value pairs, following the
// reflect.StructTag convention; it stops at the first malformed pair.
func structTagPairs(tag reflect.StructTag) [][2]string {
	var out [][2]string
	s := string(tag)
	for {
		s = strings.TrimLeft(s, " ")
		colon := strings.Index(s, `:"`)
		if colon <= 0 || strings.ContainsAny(s[:colon], " \"") {
			return out
		}
		key := s[:colon]
		rest := s[colon+1:]
		end := closingQuote(rest)
		if end < 0 {
			return out
		}
		if v, ok := tag.Lookup(key); ok {
			out = append(out, [2]string{key, v})
		}
		s = rest[end+1:]
	}
}

// closingQuote returns the index of the quote closing the quoted string at
// the start of s, or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// softDeletePackage is the import path of GORM's soft_delete plugin, whose
// column types this plugin does not handle (detected by name: this module
// does not import it).
const softDeletePackage = "gorm.io/plugin/soft_delete"

// unsupportedField returns the field a model seems to mean as its
// soft-delete field although its type is not one (a DeletedAt/deleted_at
// field of another type, or any gorm.io/plugin/soft_delete type), and that
// type's name; nil when there is none.
func unsupportedField(s *schema.Schema) (*schema.Field, string) {
	for _, f := range s.Fields {
		if f.DBName == "" || isSoftDeleteType(f.IndirectFieldType) {
			continue
		}
		t := f.IndirectFieldType
		if strings.HasPrefix(t.PkgPath(), softDeletePackage) ||
			f.Name == "DeletedAt" || f.DBName == "deleted_at" {
			return f, typeName(f.FieldType)
		}
	}
	return nil, ""
}

// typeName names a type with its full package path when it has one:
// *time.Time, gorm.io/plugin/soft_delete.DeletedAt.
func typeName(t reflect.Type) string {
	prefix := ""
	for t.Kind() == reflect.Pointer {
		prefix += "*"
		t = t.Elem()
	}
	if t.PkgPath() == "" || t.PkgPath() == "time" || t.PkgPath() == "database/sql" {
		return prefix + t.String()
	}
	return prefix + t.PkgPath() + "." + t.Name()
}

// unsupportedHint explains, for an ErrNotSoftDeletable message, which field
// looks like a soft-delete field but has an unsupported type; "" when none.
func (m *modelMeta) unsupportedHint() string {
	if f, typ := unsupportedField(m.schema); f != nil {
		return fmt.Sprintf(" (field %s is %s, not a soft-delete type: use softdelete.DeletedAt)", f.Name, typ)
	}
	return ""
}

// notSoftDeletable is ErrNotSoftDeletable for a verb on the model, naming an
// unsupported soft-delete field when there is one.
func (m *modelMeta) notSoftDeletable(verb string) error {
	return fmt.Errorf("%w: %s on %s%s", ErrNotSoftDeletable, verb, m.schema.Name, m.unsupportedHint())
}
