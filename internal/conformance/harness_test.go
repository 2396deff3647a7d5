package conformance

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, testdb.WithMariaDB())) }

// scenario is one entry of the catalogue.
type scenario struct {
	name string
	// differs names the rows of the README's differences table this
	// scenario shows; empty means both sides must agree exactly.
	differs []string
	// knownBug, when set, skips the scenario with this text: a plugin bug
	// being fixed. Set CONFORMANCE_KNOWN_BUGS=1 to run it anyway.
	knownBug string
	// only restricts the scenario to one target ("sqlite" or "postgres").
	only string
	// clock is the time both sides' clocks return (gorm.Config.NowFunc and
	// softdelete.WithClock); zero means tClock.
	clock time.Time
	// tick, when set, advances the clock by this much at every reading.
	tick time.Duration
	// noDefaultTx runs the scenario on databases opened with
	// gorm.Config{SkipDefaultTransaction: true} (GORM decides at Open time
	// which transaction callbacks to register).
	noDefaultTx bool
	// run performs the scenario and returns what a caller would look at.
	// It must not depend on which side it runs on.
	run func(c *call) (any, error)
}

// call is what a scenario gets: a database (plain or plugin, it cannot
// tell) holding the seed data.
type call struct {
	db  *gorm.DB // fresh *gorm.DB carrying ctx
	ctx context.Context
}

// quote quotes an identifier as the database does ("x", or `x` on MySQL).
func (c *call) quote(name string) string { return c.db.Statement.Quote(name) }

// fresh returns a new *gorm.DB with no statement state, carrying ctx.
func (c *call) fresh() *gorm.DB { return c.db.Session(&gorm.Session{NewDB: true, Context: c.ctx}) }

// catalogue returns every scenario, in file order.
func catalogue() []scenario {
	return slices.Concat(createScenarios, updateScenarios, deleteScenarios, queryScenarios,
		joinScenarios, associationScenarios, hookScenarios, txScenarios, genericsScenarios, miscScenarios)
}

// TestConformance runs the catalogue on plain GORM and with the plugin, on
// every target, and compares.
func TestConformance(t *testing.T) {
	rows, err := readDifferences(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	scenarios := catalogue()
	if err := checkCatalogue(scenarios, rows); err != nil {
		t.Fatal(err)
	}
	runKnown := os.Getenv("CONFORMANCE_KNOWN_BUGS") == "1"
	for _, target := range testdb.Targets(t) {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			p := openPair(t, target)
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					if sc.only != "" && sc.only != target {
						t.Skipf("%s only", sc.only)
					}
					if sc.knownBug != "" && !runKnown {
						t.Skip("knownBug: " + sc.knownBug)
					}
					if sc.noDefaultTx {
						p.noTx(t).check(t, sc)
						return
					}
					p.check(t, sc)
				})
			}
		})
	}
}

// reporter is what check needs of a *testing.T (the self-test records it).
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// check runs sc on both sides and reports per the rules of the package doc.
func (p *pair) check(t reporter, sc scenario) {
	t.Helper()
	plain, plugin := p.plain.run(t, sc), p.plugin.run(t, sc)
	diffs := compare(plain, plugin)
	report := func() string {
		return fmt.Sprintf("%s\n--- SQL, plain GORM:\n%s\n--- SQL, plugin registered:\n%s",
			strings.Join(diffs, "\n"), plain.sql, plugin.sql)
	}
	switch {
	case len(diffs) > 0 && len(sc.differs) == 0:
		t.Errorf("undeclared difference between plain GORM and the plugin:\n%s", report())
	case len(diffs) == 0 && len(sc.differs) > 0:
		t.Errorf("declares differs %q but both sides agree (stale declaration): remove it\nresult %s, error %s\n%s",
			sc.differs, js(plugin.result), plugin.err, report())
	case len(diffs) > 0:
		t.Logf("intended difference %q:\n%s", sc.differs, report())
	case os.Getenv("CONFORMANCE_SHOW") == "1":
		t.Logf("both sides agree: result %s, error %s\n--- SQL, plugin registered:\n%s", js(plugin.result), plugin.err, plugin.sql)
	}
	if plain.empty(p.plain.seedDump) && plugin.empty(p.plugin.seedDump) {
		t.Errorf("scenario compares nothing: no result, no error and no table change on either side; return what a caller looks at")
	}
}

