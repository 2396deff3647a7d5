// Command unique shows partial unique indexes at work: a post's slug is
// unique among live posts only, so deleting a post frees its slug, restoring
// it while the slug is taken fails with softdelete.ErrRestoreConflict, and
// upserts on the slug just work.
//
//	go run ./examples/unique                       # in-memory SQLite
//	go run ./examples/unique -sqlite unique.db     # SQLite file
//	go run ./examples/unique -dsn 'postgres://user:pass@localhost/db'
//
// It drops and recreates its own table, unique_example_posts.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/exampledb"
)

// Post's slug is unique among live posts.
type Post struct {
	softdelete.Model
	Slug  string `softdelete:"unique"`
	Title string
}

// TableName keeps the example away from any real posts table.
func (Post) TableName() string { return "unique_example_posts" }

func main() {
	dsn := flag.String("dsn", "", "PostgreSQL or MySQL (user@tcp(host:3306)/db) DSN (default: SQLite)")
	file := flag.String("sqlite", "file::memory:", "SQLite database file")
	verbose := flag.Bool("v", false, "log every SQL statement")
	flag.Parse()

	db, err := open(*dsn, *file, *verbose)
	if err != nil {
		log.Fatal(err)
	}
	if err := run(os.Stdout, db); err != nil {
		log.Fatal(err)
	}
}

// open connects to PostgreSQL when dsn is set, else to SQLite, and
// registers the plugin.
func open(dsn, file string, verbose bool) (*gorm.DB, error) {
	cfg := &gorm.Config{Logger: logger.Discard}
	if verbose {
		cfg.Logger = logger.Default.LogMode(logger.Info)
	}
	if file == "file::memory:" || file == ":memory:" {
		file = ""
	}
	db, err := exampledb.Open(dsn, file, cfg)
	if err != nil {
		return nil, err
	}
	return db, db.Use(softdelete.New())
}

// run walks through create → delete → reuse the slug → restore conflict →
// upsert, printing each step to w.
func run(w io.Writer, db *gorm.DB) error {
	if err := db.Migrator().DropTable(&Post{}); err != nil {
		return err
	}
	if err := migrate(w, db); err != nil {
		return err
	}
	first := Post{Slug: "hello-world", Title: "Hello, world"}
	if err := db.Create(&first).Error; err != nil {
		return err
	}
	fmt.Fprintf(w, "create:  post %d %q\n", first.ID, first.Slug)

	if err := db.Delete(&first).Error; err != nil {
		return err
	}
	fmt.Fprintf(w, "delete:  post %d deleted, its slug is free\n", first.ID)

	second := Post{Slug: "hello-world", Title: "Hello again"}
	if err := db.Create(&second).Error; err != nil {
		return fmt.Errorf("reuse the slug: %w", err)
	}
	fmt.Fprintf(w, "reuse:   post %d %q created beside deleted post %d\n", second.ID, second.Slug, first.ID)

	if err := restore(w, db, &first); err != nil {
		return err
	}
	if err := upsert(w, db); err != nil {
		return err
	}
	return summary(w, db)
}

// migrate prints the index DDL and runs AutoMigrate.
func migrate(w io.Writer, db *gorm.DB) error {
	stmts, err := softdelete.IndexSQL(db, &Post{})
	if err != nil {
		return err
	}
	for _, s := range stmts {
		fmt.Fprintf(w, "migrate: %s\n", s)
	}
	return softdelete.AutoMigrate(db, &Post{})
}

// restore tries to bring back a post whose slug a live post holds.
func restore(w io.Writer, db *gorm.DB, p *Post) error {
	err := softdelete.Restore(db, p).Error
	if !errors.Is(err, softdelete.ErrRestoreConflict) {
		return fmt.Errorf("restore: want ErrRestoreConflict, got %v", err)
	}
	fmt.Fprintf(w, "restore: post %d refused (ErrRestoreConflict), still deleted: %v\n", p.ID, p.DeletedAt.IsDeleted())
	fmt.Fprintf(w, "  error: %v\n", err)
	return nil
}

// upsert writes the live post's title by slug with ON CONFLICT; the plugin
// adds the partial index's predicate to the conflict target.
func upsert(w io.Writer, db *gorm.DB) error {
	p := Post{Slug: "hello-world", Title: "Hello, upsert"}
	err := db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "slug"}},
		DoUpdates: clause.AssignmentColumns([]string{"title"}),
	}).Create(&p).Error
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	var live Post
	if err := db.First(&live, "slug = ?", "hello-world").Error; err != nil {
		return err
	}
	fmt.Fprintf(w, "upsert:  post %d title is now %q\n", live.ID, live.Title)
	return nil
}

// summary prints what is physically in the table.
func summary(w io.Writer, db *gorm.DB) error {
	var all, live int64
	if err := db.Scopes(softdelete.WithDeleted).Model(&Post{}).Count(&all).Error; err != nil {
		return err
	}
	if err := db.Model(&Post{}).Count(&live).Error; err != nil {
		return err
	}
	fmt.Fprintf(w, "table:   %d rows, %d live\n", all, live)
	return nil
}
