package softdelete_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// Article is the model the examples use.
type Article struct {
	softdelete.Model
	Title string
}

// exampleDB opens an in-memory SQLite database with the plugin registered
// and the Article table created.
func exampleDB(opts ...softdelete.Option) *gorm.DB {
	db, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		panic(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1) // one connection, one in-memory database
	if err := db.Use(softdelete.New(opts...)); err != nil {
		panic(err)
	}
	if err := softdelete.AutoMigrate(db, &Article{}); err != nil {
		panic(err)
	}
	db.Create(&[]Article{{Title: "kept"}, {Title: "binned"}})
	return db
}

func Example() {
	db := exampleDB()
	db.Where("title = ?", "binned").Delete(&Article{})

	var live []Article
	db.Find(&live)
	var n int64
	db.Scopes(softdelete.WithDeleted).Model(&Article{}).Count(&n)
	fmt.Println(len(live), "live of", n)
	// Output: 1 live of 2
}

func ExampleNew() {
	db, _ := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{})
	err := db.Use(softdelete.New())
	fmt.Println(err)
	// Output: <nil>
}

func ExampleWithClock() {
	fixed := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	db := exampleDB(softdelete.WithClock(func() time.Time { return fixed }))
	a := Article{}
	db.First(&a, "title = ?", "binned")
	db.Delete(&a)
	fmt.Println(a.DeletedAt.Time)
	// Output: 2026-05-01 12:00:00 +0000 UTC
}

// Deleter records who deleted a row in the field tagged deleted_by.
type Deleter struct {
	softdelete.Model
	DeletedBy string `softdelete:"deleted_by"`
}

type userKey struct{}

func ExampleWithActor() {
	db := exampleDB(softdelete.WithActor(func(ctx context.Context) any {
		return ctx.Value(userKey{})
	}))
	_ = db.AutoMigrate(&Deleter{})
	d := Deleter{}
	db.Create(&d)
	ctx := context.WithValue(context.Background(), userKey{}, "alice")
	db.WithContext(ctx).Delete(&d)

	var by string
	db.Raw("SELECT deleted_by FROM deleters WHERE id = ?", d.ID).Scan(&by)
	fmt.Println(by)
	// Output: alice
}

func ExampleWithDeleted() {
	db := exampleDB()
	db.Where("title = ?", "binned").Delete(&Article{})
	var all []Article
	db.Scopes(softdelete.WithDeleted).Order("id").Find(&all)
	for _, a := range all {
		fmt.Println(a.Title, a.DeletedAt.IsDeleted())
	}
	// Output:
	// kept false
	// binned true
}

func ExampleOnlyDeleted() {
	db := exampleDB()
	db.Where("title = ?", "binned").Delete(&Article{})
	var trash []Article
	db.Scopes(softdelete.OnlyDeleted).Find(&trash)
	fmt.Println(len(trash), trash[0].Title)
	// Output: 1 binned
}

func ExampleRestore() {
	db := exampleDB()
	var a Article
	db.First(&a, "title = ?", "binned")
	db.Delete(&a)
	res := softdelete.Restore(db, &a)
	fmt.Println(res.RowsAffected, a.DeletedAt.IsDeleted())
	// Output: 1 false
}

func ExampleHardDelete() {
	db := exampleDB()
	res := softdelete.HardDelete(db, &Article{}, "title = ?", "binned")
	var n int64
	db.Raw("SELECT count(*) FROM articles").Scan(&n)
	fmt.Println(res.RowsAffected, n)
	// Output: 1 1
}

func ExampleDeletedAt_MarshalJSON() {
	live, _ := json.Marshal(softdelete.DeletedAt{})
	gone, _ := json.Marshal(softdelete.DeletedAt{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Valid: true})
	fmt.Println(string(live), string(gone))
	// Output: null "2026-01-02T03:04:05Z"
}

func ExampleDeletedAt_IsDeleted() {
	var d softdelete.DeletedAt
	_ = json.Unmarshal([]byte(`"2026-01-02T03:04:05Z"`), &d)
	fmt.Println(d.IsDeleted())
	// Output: true
}

func Example_guard() {
	db := exampleDB()
	var a Article
	db.First(&a)
	db.Delete(&a)
	a.Title = "edited after delete"
	err := db.Save(&a).Error // would rewrite the tombstone
	fmt.Println(errors.Is(err, softdelete.ErrDeletedAtWrite))
	// Output: true
}

func ExampleOnlyDeletedClause() {
	db := exampleDB()
	db.Where("title = ?", "binned").Delete(&Article{})
	ctx := context.Background()

	// gorm.G starts a new statement from db: pass the scope to it, not to db
	trash, _ := gorm.G[Article](db, softdelete.OnlyDeletedClause).Find(ctx)
	all, _ := gorm.G[Article](db).Scopes(softdelete.WithDeletedStatement).Find(ctx)
	fmt.Println(len(trash), trash[0].Title, "of", len(all))
	// Output: 1 binned of 2
}

func ExampleErrNotRegistered() {
	db, _ := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: logger.Discard})
	db.AutoMigrate(&Article{})
	// db.Use(softdelete.New()) forgotten: the trash is not emptied, nothing is deleted
	err := softdelete.HardDelete(db.Scopes(softdelete.OnlyDeleted), &Article{}).Error
	fmt.Println(errors.Is(err, softdelete.ErrNotRegistered))
	// Output: true
}
