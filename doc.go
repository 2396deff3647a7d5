// Package softdelete is a GORM v2 plugin that makes soft deletion complete
// and safe on PostgreSQL and SQLite: deleted rows vanish from every normal
// read, come back with Restore, leave for good with HardDelete or Purge, free
// their unique keys through partial unique indexes, and cascade through
// associations without resurrecting children that were deleted on their own.
//
// # Registering
//
// Register the plugin once and use DeletedAt (or embed Model, a drop-in for
// gorm.Model) in your models:
//
//	type Post struct {
//		softdelete.Model
//		Slug string `softdelete:"unique"`
//	}
//
//	db.Use(softdelete.New())
//	softdelete.AutoMigrate(db, &Post{})
//
// db.Delete(&post) then runs
//
//	UPDATE "posts" SET "deleted_at"='2026-…' WHERE "posts"."id" = 1 AND "posts"."deleted_at" IS NULL
//
// with one UTC timestamp (microsecond precision) that is also written back
// into post. Without conditions it fails with gorm.ErrMissingWhereClause.
// The SQL is GORM's own filter's wherever that filter is right; conditions
// that could let an OR or a comment bypass it are parenthesised as a whole
// before the predicate is ANDed, so no raw SQL can.
// Models using GORM's gorm.DeletedAt work too: GORM keeps filtering them and
// the plugin adds everything else.
//
// # Querying deleted rows
//
// Every read (Find, First, Count, Pluck, Scan, Rows, subqueries, Preload,
// relation Joins, associations, gorm.G[T]) sees live rows only. The scopes
// WithDeleted and OnlyDeleted change that for the model being queried:
//
//	db.Scopes(softdelete.OnlyDeleted).Find(&trash)
//	// SELECT * FROM "posts" WHERE "posts"."deleted_at" IS NOT NULL
//
// Associations keep their own default: db.Preload("Posts", softdelete.WithDeleted).
// db.Unscoped() switches every filter and guard off, as in plain GORM.
// GORM's generics API drops the chain of the *gorm.DB it is given, scopes
// included; pass the scope to it instead:
//
//	gorm.G[Post](db, softdelete.OnlyDeletedClause).Find(ctx)
//	gorm.G[Post](db).Scopes(softdelete.WithDeletedStatement).Find(ctx)
//
// # A drop-in
//
// Registering the plugin changes no GORM behaviour except the intended
// differences the README lists (the write guard, OR grouping, UTC/µs
// timestamps, ...): GORM features that read a statement back
// (FirstOrInit/FirstOrCreate, association mode, Save's fallback) keep
// working, verbs called inside hooks act on a statement of their own, and
// every entry point fails with ErrNotRegistered when db.Use was forgotten.
//
// # Restoring
//
// Restore mirrors db.Delete:
//
//	softdelete.Restore(db, &post)
//	// UPDATE "posts" SET "deleted_at"=NULL WHERE "posts"."id" = 1 AND "posts"."deleted_at" IS NOT NULL
//
// It fails with ErrRestoreConflict when a restored row would take a unique key
// a live row holds, and with ErrParentDeleted when a belongs-to parent is still
// deleted. Models may define BeforeRestore and AfterRestore hooks.
//
// The soft-delete column is written only by Delete and Restore: Create,
// Update(s) or Save carrying a deletion timestamp fail with ErrDeletedAtWrite,
// so a Save of a stale or deleted struct can never rewrite a tombstone.
//
// # Unique keys
//
// softdelete:"unique" (or "unique:NAME" for composite keys, "index" for plain
// indexes) declares an index that holds among live rows only; AutoMigrate
// creates it and IndexSQL returns its DDL:
//
//	CREATE UNIQUE INDEX "uidx_posts_slug" ON "posts" ("slug") WHERE "deleted_at" IS NULL
//
// Upserts whose ON CONFLICT columns match such an index get its predicate as
// their conflict target automatically.
//
// # Cascades
//
// softdelete:"cascade" on a has-one or has-many association deletes children
// with their parent, one set-based statement per relation level, all with the
// parent's timestamp. Restore brings back exactly the children deleted by that
// same delete; children deleted earlier, on their own, stay deleted.
//
// # Purging
//
// Purge removes tombstones older than a retention period in short batches,
// safely alongside concurrent restores and other purgers:
//
//	n, err := softdelete.Purge(ctx, db, &Post{}, softdelete.PurgeOptions{OlderThan: 30 * 24 * time.Hour})
//
// Each batch is one short DELETE over a range of physical row addresses
// (PostgreSQL's ctid, SQLite's rowid) or, for cascades and conditions, over
// the keys of the next candidates in (deleted_at, key) order; either way it
// repeats the retention predicate, so a row restored meanwhile survives.
// Purgers on several nodes take different table segments (advisory locks)
// or skip each other's rows (FOR UPDATE SKIP LOCKED) and never wait. A Purger
// (NewPurger) runs retention policies for several models on an interval.
//
// # Change events
//
// WithChanges reports the primary keys every soft delete, cascade level,
// Restore, HardDelete and Purge batch changed, inside the statement's
// transaction; ChangeTx writes an outbox row in it, and an error from the
// callback rolls the operation back.
//
// # Migrations and the doctor
//
// MigrationSQL returns the up and down statements of the plugin's indexes for
// migration files (CONCURRENTLY on PostgreSQL, and the conversion of a full
// unique index); WithConcurrentIndexes makes AutoMigrate build that way. Check
// finds soft-delete mistakes in models and the database.
//
// # What is not filtered
//
// db.Raw and db.Exec are never rewritten, and neither are hand-written join
// strings (db.Joins("JOIN posts ON ...")): add "posts.deleted_at IS NULL"
// yourself there, and let WithLeakDetector find the ones you missed in
// development and CI. Table("posts") reads without a model are filtered once
// the table was registered through AutoMigrate.
package softdelete