// pair is one target's two databases, sharing one clock.
type pair struct {
	parent        *testing.T
	target        string
	clock         *clock
	skipTx        bool
	plain, plugin *side
	noTxPair      *pair // opened on first use, see noTx
}

// noTx returns the target's pair of databases opened with
// SkipDefaultTransaction, opening it on first use.
func (p *pair) noTx(t *testing.T) *pair {
	if p.noTxPair == nil {
		p.noTxPair = openPairWith(p.parent, p.target, true)
	}
	return p.noTxPair
}

// side is one database: plain GORM or plugin registered.
type side struct {
	parent   *testing.T // the target's test, owner of the databases
	name     string     // "plain" or "plugin"
	skipTx   bool       // opened with SkipDefaultTransaction
	target   string
	db       *gorm.DB
	log      *sqlLog
	clock    *clock
	tables   []tableInfo
	seedSQL  []stmt
	seedDump dump
	counters map[string]int64 // MySQL: the seed's AUTO_INCREMENT counters, see resetCounters
}

type tableInfo struct {
	name string
	pk   []string
}

type stmt struct {
	sql  string
	vars []any
}

// openPair opens and migrates both databases of a target, checks their
// schemas are identical and records the seed dump.
func openPair(t *testing.T, target string) *pair { return openPairWith(t, target, false) }

func openPairWith(t *testing.T, target string, skipTx bool) *pair {
	c := &clock{now: tClock}
	p := &pair{parent: t, target: target, clock: c, skipTx: skipTx}
	p.plain = openSide(t, target, "plain", c, skipTx)
	p.plugin = openSide(t, target, "plugin", c, skipTx)
	a, b := p.plain.schemaDDL(t), p.plugin.schemaDDL(t)
	if d := diffLines(a, b); len(d) > 0 {
		t.Fatalf("the two sides' schemas differ:\n%s", strings.Join(d, "\n"))
	}
	if d := p.plain.seedDump.diff(p.plugin.seedDump, nil); len(d) > 0 {
		t.Fatalf("the two sides' seed data differ:\n%s", strings.Join(d, "\n"))
	}
	return p
}

func openSide(t *testing.T, target, name string, c *clock, skipTx bool) *side {
	t.Helper()
	log := &sqlLog{}
	db := testdb.Open(t, target, &gorm.Config{NowFunc: c.Now, Logger: log, TranslateError: true, SkipDefaultTransaction: skipTx})
	s := &side{parent: t, name: name, target: target, db: db, log: log, clock: c, skipTx: skipTx}
	if name == "plugin" {
		if err := db.Use(softdelete.New(softdelete.WithClock(c.Now))); err != nil {
			t.Fatalf("%s: register the plugin: %v", name, err)
		}
	}
	if err := setupJoinTables(db); err != nil {
		t.Fatalf("%s: SetupJoinTable: %v", name, err)
	}
	migrate := db.AutoMigrate
	if name == "plugin" {
		// what a plugin user runs; the same DDL for gorm.Model models without
		// softdelete index tags (checked by openPair)
		migrate = func(models ...any) error { return softdelete.AutoMigrate(db, models...) }
	}
	if err := migrate(allModels...); err != nil {
		t.Fatalf("%s: migrate: %v", name, err)
	}
	s.tables = s.listTables(t)
	s.seedSQL = s.buildSeed(t)
	if err := s.reset(); err != nil {
		t.Fatalf("%s: seed: %v", name, err)
	}
	d, err := s.dump()
	if err != nil {
		t.Fatalf("%s: dump: %v", name, err)
	}
	s.seedDump = d
	return s
}

