// Package exampledb opens the database the example programs run on:
// PostgreSQL or MySQL/MariaDB when a DSN is given, SQLite otherwise.
package exampledb

import (
	"strings"

	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// SQLiteSettings are the connection settings docs/guarantees.md recommends
// for SQLite (WAL, a busy timeout, BEGIN IMMEDIATE, foreign keys).
const SQLiteSettings = "_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate&_foreign_keys=1"

// SQLiteDSN is the connection string of the SQLite database in file, with
// SQLiteSettings; "" is a private in-memory database (without WAL, which an
// in-memory database cannot use). A file already given as a URI ("file:...",
// or with "?" settings of its own) is used as it is.
func SQLiteDSN(file string) string {
	switch {
	case file == "":
		return "file::memory:?_busy_timeout=5000&_txlock=immediate&_foreign_keys=1"
	case strings.HasPrefix(file, "file:") || strings.Contains(file, "?"):
		return file
	}
	return "file:" + file + "?" + SQLiteSettings
}

// MySQLDSN reports whether dsn is a MySQL/MariaDB DSN
// ("user:pass@tcp(host:3306)/db", "mysql://..." is not one) and returns it
// with parseTime=true, which GORM needs to scan times.
func MySQLDSN(dsn string) (string, bool) {
	if !strings.Contains(dsn, "@tcp(") && !strings.Contains(dsn, "@unix(") {
		return dsn, false
	}
	if strings.Contains(dsn, "parseTime=") {
		return dsn, true
	}
	if strings.Contains(dsn, "?") {
		return dsn + "&parseTime=true", true
	}
	return dsn + "?parseTime=true", true
}

// Open connects to MySQL/MariaDB when dsn is a MySQL DSN (user@tcp(host)/db),
// to PostgreSQL when dsn is another non-empty DSN; otherwise to the SQLite
// database in file, or, when file is "", to a private in-memory SQLite
// database (kept on one connection: each connection to ":memory:" would be a
// database of its own). A nil cfg means &gorm.Config{}.
func Open(dsn, file string, cfg *gorm.Config) (*gorm.DB, error) {
	if cfg == nil {
		cfg = &gorm.Config{}
	}
	if my, ok := MySQLDSN(dsn); ok {
		return gorm.Open(mysql.Open(my), cfg)
	}
	if dsn != "" {
		return gorm.Open(postgres.Open(dsn), cfg)
	}
	memory := file == ""
	db, err := gorm.Open(sqlite.Open(SQLiteDSN(file)), cfg)
	if err != nil || !memory {
		return db, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(1)
	return db, nil
}
