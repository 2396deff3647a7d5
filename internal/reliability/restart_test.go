package reliability_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// pgServer restarts the PostgreSQL server a test runs on.
//
// When the server is the harness's throwaway cluster (internal/testdb: a
// data directory under a softdelete-pg-* temporary directory on this
// machine, the port matching postmaster.pid) it is really restarted:
// pg_ctl restart -m fast, as the postgres user when the tests run as root.
// Every backend is terminated, the server is briefly unreachable, then comes
// back on the same port. Otherwise (SOFTDELETE_TEST_POSTGRES_DSN naming a
// server this test must not restart) every other client backend of the
// database is terminated, which is what clients see of a restart.
type pgServer struct {
	dataDir, pgCtl, runuser string // set when a real restart is possible
	why                     string // why not, otherwise
	pools                   []*gorm.DB
}

// restartablePostgres inspects the server behind db. pools are the
// connection pools of the test: their idle connections die in a restart and
// are dropped after it.
func restartablePostgres(t *testing.T, db *gorm.DB, pools ...*gorm.DB) *pgServer {
	t.Helper()
	s := &pgServer{pools: append([]*gorm.DB{db}, pools...)}
	var dataDir, binDir, port string
	if err := db.Raw("SELECT current_setting('data_directory')").Scan(&dataDir).Error; err != nil {
		s.why = "data_directory not readable: " + err.Error()
		return s
	}
	if err := db.Raw("SELECT setting FROM pg_config WHERE name = 'BINDIR'").Scan(&binDir).Error; err != nil {
		s.why = "pg_config not readable: " + err.Error()
		return s
	}
	require.NoError(t, db.Raw("SELECT current_setting('port')").Scan(&port).Error)
	pid, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	switch lines := strings.Split(string(pid), "\n"); {
	case err != nil:
		s.why = "not a local server: " + err.Error()
	case !strings.HasPrefix(filepath.Base(filepath.Dir(dataDir)), "softdelete-pg-"):
		s.why = "not the harness's throwaway cluster: " + dataDir
	case len(lines) < 4 || strings.TrimSpace(lines[3]) != port:
		s.why = "postmaster.pid of " + dataDir + " is not this server's (port " + port + ")"
	}
	if s.why != "" {
		return s
	}
	s.dataDir, s.pgCtl = dataDir, filepath.Join(binDir, "pg_ctl")
	if os.Geteuid() == 0 {
		if s.runuser, err = exec.LookPath("runuser"); err != nil {
			s.dataDir, s.why = "", "running as root without runuser"
		}
	}
	return s
}

// what says how restart brings the server down.
func (s *pgServer) what() string {
	if s.dataDir != "" {
		return "pg_ctl restart -m fast"
	}
	return "every backend terminated (" + s.why + ")"
}

// restart restarts the server (or terminates every other backend) through
// admin, a connection that is not the one under test, and waits until it
// accepts connections again.
func (s *pgServer) restart(t *testing.T, admin *gorm.DB) {
	if s.dataDir == "" {
		err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Error
		if err != nil {
			t.Errorf("terminate backends: %v", err)
		}
		return
	}
	args := []string{"-D", s.dataDir, "-m", "fast", "-w", "-t", "60",
		"-l", filepath.Join(filepath.Dir(s.dataDir), "postgres.log"), "restart"}
	cmd := exec.Command(s.pgCtl, args...)
	if s.runuser != "" {
		cmd = exec.Command(s.runuser, append([]string{"-u", "postgres", "--", s.pgCtl}, args...)...)
	}
	cmd.Dir = filepath.Dir(s.dataDir) // the postgres user may not reach our cwd
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("pg_ctl restart: %v: %s", err, out)
	}
}

// dropDeadConnections closes the idle connections of the test's pools: the
// restart killed them, and database/sql (pgx checks a connection idle for
// less than a second without a ping) would hand them out again.
func (s *pgServer) dropDeadConnections(t *testing.T) {
	for _, db := range s.pools {
		sqlDB, err := db.DB()
		require.NoError(t, err)
		sqlDB.SetMaxIdleConns(0)
		sqlDB.SetMaxIdleConns(2)
	}
}

