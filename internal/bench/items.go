package bench

import (
	"fmt"
	"strings"
	"time"
)

// seedBase is the creation time of seeded rows; deleted rows of the e2e
// tables were deleted seedBase + id seconds.
var seedBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// livePKs are ids that are live in every e2e table (id % 10 == 9), rotated
// through by point reads and soft delete + restore.
func livePKs(rows int) []uint {
	var ids []uint
	for id := 9; id <= rows && len(ids) < 1000; id += 10 {
		ids = append(ids, uint(id))
	}
	return ids
}

// rebind turns ? placeholders into PostgreSQL's $n on that target.
func rebind(t Target, q string) string {
	if t != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// createItems creates and fills the e2e tables: items_p{10,50,90} with a
// nullable timestamp soft-delete column (shared by raw, plain, builtin and
// softdelete) and uitems_p{10,50,90} with soft_delete's unix-seconds column.
// Row id is deleted when id % 10 < pct/10, so deleted rows are spread evenly.
func createItems(d *DB, rows int) error {
	ts, id, big := "datetime", "integer PRIMARY KEY AUTOINCREMENT", "integer"
	switch d.Target {
	case Postgres:
		ts, id, big = "timestamptz", "bigserial PRIMARY KEY", "bigint"
	case MariaDB: // datetime(6): the plugin's soft-delete column there, and microseconds for all
		ts, id, big = "datetime(6)", "bigint unsigned AUTO_INCREMENT PRIMARY KEY", "bigint"
	}
	for _, f := range []fraction{f10{}, f50{}, f90{}} {
		k := f.pct() / 10
		for _, unix := range []bool{false, true} {
			table, delType := f.items(), ts
			if unix {
				table, delType = f.uitems(), big+" NOT NULL DEFAULT 0"
			}
			err := d.Exec(
				fmt.Sprintf(`CREATE TABLE %s (id %s, created_at %s, updated_at %s, deleted_at %s,
					name text, slug text, owner_id %s, score %s)`, table, id, ts, ts, delType, big, big),
				fmt.Sprintf(`CREATE INDEX idx_%s_deleted_at ON %s (deleted_at)`, table, table),
				fmt.Sprintf(`CREATE INDEX idx_%s_owner_id ON %s (owner_id)`, table, table),
				fmt.Sprintf(`INSERT INTO %s (id, created_at, updated_at, deleted_at, name, slug, owner_id, score)
					SELECT x, %s, %s, CASE WHEN x %% 10 < %d THEN %s %s END, %s, %s, x %% 100, x %% 1000
					FROM %s`, table, tsLit(d, "0"), tsLit(d, "0"), k, deletedExpr(d, unix), unixElse(unix),
					concat(d, "'item-'", "x"), concat(d, "'slug-'", "x"), series(d, rows)),
			)
			if err != nil {
				return err
			}
			if d.Target == Postgres { // ids were given explicitly: move the sequence past them
				if err := d.Exec(fmt.Sprintf("SELECT setval('%s_id_seq', %d)", table, rows)); err != nil {
					return err
				}
			}
		}
	}
	return analyze(d)
}

// unixElse is the ELSE of the deleted_at CASE: NULL, or 0 for unix columns.
func unixElse(unix bool) string {
	if unix {
		return "ELSE 0"
	}
	return ""
}

// deletedExpr is the deleted_at of a deleted seed row x: seedBase + x seconds.
func deletedExpr(d *DB, unix bool) string {
	if unix {
		return fmt.Sprintf("%d + x", seedBase.Unix())
	}
	return tsLit(d, "x")
}

// tsLit is a SQL expression for seedBase + secs seconds in the column
// format the target's driver reads and writes (SQLite: text with offset).
func tsLit(d *DB, secs string) string {
	return tsAt(d, seedBase.Unix(), secs)
}

// tsAt is a SQL expression for the unix time base + secs (secs a SQL
// expression) as a timestamp column value (MariaDB: a UTC datetime, whatever
// the session's time zone).
func tsAt(d *DB, base int64, secs string) string {
	switch d.Target {
	case Postgres:
		return fmt.Sprintf("to_timestamp(%d + %s)", base, secs)
	case MariaDB:
		return fmt.Sprintf("TIMESTAMPADD(SECOND, %d + %s, '1970-01-01 00:00:00')", base, secs)
	}
	return fmt.Sprintf("strftime('%%Y-%%m-%%d %%H:%%M:%%S', %d + %s, 'unixepoch') || '+00:00'", base, secs)
}

// concat is the SQL string concatenation of a and b (MySQL's || is OR).
func concat(d *DB, a, b string) string {
	if d.Target == MariaDB {
		return fmt.Sprintf("CONCAT(%s, %s)", a, b)
	}
	return a + " || " + b
}

// idiv is the SQL integer division a / b (MySQL's / is exact, DIV truncates).
func idiv(d *DB, a, b string) string {
	if d.Target == MariaDB {
		return fmt.Sprintf("(%s) DIV %s", a, b)
	}
	return fmt.Sprintf("(%s) / %s", a, b)
}

// series is a FROM item yielding x = 1..n, named g.
func series(d *DB, n int) string { return seriesAs(d, n, "g") }

// seriesAs is a FROM item yielding x = 1..n, named alias. MariaDB: a cross
// join of digits (a recursive CTE there stops at max_recursive_iterations,
// and MySQL 8's at cte_max_recursion_depth, 1000 by default).
func seriesAs(d *DB, n int, alias string) string {
	switch d.Target {
	case Postgres:
		return fmt.Sprintf("generate_series(1, %d) AS %s(x)", n, alias)
	case MariaDB:
		const digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 " +
			"UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
		var terms, from []string
		for i, p := 0, 1; p < n || i == 0; i, p = i+1, p*10 {
			terms = append(terms, fmt.Sprintf("%d * d%d.d", p, i))
			from = append(from, fmt.Sprintf("%s AS d%d", digits, i))
		}
		return fmt.Sprintf("(SELECT x FROM (SELECT 1 + %s AS x FROM %s) AS s WHERE x <= %d) AS %s",
			strings.Join(terms, " + "), strings.Join(from, " CROSS JOIN "), n, alias)
	}
	return fmt.Sprintf("(WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < %d) SELECT x FROM s) %s", n, alias)
}

// analyze refreshes planner statistics (and, on PostgreSQL, the visibility
// map, so index-only scans are possible; on MariaDB, of every table of the
// database).
func analyze(d *DB) error {
	switch d.Target {
	case Postgres:
		return d.Exec("VACUUM ANALYZE")
	case MariaDB:
		rows, err := d.SQL.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
		if err != nil {
			return err
		}
		var tables []string
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				_ = rows.Close()
				return err
			}
			tables = append(tables, "`"+t+"`")
		}
		if err := errorsJoin(rows.Err(), rows.Close()); err != nil || len(tables) == 0 {
			return err
		}
		return d.Exec("ANALYZE TABLE " + strings.Join(tables, ", "))
	}
	return d.Exec("ANALYZE")
}
