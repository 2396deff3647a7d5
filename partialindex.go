package softdelete

import (
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// indexTag is one field's index tag, as parsed.
type indexTag struct {
	field  *schema.Field
	unique bool
	name   string
}

// indexSpec is one partial index declared with softdelete tags.
type indexSpec struct {
	name   string
	unique bool
	fields []*schema.Field
}

// addIndexField records a field's index tag (TODO: issue 3).
func (m *modelMeta) addIndexField(f *schema.Field, unique bool, name string) error {
	return nil
}

// groupIndexes turns the recorded tags into index specs (TODO: issue 3).
func groupIndexes(m *modelMeta, errs []error) ([]indexSpec, []error) {
	return nil, errs
}

// AutoMigrate runs db.AutoMigrate for models and registers their tables as
// soft-deletable, so Table("name") reads are filtered too.
func AutoMigrate(db *gorm.DB, models ...any) error {
	if err := db.AutoMigrate(models...); err != nil {
		return err
	}
	p := pluginOf(db)
	if p == nil {
		return nil
	}
	for _, model := range models {
		m, err := p.metaFor(db, model)
		if err != nil {
			return err
		}
		if m.softDeletable() {
			p.tables.Store(m.schema.Table, m.field.DBName)
		}
	}
	return nil
}

// IndexSQL returns the DDL of the partial indexes (TODO: issue 3).
func IndexSQL(db *gorm.DB, models ...any) ([]string, error) {
	return nil, errors.New("not implemented")
}

// upsert infers partial-index conflict targets (TODO: issue 3).
func (p *Plugin) upsert(db *gorm.DB) {}

// translateRestoreError reports a unique violation during Restore as ErrRestoreConflict.
func translateRestoreError(db *gorm.DB) {
	err := db.Error
	if t, ok := db.Dialector.(gorm.ErrorTranslator); ok {
		err = t.Translate(err)
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) || strings.Contains(db.Error.Error(), "UNIQUE constraint failed") {
		db.Error = fmt.Errorf("%w: %v", ErrRestoreConflict, db.Error)
	}
}

// baseTable returns the real table name of a Table("name alias") statement.
func baseTable(stmt *gorm.Statement) string {
	if stmt.TableExpr == nil {
		return stmt.Table
	}
	name, _, _ := strings.Cut(strings.TrimSpace(stmt.TableExpr.SQL), " ")
	return strings.Trim(name, "\"`")
}
