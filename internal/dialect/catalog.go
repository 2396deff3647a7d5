package dialect

import (
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// IndexNames lists the indexes of table; the ANSI base cannot read a
// catalog (errors.ErrUnsupported).
func (ansi) IndexNames(*gorm.DB, string) ([]string, error) {
	return nil, fmt.Errorf("list indexes: %w", errors.ErrUnsupported)
}

// NullFraction reports the fraction of NULLs the planner's statistics hold
// for column of table; ok is false when the database keeps no such
// statistics or has none for the column yet.
func (ansi) NullFraction(*gorm.DB, string, string) (float64, bool, error) {
	return 0, false, nil
}

// pgIndexNames lists the indexes of one table of a schema (current_schema()
// unless the table is qualified).
const pgIndexNames = `SELECT i.relname FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE t.relname = ? AND n.nspname = COALESCE(NULLIF(?, ''), current_schema())
ORDER BY i.relname`

// IndexNames lists the table's indexes from pg_index.
func (postgres) IndexNames(db *gorm.DB, table string) ([]string, error) {
	return scanNames(db.Raw(pgIndexNames, baseName(table), schemaOf(table)), table)
}

// NullFraction reads pg_stats.null_frac of the column (the statistics of
// the last ANALYZE); ok is false when the column has never been analysed.
func (postgres) NullFraction(db *gorm.DB, table, column string) (float64, bool, error) {
	var frac float64
	err := db.Raw(`SELECT null_frac FROM pg_stats
WHERE schemaname = COALESCE(NULLIF(?, ''), current_schema()) AND tablename = ? AND attname = ?`,
		schemaOf(table), baseName(table), column).Row().Scan(&frac)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read statistics of %s.%s: %w", table, column, err)
	}
	return frac, true, nil
}

// IndexNames lists the table's indexes from pragma_index_list (those behind
// UNIQUE and PRIMARY KEY constraints included).
func (sqlite) IndexNames(db *gorm.DB, table string) ([]string, error) {
	return scanNames(db.Raw("SELECT name FROM pragma_index_list(?) ORDER BY name", table), table)
}

// scanNames reads one text column from every row of q.
func scanNames(q *gorm.DB, table string) ([]string, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", table, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list indexes of %s: %w", table, err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", table, err)
	}
	return names, nil
}
