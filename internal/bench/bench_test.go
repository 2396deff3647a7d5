package bench

import (
	"testing"
)

// The benchmarks run only with -bench; plain go test runs none of them.
// Sub-benchmark names are operation/implementation; compare with benchstat
// or run go run ./cmd/report (in internal/bench) for interleaved medians.

// BenchmarkBuild is benchmark 1: statement building only (DryRun).
func BenchmarkBuild(b *testing.B) {
	groups, err := newEnv(b, benchScale()).BuildGroups()
	runGroups(b, groups, err)
}

// BenchmarkUnmanaged is benchmark 2: a model without a soft-delete field,
// plugin registered or not.
func BenchmarkUnmanaged(b *testing.B) {
	groups, err := newEnv(b, benchScale()).UnmanagedGroups()
	runGroups(b, groups, err)
}

// BenchmarkE2E is benchmark 3: end to end on every target, without and
// with PrepareStmt (MariaDB: point read and lists).
func BenchmarkE2E(b *testing.B) {
	e := newEnv(b, benchScale())
	for _, t := range append(availableTargets(b), mariaDBTargets(b)...) {
		for _, prepare := range []bool{false, true} {
			name := string(t)
			if prepare {
				name += "/prepared"
			}
			b.Run(name, func(b *testing.B) {
				groups, err := e.E2EGroups(t, prepare)
				runGroups(b, groups, err)
			})
		}
	}
}

// BenchmarkCascade is benchmark 4: cascade delete + restore vs hand-written
// set-based SQL (100 000 posts only with SOFTDELETE_BENCH_FULL=1).
func BenchmarkCascade(b *testing.B) {
	e := newEnv(b, benchScale())
	for _, t := range []Target{SQLiteMem, Postgres, MariaDB} {
		if (t == Postgres && !hasPostgres(b)) || (t == MariaDB && !hasMariaDB(b)) {
			continue
		}
		b.Run(string(t), func(b *testing.B) {
			groups, err := e.CascadeGroups(t, e.Scale.CascadeSizes)
			runGroups(b, groups, err)
		})
	}
}

// BenchmarkPurge is benchmark 5: softdelete.Purge with its default options
// and with BatchTime 20ms vs one plain DELETE (each iteration re-seeds,
// untimed).
func BenchmarkPurge(b *testing.B) {
	e := newEnv(b, benchScale())
	for _, t := range []Target{SQLiteFile, Postgres, MariaDB} {
		if (t == Postgres && !hasPostgres(b)) || (t == MariaDB && !hasMariaDB(b)) {
			continue
		}
		b.Run(string(t), func(b *testing.B) {
			fx, err := e.PurgeFixture(t)
			if err != nil {
				b.Fatal(err)
			}
			for _, impl := range purgeImpls {
				b.Run(impl, PurgeCase(fx, impl).Bench)
			}
		})
	}
}

// BenchmarkUpsert is benchmark 6: upsert against a partial unique index,
// target inferred by the plugin vs written by hand.
func BenchmarkUpsert(b *testing.B) {
	e := newEnv(b, benchScale())
	targets := []Target{SQLiteMem}
	if hasPostgres(b) {
		targets = append(targets, Postgres)
	}
	groups, err := e.UpsertGroups(targets)
	runGroups(b, groups, err)
}
