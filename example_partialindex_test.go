package softdelete_test

import (
	"errors"
	"fmt"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// Page's slug is unique among live pages; (site_id, path) too, as one
// composite index.
type Page struct {
	softdelete.Model
	Slug   string `softdelete:"unique"`
	SiteID uint   `softdelete:"unique:uq_pages_site_path"`
	Path   string `softdelete:"unique:uq_pages_site_path"`
}

// pageDB opens an in-memory SQLite database with the plugin registered.
func pageDB() *gorm.DB {
	db, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		panic(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1) // one connection, one in-memory database
	if err := db.Use(softdelete.New()); err != nil {
		panic(err)
	}
	return db
}

func ExampleAutoMigrate() {
	db := pageDB()
	if err := softdelete.AutoMigrate(db, &Page{}); err != nil {
		panic(err)
	}

	// A deleted page frees its slug...
	old := Page{Slug: "about", SiteID: 1, Path: "/about"}
	db.Create(&old)
	db.Delete(&old)
	fmt.Println("reuse:", db.Create(&Page{Slug: "about", SiteID: 1, Path: "/about"}).Error)

	// ...two live pages cannot share one...
	fmt.Println("duplicate refused:", db.Create(&Page{Slug: "about", SiteID: 2, Path: "/x"}).Error != nil)

	// ...and the old page cannot come back while the new one holds it.
	err := softdelete.Restore(db, &old).Error
	fmt.Println("restore conflict:", errors.Is(err, softdelete.ErrRestoreConflict))

	// Upserts on the slug find the partial index by themselves.
	err = db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "slug"}},
		DoUpdates: clause.AssignmentColumns([]string{"path"}),
	}).Create(&Page{Slug: "about", SiteID: 1, Path: "/about-us"}).Error
	var live Page
	db.First(&live, "slug = ?", "about")
	fmt.Println("upsert:", err, live.Path)
	// Output:
	// reuse: <nil>
	// duplicate refused: true
	// restore conflict: true
	// upsert: <nil> /about-us
}

func ExampleIndexSQL() {
	db := pageDB()
	stmts, err := softdelete.IndexSQL(db, &Page{})
	if err != nil {
		panic(err)
	}
	for _, s := range stmts {
		fmt.Println(s + ";")
	}
	// Output:
	// CREATE UNIQUE INDEX "uidx_pages_slug" ON "pages" ("slug") WHERE "deleted_at" IS NULL;
	// CREATE UNIQUE INDEX "uq_pages_site_path" ON "pages" ("site_id", "path") WHERE "deleted_at" IS NULL;
}
