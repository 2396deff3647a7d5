package softdelete_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// Forum's threads are deleted and restored with it.
type Forum struct {
	softdelete.Model
	Name    string
	Threads []Thread `softdelete:"cascade"`
}

// Thread belongs to a Forum.
type Thread struct {
	softdelete.Model
	ForumID uint
	Title   string
}

// forumDB opens an in-memory SQLite database whose clock advances a second
// per statement that asks for it, with forum "go" holding threads t1 and t2.
func forumDB() (*gorm.DB, Forum) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(time.Second); return now }
	db, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		panic(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1) // one connection, one in-memory database
	if err := db.Use(softdelete.New(softdelete.WithClock(clock))); err != nil {
		panic(err)
	}
	if err := softdelete.AutoMigrate(db, &Forum{}, &Thread{}); err != nil {
		panic(err)
	}
	f := Forum{Name: "go", Threads: []Thread{{Title: "t1"}, {Title: "t2"}}}
	db.Create(&f)
	return db, f
}

// liveThreads lists the titles of the live threads.
func liveThreads(db *gorm.DB) []string {
	var titles []string
	db.Model(&Thread{}).Order("title").Pluck("title", &titles)
	return titles
}

// A softdelete:"cascade" relation is soft-deleted with its parent, in one
// UPDATE per level whatever the number of children.
func Example_cascadeDelete() {
	db, f := forumDB()
	db.Delete(&f)
	fmt.Println("live threads:", liveThreads(db))

	var deleted int64
	db.Scopes(softdelete.OnlyDeleted).Model(&Thread{}).Count(&deleted)
	fmt.Println("deleted threads:", deleted)
	// Output:
	// live threads: []
	// deleted threads: 2
}

// Restoring a parent restores the children its delete took with it, and
// only those: t2, deleted on its own before the forum, stays deleted.
func ExampleRestore_cascade() {
	db, f := forumDB()
	db.Delete(&f.Threads[1]) // t2 alone
	db.Delete(&f)            // the forum, taking t1 with it

	err := softdelete.Restore(db, &f).Error
	fmt.Println(err, liveThreads(db))
	// Output: <nil> [t1]
}

// Ticket's restore hooks run around Restore, in its transaction, as GORM's
// delete hooks run around Delete.
type Ticket struct {
	softdelete.Model
	Subject string
}

// BeforeRestore can veto the restore by returning an error.
func (t *Ticket) BeforeRestore(tx *gorm.DB) error {
	fmt.Println("before restore:", t.Subject)
	if t.Subject == "spam" {
		return errors.New("spam stays deleted")
	}
	return nil
}

// AfterRestore sees the restored row.
func (t *Ticket) AfterRestore(tx *gorm.DB) error {
	fmt.Println("after restore:", t.Subject, "deleted:", t.DeletedAt.IsDeleted())
	return nil
}

func ExampleBeforeRestoreInterface() {
	db := exampleDB()
	if err := softdelete.AutoMigrate(db, &Ticket{}); err != nil {
		panic(err)
	}
	tickets := []Ticket{{Subject: "help"}, {Subject: "spam"}}
	db.Create(&tickets)
	db.Delete(&tickets)

	fmt.Println(softdelete.Restore(db, &tickets[0]).Error)
	fmt.Println(softdelete.Restore(db, &tickets[1]).Error)
	// Output:
	// before restore: help
	// after restore: help deleted: false
	// <nil>
	// before restore: spam
	// spam stays deleted
}

// Model is gorm.Model with the plugin's DeletedAt: embed it and the model is
// soft-deletable.
func ExampleModel() {
	db := exampleDB()
	a := Article{Title: "draft"}
	db.Create(&a)
	db.Delete(&a) // UPDATE articles SET deleted_at=... WHERE id = 1 AND deleted_at IS NULL
	fmt.Println("deleted:", a.DeletedAt.IsDeleted())

	var found Article
	err := db.First(&found, a.ID).Error
	fmt.Println(errors.Is(err, gorm.ErrRecordNotFound))
	// Output:
	// deleted: true
	// true
}

// Run purges at once and then every interval, until its context ends.
func ExamplePurger_Run() {
	db := receiptDB()
	ctx, stop := context.WithCancel(context.Background())
	purger, err := softdelete.NewPurger(db, time.Hour, softdelete.Policy{
		Model: &Receipt{},
		Options: softdelete.PurgeOptions{
			OlderThan: 7 * 24 * time.Hour,
			OnBatch: func(p softdelete.PurgeProgress) {
				fmt.Println("purged", p.Purged, "from", p.Table)
				stop() // a service would stop at shutdown instead
			},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(purger.Run(ctx))
	// Output:
	// purged 2 from receipts
	// context canceled
}
