package softdelete_test

import (
	"context"
	"fmt"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// OutboxEvent is a transactional outbox row: written in the same transaction
// as the change, so a relay publishes exactly the committed changes.
type OutboxEvent struct {
	ID    uint
	Topic string
	Key   string
}

// WithChanges reports the primary keys every soft delete, cascade level,
// restore, hard delete and purge batch changed, inside its transaction: here
// into an outbox table (rolled back with the change) and a cache.
func ExampleWithChanges() {
	cache := map[string]bool{"forum:1": true, "thread:1": true, "thread:2": true}
	onChange := func(ctx context.Context, c softdelete.Change) error {
		for _, id := range c.IDs() {
			key := fmt.Sprintf("%s:%v", map[string]string{"forums": "forum", "threads": "thread"}[c.Table], id)
			delete(cache, key) // invalidate (a real cache would do it after commit)
			// the outbox row commits or rolls back with the change
			if err := softdelete.ChangeTx(ctx).Create(&OutboxEvent{Topic: string(c.Op), Key: key}).Error; err != nil {
				return err
			}
		}
		return nil
	}
	db, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		panic(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1)
	if err := db.Use(softdelete.New(softdelete.WithChanges(onChange))); err != nil {
		panic(err)
	}
	if err := softdelete.AutoMigrate(db, &Forum{}, &Thread{}, &OutboxEvent{}); err != nil {
		panic(err)
	}
	f := Forum{Name: "go", Threads: []Thread{{Title: "t1"}, {Title: "t2"}}}
	db.Create(&f)

	db.Delete(&f) // the threads (a cascade level), then the forum

	var events []OutboxEvent
	db.Order("id").Find(&events)
	for _, e := range events {
		fmt.Println(e.Topic, e.Key)
	}
	fmt.Println("cached:", len(cache))
	// Output:
	// delete thread:1
	// delete thread:2
	// delete forum:1
	// cached: 0
}
