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

// Receipt is the model of the Purge examples.
type Receipt struct {
	softdelete.Model
	Number string
}

// receiptDB opens an in-memory SQLite database whose clock the example moves,
// with three receipts: r1 deleted 40 days ago, r2 10 days ago, r3 live.
func receiptDB() *gorm.DB {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		panic(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1) // one connection, one in-memory database
	if err := db.Use(softdelete.New(softdelete.WithClock(func() time.Time { return now }))); err != nil {
		panic(err)
	}
	if err := softdelete.AutoMigrate(db, &Receipt{}); err != nil {
		panic(err)
	}
	db.Create(&[]Receipt{{Number: "r1"}, {Number: "r2"}, {Number: "r3"}})
	db.Where("number = ?", "r1").Delete(&Receipt{})
	now = now.Add(30 * 24 * time.Hour)
	db.Where("number = ?", "r2").Delete(&Receipt{})
	now = now.Add(10 * 24 * time.Hour)
	return db
}

func ExamplePurge() {
	db := receiptDB()

	n, err := softdelete.Purge(context.Background(), db, &Receipt{}, softdelete.PurgeOptions{
		OlderThan: 30 * 24 * time.Hour, // r1 goes, r2 (deleted 10 days ago) and r3 (live) stay
		BatchSize: 500,
		OnBatch: func(p softdelete.PurgeProgress) {
			fmt.Printf("%s: batch %d committed, %d rows purged so far\n", p.Table, p.Batch, p.Purged)
		},
	})
	fmt.Println(n, err)

	var left []string
	db.Scopes(softdelete.WithDeleted).Model(&Receipt{}).Order("number").Pluck("number", &left)
	fmt.Println(left)
	// Output:
	// receipts: batch 1 committed, 1 rows purged so far
	// 1 <nil>
	// [r2 r3]
}

func ExampleNewPurger() {
	db := receiptDB()

	purger, err := softdelete.NewPurger(db, time.Hour,
		softdelete.Policy{Model: &Receipt{}, Options: softdelete.PurgeOptions{OlderThan: 7 * 24 * time.Hour}},
	)
	if err != nil {
		panic(err)
	}
	// In a service: go purger.Run(ctx), every hour until ctx ends.
	n, err := purger.RunOnce(context.Background())
	fmt.Println(n, err)
	// Output: 2 <nil>
}

func ExamplePurge_badInput() {
	db := receiptDB()
	_, err := softdelete.Purge(context.Background(), db, &Receipt{}, softdelete.PurgeOptions{OlderThan: 0})
	fmt.Println(err)
	// Output: softdelete: retention must be positive: purge with OlderThan = 0s
}

// ExamplePurge_batchTime sizes batches by duration instead of by row count:
// each batch (and transaction) takes about 20 ms, however costly a row is.
func ExamplePurge_batchTime() {
	db := receiptDB()
	opts := softdelete.PurgeOptions{OlderThan: 30 * 24 * time.Hour, BatchTime: 20 * time.Millisecond}
	n, err := softdelete.Purge(context.Background(), db, &Receipt{}, opts)
	fmt.Println(n, err)

	opts.BatchTime = -time.Second
	_, err = softdelete.Purge(context.Background(), db, &Receipt{}, opts)
	fmt.Println(errors.Is(err, softdelete.ErrInvalidBatchTime))
	// Output:
	// 1 <nil>
	// true
}
