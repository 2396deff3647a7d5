package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// pg is the lazily initialised PostgreSQL state of this test binary.
var pg struct {
	once    sync.Once
	dsn     string   // DSN of the database holding the per-test schemas
	reason  string   // why PostgreSQL is unavailable, when dsn == ""
	admin   *gorm.DB // connection to dsn used to create and drop schemas
	cluster *cluster // throwaway cluster started by the harness, if any
}

// PostgresDSN returns a DSN for the harness's PostgreSQL database, starting
// a throwaway cluster on first use if needed, or "" and the reason why
// PostgreSQL is not available.
func PostgresDSN() (dsn string, reason string) {
	pg.once.Do(setupPostgres)
	return pg.dsn, pg.reason
}

// setupPostgres fills pg from SOFTDELETE_TEST_POSTGRES_DSN or a new cluster.
func setupPostgres() {
	dsn, err := provisionPostgres()
	if err == nil {
		pg.admin, err = connect(dsn)
	}
	if err != nil && os.Getenv(envPostgresDSN) != "" {
		err = fmt.Errorf("%s: %w", envPostgresDSN, err)
	}
	if err != nil {
		pg.reason = "PostgreSQL not available: " + err.Error()
		return
	}
	pg.dsn = dsn
}

// provisionPostgres returns the DSN of a database the harness may use.
func provisionPostgres() (string, error) {
	if dsn := os.Getenv(envPostgresDSN); dsn != "" {
		return dsn, nil
	}
	c, err := startCluster()
	if err != nil {
		return "", err
	}
	pg.cluster = c
	return c.createDatabase()
}

// shutdownPostgres closes the admin connection and stops the cluster. It
// also prevents any later setup, so nothing started afterwards can leak.
func shutdownPostgres() {
	pg.once.Do(func() { pg.reason = "testdb: PostgreSQL requested after Main returned" })
	if pg.admin != nil {
		closeQuietly(pg.admin)
		pg.admin = nil
	}
	if pg.cluster != nil {
		pg.cluster.destroy()
		pg.cluster = nil
	}
}

// connect opens a quiet gorm connection to dsn and checks it works.
func connect(dsn string) (*gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		Logger:               logger.Discard,
		DisableAutomaticPing: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		closeQuietly(db)
		return nil, fmt.Errorf("connect to %s: %w", redact(dsn), err)
	}
	return db, nil
}

// openPostgres opens a connection whose search_path is a new empty schema.
func openPostgres(t testing.TB, cfg *gorm.Config) *gorm.DB {
	t.Helper()
	dsn, reason := PostgresDSN()
	if dsn == "" {
		skipOrFail(t, reason, t.Skip)
	}
	schema := "t_" + randomHex(8)
	if err := pg.admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("testdb: create schema %s: %v", schema, err)
	}
	var db *gorm.DB
	t.Cleanup(func() {
		if db != nil {
			closeDB(t, db)
		}
		dropSchema(t, schema)
	})
	db, err := gorm.Open(postgres.Open(withSearchPath(dsn, schema)), cfg)
	if err != nil {
		t.Fatalf("testdb: open postgres schema %s: %v", schema, err)
	}
	return db
}

// dropSchema drops a per-test schema and everything in it.
func dropSchema(t testing.TB, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := pg.admin.WithContext(ctx).Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE").Error
	if err != nil {
		t.Errorf("testdb: drop schema %s (is a transaction still open?): %v", schema, err)
	}
}

// withSearchPath returns dsn with the search_path runtime parameter set to
// schema; it handles both URL and keyword/value DSNs.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// redact hides a password in dsn for error messages.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	if strings.Contains(dsn, "password=") {
		return "(DSN with password)"
	}
	return dsn
}

// randomHex returns 2n random lowercase hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// closeQuietly closes db's sql.DB, ignoring errors.
func closeQuietly(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}
