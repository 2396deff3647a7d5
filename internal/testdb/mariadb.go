package testdb

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

const (
	// envMySQLDSN names the variable holding the DSN of an existing MySQL or
	// MariaDB server (any database name; the harness creates its own).
	envMySQLDSN = "SOFTDELETE_TEST_MYSQL_DSN"
	// envRequireMariaDB names the variable that turns a missing MariaDB into
	// a test failure instead of a skip.
	envRequireMariaDB = "SOFTDELETE_REQUIRE_MARIADB"
	// envMariaDB names the variable that switches the MariaDB target off
	// ("0") in packages that run on it, or on ("1") in packages that do not
	// yet by default (see WithMariaDB).
	envMariaDB = "SOFTDELETE_TEST_MARIADB"
)

// my is the lazily initialised MySQL/MariaDB state of this test binary.
var my struct {
	once   sync.Once
	cfg    *gomysql.Config // server address and options; DBName set per test
	reason string          // why MariaDB is unavailable, when cfg == nil
	admin  *gorm.DB        // creates and drops the per-test databases
	server *mariadbServer  // throwaway server started by the harness, if any
}

// MySQLDSN returns the DSN of the harness's MySQL/MariaDB server (no
// database selected), starting a throwaway MariaDB on first use if needed,
// or "" and the reason why it is not available.
func MySQLDSN() (dsn string, reason string) {
	my.once.Do(setupMySQL)
	if my.cfg == nil {
		return "", my.reason
	}
	return my.cfg.FormatDSN(), ""
}

// setupMySQL fills my from SOFTDELETE_TEST_MYSQL_DSN or a new server.
func setupMySQL() {
	cfg, err := provisionMySQL()
	if err == nil {
		my.admin, err = connectMySQL(cfg)
	}
	if err != nil && os.Getenv(envMySQLDSN) != "" {
		err = fmt.Errorf("%s: %w", envMySQLDSN, err)
	}
	if err != nil {
		my.reason = "MariaDB not available: " + err.Error()
		return
	}
	my.cfg = cfg
}

// provisionMySQL returns the configuration of a server the harness may use:
// the DSN's, or a throwaway MariaDB's. Times are read and written in UTC.
func provisionMySQL() (*gomysql.Config, error) {
	if dsn := os.Getenv(envMySQLDSN); dsn != "" {
		cfg, err := gomysql.ParseDSN(dsn)
		if err != nil {
			return nil, err
		}
		cfg.DBName = ""
		cfg.ParseTime, cfg.Loc = true, time.UTC
		return cfg, nil
	}
	s, err := startMariaDB()
	if err != nil {
		return nil, err
	}
	my.server = s
	return s.config(), nil
}

// connectMySQL opens a quiet connection to the server of cfg and checks it
// works.
func connectMySQL(cfg *gomysql.Config) (*gorm.DB, error) {
	db, err := gorm.Open(mysql.New(mysql.Config{DSNConfig: cfg.Clone()}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.Addr, err)
	}
	// DROP DATABASE waits for metadata locks: never for a year (the default).
	if err := db.Exec("SET SESSION lock_wait_timeout = 60").Error; err != nil {
		closeQuietly(db)
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(1) // the session setting above holds on this one connection
	return db, nil
}

// shutdownMySQL closes the admin connection and stops the server. It also
// prevents any later setup, so nothing started afterwards can leak.
func shutdownMySQL() {
	my.once.Do(func() { my.reason = "testdb: MariaDB requested after Main returned" })
	if my.admin != nil {
		closeQuietly(my.admin)
		my.admin = nil
	}
	if my.server != nil {
		my.server.destroy()
		my.server = nil
	}
}

// openMySQL opens a connection to a new empty database of its own.
func openMySQL(t testing.TB, cfg *gorm.Config) *gorm.DB {
	t.Helper()
	if dsn, reason := MySQLDSN(); dsn == "" {
		skipOrFailMariaDB(t, reason, t.Skip)
	}
	name := "t_" + randomHex(8)
	if err := my.admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("testdb: create database %s: %v", name, err)
	}
	var db *gorm.DB
	t.Cleanup(func() {
		if db != nil {
			closeDB(t, db)
		}
		dropDatabase(t, name)
	})
	c := my.cfg.Clone()
	c.DBName = name
	db, err := gorm.Open(mysql.New(mysql.Config{DSNConfig: c}), cfg)
	if err != nil {
		t.Fatalf("testdb: open mysql database %s: %v", name, err)
	}
	return db
}

// dropDatabase drops a per-test database and everything in it, after
// ending the sessions still using it (a transaction a test left open would
// hold its metadata locks, and DROP DATABASE would wait for them).
func dropDatabase(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	admin := my.admin.WithContext(ctx)
	var ids []int64
	err := admin.Raw("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", name).Scan(&ids).Error
	for _, id := range ids {
		if err == nil {
			// a session that ended meanwhile is no error (1094: unknown thread)
			if kerr := admin.Exec(fmt.Sprintf("KILL %d", id)).Error; kerr != nil && !strings.Contains(kerr.Error(), "1094") {
				err = kerr
			}
		}
	}
	if err == nil {
		err = admin.Exec("DROP DATABASE IF EXISTS " + name).Error
	}
	if err != nil {
		t.Errorf("testdb: drop database %s: %v", name, err)
	}
}

// requireMariaDB reports whether SOFTDELETE_REQUIRE_MARIADB is set true.
func requireMariaDB() bool {
	v, err := strconv.ParseBool(os.Getenv(envRequireMariaDB))
	return err == nil && v
}

// skipOrFailMariaDB reports an unavailable MariaDB: t.Fatal when it is
// required, otherwise via otherwise (t.Skip or t.Log).
func skipOrFailMariaDB(t testing.TB, reason string, otherwise func(args ...any)) {
	t.Helper()
	if requireMariaDB() {
		t.Fatal(reason + " (" + envRequireMariaDB + "=1)")
	}
	otherwise(reason)
}