// quiet returns a fresh session that logs nothing: the harness's own SQL.
func (s *side) quiet() *gorm.DB {
	return s.db.Session(&gorm.Session{NewDB: true, Logger: logger.Discard})
}

// listTables reads the tables and their primary keys from the catalog.
func (s *side) listTables(t *testing.T) []tableInfo {
	t.Helper()
	db := s.quiet()
	var names []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	switch s.target {
	case "postgres":
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
	case "mysql":
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	if err := db.Raw(q).Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	var out []tableInfo
	for _, n := range names {
		var pk []string
		q := "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk"
		if s.target == "mysql" {
			q = `SELECT column_name FROM information_schema.key_column_usage
				WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = 'PRIMARY' ORDER BY ordinal_position`
		}
		if s.target == "postgres" {
			q = `SELECT a.attname FROM pg_index i
				JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
				WHERE i.indrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(?)) AND i.indisprimary
				ORDER BY array_position(i.indkey, a.attnum)`
		}
		if err := db.Raw(q, n).Scan(&pk).Error; err != nil {
			t.Fatal(err)
		}
		if len(pk) == 0 {
			t.Fatalf("table %s has no primary key: its dump could not be ordered", n)
		}
		out = append(out, tableInfo{name: n, pk: pk})
	}
	seeded := map[string]bool{}
	for _, st := range seed {
		seeded[st.table] = true
	}
	for _, ti := range out {
		if !seeded[ti.name] {
			t.Fatalf("table %s has no seed entry: add one (even empty) so it is reset", ti.name)
		}
	}
	return out
}

// schemaDDL describes tables, columns and indexes, to check both sides match.
func (s *side) schemaDDL(t *testing.T) []string {
	t.Helper()
	var ddl []string
	// SQLite: from the pragmas, as GORM writes a join table's constraints
	// in map order
	q := `SELECT x FROM (
		SELECT 'table ' || name || ' autoincrement=' || (instr(sql, 'AUTOINCREMENT') > 0) AS x
		FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		UNION ALL
		SELECT 'column ' || m.name || '.' || p.name || ' ' || p.type || ' notnull=' || p."notnull" || ' pk=' || p.pk || ' default=' || COALESCE(p.dflt_value, '')
		FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
		UNION ALL
		SELECT 'foreign key ' || m.name || '.' || f."from" || ' -> ' || f."table" || '.' || f."to" || ' ' || f.on_delete
		FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
		UNION ALL
		SELECT 'index ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE type = 'index'
	) d ORDER BY x`
	if s.target == "mysql" {
		q = `SELECT x FROM (
			SELECT CONCAT('column ', table_name, '.', column_name, ' ', column_type, ' ', is_nullable, ' ', COALESCE(column_default, ''), ' ', extra) AS x
			FROM information_schema.columns WHERE table_schema = DATABASE()
			UNION ALL
			SELECT CONCAT('index ', table_name, '.', index_name, ' non_unique=', MIN(non_unique), ': ', GROUP_CONCAT(column_name ORDER BY seq_in_index))
			FROM information_schema.statistics WHERE table_schema = DATABASE() GROUP BY table_name, index_name
			UNION ALL
			SELECT CONCAT('foreign key ', table_name, '.', column_name, ' -> ', referenced_table_name, '.', referenced_column_name)
			FROM information_schema.key_column_usage WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL
		) d ORDER BY x`
	}
	if s.target == "postgres" {
		q = `SELECT x FROM (
			SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '') AS x
			FROM information_schema.columns WHERE table_schema = current_schema()
			UNION ALL
			SELECT 'index ' || indexname || ': ' || replace(indexdef, current_schema() || '.', '') FROM pg_indexes WHERE schemaname = current_schema()
			UNION ALL
			SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
		) d ORDER BY x`
	}
	if err := s.quiet().Raw(q).Scan(&ddl).Error; err != nil {
		t.Fatal(err)
	}
	return ddl
}

// diffLines lists the lines only one side has.
func diffLines(plain, plugin []string) []string {
	var out []string
	for _, l := range plain {
		if !slices.Contains(plugin, l) {
			out = append(out, "only on plain GORM: "+l)
		}
	}
	for _, l := range plugin {
		if !slices.Contains(plain, l) {
			out = append(out, "only with the plugin: "+l)
		}
	}
	return out
}

// buildSeed renders the seed as INSERT statements, with the dialect's
// sequence resets.
func (s *side) buildSeed(t *testing.T) []stmt {
	t.Helper()
	var out []stmt
	if s.target == "mysql" { // InnoDB checks foreign keys row by row: a self-referencing table empties in no order
		out = append(out, stmt{sql: "SET FOREIGN_KEY_CHECKS = 0"})
	}
	for i := len(seed) - 1; i >= 0; i-- {
		out = append(out, stmt{sql: "DELETE FROM " + s.quote(seed[i].table)})
	}
	if s.target == "sqlite" {
		out = append(out, stmt{sql: "DELETE FROM sqlite_sequence"})
	}
	for _, st := range seed {
		if len(st.rows) == 0 {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (", s.quote(st.table))
		for i, c := range st.cols {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(s.quote(c))
		}
		b.WriteString(") VALUES ")
		var vars []any
		for i, r := range st.rows {
			if len(r) != len(st.cols) {
				t.Fatalf("seed %s row %d has %d values for %d columns", st.table, i, len(r), len(st.cols))
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("(" + strings.TrimSuffix(strings.Repeat("?,", len(r)), ",") + ")")
			vars = append(vars, r...)
		}
		out = append(out, stmt{sql: b.String(), vars: vars})
	}
	if s.target == "mysql" { // AUTO_INCREMENT: see resetCounters
		out = append(out, stmt{sql: "SET FOREIGN_KEY_CHECKS = 1"})
	}
	if s.target == "postgres" {
		for _, ti := range s.tables {
			if len(ti.pk) == 1 && ti.pk[0] == "id" {
				out = append(out, stmt{sql: fmt.Sprintf(
					`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM %[1]q`, ti.name)})
			}
		}
	}
	return out
}

// quote quotes an identifier for the side's database.
func (s *side) quote(name string) string {
	if s.target == "mysql" {
		return "`" + name + "`"
	}
	return fmt.Sprintf("%q", name)
}

// reset empties every table and writes the seed, in one transaction.
func (s *side) reset() error {
	err := s.quiet().Transaction(func(tx *gorm.DB) error {
		for _, st := range s.seedSQL {
			if err := tx.Exec(st.sql, st.vars...).Error; err != nil {
				return fmt.Errorf("%s: %w", st.sql, err)
			}
		}
		return nil
	})
	if err != nil || s.target != "mysql" {
		return err
	}
	return s.resetCounters()
}

// resetCounters puts back, on MySQL, the AUTO_INCREMENT counters a scenario
// moved (DELETE does not, and an ALTER TABLE of every table on every reset
// is far too slow): the first reset records the seed's counters.
func (s *side) resetCounters() error {
	var rows []struct {
		Name string `gorm:"column:TABLE_NAME"`
		Next int64  `gorm:"column:AUTO_INCREMENT"`
	}
	err := s.quiet().Raw(`SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS NOT NULL`).Scan(&rows).Error
	if err != nil {
		return err
	}
	if s.counters == nil {
		s.counters = map[string]int64{}
		for _, r := range rows {
			s.counters[r.Name] = r.Next
		}
		return nil
	}
	for _, r := range rows {
		if want, ok := s.counters[r.Name]; ok && r.Next != want {
			if err := s.quiet().Exec(fmt.Sprintf("ALTER TABLE %s AUTO_INCREMENT = %d", s.quote(r.Name), want)).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// outcome is everything compared for one run of a scenario on one side.
type outcome struct {
	result any      // normalised result tree
	err    *errInfo // nil when the scenario returned no error
	tables dump
	leaked int    // connections still in use afterwards
	sql    string // the SQL the scenario ran, for reports
}

// run resets the side, runs sc and collects its outcome.
func (s *side) run(t reporter, sc scenario) outcome {
	t.Helper()
	if err := s.reset(); err != nil {
		t.Fatalf("%s: reset: %v", s.name, err)
	}
	now := sc.clock
	if now.IsZero() {
		now = tClock
		if s.target == "mysql" {
			// what GORM's datetime(3) keeps: plain GORM writes back the clock
			// as it is, the plugin what is stored (scenarios with a clock of
			// their own show that difference)
			now = now.Truncate(time.Millisecond)
		}
	}
	s.clock.set(now, sc.tick)
	defer s.clock.set(tClock, 0)
	s.log.reset()
	ctx := context.Background()
	c := &call{db: s.db.WithContext(ctx), ctx: ctx}
	res, stack, err := runGuarded(sc.run, c)
	var o outcome
	if stack != "" {
		// a panic is an outcome like an error (GORM itself panics on some
		// misuse); the stack is logged
		t.Logf("%s side panicked: %v\n%s", s.name, err, stack)
	}
	o.sql = s.log.text()
	var nerr error
	if o.result, nerr = normalise(res); nerr != nil {
		t.Fatalf("%s: result cannot be normalised: %v", s.name, nerr)
	}
	o.err = errInfoOf(err)
	if o.tables, nerr = s.dump(); nerr != nil {
		t.Fatalf("%s: dump tables: %v", s.name, nerr)
	}
	if sqlDB, err := s.db.DB(); err == nil {
		// an open transaction or unclosed rows: compared, and the side is
		// reopened so that later scenarios do not wait on its locks
		if o.leaked = sqlDB.Stats().InUse; o.leaked > 0 {
			t.Logf("%s side left %d connection(s) in use: reopening it", s.name, o.leaked)
			s.releaseLocks(t)
			*s = *openSide(s.parent, s.target, s.name, s.clock, s.skipTx)
		}
	}
	return o
}

// releaseLocks ends, on PostgreSQL, the sessions other than this one that
// hold locks in this side's schema (a transaction a scenario left open), so
// that dropping the schema does not wait for them.
func (s *side) releaseLocks(t reporter) {
	if s.target != "postgres" {
		return
	}
	err := s.quiet().Exec(`SELECT pg_terminate_backend(l.pid) FROM pg_locks l
		JOIN pg_class c ON c.oid = l.relation
		WHERE c.relnamespace = to_regnamespace(current_schema()) AND l.pid <> pg_backend_pid()
		GROUP BY l.pid`).Error
	if err != nil {
		t.Logf("%s: end leaked sessions: %v", s.name, err)
	}
}

// runGuarded runs a scenario, turning a panic into a panicError.
func runGuarded(run func(*call) (any, error), c *call) (res any, stack string, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, stack, err = nil, string(debug.Stack()), panicError{fmt.Sprint(r)}
		}
	}()
	res, err = run(c)
	return res, "", err
}

// panicError is the error outcome of a scenario that panicked.
type panicError struct{ msg string }

func (e panicError) Error() string { return "panic: " + e.msg }

// Is makes every panic match the "panic" sentinel.
func (panicError) Is(target error) bool { _, ok := target.(panicError); return ok }

// empty reports whether the outcome holds nothing: no result, no error and
// tables exactly as seeded.
func (o outcome) empty(seeded dump) bool {
	return isEmpty(o.result) && o.err == nil && len(o.tables.diff(seeded, nil)) == 0
}

// compare lists every difference between two outcomes, readably.
func compare(plain, plugin outcome) []string {
	out := diffTree("result", plain.result, plugin.result, nil)
	switch pe, qe := plain.err, plugin.err; {
	case pe == nil && qe == nil:
	case pe == nil || qe == nil || !slices.Equal(pe.Is, qe.Is) || pe.Msg != qe.Msg:
		out = append(out, fmt.Sprintf("error:\n    plain:  %s\n    plugin: %s", pe, qe))
	}
	if plain.leaked != plugin.leaked {
		out = append(out, fmt.Sprintf("connections left in use (open transaction or rows):\n    plain:  %d\n    plugin: %d", plain.leaked, plugin.leaked))
	}
	return plain.tables.diff(plugin.tables, out)
}

// errInfo is an error as compared: the sentinels it matches and its text.
type errInfo struct {
	Is  []string `json:"is,omitempty"`
	Msg string   `json:"msg"`
}

func (e *errInfo) String() string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q (errors.Is: %s)", e.Msg, strings.Join(e.Is, ", "))
}

// sentinels are the errors an outcome's error is tested against.
var sentinels = []struct {
	name string
	err  error
}{
	{"gorm.ErrRecordNotFound", gorm.ErrRecordNotFound},
	{"gorm.ErrInvalidTransaction", gorm.ErrInvalidTransaction},
	{"gorm.ErrNotImplemented", gorm.ErrNotImplemented},
	{"gorm.ErrMissingWhereClause", gorm.ErrMissingWhereClause},
	{"gorm.ErrUnsupportedRelation", gorm.ErrUnsupportedRelation},
	{"gorm.ErrPrimaryKeyRequired", gorm.ErrPrimaryKeyRequired},
	{"gorm.ErrModelValueRequired", gorm.ErrModelValueRequired},
	{"gorm.ErrModelAccessibleFieldsRequired", gorm.ErrModelAccessibleFieldsRequired},
	{"gorm.ErrSubQueryRequired", gorm.ErrSubQueryRequired},
	{"gorm.ErrInvalidData", gorm.ErrInvalidData},
	{"gorm.ErrUnsupportedDriver", gorm.ErrUnsupportedDriver},
	{"gorm.ErrRegistered", gorm.ErrRegistered},
	{"gorm.ErrInvalidField", gorm.ErrInvalidField},
	{"gorm.ErrEmptySlice", gorm.ErrEmptySlice},
	{"gorm.ErrDryRunModeUnsupported", gorm.ErrDryRunModeUnsupported},
	{"gorm.ErrInvalidDB", gorm.ErrInvalidDB},
	{"gorm.ErrInvalidValue", gorm.ErrInvalidValue},
	{"gorm.ErrInvalidValueOfLength", gorm.ErrInvalidValueOfLength},
	{"gorm.ErrPreloadNotAllowed", gorm.ErrPreloadNotAllowed},
	{"gorm.ErrDuplicatedKey", gorm.ErrDuplicatedKey},
	{"gorm.ErrForeignKeyViolated", gorm.ErrForeignKeyViolated},
	{"gorm.ErrCheckConstraintViolated", gorm.ErrCheckConstraintViolated},
	{"softdelete.ErrDeletedAtWrite", softdelete.ErrDeletedAtWrite},
	{"softdelete.ErrNotSoftDeletable", softdelete.ErrNotSoftDeletable},
	{"softdelete.ErrNotRegistered", softdelete.ErrNotRegistered},
	{"softdelete.ErrRestoreConflict", softdelete.ErrRestoreConflict},
	{"softdelete.ErrInvalidTag", softdelete.ErrInvalidTag},
	{"sql.ErrNoRows", sql.ErrNoRows},
	{"sql.ErrTxDone", sql.ErrTxDone},
	{"context.Canceled", context.Canceled},
	{"errHook", errHook},
	{"panic", panicError{}},
}

// errHook is the error scenario hooks fail with.
var errHook = errors.New("hook says no")

func errInfoOf(err error) *errInfo {
	if err == nil {
		return nil
	}
	e := &errInfo{Msg: err.Error()}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			e.Is = append(e.Is, s.name)
		}
	}
	return e
}

// Results.

// out is the usual result of one finisher: the value it filled and its
// RowsAffected, with its error.
func out(tx *gorm.DB, v any) (any, error) {
	return map[string]any{"value": snapshot(v), "rows_affected": tx.RowsAffected}, tx.Error
}

// rec records the steps of a multi-step scenario; each step's value is
// snapshotted when recorded, its error kept as an errInfo.
type rec struct{ steps []map[string]any }

// do records a step that ran tx (nil for a step without one) and filled v.
func (r *rec) do(name string, tx *gorm.DB, v any) *gorm.DB {
	step := map[string]any{"step": name, "value": snapshot(v)}
	if tx != nil {
		step["rows_affected"] = tx.RowsAffected
		if info := errInfoOf(tx.Error); info != nil {
			step["error"] = info
		}
	}
	r.steps = append(r.steps, step)
	return tx
}

// val records a value.
func (r *rec) val(name string, v any) { r.do(name, nil, v) }

// err records an error.
func (r *rec) err(name string, err error) {
	r.steps = append(r.steps, map[string]any{"step": name, "error": errInfoOf(err)})
}

func (r *rec) out() (any, error) { return r.steps, nil }

// snapshot freezes v as JSON now (later steps may change it).
func snapshot(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(fmt.Sprintf("unmarshalable %T: %v", v, err))
	}
	return b
}

// normalise turns a result into a JSON tree with every timestamp in UTC.
func normalise(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return utcTimes(tree), nil
}

func utcTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = utcTimes(e)
		}
	case []any:
		for i, e := range x {
			x[i] = utcTimes(e)
		}
	case string:
		if len(x) >= 20 && x[4] == '-' {
			if ts, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return ts.UTC().Format(time.RFC3339Nano)
			}
		}
	}
	return v
}

