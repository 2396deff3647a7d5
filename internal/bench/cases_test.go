package bench

import (
	"flag"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// tinyScale is just big enough for every case to run: the 90% table still
// has 100 live rows to list.
var tinyScale = Scale{
	Quick:         true,
	ItemRows:      1_200,
	CascadeSizes:  []int{10},
	PurgeRowsPG:   3_000,
	PurgeRowsLite: 3_000,
	UpsertRows:    50,
}

// runOnce runs every case of groups through testing.Benchmark with
// -test.benchtime=1x and fails on the first error: the benchmark bodies
// work and check their own results (rows affected, rows listed).
func runOnce(t *testing.T, groups []Group, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	bt := flag.Lookup("test.benchtime")
	old := bt.Value.String()
	if err := flag.Set("test.benchtime", "1x"); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = flag.Set("test.benchtime", old) }()
	for _, g := range groups {
		for _, c := range g.Cases {
			var runErr error
			res := testing.Benchmark(func(b *testing.B) { runErr = c.Run(b) })
			if runErr != nil || res.N == 0 {
				t.Errorf("%s/%s: N=%d err=%v", g.ID(), c.Impl, res.N, runErr)
			}
		}
		if g.Stmts != nil {
			if _, err := g.Stmts(); err != nil {
				t.Errorf("%s: counting statements: %v", g.ID(), err)
			}
		}
	}
}

// TestCasesRun runs every benchmark body once, on every available target,
// at a tiny scale.
func TestCasesRun(t *testing.T) {
	e := newEnv(t, tinyScale)
	targets := append(availableTargets(t), mariaDBTargets(t)...)
	t.Run("build", func(t *testing.T) { g, err := e.BuildGroups(); runOnce(t, g, err) })
	t.Run("unmanaged", func(t *testing.T) { g, err := e.UnmanagedGroups(); runOnce(t, g, err) })
	for _, target := range targets {
		t.Run("e2e/"+string(target), func(t *testing.T) {
			for _, prepare := range []bool{false, true} {
				g, err := e.E2EGroups(target, prepare)
				runOnce(t, g, err)
			}
		})
		if target == SQLiteFile {
			continue
		}
		t.Run("cascade/"+string(target), func(t *testing.T) {
			g, err := e.CascadeGroups(target, tinyScale.CascadeSizes)
			runOnce(t, g, err)
		})
	}
	t.Run("upsert", func(t *testing.T) {
		ts := []Target{SQLiteMem}
		if hasPostgres(t) {
			ts = append(ts, Postgres)
		}
		g, err := e.UpsertGroups(ts)
		runOnce(t, g, err)
	})
	for _, target := range []Target{SQLiteFile, Postgres, MariaDB} {
		if (target == Postgres && !hasPostgres(t)) || (target == MariaDB && !hasMariaDB(t)) {
			continue
		}
		t.Run("purge/"+string(target), func(t *testing.T) {
			fx, err := e.PurgeFixture(target)
			if err != nil {
				t.Fatal(err)
			}
			runOnce(t, []Group{{Section: "purge", Name: string(target),
				Cases: []Case{PurgeCase(fx, ImplBatched), PurgeCase(fx, ImplBatchTime), PurgeCase(fx, ImplSingle)}}}, nil)
		})
	}
}

// TestBuildOpsSQL checks that what the build benchmarks build is the real
// statement: run for real (through a CountingPool), every implementation's
// statement mentions the soft-delete column, and the plugin's statements
// are the built-in's, text for text.
func TestBuildOpsSQL(t *testing.T) {
	e := newEnv(t, tinyScale)
	d, err := e.itemsDB(SQLiteMem)
	if err != nil {
		t.Fatal(err)
	}
	pool := NewCountingPool(d.SQL)
	texts := map[string][]string{}
	for _, impl := range buildImpls {
		db, err := d.Gorm(GormConfig{Plugin: impl.plugin, Pool: pool})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []struct {
			name string
			fn   func(*gorm.DB) error
		}{{"find", impl.ops.find}, {"count", impl.ops.count}, {"delete", impl.ops.delete}, {"restore", impl.ops.restore}} {
			pool.Reset()
			if err := op.fn(db); err != nil {
				t.Fatalf("%s %s: %v", impl.name, op.name, err)
			}
			got := pool.Texts()
			if len(got) != 1 || !strings.Contains(got[0], "deleted_at") {
				t.Errorf("%s %s: statements %q, want one mentioning deleted_at", impl.name, op.name, got)
			}
			texts[impl.name] = append(texts[impl.name], got...)
		}
	}
	for i, q := range texts[ImplBuiltin][:3] { // restore differs by design (see buildImpls)
		if texts[ImplPlugin][i] != q {
			t.Errorf("plugin statement %q differs from built-in %q", texts[ImplPlugin][i], q)
		}
	}
	for _, q := range texts[ImplPlugin] {
		t.Log(q)
	}
}
