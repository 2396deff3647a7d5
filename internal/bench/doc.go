// Package bench measures the softdelete plugin against its anchors, side by
// side in one process, on the same models and the same data:
//
//   - raw: database/sql with hand-written SQL (the physical limit);
//   - plain: GORM without any soft-delete support, the filter written by hand;
//   - builtin: GORM's own gorm.DeletedAt;
//   - soft_delete: gorm.io/plugin/soft_delete v1.2.1 (unix-seconds column);
//   - softdelete: this module (softdelete.Model, db.Use(softdelete.New())).
//
// Every comparison is a Group of Cases, one per implementation, each a
// testing.B benchmark body. The *_test.go files run them as ordinary Go
// benchmarks (go test -bench . in internal/bench, a module of its own); cmd/report runs them
// interleaved with testing.Benchmark, takes medians and writes the report
// into README.md. Plain go test runs only the correctness checks
// (statement stability, query plans, sanity of the benchmark bodies), never
// the benchmarks.
//
// The package is internal: nothing here is API.
package bench