// isEmpty reports whether a result tree holds nothing: null, "", 0, false,
// empty collections, or collections of those.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for k, e := range x {
			if k != "step" && !isEmpty(e) { // a step's name is a label, not content
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	case string:
		return x == ""
	case json.Number:
		return x == "0"
	case bool:
		return !x
	}
	return false
}

const maxDiffs = 40

// diffTree appends to out one line per difference between two result trees.
func diffTree(path string, a, b any, out []string) []string {
	if len(out) >= maxDiffs {
		return out
	}
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			keys := map[string]bool{}
			for k := range x {
				keys[k] = true
			}
			for k := range y {
				keys[k] = true
			}
			for _, k := range sortedKeys(keys) {
				ea, oka := x[k]
				eb, okb := y[k]
				switch {
				case !oka:
					out = append(out, fmt.Sprintf("%s.%s: only with the plugin: %s", path, k, js(eb)))
				case !okb:
					out = append(out, fmt.Sprintf("%s.%s: only on plain GORM: %s", path, k, js(ea)))
				default:
					out = diffTree(path+"."+k, ea, eb, out)
				}
			}
			return out
		}
	case []any:
		if y, ok := b.([]any); ok {
			if len(x) != len(y) {
				return append(out, fmt.Sprintf("%s: %d elements vs %d\n    plain:  %s\n    plugin: %s", path, len(x), len(y), js(a), js(b)))
			}
			for i := range x {
				out = diffTree(fmt.Sprintf("%s[%d]", path, i), x[i], y[i], out)
			}
			return out
		}
	}
	if !reflect.DeepEqual(a, b) {
		out = append(out, fmt.Sprintf("%s:\n    plain:  %s\n    plugin: %s", path, js(a), js(b)))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// Table dumps.

// dump is the contents of every table: table -> rows ordered by primary key.
type dump map[string][]dumpRow

type dumpRow struct {
	key  string         // "id=3", "user_id=1,language_id=2"
	cols map[string]any // normalised values
}

// dump reads every table with raw SQL, ordered by primary key.
func (s *side) dump() (dump, error) {
	db := s.quiet()
	d := dump{}
	for _, ti := range s.tables {
		quoted := make([]string, len(ti.pk))
		for i, c := range ti.pk {
			quoted[i] = s.quote(c)
		}
		rows, err := db.Raw(fmt.Sprintf("SELECT * FROM %s ORDER BY %s", s.quote(ti.name), strings.Join(quoted, ", "))).Rows()
		if err != nil {
			return nil, err
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return nil, err
		}
		var list []dumpRow
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			r := dumpRow{cols: map[string]any{}}
			for i, c := range cols {
				r.cols[c] = normaliseValue(vals[i])
			}
			keys := make([]string, len(ti.pk))
			for i, c := range ti.pk {
				keys[i] = fmt.Sprintf("%s=%v", c, r.cols[c])
			}
			r.key = strings.Join(keys, ",")
			list = append(list, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		d[ti.name] = list
	}
	return d, nil
}

// normaliseValue makes a scanned column value comparable: timestamps as
// UTC strings, bytes as strings.
func normaliseValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	}
	return v
}

