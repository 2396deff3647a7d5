package softdelete

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/gorm-softdelete/softdelete/internal/dialect"
)

// Zombie-free restore brings back the cascade children whose deletion
// timestamp equals their parent's. That needs no unique clock if a cascading
// delete never takes a timestamp an earlier tombstone below it already holds:
// after an NTP step back, with a coarse WithClock, or with two deletes in one
// tick, a child deleted on its own could otherwise share its parent's
// timestamp and come back with it. cascadeTimestamp therefore moves the
// timestamp of a cascading delete past the newest tombstone of every table
// the cascade reaches — one statement, an index lookup per table (the
// soft-delete column is indexed in Model and gorm.Model).

// timestampStep is the finest distinct stored timestamp: deletion
// timestamps are written truncated to microseconds, or to the coarser
// precision of their columns (MySQL's datetime(3), see timeStep).
const timestampStep = time.Microsecond

// cascadeTable is one table a cascading delete reaches.
type cascadeTable struct {
	table, column string
	field         *schema.Field // the soft-delete field (its precision, see timeStep)
}

// cascadeTables returns the tables below m through softdelete:"cascade"
// relations, recursively (m's own table when it cascades to itself),
// computed once per model.
func (p *Plugin) cascadeTables(m *modelMeta) []cascadeTable {
	if len(m.cascades) == 0 {
		return nil
	}
	if v, ok := p.reach.Load(m.schema); ok {
		return v.([]cascadeTable)
	}
	v, _ := p.reach.LoadOrStore(m.schema, p.tablesBelow(m, map[*schema.Schema]bool{}))
	return v.([]cascadeTable)
}

// tablesBelow walks the cascade relations below m; seen guards cycles.
func (p *Plugin) tablesBelow(m *modelMeta, seen map[*schema.Schema]bool) []cascadeTable {
	var tables []cascadeTable
	for _, rel := range m.cascades {
		if seen[rel.FieldSchema] {
			continue
		}
		seen[rel.FieldSchema] = true
		cm := p.meta(rel.FieldSchema)
		tables = append(tables, cascadeTable{table: cm.schema.Table, column: cm.field.DBName, field: cm.field})
		tables = append(tables, p.tablesBelow(cm, seen)...)
	}
	return tables
}

// associationTables returns the tables a soft delete that selects
// associations reaches: its cascades, and every selected soft-deletable
// has-one/has-many association GORM's association step deletes, with the
// cascades below it. Their deletes share the root's timestamp.
func (p *Plugin) associationTables(stmt *gorm.Statement, m *modelMeta) []cascadeTable {
	tables := p.cascadeTables(m)
	sel, restricted := stmt.SelectAndOmitColumns(true, false)
	if !restricted {
		return tables
	}
	tables = append([]cascadeTable(nil), tables...)
	for name, on := range sel {
		rel, ok := m.schema.Relationships.Relations[name]
		if !on || !ok || (rel.Type != schema.HasOne && rel.Type != schema.HasMany) {
			continue
		}
		cm := p.meta(rel.FieldSchema)
		if !cm.softDeletable() || cm.err != nil {
			continue
		}
		tables = append(tables, cascadeTable{table: cm.schema.Table, column: cm.field.DBName, field: cm.field})
		tables = append(tables, p.cascadeTables(cm)...)
	}
	return tables
}

// cascadeTimestamp returns ts, or just after the newest tombstone of the
// tables a cascading delete of m reaches when that is not older than ts.
func (p *Plugin) cascadeTimestamp(db *gorm.DB, m *modelMeta, ts time.Time) (time.Time, error) {
	tables := p.cascadeTables(m)
	return pastTombstones(db, tables, m.schema.Table, ts, timeStep(db, m, tables))
}

// timeStep is the precision a timestamp written to m's soft-delete column
// and to tables is stored with: the coarsest of theirs (a microsecond, or
// the column type's on MySQL: datetime(3) is a millisecond), so the one
// timestamp of a delete is stored equal everywhere, equal to what is
// written back, and a step past a tombstone is a distinct stored value.
func timeStep(db *gorm.DB, m *modelMeta, tables []cascadeTable) time.Duration {
	d, step := dialect.Of(db), timestampStep
	coarsest := func(f *schema.Field) {
		if s := d.TimeStep(db, f); s > step {
			step = s
		}
	}
	if m.softDeletable() {
		coarsest(m.field)
	}
	for _, t := range tables {
		coarsest(t.field)
	}
	return step
}

// pastTombstones returns ts truncated to step, or just after the newest
// tombstone of tables when that is not older (below is the root table, for
// errors).
func pastTombstones(db *gorm.DB, tables []cascadeTable, below string, ts time.Time, step time.Duration) (time.Time, error) {
	ts = ts.Truncate(step)
	if len(tables) == 0 || db.DryRun {
		return ts, nil
	}
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = "SELECT MAX(" + db.Statement.Quote(t.column) + ") FROM " + db.Statement.Quote(t.table)
	}
	rows, err := db.Session(&gorm.Session{NewDB: true}).Raw(strings.Join(parts, " UNION ALL ")).Rows()
	if err != nil {
		return ts, fmt.Errorf("softdelete: newest tombstone below %s: %w", below, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return ts, fmt.Errorf("softdelete: newest tombstone below %s: %w", below, err)
		}
		if newest, ok := parseTimestamp(v); ok && !newest.Before(ts) {
			ts = newest.UTC().Truncate(step).Add(step)
		}
	}
	if err := rows.Err(); err != nil {
		return ts, fmt.Errorf("softdelete: newest tombstone below %s: %w", below, err)
	}
	return ts, nil
}

// sqliteTimeLayouts are the text forms SQLite drivers store times in.
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// parseTimestamp reads an aggregated timestamp: a time.Time, or the text an
// aggregate returns where times are stored as text (SQLite). ok is false for
// NULL (no tombstone) and for text in no known layout.
func parseTimestamp(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case []byte:
		return parseTimestamp(string(t))
	case string:
		for _, layout := range sqliteTimeLayouts {
			if parsed, err := time.Parse(layout, t); err == nil {
				return parsed, true
			}
		}
	}
	return time.Time{}, false
}