// settleHarnessPool makes the test last at least a second after opened, so
// that the harness's own connection (which drops the test's schema in
// t.Cleanup, and was killed by the restart too) has been idle long enough
// for pgx to ping it and database/sql to replace it. Call it right after
// testdb.Open: cleanups run last-registered first.
func settleHarnessPool(t *testing.T, opened time.Time) {
	t.Cleanup(func() { time.Sleep(time.Until(opened.Add(1100 * time.Millisecond))) })
}

// rawFaultKey carries a *rawFault in the context of an operation.
type rawFaultKey struct{}

// rawFault fires before the nth raw statement (db.Exec: Purge's DELETEs)
// whose SQL starts with prefix.
type rawFault struct {
	prefix string
	nth    int32
	seen   atomic.Int32
	fired  atomic.Bool
	action func(tx *gorm.DB)
}

// registerRawFault adds a callback before gorm:raw that runs the fault
// armed in the statement's context, if any.
func registerRawFault(t *testing.T, db *gorm.DB) {
	t.Helper()
	require.NoError(t, db.Callback().Raw().Before("gorm:raw").Register("reliability:raw_fault", func(tx *gorm.DB) {
		f, ok := tx.Statement.Context.Value(rawFaultKey{}).(*rawFault)
		if ok && tx.Error == nil && strings.HasPrefix(tx.Statement.SQL.String(), f.prefix) &&
			f.seen.Add(1) == f.nth && f.fired.CompareAndSwap(false, true) {
			f.action(tx)
		}
	}))
}

// TestPostgresRestartDuringPurge (PostgreSQL): the server restarts in the
// middle of a Purge — in a cascading model's second batch after its kids'
// DELETE ran (inside the batch's transaction) and before its parents'
// DELETE, and before a leaf model's second batch. Purge returns an error
// that says it is Purge's, of the table, and wraps the driver's connection
// error; its count is exactly what the committed first batch removed, raw
// SQL finds exactly those rows gone (the interrupted batch rolled back whole:
// no kid removed without its parent) and OnBatch saw nothing else. A rerun
// once the server is back removes the rest.
func TestPostgresRestartDuringPurge(t *testing.T) {
	db := testdb.Open(t, "postgres", quietConfig())
	settleHarnessPool(t, time.Now())
	clk := newClock()
	setup(t, db, clk, &FParent{}, &FKid{}, &FLeaf{})
	admin := openPostgresWith(t, db, clk, nil)
	srv := restartablePostgres(t, db, admin)
	t.Logf("restart: %s", srv.what())
	registerRawFault(t, db)

	for _, c := range []struct {
		name        string
		model       any
		prefix      string // the statement the restart comes before
		tables      []string
		rows        int64 // expired rows in all
		firstBatch  int64 // rows of the first batch (BatchSize 2)
		checkInside func(t *testing.T, tx *gorm.DB)
	}{
		{"cascading model, between the kids' and the parents' DELETE", &FParent{}, `DELETE FROM "f_parents"`,
			[]string{"f_parents", "f_kids"}, 6 + 12, 2 + 4, func(t *testing.T, tx *gorm.DB) {
				assert.EqualValues(t, 8-2*2, rawCount(t, tx.Session(&gorm.Session{NewDB: true}), "SELECT count(*) FROM f_kids"),
					"inside the batch the kids of its parents are gone already")
			}},
		{"leaf model, before the second batch's DELETE", &FLeaf{}, `DELETE FROM "f_leaves"`,
			[]string{"f_leaves"}, 6, 2, func(*testing.T, *gorm.DB) {}},
	} {
		t.Run(c.name, func(t *testing.T) {
			switch c.model.(type) {
			case *FParent:
				for i := range 6 {
					p := FParent{Name: fmt.Sprint(i), Kids: []FKid{{}, {}}}
					require.NoError(t, db.Create(&p).Error)
					clk.Advance(time.Second) // distinct timestamps: batches follow creation order
					require.NoError(t, db.Delete(&p).Error)
				}
			case *FLeaf:
				for range 6 {
					l := FLeaf{}
					require.NoError(t, db.Create(&l).Error)
					clk.Advance(time.Second)
					require.NoError(t, db.Delete(&l).Error)
				}
			}
			clk.Advance(48 * time.Hour)
			count := func() (n int64) {
				for _, table := range c.tables {
					n += rawCount(t, admin, "SELECT count(*) FROM "+table)
				}
				return n
			}
			require.EqualValues(t, c.rows, count())

			f := &rawFault{prefix: c.prefix, nth: 2, action: func(tx *gorm.DB) {
				c.checkInside(t, tx)
				srv.restart(t, admin)
			}}
			var reported int64
			opts := softdelete.PurgeOptions{OlderThan: time.Hour, BatchSize: 2,
				OnBatch: func(p softdelete.PurgeProgress) { reported = p.Purged }}
			ctx := context.WithValue(context.Background(), rawFaultKey{}, f)
			n, err := softdelete.Purge(ctx, db, c.model, opts)
			t.Logf("Purge returned %d, %v", n, err)
			require.True(t, f.fired.Load(), "the restart happened")
			srv.dropDeadConnections(t)
			require.Error(t, err)
			assert.Equal(t, classConnection, classify(err), "error: %v", err)
			assert.Contains(t, err.Error(), "softdelete: purge "+c.tables[0]+": ", "the error says it is Purge's, and of which table")
			assert.Equal(t, "57P01", sqlState(err), "the driver's error (admin shutdown) is wrapped: errors.As reaches it")
			assert.EqualValues(t, c.firstBatch, n, "exactly the committed first batch")
			assert.Equal(t, n, reported, "OnBatch saw the committed batch only")
			assert.EqualValues(t, c.rows-n, count(), "exactly the counted rows are gone")
			if _, cascading := c.model.(*FParent); cascading {
				assert.Zero(t, rawCount(t, admin, "SELECT count(*) FROM f_kids WHERE f_parent_id NOT IN (SELECT id FROM f_parents)"),
					"no kid outlived its parent")
				assert.EqualValues(t, 2*rawCount(t, admin, "SELECT count(*) FROM f_parents"), rawCount(t, admin, "SELECT count(*) FROM f_kids"),
					"no parent lost a kid")
			}

			n2, err := softdelete.Purge(context.Background(), db, c.model, opts)
			require.NoError(t, err, "the rerun")
			assert.Equal(t, c.rows-n, n2, "the rerun removes the rest")
			assert.Zero(t, count())
		})
	}
}

