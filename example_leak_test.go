package softdelete_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gorm-softdelete/softdelete"
)

// The leak detector reports raw SQL that reads a soft-deletable table
// without a deleted_at predicate: here a count that includes the binned
// article. With the predicate it stays silent.
func ExampleWithLeakDetector() {
	db := exampleDB(softdelete.WithLeakDetector(softdelete.LeakConfig{
		Report: func(_ context.Context, l softdelete.Leak) {
			fmt.Printf("leak: %s read at %s\n", l.Table, filepath.Base(l.Caller))
		},
	}))
	db.Where("title = ?", "binned").Delete(&Article{})

	var n int64
	db.Raw("SELECT count(*) FROM articles").Scan(&n)
	fmt.Println("raw:", n)
	db.Raw("SELECT count(*) FROM articles WHERE deleted_at IS NULL").Scan(&n)
	fmt.Println("filtered:", n)
	// Output:
	// leak: articles read at example_leak_test.go:24
	// raw: 2
	// filtered: 1
}

// In strict mode a leaking statement fails before it runs, with the table
// and the call site.
func ExampleLeakError() {
	db := exampleDB(softdelete.WithLeakDetector(softdelete.LeakConfig{Strict: true}))
	db.Where("title = ?", "binned").Delete(&Article{})

	err := db.Exec("UPDATE articles SET title = 'revived'").Error
	var leak *softdelete.LeakError
	if errors.As(err, &leak) {
		fmt.Println(leak.Table, leak.Write, filepath.Base(leak.Caller))
	}
	var n int64
	db.Raw("SELECT count(*) FROM articles WHERE title = 'revived' AND deleted_at IS NOT NULL").Scan(&n)
	fmt.Println(errors.Is(err, softdelete.ErrSoftDeleteLeak), n)
	// Output:
	// articles true example_leak_test.go:40
	// true 0
}
