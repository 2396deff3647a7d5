// Package conformance is the differential conformance suite of softdelete.
//
// Every scenario of its catalogue (the *_test.go files, grouped by GORM API
// area) runs twice on the same schema of gorm.Model models and identical
// seed data: once on plain GORM and once with the plugin registered
// (db.Use(softdelete.New(softdelete.WithClock(clock)))), on SQLite and
// PostgreSQL. The suite compares what a caller would look at (returned
// values, RowsAffected, DryRun/ToSQL text where the text is the point), the
// error (errors.Is against GORM's and softdelete's sentinels, and the
// message), and the contents of every table afterwards.
//
// Registering the plugin must change nothing but the intended differences
// listed in the table between the differences markers of the repository's
// README.md. A scenario names the rows it shows in its differs field; the
// suite fails on an undeclared difference, on a declared difference that no
// longer shows, on an id that is not a row of the table, and on a row no
// scenario declares.
//
// Run it with:
//
//	go test -race -count=1 ./internal/conformance/
//
// Scenarios marked knownBug are skipped with that text; set
// CONFORMANCE_KNOWN_BUGS=1 to run them anyway. CONFORMANCE_SHOW=1 (with -v)
// also logs the outcome and SQL of scenarios on which both sides agree.
//
// Both sides of a target share one database each for the whole run: every
// scenario starts from the seed (tables emptied and refilled with raw SQL,
// sequences reset), with the same fixed clock. A scenario that leaves a
// connection in use (an open transaction) has that side reopened.
package conformance
