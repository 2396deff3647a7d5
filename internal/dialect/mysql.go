package dialect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// mysql is MySQL and MariaDB: backtick quoting, no partial indexes (a
// live-only index is an index over the key columns and an indexed virtual
// generated column that is 1 for live rows and NULL for tombstones, see
// CreateIndex), DDL that commits implicitly, SKIP LOCKED from MariaDB 10.6
// and MySQL 8.0.1, unique violations (error 1062) that name the key, and no
// LIMIT inside IN (subquery) (KeysIn wraps the subquery in a derived table).
//
// The embedded ansi base only supplies defaults that render no SQL (its
// SQL-rendering methods quote with double quotes, so every one of them is
// overridden here).
type mysql struct {
	ansi
	skipLocked bool // the server has FOR UPDATE SKIP LOCKED (see ofServer)
}

func (mysql) Name() string { return "mysql" }

// Features: live-only indexes through generated columns, ON DUPLICATE KEY
// UPDATE upserts, sized key strings, row-by-row foreign-key checks; SKIP
// LOCKED when the server version has it. A failed statement rolls back only itself, so
// no savepoints are needed; DDL is not transactional.
func (d mysql) Features() Feature {
	f := GeneratedColumnIndexes | DuplicateKeyUpdate | SizedKeyStrings | RowByRowForeignKeys | MySQLSyntax
	if d.skipLocked {
		f |= SkipLocked
	}
	return f
}

// RowID is "": InnoDB rows have no address usable in SQL.
func (mysql) RowID() string { return "" }

// RowLocks is FOR UPDATE: InnoDB row locks, as on PostgreSQL.
func (mysql) RowLocks() string { return clauseLockUpdate }

// KeysIn renders lhs IN (SELECT * FROM (subquery) AS sd_keys): MySQL and
// MariaDB refuse LIMIT inside IN (subquery) (error 1235) and MySQL refuses a
// subquery reading the table a DELETE or UPDATE writes (error 1093); a
// derived table is materialised first and accepted by both.
func (mysql) KeysIn(lhs string, _ int) string {
	return lhs + " IN (SELECT * FROM (?) AS sd_keys)"
}

// Quote quotes one identifier with backticks, doubling embedded ones.
func (mysql) Quote(ident string) string {
	return "`" + strings.ReplaceAll(ident, "`", "``") + "`"
}

// QuoteTable quotes each dot-separated part of a table name (db.table).
func (d mysql) QuoteTable(table string) string { return quoteTable(d.Quote, table) }

// columnList quotes and joins columns: `a`, `b`.
func (d mysql) columnList(cols []string) string { return columnList(d.Quote, cols) }

// LiveColumn is the generated column of the live-only index called index:
// live_<index>, shortened to MySQL's 64-byte identifier limit with a hash.
func LiveColumn(index string) string {
	const prefix, limit, hashLen = "live_", 64, 8
	name := prefix + index
	if len(name) <= limit {
		return name
	}
	sum := sha256.Sum256([]byte(index))
	cut := limit - 1 - hashLen
	for cut > 0 && (name[cut]&0xC0) == 0x80 { // keep UTF-8 sequences whole
		cut--
	}
	return name[:cut] + "_" + hex.EncodeToString(sum[:])[:hashLen]
}

// CreateIndex renders the one ALTER TABLE that creates ix. A live-only
// index (ix.Where set) gets its generated column in the same statement:
//
//	ALTER TABLE `articles` ADD COLUMN `live_uidx_articles_slug` TINYINT
//	  AS (IF(`deleted_at` IS NULL, 1, NULL)) VIRTUAL INVISIBLE,
//	  ADD UNIQUE INDEX `uidx_articles_slug` (`slug`, `live_uidx_articles_slug`)
//
// Tombstones have NULL in the column and NULLs never clash, so the key is
// unique among live rows only; INVISIBLE keeps the column out of SELECT *.
func (d mysql) CreateIndex(ix Index) string { return d.createIndex(ix, false) }

// CreateIndexDDL renders CreateIndex; IfExists adds IF NOT EXISTS to both
// parts (MariaDB syntax, which MySQL 8 does not accept). Concurrently is
// ignored: InnoDB builds indexes online where it can anyway.
func (d mysql) CreateIndexDDL(ix Index, o DDL) string { return d.createIndex(ix, o.IfExists) }

