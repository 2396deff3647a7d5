package softdelete_test

import (
	"fmt"
	"time"

	"github.com/gorm-softdelete/softdelete"
)

// Invoice has three soft-delete mistakes: GORM's full unique index on its
// number, a tag key the plugin does not read, and (on Voucher) a
// *time.Time deletion column.
type Invoice struct {
	softdelete.Model
	Number string `gorm:"uniqueIndex"`
	Ref    string `softDelete:"unique"`
}

// Voucher means to be soft-deletable, but *time.Time is a plain column.
type Voucher struct {
	ID        uint
	DeletedAt *time.Time
}

func ExampleCheck() {
	db := pageDB()
	if err := db.AutoMigrate(&Invoice{}, &Voucher{}); err != nil {
		panic(err)
	}
	findings, err := softdelete.Check(db, &Invoice{}, &Voucher{})
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Printf("%s %s.%s (blocking: %v)\n  %s\n  fix: %s\n", f.Kind, f.Model, f.Field, f.Blocking, f.Problem, f.Fix)
		for _, s := range f.SQL {
			fmt.Println("  " + s + ";")
		}
	}
	// Output:
	// misspelled-tag Invoice.Ref (blocking: true)
	//   tag softDelete:"unique" is not read by the plugin.
	//   fix: write softdelete:"unique".
	// gorm-unique-tag Invoice.Number (blocking: false)
	//   gorm:"uniqueIndex" makes GORM create the full unique index idx_invoices_number on (number).
	//   fix: replace the tag with softdelete:"unique" (softdelete:"unique:NAME" on each field of a composite key), then drop the full index in favour of the live-only one (the SQL below, outside a transaction where it says CONCURRENTLY).
	//   CREATE UNIQUE INDEX IF NOT EXISTS "uidx_invoices_number" ON "invoices" ("number") WHERE "deleted_at" IS NULL;
	//   DROP INDEX IF EXISTS "idx_invoices_number";
	// unsupported-type Voucher.DeletedAt (blocking: false)
	//   field DeletedAt is *time.Time, which is not a soft-delete type: the model is not soft-deletable.
	//   fix: declare DeletedAt as softdelete.DeletedAt (or embed softdelete.Model); the column stays a nullable timestamp.
}
