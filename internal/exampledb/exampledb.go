// Package exampledb opens the database the example programs run on:
// PostgreSQL when a DSN is given, SQLite otherwise.
package exampledb

import (
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// Open connects to PostgreSQL when dsn is set; otherwise to the SQLite
// database in file, or, when file is "", to a private in-memory SQLite
// database (kept on one connection: each connection to ":memory:" would be a
// database of its own). A nil cfg means &gorm.Config{}.
func Open(dsn, file string, cfg *gorm.Config) (*gorm.DB, error) {
	if cfg == nil {
		cfg = &gorm.Config{}
	}
	if dsn != "" {
		return gorm.Open(postgres.Open(dsn), cfg)
	}
	memory := file == ""
	if memory {
		file = "file::memory:"
	}
	db, err := gorm.Open(sqlite.Open(file), cfg)
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