// diff appends one line per differing row or column of table contents.
func (d dump) diff(other dump, out []string) []string {
	tables := map[string]bool{}
	for k := range d {
		tables[k] = true
	}
	for k := range other {
		tables[k] = true
	}
	for _, table := range sortedKeys(tables) {
		a, b := index(d[table]), index(other[table])
		keys := map[string]bool{}
		for k := range a {
			keys[k] = true
		}
		for k := range b {
			keys[k] = true
		}
		for _, key := range sortedKeys(keys) {
			if len(out) >= maxDiffs {
				return append(out, "… (more differences not shown)")
			}
			ra, oka := a[key]
			rb, okb := b[key]
			switch {
			case !oka:
				out = append(out, fmt.Sprintf("table %s, row %s: only with the plugin: %s", table, key, js(rb)))
			case !okb:
				out = append(out, fmt.Sprintf("table %s, row %s: only on plain GORM: %s", table, key, js(ra)))
			default:
				cols := map[string]bool{}
				for c := range ra {
					cols[c] = true
				}
				for c := range rb {
					cols[c] = true
				}
				for _, c := range sortedKeys(cols) {
					if !reflect.DeepEqual(ra[c], rb[c]) {
						out = append(out, fmt.Sprintf("table %s, row %s, column %s:\n    plain:  %s\n    plugin: %s",
							table, key, c, js(ra[c]), js(rb[c])))
					}
				}
			}
		}
	}
	return out
}

