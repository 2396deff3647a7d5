package bench

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// planRows is the size of the query-plan tables (≥ 50k, 90% deleted).
const planRows = 50_000

// planDB is a PostgreSQL database pinned to one connection with
// plan_cache_mode = force_generic_plan, and a plugin-enabled *gorm.DB with
// PrepareStmt on that connection: every prepared statement the plugin's
// queries become is planned generically, as a long-lived prepared statement
// of a busy application eventually is.
type planDB struct {
	d  *DB
	db *gorm.DB
}

// openPlanDB opens the database, or skips/fails like the harness when
// PostgreSQL is not available.
func openPlanDB(t *testing.T) planDB {
	t.Helper()
	if !hasPostgres(t) {
		t.Skip("PostgreSQL not available")
	}
	e := newEnv(t, tinyScale)
	d, err := e.Open(Postgres, "plans")
	if err != nil {
		t.Fatal(err)
	}
	d.SQL.SetMaxOpenConns(1)
	d.SQL.SetMaxIdleConns(1)
	d.SQL.SetConnMaxLifetime(0)
	d.SQL.SetConnMaxIdleTime(0)
	if err := d.Exec("SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	db, err := d.Gorm(GormConfig{Plugin: true, PrepareStmt: true})
	if err != nil {
		t.Fatal(err)
	}
	return planDB{d: d, db: db}
}

// prepared returns the name of the server-side prepared statement whose
// text matches re (exactly one must), and its text.
func (p planDB) prepared(t *testing.T, re *regexp.Regexp) (name, text string) {
	t.Helper()
	rows, err := p.d.SQL.Query(`SELECT name, statement FROM pg_prepared_statements WHERE NOT from_sql`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var n, s string
		if err := rows.Scan(&n, &s); err != nil {
			t.Fatal(err)
		}
		if re.MatchString(s) {
			name, text = n, s
			found = append(found, s)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("%d prepared statements match %s, want 1: %q", len(found), re, found)
	}
	return name, text
}

// explain returns EXPLAIN EXECUTE name(...): the generic plan of the
// prepared statement. Its parameters get the SQL literal args gives for
// their type ("text", "bigint", "timestamp with time zone", ...).
func (p planDB) explain(t *testing.T, name string, args map[string]string) string {
	t.Helper()
	var types string
	err := p.d.SQL.QueryRow(`SELECT coalesce(array_to_string(parameter_types::text[], ','), '')
		FROM pg_prepared_statements WHERE name = $1`, name).Scan(&types)
	if err != nil {
		t.Fatal(err)
	}
	q := "EXPLAIN EXECUTE " + name
	if types != "" {
		var lits []string
		for _, typ := range strings.Split(types, ",") {
			lit, ok := args[typ]
			if !ok {
				t.Fatalf("%s: no argument for a parameter of type %s", name, typ)
			}
			lits = append(lits, lit)
		}
		q += "(" + strings.Join(lits, ", ") + ")"
	}
	rows, err := p.d.SQL.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// genericPlans returns how many times name ran with a generic plan.
func (p planDB) genericPlans(t *testing.T, name string) int64 {
	t.Helper()
	var n int64
	if err := p.d.SQL.QueryRow(`SELECT generic_plans FROM pg_prepared_statements WHERE name = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkPlan fails when plan scans table sequentially or does not use index.
func checkPlan(t *testing.T, what, plan, table, index string) {
	t.Helper()
	t.Logf("%s:\n%s", what, plan)
	if strings.Contains(plan, "Seq Scan on "+table) {
		t.Errorf("%s: sequential scan of %s", what, table)
	}
	if !strings.Contains(plan, index) {
		t.Errorf("%s: plan does not use index %s", what, index)
	}
}

// TestPlanLiveLookupByPartialUniqueKey: the plugin's live-row lookup by a
// softdelete:"unique" column uses the partial unique index under a
// generic plan (the predicate is literal SQL, so the index matches).
func TestPlanLiveLookupByPartialUniqueKey(t *testing.T) {
	p := openPlanDB(t)
	if err := softdelete.AutoMigrate(p.db, &Article{}); err != nil {
		t.Fatal(err)
	}
	live := planRows / 10
	err := p.d.Exec(fmt.Sprintf(`INSERT INTO articles (created_at, updated_at, deleted_at, slug, title, views)
		SELECT now(), now(), CASE WHEN x > %d THEN now() END, 's-' || ((x - 1) %% %d + 1), 't', 0
		FROM generate_series(1, %d) AS g(x)`, live, live, planRows), "VACUUM ANALYZE articles")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		var a Article
		if err := p.db.Where("slug = ?", fmt.Sprintf("s-%d", 42+i)).First(&a).Error; err != nil {
			t.Fatal(err)
		}
		if a.DeletedAt.IsDeleted() {
			t.Fatal("lookup returned a deleted row")
		}
	}
	name, text := p.prepared(t, regexp.MustCompile(`FROM "articles" WHERE slug = \$1`))
	if !strings.Contains(text, `"articles"."deleted_at" IS NULL`) {
		t.Errorf("live predicate not literal SQL: %s", text)
	}
	if n := p.genericPlans(t, name); n == 0 {
		t.Errorf("%s ran with no generic plan", name)
	}
	checkPlan(t, text, p.explain(t, name, map[string]string{"text": "'s-42'", "bigint": "1"}), "articles", "uidx_articles_slug")
}

// TestPlanCountLiveRows: the plugin's Count of live rows on a 90%-deleted
// table uses an index, first with only the deleted_at index
// softdelete.Model declares, then with a partial index on id for live rows
// (the test logs which one the planner picks).
func TestPlanCountLiveRows(t *testing.T) {
	p := openPlanDB(t)
	type liveItem = PluginItem[f90]
	if err := p.db.AutoMigrate(&liveItem{}); err != nil {
		t.Fatal(err)
	}
	err := p.d.Exec(fmt.Sprintf(`INSERT INTO items_p90 (created_at, updated_at, deleted_at, name, slug, owner_id, score)
		SELECT now(), now(), CASE WHEN x %% 10 < 9 THEN now() END, 'n', 's', x %% 100, x %% 1000
		FROM generate_series(1, %d) AS g(x)`, planRows), "VACUUM ANALYZE items_p90")
	if err != nil {
		t.Fatal(err)
	}
	count := func() string {
		var n int64
		if err := p.db.Model(&liveItem{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != planRows/10 {
			t.Fatalf("count = %d, want %d", n, planRows/10)
		}
		name, _ := p.prepared(t, regexp.MustCompile(`^SELECT count\(\*\) FROM "items_p90" WHERE "items_p90"."deleted_at" IS NULL$`))
		return p.explain(t, name, nil)
	}
	checkPlan(t, "count, deleted_at index only", count(), "items_p90", "idx_items_p90_deleted_at")

	if err := p.d.Exec("CREATE INDEX items_p90_live ON items_p90 (id) WHERE deleted_at IS NULL",
		"VACUUM ANALYZE items_p90"); err != nil {
		t.Fatal(err)
	}
	plan := count()
	t.Logf("with a partial index on live ids as well:\n%s", plan)
	if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "Index") {
		t.Errorf("count with both indexes does not use an index")
	}
}

// TestPlanPurgeCandidates: Purge's sweep DELETE reads its TID range with a
// TID Range Scan, and the keyset candidate query (the chain's conditions
// make Purge batch by key) reaches its rows through the index on the
// soft-delete column; never a sequential scan.
func TestPlanPurgeCandidates(t *testing.T) {
	p := openPlanDB(t)
	if err := softdelete.AutoMigrate(p.db, &PurgeItem{}); err != nil {
		t.Fatal(err)
	}
	seed := func() {
		t.Helper()
		err := p.d.Exec("TRUNCATE purge_items", fmt.Sprintf(`INSERT INTO purge_items (created_at, updated_at, deleted_at, payload)
		SELECT now(), now(), CASE WHEN x %% 10 < 8 THEN now() - interval '50 days' - x * interval '1 second' END, 'p'
		FROM generate_series(1, %d) AS g(x)`, planRows), "VACUUM ANALYZE purge_items")
		if err != nil {
			t.Fatal(err)
		}
	}
	purge := func(db *gorm.DB) {
		t.Helper()
		n, err := softdelete.Purge(context.Background(), db, &PurgeItem{}, softdelete.PurgeOptions{
			OlderThan: 30 * 24 * time.Hour, BatchSize: 1000,
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(planRows / 10 * 8); n != want {
			t.Fatalf("purged %d rows, want %d", n, want)
		}
	}
	cutoff := time.Now().UTC().Add(-30 * 24 * time.Hour).Format("'2006-01-02 15:04:05.999999Z07:00'")
	args := map[string]string{"timestamp with time zone": cutoff, "bigint": "1000", "integer": "1000",
		"tid": "'(0,1)'", "text": "'p'"}

	seed()
	purge(p.db)
	name, text := p.prepared(t, regexp.MustCompile(`^DELETE FROM "purge_items" WHERE ctid >= \$1::tid`))
	plan := p.explain(t, name, args)
	t.Logf("sweep:\n%s", plan)
	if !strings.Contains(plan, "Tid Range Scan on purge_items") || strings.Contains(plan, "Seq Scan") {
		t.Errorf("the sweep DELETE %s does not scan its TID range", text)
	}

	// keyset batches run in transactions, whose prepared statements GORM
	// closes: capture the candidate query and prepare it here
	var keyset string
	err := p.db.Callback().Row().After("gorm:row").Register("plans:capture", func(db *gorm.DB) {
		if sql := db.Statement.SQL.String(); strings.Contains(sql, `("deleted_at","id") > (`) {
			keyset = sql
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	seed()
	purge(p.db.Where("payload = ?", "p"))
	if keyset == "" {
		t.Fatal("no keyset candidate query ran")
	}
	if err := p.d.Exec("PREPARE purge_keyset AS " + keyset); err != nil {
		t.Fatal(err)
	}
	checkPlan(t, keyset, p.explain(t, "purge_keyset", args), "purge_items", "idx_purge_items_deleted_at")
}
