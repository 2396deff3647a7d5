package softdelete

import (
	"fmt"
	"reflect"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

var (
	ourType  = reflect.TypeOf(DeletedAt{})
	gormType = reflect.TypeOf(gorm.DeletedAt{})
)

// modelMeta is what the plugin knows about one parsed model, computed once per
// *schema.Schema and cached (see Plugin.meta).
type modelMeta struct {
	schema    *schema.Schema
	field     *schema.Field          // the soft-delete field; nil when the model has none
	deletedBy *schema.Field          // softdelete:"deleted_by", optional
	cascades  []*schema.Relationship // softdelete:"cascade" has-one/has-many relations
	parents   []*schema.Relationship // belongs-to relations to soft-deletable models
	links     []*schema.Relationship // many2many relations (their join models, see reviveLinks)
	idxTags   []indexTag             // softdelete index tags as parsed, grouped by groupIndexes
	indexes   []indexSpec
	err       error   // tag errors, reported by every statement on the model
	tagErrs   []error // the errors joined in err, one by one (for Check)

	beforeRestore, afterRestore bool // the model has restore hooks
}

// softDeletable reports whether the model has a soft-delete field.
func (m *modelMeta) softDeletable() bool { return m != nil && m.field != nil }

// column is the soft-delete column of the current table: "posts"."deleted_at".
func (m *modelMeta) column() clause.Column {
	return clause.Column{Table: clause.CurrentTable, Name: m.field.DBName}
}

// meta returns the cached metadata of s, computing it on first use.
func (p *Plugin) meta(s *schema.Schema) *modelMeta {
	if v, ok := p.metas.Load(s); ok {
		return v.(*modelMeta)
	}
	v, _ := p.metas.LoadOrStore(s, buildMeta(s))
	return v.(*modelMeta)
}

// metaFor parses model with db's schema cache and returns its metadata.
func (p *Plugin) metaFor(db *gorm.DB, model any) (*modelMeta, error) {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(model); err != nil {
		return nil, err
	}
	m := p.meta(stmt.Schema)
	return m, m.err
}

// isSoftDeleteType reports whether t is DeletedAt or gorm.DeletedAt.
func isSoftDeleteType(t reflect.Type) bool { return t == ourType || t == gormType }

// buildMeta finds the soft-delete field and parses the softdelete struct tags.
func buildMeta(s *schema.Schema) *modelMeta {
	ptr := reflect.PointerTo(s.ModelType)
	m := &modelMeta{
		schema:        s,
		beforeRestore: ptr.Implements(reflect.TypeOf((*BeforeRestoreInterface)(nil)).Elem()),
		afterRestore:  ptr.Implements(reflect.TypeOf((*AfterRestoreInterface)(nil)).Elem()),
	}
	for _, f := range s.Fields {
		if f.DBName != "" && isSoftDeleteType(f.IndirectFieldType) && m.field == nil {
			m.field = f
		}
	}
	var errs []error
	for _, f := range s.Fields {
		if tag, ok := f.Tag.Lookup("softdelete"); ok {
			if err := m.parseTag(f, tag); err != nil {
				errs = append(errs, err)
			}
		}
	}
	m.links = s.Relationships.Many2Many
	for _, rel := range s.Relationships.BelongsTo {
		if rel.Schema == s && deletedColumn(rel.FieldSchema) != "" && rel.FieldSchema != s {
			m.parents = append(m.parents, rel)
		}
	}
	for _, mk := range tagMistakes(s) {
		errs = append(errs, m.tagError(mk.field, mk))
	}
	m.indexes, errs = groupIndexes(m, errs)
	if len(errs) > 0 {
		m.tagErrs = errs
		m.err = joinErrors(errs)
	}
	return m
}

// parseTag applies one field's softdelete tag ("unique", "unique:NAME",
// "index", "index:NAME", "cascade", "deleted_by"; several separated by ';').
func (m *modelMeta) parseTag(f *schema.Field, tag string) error {
	for _, part := range strings.Split(tag, ";") {
		key, arg, hasArg := strings.Cut(strings.TrimSpace(part), ":")
		var err error
		switch {
		case (key == "unique" || key == "index") && (!hasArg || arg != ""):
			err = m.addIndexField(f, key == "unique", arg)
		case key == "cascade" && !hasArg:
			err = m.addCascade(f)
		case key == "deleted_by" && !hasArg:
			err = m.setDeletedBy(f)
		default:
			err = fmt.Errorf("unknown value %q", part)
		}
		if err != nil {
			return m.tagError(f, err)
		}
	}
	return nil
}

// tagError names the model and field of a tag problem.
func (m *modelMeta) tagError(f *schema.Field, err error) error {
	return fmt.Errorf("%w: %s.%s: %w", ErrInvalidTag, m.schema.Name, f.Name, err)
}

// setDeletedBy records the actor column.
func (m *modelMeta) setDeletedBy(f *schema.Field) error {
	if f.DBName == "" {
		return fmt.Errorf("deleted_by needs a column field")
	}
	if m.deletedBy != nil {
		return fmt.Errorf("deleted_by already set on field %s", m.deletedBy.Name)
	}
	m.deletedBy = f
	return nil
}

// addCascade records a has-one/has-many relation to cascade through.
func (m *modelMeta) addCascade(f *schema.Field) error {
	rel, ok := m.schema.Relationships.Relations[f.Name]
	if !ok || rel.Field != f {
		return fmt.Errorf("cascade needs a has-one or has-many association field")
	}
	if rel.Type != schema.HasOne && rel.Type != schema.HasMany {
		return fmt.Errorf("cascade needs a has-one or has-many association, not %s", rel.Type)
	}
	if m.field == nil {
		return fmt.Errorf("cascade on a model with no soft-delete field (%w)", ErrNotSoftDeletable)
	}
	if deletedColumn(rel.FieldSchema) == "" {
		return fmt.Errorf("cascade target %s has no soft-delete field (%w)", rel.FieldSchema.Name, ErrNotSoftDeletable)
	}
	if rel.FieldSchema == m.schema && (len(rel.References) != 1 || !rel.References[0].OwnPrimaryKey) {
		return fmt.Errorf("a self-referencing cascade needs a single-column foreign key")
	}
	m.cascades = append(m.cascades, rel)
	return nil
}

// joinErrors joins tag errors into one error that still matches ErrInvalidTag.
func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = strings.TrimPrefix(e.Error(), ErrInvalidTag.Error()+": ")
	}
	return fmt.Errorf("%w: %s", ErrInvalidTag, strings.Join(msgs, "; "))
}