// TestPostgresRestartDuringCascadeDelete (PostgreSQL): the server restarts
// while a cascading Delete is between its kids' and its parent's statement,
// in each transaction mode (GORM's default, the plugin's own under
// SkipDefaultTransaction, a caller's). The caller gets a connection error,
// raw SQL finds parent and kids exactly as before, and once the server is
// back the same Delete deletes all of them with one timestamp.
func TestPostgresRestartDuringCascadeDelete(t *testing.T) {
	db := testdb.Open(t, "postgres", quietConfig())
	settleHarnessPool(t, time.Now())
	clk := newClock()
	setup(t, db, clk, &FParent{}, &FKid{})
	admin := openPostgresWith(t, db, clk, nil)
	srv := restartablePostgres(t, db, admin)
	t.Logf("restart: %s", srv.what())
	registerFaultPoints(t, db)
	for _, mode := range txModes {
		t.Run(mode.name, func(t *testing.T) {
			clk.Advance(time.Second)
			p := FParent{Name: mode.name, Kids: []FKid{{}, {}, {}}}
			require.NoError(t, db.Create(&p).Error)
			beforeParent, beforeKids := family(t, admin, p.ID)

			f := &fault{point: betweenStatements, action: func(tx *gorm.DB) {
				assertKidsChanged(t, "Delete", tx, p.ID, len(p.Kids))
				srv.restart(t, admin)
			}}
			ctx := context.WithValue(context.Background(), faultKey{}, f)
			err := mode.run(db, ctx, func(tx *gorm.DB) error { return tx.Delete(&p).Error })
			t.Logf("Delete returned %v (SQLSTATE reachable with errors.As: %q)", err, sqlState(err))
			require.True(t, f.fired.Load(), "the restart happened")
			srv.dropDeadConnections(t)
			require.Error(t, err)
			assert.Contains(t, []errClass{classConnection, classTxDone}, classify(err), "error: %v", err)
			afterParent, afterKids := family(t, admin, p.ID)
			assert.Equal(t, beforeParent, afterParent, "parent unchanged")
			assert.Equal(t, beforeKids, afterKids, "kids unchanged")

			require.NoError(t, mode.run(db, context.Background(), func(tx *gorm.DB) error { return tx.Delete(&p).Error }))
			afterParent, afterKids = family(t, admin, p.ID)
			assertAllChanged(t, "Delete", beforeParent, afterParent, beforeKids, afterKids)
		})
	}
}
