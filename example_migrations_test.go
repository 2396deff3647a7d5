package softdelete_test

import (
	"fmt"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// Member's email is unique among live members. It used to carry
// gorm:"uniqueIndex", which left the full unique index idx_members_email in
// the database.
type Member struct {
	softdelete.Model
	Email string `softdelete:"unique"`
	Team  string `softdelete:"index"`
}

// offlinePostgres is a *gorm.DB with PostgreSQL's dialect that never
// connects: enough for MigrationSQL, which only renders SQL.
func offlinePostgres() *gorm.DB {
	db, err := gorm.Open(postgres.New(postgres.Config{DSN: "host=invalid.example"}),
		&gorm.Config{Logger: logger.Discard, DisableAutomaticPing: true})
	if err != nil {
		panic(err)
	}
	if err := db.Use(softdelete.New()); err != nil {
		panic(err)
	}
	return db
}

func ExampleMigrationSQL() {
	opts := softdelete.MigrationOptions{
		Concurrently: true,
		Replace:      []softdelete.Replacement{{Index: "uidx_members_email", Old: "idx_members_email"}},
	}
	for _, db := range []*gorm.DB{pageDB(), offlinePostgres()} {
		m, err := softdelete.MigrationSQL(db, opts, &Member{})
		if err != nil {
			panic(err)
		}
		fmt.Printf("-- %s (no transaction: %v)\n-- up\n", db.Dialector.Name(), m.NoTransaction)
		for _, s := range m.Up() {
			fmt.Println(s + ";")
		}
		fmt.Println("-- down")
		for _, s := range m.Down() {
			fmt.Println(s + ";")
		}
	}
	// Output:
	// -- sqlite (no transaction: false)
	// -- up
	// CREATE INDEX IF NOT EXISTS "idx_members_team_live" ON "members" ("team") WHERE "deleted_at" IS NULL;
	// CREATE UNIQUE INDEX IF NOT EXISTS "uidx_members_email" ON "members" ("email") WHERE "deleted_at" IS NULL;
	// DROP INDEX IF EXISTS "idx_members_email";
	// -- down
	// CREATE UNIQUE INDEX IF NOT EXISTS "idx_members_email" ON "members" ("email");
	// DROP INDEX IF EXISTS "uidx_members_email";
	// DROP INDEX IF EXISTS "idx_members_team_live";
	// -- postgres (no transaction: true)
	// -- up
	// CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_members_team_live" ON "members" ("team") WHERE "deleted_at" IS NULL;
	// CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "uidx_members_email" ON "members" ("email") WHERE "deleted_at" IS NULL;
	// DROP INDEX CONCURRENTLY IF EXISTS "idx_members_email";
	// -- down
	// CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "idx_members_email" ON "members" ("email");
	// DROP INDEX CONCURRENTLY IF EXISTS "uidx_members_email";
	// DROP INDEX CONCURRENTLY IF EXISTS "idx_members_team_live";
}
