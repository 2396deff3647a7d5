// Package reliability_test checks the plugin's guarantees under concurrency,
// faults and hostile input: no deleted row leaks into a read, no row is lost
// or resurrected by a race, a kill or a cancellation, and every error a caller
// sees is a documented one. See .readme-parts/guarantees.md for what each
// test proves.
//
// Every test is bounded in time and count. Longer soaks: SOFTDELETE_SOAK=60s.
package reliability_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// TestMain stops the harness's PostgreSQL cluster after the tests.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m, testdb.WithMariaDB())) }

// envSoak names the variable that lengthens the time-bounded tests
// (a Go duration, e.g. SOFTDELETE_SOAK=60s).
const envSoak = "SOFTDELETE_SOAK"

// soak returns how long a time-bounded test runs: SOFTDELETE_SOAK when set
// to a valid positive duration, def otherwise.
func soak(t testing.TB, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(envSoak)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive Go duration such as 60s", envSoak, v)
	}
	return d
}

// clock is a settable, goroutine-safe clock for softdelete.WithClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// newClock returns a clock set to a fixed instant.
func newClock() *clock {
	return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// Now returns the clock's current time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and returns the new time.
func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set moves the clock to t, forwards or backwards (an NTP step).
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// quietConfig returns a gorm.Config that logs nothing: the concurrent tests
// provoke expected errors by the thousand.
func quietConfig() *gorm.Config { return &gorm.Config{Logger: logger.Discard} }

// setup registers the plugin (with clk as its clock) on db and migrates models
// with softdelete.AutoMigrate (partial indexes, table registry).
func setup(t testing.TB, db *gorm.DB, clk *clock, models ...any) {
	t.Helper()
	require.NoError(t, db.Use(softdelete.New(softdelete.WithClock(clk.Now))))
	require.NoError(t, softdelete.AutoMigrate(db, models...))
}

// rawCount runs a raw SQL count (never rewritten by the plugin): what is
// physically in the database.
func rawCount(t testing.TB, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.Raw(sql, args...).Scan(&n).Error, sql)
	return n
}

// rawIDs returns the ids a raw SQL query selects, sorted.
func rawIDs(t testing.TB, db *gorm.DB, sql string, args ...any) []uint {
	t.Helper()
	var ids []uint
	require.NoError(t, db.Raw(sql, args...).Scan(&ids).Error, sql)
	return sortIDs(ids)
}

// sortIDs sorts ids in place and returns them; nil becomes an empty slice so
// that equal sets compare equal.
func sortIDs(ids []uint) []uint {
	if ids == nil {
		return []uint{}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// errClass is what a caller-visible error is, for the error classifiers.
type errClass string

// The error classes.
const (
	classRestoreConflict errClass = "restore conflict (ErrRestoreConflict)"
	classDuplicate       errClass = "unique violation (gorm.ErrDuplicatedKey / 23505 / UNIQUE constraint failed)"
	classParentDeleted   errClass = "parent deleted (ErrParentDeleted)"
	classBusy            errClass = "SQLITE_BUSY (database is locked)"
	classSerialization   errClass = "serialization failure (40001)"
	classDeadlock        errClass = "deadlock (40P01)"
	classLockTimeout     errClass = "lock timeout (55P03)"
	classStatementCancel errClass = "statement cancelled (57014)"
	classConnection      errClass = "connection lost"
	classContext         errClass = "context cancelled"
	classTxDone          errClass = "transaction already ended (sql.ErrTxDone: database/sql rolled it back when its context ended)"
	classDiskFull        errClass = "disk full (SQLITE_FULL: database or disk is full)"
	classOther           errClass = "undocumented error"
)

// sqlState returns the SQLSTATE of a PostgreSQL error anywhere in err's
// chain (pgconn.PgError has a SQLState method), or "".
func sqlState(err error) string {
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) {
		return pgErr.SQLState()
	}
	return ""
}

// classify names the kind of err. Order matters: ErrRestoreConflict also
// matches gorm.ErrDuplicatedKey.
func classify(err error) errClass {
	msg := err.Error()
	state := sqlState(err)
	switch {
	case errors.Is(err, softdelete.ErrRestoreConflict):
		return classRestoreConflict
	case errors.Is(err, softdelete.ErrParentDeleted):
		return classParentDeleted
	case errors.Is(err, gorm.ErrDuplicatedKey), state == "23505", strings.Contains(msg, "UNIQUE constraint failed"),
		strings.Contains(msg, "Error 1062 "): // MySQL/MariaDB
		return classDuplicate
	case strings.Contains(msg, "database is locked"), strings.Contains(msg, "database table is locked"):
		return classBusy
	case strings.Contains(msg, "database or disk is full"):
		// by text: GORM joins a failed rollback's error after it with
		// "%v; %w", which keeps only the text of the first
		return classDiskFull
	case state == "40001":
		return classSerialization
	case state == "40P01", strings.Contains(msg, "Error 1213 "): // MySQL: deadlock found
		return classDeadlock
	case state == "55P03", strings.Contains(msg, "Error 1205 "): // MySQL: lock wait timeout
		return classLockTimeout
	case state == "57014":
		return classStatementCancel
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		strings.Contains(msg, "context canceled"), strings.Contains(msg, "context deadline exceeded"):
		return classContext
	case errors.Is(err, sql.ErrTxDone):
		return classTxDone
	case state == "57P01", strings.Contains(msg, "conn closed"), strings.Contains(msg, "unexpected EOF"),
		strings.Contains(msg, "broken pipe"), strings.Contains(msg, "connection reset"),
		strings.Contains(msg, "driver: bad connection"):
		return classConnection
	}
	return classOther
}

// tally counts errors by class and remembers every undocumented one.
type tally struct {
	mu         sync.Mutex
	byClass    map[errClass]int
	unexpected []string
}

// newTally returns an empty tally.
func newTally() *tally { return &tally{byClass: map[errClass]int{}} }

// add records err from op; allowed lists the classes op may return.
// Anything else is recorded as unexpected.
func (tl *tally) add(op string, err error, allowed ...errClass) {
	c := classify(err)
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.byClass[c]++
	for _, a := range allowed {
		if a == c {
			return
		}
	}
	if len(tl.unexpected) < 20 {
		tl.unexpected = append(tl.unexpected, op+": ["+string(c)+"] "+err.Error())
	}
}

// count returns how many errors of class c were seen.
func (tl *tally) count(c errClass) int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.byClass[c]
}

// check fails t for every unexpected error and logs the totals.
func (tl *tally) check(t testing.TB) {
	t.Helper()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	t.Logf("errors by class: %v", tl.byClass)
	for _, u := range tl.unexpected {
		t.Errorf("undocumented error: %s", u)
	}
}
