package dialect

import (
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"
)

// sqlite is SQLite: partial indexes, transactional DDL, no SKIP LOCKED;
// unique-violation errors name the columns, not the index.
type sqlite struct{ ansi }

func (sqlite) Name() string      { return "sqlite" }
func (sqlite) Features() Feature { return PartialIndexes | RowID | ReturningWrites | TransactionalDDL }
func (sqlite) RowID() string     { return "rowid" }
func (sqlite) RowLocks() string  { return "" }

// DropIndex drops the index. Indexes backing a UNIQUE or PRIMARY KEY
// constraint cannot be dropped in SQLite.
func (s sqlite) DropIndex(ix Index) (string, error) {
	if ix.Constraint {
		return "", fmt.Errorf("index %s backs a constraint of table %s and cannot be dropped", ix.Name, ix.Table)
	}
	return "DROP INDEX " + s.Quote(ix.Name), nil
}

// ReadIndex reads the index from sqlite_master (table, predicate),
// pragma_index_info (columns) and pragma_index_list (uniqueness, origin).
// SQLite index names are case-insensitive, so the lookup is too.
func (sqlite) ReadIndex(db *gorm.DB, name, _ string) (*Index, error) {
	var (
		ix   Index
		text string
	)
	err := db.Raw("SELECT name, tbl_name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND name = ? COLLATE NOCASE",
		name).Row().Scan(&ix.Name, &ix.Table, &text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", name, err)
	}
	if ix.Columns, err = sqliteIndexColumns(db, ix.Name); err != nil {
		return nil, err
	}
	var origin string
	err = db.Raw(`SELECT "unique", origin FROM pragma_index_list(?) WHERE name = ?`, ix.Table, ix.Name).
		Row().Scan(&ix.Unique, &origin)
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", name, err)
	}
	ix.Constraint = origin != "c"
	ix.Where = predicateOf(text)
	return &ix, nil
}

// sqliteIndexColumns lists an index's key columns in order ("" for an
// expression).
func sqliteIndexColumns(db *gorm.DB, name string) ([]string, error) {
	rows, err := db.Raw("SELECT name FROM pragma_index_info(?) ORDER BY seqno", name).Rows()
	if err != nil {
		return nil, fmt.Errorf("read index %s columns: %w", name, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c sql.NullString
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("read index %s columns: %w", name, err)
		}
		cols = append(cols, c.String)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read index %s columns: %w", name, err)
	}
	return cols, nil
}

// predicateOf extracts the WHERE predicate of a CREATE INDEX statement as
// stored in sqlite_master.sql: the text after the parenthesised column list.
func predicateOf(create string) string {
	end := columnListEnd(create)
	if end < 0 {
		return ""
	}
	rest := strings.TrimSpace(create[end+1:])
	if len(rest) >= 5 && strings.EqualFold(rest[:5], "WHERE") {
		return strings.TrimSpace(rest[5:])
	}
	return ""
}

// columnListEnd returns the index of the ')' closing the first parenthesis
// outside quotes, or -1.
func columnListEnd(s string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '[':
			quote = ']'
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

var (
	// sqliteColumns matches "UNIQUE constraint failed: t.a, t.b".
	sqliteColumns = regexp.MustCompile(`UNIQUE constraint failed: ([^\n]+)`)
	// sqliteIndex matches "UNIQUE constraint failed: index 'name'"
	// (expression indexes).
	sqliteIndex = regexp.MustCompile(`UNIQUE constraint failed: index '([^']*)'`)
)

// UniqueViolation recognises SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY (through
// GORM's translator or the message) and returns the table and columns (or,
// for an expression index, the index name) the message reports. With
// gorm.Config.TranslateError the message is gone: the violation is still
// recognised, with nothing named.
func (sqlite) UniqueViolation(db *gorm.DB, err error) (Violation, bool) {
	if err == nil {
		return Violation{}, false
	}
	msg := err.Error()
	if !isDuplicateKey(db, err) && !strings.Contains(msg, "UNIQUE constraint failed") {
		return Violation{}, false
	}
	var v Violation
	if m := sqliteIndex.FindStringSubmatch(msg); m != nil {
		v.Index = m[1]
		return v, true
	}
	if m := sqliteColumns.FindStringSubmatch(msg); m != nil {
		for _, tc := range strings.Split(m[1], ",") {
			table, col, ok := strings.Cut(strings.TrimSpace(tc), ".")
			if !ok {
				continue
			}
			v.Table = table
			v.Columns = append(v.Columns, col)
		}
	}
	return v, true
}

// KeysIn implements Dialect.
func (sqlite) KeysIn(lhs string, _ int) string { return lhs + " IN (?)" }