func index(rows []dumpRow) map[string]map[string]any {
	m := make(map[string]map[string]any, len(rows))
	for _, r := range rows {
		m[r.key] = r.cols
	}
	return m
}

// clock is the settable clock both sides of a target share.
type clock struct {
	mu   sync.Mutex
	now  time.Time
	tick time.Duration // added after every reading
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.tick)
	return t
}

func (c *clock) set(t time.Time, tick time.Duration) {
	c.mu.Lock()
	c.now, c.tick = t, tick
	c.mu.Unlock()
}

// sqlLog records the statements of a scenario, for reports.
type sqlLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *sqlLog) LogMode(logger.LogLevel) logger.Interface { return l }
func (l *sqlLog) Info(context.Context, string, ...any)     {}
func (l *sqlLog) Warn(context.Context, string, ...any)     {}
func (l *sqlLog) Error(context.Context, string, ...any)    {}

func (l *sqlLog) Trace(_ context.Context, _ time.Time, fc func() (string, int64), err error) {
	sql, rows := fc()
	line := fmt.Sprintf("    %s  [rows:%d]", sql, rows)
	if err != nil {
		line += "  error: " + err.Error()
	}
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
}

func (l *sqlLog) reset() {
	l.mu.Lock()
	l.lines = nil
	l.mu.Unlock()
}

func (l *sqlLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return "    (none)"
	}
	return strings.Join(l.lines, "\n")
}
