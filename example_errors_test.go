package softdelete_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// A restore that would take a live row's unique key fails, and the error
// names the index and the table.
func ExampleRestoreConflictError() {
	db := pageDB()
	if err := softdelete.AutoMigrate(db, &Page{}); err != nil {
		panic(err)
	}
	old := Page{Slug: "about", SiteID: 1, Path: "/about"}
	db.Create(&old)
	db.Delete(&old)
	db.Create(&Page{Slug: "about", SiteID: 1, Path: "/about-us"})

	err := softdelete.Restore(db, &old).Error
	var conflict *softdelete.RestoreConflictError
	if errors.As(err, &conflict) {
		fmt.Println(conflict.Table, conflict.Index)
	}
	fmt.Println(errors.Is(err, softdelete.ErrRestoreConflict), errors.Is(err, gorm.ErrDuplicatedKey))
	// Output:
	// pages uidx_pages_slug
	// true true
}

// AutoMigrate refuses to create a live-only unique index that live rows
// already violate, and names one duplicated key.
func ExampleDuplicateLiveKeysError() {
	db := pageDB()
	db.AutoMigrate(&Page{}) // plain GORM: no live-only indexes yet
	db.Create(&[]Page{{Slug: "a", SiteID: 1, Path: "/x"}, {Slug: "a", SiteID: 2, Path: "/y"}})

	err := softdelete.AutoMigrate(db, &Page{})
	var dup *softdelete.DuplicateLiveKeysError
	if errors.As(err, &dup) {
		fmt.Println(dup.Index, dup.Columns, dup.Key)
	}
	// Output: uidx_pages_slug [slug] [a]
}

// Purge stops at a live child of a row due for purge, and says which
// relation, child and parent.
func ExampleLiveChildError() {
	db, f := forumDB()
	db.Delete(&f)
	db.Create(&Thread{ForumID: f.ID, Title: "late"}) // live, under the deleted forum

	_, err := softdelete.Purge(context.Background(), db, &Forum{},
		softdelete.PurgeOptions{OlderThan: time.Nanosecond})
	var live *softdelete.LiveChildError
	if errors.As(err, &live) {
		fmt.Println(live.Relation, live.Table, live.ParentKey)
	}
	// Output: Forum.Threads threads map[id:1]
}
