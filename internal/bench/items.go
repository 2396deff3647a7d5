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
	if d.Target == Postgres {
		ts, id, big = "timestamptz", "bigserial PRIMARY KEY", "bigint"
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
					SELECT x, %s, %s, CASE WHEN x %% 10 < %d THEN %s %s END, 'item-' || x, 'slug-' || x, x %% 100, x %% 1000
					FROM %s`, table, tsLit(d, "0"), tsLit(d, "0"), k, deletedExpr(d, unix), unixElse(unix), series(d, rows)),
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
// expression) as a timestamp column value.
func tsAt(d *DB, base int64, secs string) string {
	if d.Target == Postgres {
		return fmt.Sprintf("to_timestamp(%d + %s)", base, secs)
	}
	return fmt.Sprintf("strftime('%%Y-%%m-%%d %%H:%%M:%%S', %d + %s, 'unixepoch') || '+00:00'", base, secs)
}

// series is a FROM item yielding x = 1..n.
func series(d *DB, n int) string {
	if d.Target == Postgres {
		return fmt.Sprintf("generate_series(1, %d) AS g(x)", n)
	}
	return fmt.Sprintf("(WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < %d) SELECT x FROM s)", n)
}

// analyze refreshes planner statistics (and, on PostgreSQL, the visibility
// map, so index-only scans are possible).
func analyze(d *DB) error {
	if d.Target == Postgres {
		return d.Exec("VACUUM ANALYZE")
	}
	return d.Exec("ANALYZE")
}
