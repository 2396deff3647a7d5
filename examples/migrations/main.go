// Command migrations writes migration files for the plugin's live-only
// indexes, as a team that reviews its schema changes would commit them: for
// golang-migrate (NNNNNN_name.up.sql / .down.sql) or goose (NNNNN_name.sql
// with -- +goose Up / Down), for SQLite or PostgreSQL.
//
// The story: customers.email used to carry gorm:"uniqueIndex", so GORM
// created the full unique index idx_customers_email, and a deleted
// customer's email could never be used again. Migration 1 is that table as
// GORM created it; the next migrations, from softdelete.MigrationSQL,
// replace the full index by the live-only uidx_customers_email (and add the
// live-only index on region), CONCURRENTLY on PostgreSQL.
//
//	go run . -tool goose -dialect postgres          # print the files
//	go run . -tool goose -dialect postgres -dir ./db/migrations
//	go run . -tool golang-migrate -dialect sqlite -dir ./db/migrations
//	go run . -doctor    # softdelete.Check on models with each mistake it finds
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// Customer is the model today: email unique among live customers.
type Customer struct {
	softdelete.Model
	Email  string `softdelete:"unique"`
	Region string `softdelete:"index"`
}

// LegacyCustomer is the same table as it was: GORM's full unique index.
type LegacyCustomer struct {
	softdelete.Model
	Email  string `gorm:"uniqueIndex"`
	Region string
}

// TableName keeps the legacy model on the customers table.
func (LegacyCustomer) TableName() string { return "customers" }

// conversion replaces GORM's full index by the live-only one, concurrently
// where the database can.
var conversion = softdelete.MigrationOptions{
	Concurrently: true,
	Replace:      []softdelete.Replacement{{Index: "uidx_customers_email", Old: "idx_customers_email"}},
}

func main() {
	tool := flag.String("tool", "goose", "migration tool: goose or golang-migrate")
	dialectName := flag.String("dialect", "postgres", "database: postgres or sqlite")
	dir := flag.String("dir", "", "directory to write the files to (default: print them)")
	doctor := flag.Bool("doctor", false, "instead: run softdelete.Check on models with every mistake it finds, on in-memory SQLite")
	flag.Parse()
	if *doctor {
		db, err := offline("sqlite")
		if err == nil {
			err = Doctor(os.Stdout, db)
		}
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	db, err := offline(*dialectName)
	if err != nil {
		log.Fatal(err)
	}
	if *dir == "" {
		if err := Print(os.Stdout, db, *tool); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	files, err := Write(db, *tool, *dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f)
	}
}

// offline returns a *gorm.DB of the dialect with the plugin registered that
// never connects (PostgreSQL) or is in memory (SQLite): rendering SQL needs
// only the dialect.
func offline(name string) (*gorm.DB, error) {
	var d gorm.Dialector
	switch name {
	case "postgres":
		d = postgres.New(postgres.Config{DSN: "host=offline.invalid"})
	case "sqlite":
		d = sqlite.Open("file::memory:")
	default:
		return nil, fmt.Errorf("unknown dialect %q (want postgres or sqlite)", name)
	}
	db, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard, DisableAutomaticPing: true})
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(1) // one connection, one in-memory SQLite database
	return db, db.Use(softdelete.New())
}
