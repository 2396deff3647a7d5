package bench

import (
	"os"
	"strconv"
	"testing"

	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, testdb.WithMariaDB())) }

// benchScale is the scale of go test -bench: QuickScale, or FullScale with
// SOFTDELETE_BENCH_FULL=1.
func benchScale() Scale {
	if full, _ := strconv.ParseBool(os.Getenv("SOFTDELETE_BENCH_FULL")); full {
		return FullScale
	}
	return QuickScale
}

// newEnv returns an environment closed when tb ends.
func newEnv(tb testing.TB, scale Scale) *Env {
	e := NewEnv(scale)
	tb.Cleanup(func() {
		if err := e.Close(); err != nil {
			tb.Error(err)
		}
	})
	return e
}

// availableTargets lists the targets of every benchmark: the SQLite ones,
// and PostgreSQL only when the harness has it (testdb.Targets skips or,
// with SOFTDELETE_REQUIRE_POSTGRES=1, fails otherwise). MariaDB runs only
// some benchmarks: see hasMariaDB.
func availableTargets(tb testing.TB) []Target {
	tb.Helper()
	ts := []Target{SQLiteMem, SQLiteFile}
	for _, name := range testdb.Targets(tb) {
		if name == "postgres" {
			ts = append(ts, Postgres)
		}
	}
	return ts
}

// hasPostgres reports whether PostgreSQL is among tb's targets.
func hasPostgres(tb testing.TB) bool {
	tb.Helper()
	for _, t := range availableTargets(tb) {
		if t == Postgres {
			return true
		}
	}
	return false
}

// hasMariaDB reports whether MariaDB is among tb's targets (testdb.Targets
// logs why not or, with SOFTDELETE_REQUIRE_MARIADB=1, fails; it is off with
// SOFTDELETE_TEST_MARIADB=0).
func hasMariaDB(tb testing.TB) bool {
	tb.Helper()
	for _, name := range testdb.Targets(tb) {
		if name == "mysql" {
			return true
		}
	}
	return false
}

// mariaDBTargets is []Target{MariaDB} when tb has it, else nil.
func mariaDBTargets(tb testing.TB) []Target {
	tb.Helper()
	if hasMariaDB(tb) {
		return []Target{MariaDB}
	}
	return nil
}

// runGroups runs every case of groups as sub-benchmarks group/impl.
func runGroups(b *testing.B, groups []Group, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	for _, g := range groups {
		b.Run(g.Name, func(b *testing.B) {
			for _, c := range g.Cases {
				b.Run(c.Impl, c.Bench)
			}
		})
	}
}
