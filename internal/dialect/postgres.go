package dialect

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"
)

// postgres is PostgreSQL: partial indexes, SKIP LOCKED, transactional DDL,
// constraint names in unique-violation errors.
type postgres struct{ ansi }

func (postgres) Name() string { return "postgres" }
func (postgres) Features() Feature {
	return PartialIndexes | SkipLocked | AbortsTransactionOnError | RowID | ConcurrentIndexes | ReturningWrites | TransactionalDDL
}
func (postgres) RowID() string    { return "ctid" }
func (postgres) RowLocks() string { return clauseLockUpdate }

// DropIndex drops the index (schema-qualified), or the constraint it backs.
func (p postgres) DropIndex(ix Index) (string, error) {
	if ix.Constraint {
		return "ALTER TABLE " + p.QuoteTable(ix.Table) + " DROP CONSTRAINT " + p.Quote(ix.Name), nil
	}
	name := p.Quote(ix.Name)
	if s := schemaOf(ix.Table); s != "" {
		name = p.QuoteTable(s) + "." + name
	}
	return "DROP INDEX " + name, nil
}

// pgIndexQuery reads one index of a schema (current_schema() unless the
// table is qualified) from the catalog; key columns come back as a JSON
// array in key order, null for expressions.
const pgIndexQuery = `SELECT i.relname, n.nspname, t.relname, ix.indisunique, NOT ix.indisvalid,
  COALESCE(pg_get_expr(ix.indpred, ix.indrelid), ''),
  (SELECT COALESCE(json_agg(a.attname ORDER BY k.ord), '[]')::text
     FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum),
  EXISTS (SELECT 1 FROM pg_constraint c
           WHERE c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid AND c.contype IN ('p', 'u', 'x'))
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE i.relname = ? AND n.nspname = COALESCE(NULLIF(?, ''), current_schema())`

// ReadIndex reads the index from pg_index/pg_class/pg_attribute, with its
// predicate from pg_get_expr(indpred). The returned Table is
// schema-qualified.
func (postgres) ReadIndex(db *gorm.DB, name, table string) (*Index, error) {
	var (
		ix          Index
		nsp, tbl    string
		columnsJSON string
	)
	err := db.Raw(pgIndexQuery, name, schemaOf(table)).Row().Scan(
		&ix.Name, &nsp, &tbl, &ix.Unique, &ix.Invalid, &ix.Where, &columnsJSON, &ix.Constraint)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", name, err)
	}
	if err := json.Unmarshal([]byte(columnsJSON), &ix.Columns); err != nil {
		return nil, fmt.Errorf("read index %s columns %s: %w", name, columnsJSON, err)
	}
	ix.Table = nsp + "." + tbl
	return &ix, nil
}

// pgConstraint finds the constraint name in
// `duplicate key value violates unique constraint "NAME"`.
var pgConstraint = regexp.MustCompile(`unique constraint "([^"]*)"`)

// UniqueViolation recognises SQLSTATE 23505 (through GORM's translator or
// the message) and returns the violated index's name.
func (postgres) UniqueViolation(db *gorm.DB, err error) (Violation, bool) {
	if err == nil {
		return Violation{}, false
	}
	msg := err.Error()
	if !isDuplicateKey(db, err) && !strings.Contains(msg, "SQLSTATE 23505") &&
		!strings.Contains(msg, "duplicate key value violates unique constraint") {
		return Violation{}, false
	}
	var v Violation
	if m := pgConstraint.FindStringSubmatch(msg); m != nil {
		v.Index = m[1]
	}
	return v, true
}

// clauseLockUpdate is FOR UPDATE's strength (clause.LockingStrengthUpdate).
const clauseLockUpdate = "UPDATE"

// KeysIn implements Dialect.
func (postgres) KeysIn(lhs string, n int) string {
	if n == 1 {
		return lhs + " = ANY(ARRAY(?))"
	}
	return lhs + " IN (?)"
}