// createIndex renders ALTER TABLE ... [ADD COLUMN <live>,] ADD [UNIQUE] INDEX.
func (d mysql) createIndex(ix Index, ifNotExists bool) string {
	cond := ""
	if ifNotExists {
		cond = "IF NOT EXISTS "
	}
	var b strings.Builder
	b.WriteString("ALTER TABLE " + d.QuoteTable(ix.Table) + " ")
	cols := ix.Columns
	if ix.Where != "" {
		live := LiveColumn(ix.Name)
		b.WriteString("ADD COLUMN " + cond + d.Quote(live) + " TINYINT AS (IF(" + ix.Where +
			", 1, NULL)) VIRTUAL INVISIBLE, ")
		cols = append(cols[:len(cols):len(cols)], live)
	}
	b.WriteString("ADD ")
	if ix.Unique || ix.Constraint {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX " + cond + d.Quote(ix.Name) + " (" + d.columnList(cols) + ")")
	return b.String()
}

// DropIndex renders the one ALTER TABLE that drops ix and, for a live-only
// index, its generated column.
func (d mysql) DropIndex(ix Index) (string, error) { return d.dropIndex(ix, false), nil }

// DropIndexDDL renders DropIndex; IfExists adds IF EXISTS to both parts
// (MariaDB syntax).
func (d mysql) DropIndexDDL(ix Index, o DDL) (string, error) { return d.dropIndex(ix, o.IfExists), nil }

// dropIndex renders ALTER TABLE ... DROP INDEX [, DROP COLUMN <live>].
func (d mysql) dropIndex(ix Index, ifExists bool) string {
	cond := ""
	if ifExists {
		cond = "IF EXISTS "
	}
	s := "ALTER TABLE " + d.QuoteTable(ix.Table) + " DROP INDEX " + cond + d.Quote(ix.Name)
	if ix.Where != "" {
		s += ", DROP COLUMN " + cond + d.Quote(LiveColumn(ix.Name))
	}
	return s
}

// DuplicateKeySQL renders
// SELECT `a` FROM `t` WHERE (pred) AND `a` IS NOT NULL GROUP BY `a` HAVING count(*) > 1 LIMIT 1.
// GROUP BY compares with the columns' collations, as the unique index does.
func (d mysql) DuplicateKeySQL(ix Index) string { return duplicateKeySQL(d.Quote, ix) }

// mysqlIndexQuery reads the key columns of one index of one table, in key
// order, with the generation expression of generated columns.
const mysqlIndexQuery = `SELECT s.INDEX_NAME, s.NON_UNIQUE, COALESCE(s.COLUMN_NAME, ''),
  COALESCE(c.GENERATION_EXPRESSION, '')
FROM information_schema.STATISTICS s
LEFT JOIN information_schema.COLUMNS c
  ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
WHERE s.TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND s.TABLE_NAME = ? AND s.INDEX_NAME = ?
ORDER BY s.SEQ_IN_INDEX`

// indexColumn is one key column as information_schema describes it.
type indexColumn struct {
	index      string
	nonUnique  bool
	name, expr string
}

// ReadIndex reads the index from information_schema (index names are per
// table in MySQL: it looks on table). A last key column that is the index's
// generated column (LiveColumn) is read back as the predicate it encodes:
// IF(pred, 1, NULL) becomes Where = pred, and is not listed in Columns.
func (d mysql) ReadIndex(db *gorm.DB, name, table string) (*Index, error) {
	cols, err := readIndexColumns(db, name, table)
	if err != nil || len(cols) == 0 {
		return nil, err
	}
	ix := &Index{Name: cols[0].index, Table: table, Unique: !cols[0].nonUnique}
	if last := cols[len(cols)-1]; strings.EqualFold(last.name, LiveColumn(ix.Name)) && last.expr != "" {
		ix.Where = livePredicate(last.expr)
		cols = cols[:len(cols)-1]
	}
	for _, c := range cols {
		ix.Columns = append(ix.Columns, c.name)
	}
	return ix, nil
}

// readIndexColumns runs mysqlIndexQuery.
func readIndexColumns(db *gorm.DB, name, table string) ([]indexColumn, error) {
	rows, err := db.Raw(mysqlIndexQuery, schemaOf(table), baseName(table), name).Rows()
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", name, err)
	}
	defer rows.Close()
	var cols []indexColumn
	for rows.Next() {
		var c indexColumn
		if err := rows.Scan(&c.index, &c.nonUnique, &c.name, &c.expr); err != nil {
			return nil, fmt.Errorf("read index %s: %w", name, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read index %s: %w", name, err)
	}
	return cols, nil
}

// liveExpr matches a generated column's expression IF(pred, 1, NULL) as
// MariaDB (if(`deleted_at` is null,1,NULL)) and MySQL 8
// (if((`deleted_at` is null),1,NULL)) store it.
var liveExpr = regexp.MustCompile(`(?is)^\s*if\s*\((.*),\s*1\s*,\s*null\s*\)\s*$`)

// livePredicate returns the predicate a live column's expression encodes, or
// the whole expression (which then matches no wanted predicate) when it is
// not of the IF(pred, 1, NULL) form.
func livePredicate(expr string) string {
	if m := liveExpr.FindStringSubmatch(expr); m != nil {
		return strings.TrimSpace(m[1])
	}
	return "generated " + expr
}

// mysqlKey finds the key in "Duplicate entry 'x' for key 'NAME'" (MySQL 8
// writes 'table.NAME').
var mysqlKey = regexp.MustCompile(`for key '([^']*)'`)

// UniqueViolation recognises error 1062 (through GORM's translator or the
// message) and returns the key's name.
func (mysql) UniqueViolation(db *gorm.DB, err error) (Violation, bool) {
	if err == nil {
		return Violation{}, false
	}
	msg := err.Error()
	if !isDuplicateKey(db, err) && !strings.Contains(msg, "Error 1062") && !strings.Contains(msg, "Duplicate entry") {
		return Violation{}, false
	}
	var v Violation
	if m := mysqlKey.FindStringSubmatch(msg); m != nil {
		v.Index = m[1][strings.LastIndexByte(m[1], '.')+1:]
	}
	return v, true
}

// IndexNames lists the table's indexes from information_schema (PRIMARY
// included).
func (mysql) IndexNames(db *gorm.DB, table string) ([]string, error) {
	return scanNames(db.Raw(`SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ? ORDER BY INDEX_NAME`,
		schemaOf(table), baseName(table)), table)
}

// ofServer returns the dialect of the server behind a GORM dialector: SKIP
// LOCKED from MariaDB 10.6 and MySQL 8.0.1 (the version GORM's MySQL
// dialector read at Open, see serverVersion; unknown means no).
func (d mysql) ofServer(dialector gorm.Dialector) Dialect {
	d.skipLocked = hasSkipLocked(serverVersion(dialector))
	return d
}

// hasSkipLocked reports whether a server version string (SELECT VERSION())
// has FOR UPDATE SKIP LOCKED: "10.11.6-MariaDB..." from 10.6, MySQL from
// 8.0.1.
func hasSkipLocked(version string) bool {
	nums := versionNumbers(version)
	if len(nums) < 3 {
		return false
	}
	if strings.Contains(version, "MariaDB") {
		return nums[0] > 10 || (nums[0] == 10 && nums[1] >= 6)
	}
	return nums[0] > 8 || (nums[0] == 8 && (nums[1] > 0 || nums[2] >= 1))
}

// versionNumbers parses the leading "a.b.c" of a version string.
func versionNumbers(version string) []int {
	head, _, _ := strings.Cut(version, "-")
	var nums []int
	for _, part := range strings.Split(head, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		nums = append(nums, n)
	}
	return nums
}

// serverVersion reads the ServerVersion GORM's MySQL dialector stores at
// Open (gorm.io/driver/mysql's Config.ServerVersion), without importing the
// driver: "" when the dialector has no such field or it is empty
// (SkipInitializeWithVersion).
func serverVersion(dialector gorm.Dialector) string {
	v := reflect.ValueOf(dialector)
	for depth := 0; depth < 4; depth++ {
		for v.Kind() == reflect.Ptr || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return ""
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return ""
		}
		if f, ok := v.Type().FieldByName("ServerVersion"); ok && len(f.Index) == 1 && f.Type.Kind() == reflect.String {
			return v.Field(f.Index[0]).String()
		}
		f, ok := v.Type().FieldByName("Config")
		if !ok || len(f.Index) != 1 {
			return ""
		}
		v = v.Field(f.Index[0])
	}
	return ""
}
