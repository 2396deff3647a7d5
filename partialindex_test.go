package softdelete_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/dialect"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// Listing's slug is unique among live listings.
type Listing struct {
	softdelete.Model
	Slug  string `softdelete:"unique"`
	Title string
	Views int
}

// Account's (org_id, email) is unique among live accounts; its name is
// indexed for live rows.
type Account struct {
	softdelete.Model
	OrgID uint   `softdelete:"unique:uq_account_org_email"`
	Email string `softdelete:"unique:uq_account_org_email"`
	Name  string `softdelete:"index"`
}

// ClubMember lives in a table named by TableName and uses gorm.DeletedAt.
type ClubMember struct {
	ID        uint
	Handle    string `gorm:"column:nick" softdelete:"unique"`
	DeletedAt gorm.DeletedAt
}

func (ClubMember) TableName() string { return "club_members" }

// indexModels are the models of this file's tests.
var indexModels = []any{&Listing{}, &Account{}, &ClubMember{}}

// migrateIndexModels migrates this file's models on top of eachDB's.
func migrateIndexModels(t *testing.T, e *env) {
	t.Helper()
	require.NoError(t, softdelete.AutoMigrate(e.db, indexModels...))
}

// indexDef returns an index's definition as the catalog prints it
// (pg_indexes.indexdef, sqlite_master.sql), "" when there is none.
func indexDef(t *testing.T, e *env, name string) string {
	t.Helper()
	var defs []string
	q := "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?"
	switch e.name {
	case "postgres":
		q = "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?"
	case "mysql":
		q = mysqlIndexDef
	}
	require.NoError(t, e.db.Raw(q, name).Scan(&defs).Error)
	require.LessOrEqual(t, len(defs), 1)
	if len(defs) == 0 {
		return ""
	}
	return defs[0]
}

// mysqlIndexDef renders an index from MySQL's information_schema as
// "[UNIQUE ]INDEX name ON table (a, b, live) live AS <generation expression>",
// where live is its generated column, if any (one index name per database in
// the tests).
const mysqlIndexDef = `SELECT CONCAT(IF(MIN(s.NON_UNIQUE) = 0, 'UNIQUE ', ''), 'INDEX ', s.INDEX_NAME, ' ON ', s.TABLE_NAME,
  ' (', GROUP_CONCAT(s.COLUMN_NAME ORDER BY s.SEQ_IN_INDEX SEPARATOR ', '), ')',
  COALESCE(GROUP_CONCAT(CONCAT(' ', c.COLUMN_NAME, ' AS ', c.GENERATION_EXPRESSION) SEPARATOR ''), ''))
FROM information_schema.STATISTICS s
LEFT JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME
  AND c.COLUMN_NAME = s.COLUMN_NAME AND c.GENERATION_EXPRESSION <> ''
WHERE s.TABLE_SCHEMA = DATABASE() AND s.INDEX_NAME = ?
GROUP BY s.TABLE_NAME, s.INDEX_NAME`

// livePredicate is how the catalog prints WHERE deleted_at IS NULL (on
// MySQL: the expression of the index's generated column).
func livePredicate(e *env) string {
	switch e.name {
	case "postgres":
		return "WHERE (deleted_at IS NULL)"
	case "mysql":
		return "AS if(`deleted_at` is null,1,NULL)"
	}
	return `WHERE "deleted_at" IS NULL`
}

// warnLog records Warn messages (and discards everything else).
type warnLog struct {
	logger.Interface
	mu    sync.Mutex
	warns []string
}

func newWarnLog() *warnLog { return &warnLog{Interface: logger.Discard} }

func (l *warnLog) Warn(_ context.Context, msg string, args ...any) {
	l.mu.Lock()
	l.warns = append(l.warns, fmt.Sprintf(msg, args...))
	l.mu.Unlock()
}

func (l *warnLog) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.warns...)
}

func TestUniqueKeyOfDeletedRowIsReusable(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		first := Listing{Slug: "hello", Title: "first"}
		require.NoError(t, e.db.Create(&first).Error)
		require.NoError(t, e.db.Delete(&first).Error)

		second := Listing{Slug: "hello", Title: "second"}
		require.NoError(t, e.db.Create(&second).Error)

		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM listings WHERE slug = 'hello'"))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE slug = 'hello' AND deleted_at IS NULL"))
		assert.NotNil(t, e.deletedAt(t, "listings", first.ID))
		assert.Nil(t, e.deletedAt(t, "listings", second.ID))
	})
}

func TestUniqueRejectsDuplicateLiveKeys(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		require.NoError(t, e.db.Create(&Listing{Slug: "hello"}).Error)
		err := e.db.Create(&Listing{Slug: "hello"}).Error
		require.Error(t, err)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings"))

		translating := e.db.Session(&gorm.Session{})
		translating.Config.TranslateError = true
		err = translating.Create(&Listing{Slug: "hello"}).Error
		assert.ErrorIs(t, err, gorm.ErrDuplicatedKey)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings"))
	})
}

func TestCompositeUniqueIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		a := Account{OrgID: 1, Email: "ann@example.com", Name: "ann"}
		require.NoError(t, e.db.Create(&a).Error)
		require.NoError(t, e.db.Create(&Account{OrgID: 2, Email: "ann@example.com"}).Error, "other org")
		require.NoError(t, e.db.Create(&Account{OrgID: 1, Email: "bob@example.com"}).Error, "other email")
		require.Error(t, e.db.Create(&Account{OrgID: 1, Email: "ann@example.com"}).Error, "same org and email")
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM accounts"))

		require.NoError(t, e.db.Delete(&a).Error)
		require.NoError(t, e.db.Create(&Account{OrgID: 1, Email: "ann@example.com"}).Error, "freed by the delete")
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM accounts WHERE org_id = 1 AND email = 'ann@example.com'"))

		def := indexDef(t, e, "uq_account_org_email")
		assert.Contains(t, def, "UNIQUE")
		assert.Contains(t, def, livePredicate(e))
		switch e.name {
		case "postgres":
			assert.Contains(t, def, "(org_id, email)")
		case "mysql":
			assert.Contains(t, def, "(org_id, email, live_uq_account_org_email)")
		default:
			assert.Contains(t, def, `("org_id", "email")`)
		}
		nameIdx := indexDef(t, e, "idx_accounts_name_live")
		assert.NotContains(t, nameIdx, "UNIQUE")
		assert.Contains(t, nameIdx, livePredicate(e))
	})
}

func TestCustomTableNameAndGormDeletedAt(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		def := indexDef(t, e, "uidx_club_members_nick")
		assert.Contains(t, def, "club_members")
		assert.Contains(t, def, livePredicate(e))

		m := ClubMember{Handle: "neo"}
		require.NoError(t, e.db.Create(&m).Error)
		require.NoError(t, e.db.Delete(&m).Error)
		require.NoError(t, e.db.Create(&ClubMember{Handle: "neo"}).Error)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM club_members WHERE nick = 'neo'"))
	})
}

func TestAutoMigrateIsIdempotent(t *testing.T) {
	names := []string{"uidx_listings_slug", "uq_account_org_email", "idx_accounts_name_live", "uidx_club_members_nick"}
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		before := map[string]string{}
		for _, n := range names {
			before[n] = indexDef(t, e, n)
			require.NotEmpty(t, before[n], n)
		}
		warns := newWarnLog()
		e.log.reset()
		quiet := e.db.Session(&gorm.Session{Logger: warns})
		require.NoError(t, softdelete.AutoMigrate(quiet, indexModels...))
		require.NoError(t, softdelete.AutoMigrate(quiet, indexModels...))
		for _, n := range names {
			assert.Equal(t, before[n], indexDef(t, e, n), n)
		}
		assert.Empty(t, warns.messages())
	})
}

func TestAutoMigrateRepairsIndex(t *testing.T) {
	cases := []struct {
		name     string
		existing string
	}{
		{"full unique index", `CREATE UNIQUE INDEX "uidx_listings_slug" ON "listings" ("slug")`},
		{"not unique", `CREATE INDEX "uidx_listings_slug" ON "listings" ("slug") WHERE "deleted_at" IS NULL`},
		{"other columns", `CREATE UNIQUE INDEX "uidx_listings_slug" ON "listings" ("slug", "title") WHERE "deleted_at" IS NULL`},
		{"other predicate", `CREATE UNIQUE INDEX "uidx_listings_slug" ON "listings" ("slug") WHERE "views" > 0`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, e *env) {
				e.gormMigrate(t, &Listing{})
				require.NoError(t, e.db.Exec(e.indexDDL(t, c.existing)).Error)
				require.NoError(t, e.db.Create(&Listing{Slug: "kept"}).Error)

				warns := newWarnLog()
				require.NoError(t, softdelete.AutoMigrate(e.db.Session(&gorm.Session{Logger: warns}), &Listing{}))

				def := indexDef(t, e, "uidx_listings_slug")
				assert.Contains(t, def, "UNIQUE")
				assert.Contains(t, def, livePredicate(e))
				assert.NotContains(t, def, "title")
				if e.name == "mysql" && c.name == "full unique index" {
					// GORM's MySQL migrator drops a one-column unique index the model
					// does not declare ("redundant unique indexes") before the plugin
					// looks: it is created, not rebuilt.
					assert.Empty(t, warns.messages())
				} else if msgs := warns.messages(); assert.Len(t, msgs, 1) {
					assert.Contains(t, msgs[0], "uidx_listings_slug")
					assert.Contains(t, msgs[0], "rebuilt")
				}
				assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings"))

				// Repaired once, then left alone.
				warns2 := newWarnLog()
				require.NoError(t, softdelete.AutoMigrate(e.db.Session(&gorm.Session{Logger: warns2}), &Listing{}))
				assert.Equal(t, def, indexDef(t, e, "uidx_listings_slug"))
				assert.Empty(t, warns2.messages())
			})
		})
	}
}

func TestAutoMigrateRefusesDuplicateLiveKeys(t *testing.T) {
	cases := []struct {
		name     string
		existing string // index present before AutoMigrate, "" for none
	}{
		{"new index", ""},
		{"index to repair", `CREATE INDEX "uidx_listings_slug" ON "listings" ("slug")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, e *env) {
				e.gormMigrate(t, &Listing{})
				if c.existing != "" {
					require.NoError(t, e.db.Exec(e.indexDDL(t, c.existing)).Error)
				}
				require.NoError(t, e.db.Create(&[]Listing{{Slug: "dup"}, {Slug: "dup"}, {Slug: "solo"}}).Error)
				// Deleted duplicates are fine: only live rows count.
				require.NoError(t, e.db.Exec("UPDATE listings SET deleted_at = CURRENT_TIMESTAMP WHERE slug = 'solo'").Error)
				require.NoError(t, e.db.Unscoped().Create(&Listing{Slug: "solo"}).Error)
				before := indexDef(t, e, "uidx_listings_slug")

				err := softdelete.AutoMigrate(e.db, &Listing{})
				require.ErrorIs(t, err, softdelete.ErrDuplicateLiveKeys)
				require.ErrorIs(t, err, gorm.ErrDuplicatedKey)
				assert.Contains(t, err.Error(), "uidx_listings_slug")
				assert.Contains(t, err.Error(), `"dup"`)
				assert.NotContains(t, err.Error(), "solo")

				assert.Equal(t, before, indexDef(t, e, "uidx_listings_slug"), "existing index unchanged")
				assert.EqualValues(t, 4, e.count(t, "SELECT count(*) FROM listings"))
			})
		})
	}
}

func TestAutoMigrateIndexesAllOrNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.skipUnless(t, dialect.TransactionalDDL, "DDL commits implicitly: the indexes created before the failing one stay (TestAutoMigrateRerunRepairs)")
		// Listing's index can be created, Account's cannot: neither is.
		e.gormMigrate(t, &Listing{}, &Account{})
		require.NoError(t, e.db.Create(&[]Account{{OrgID: 1, Email: "x"}, {OrgID: 1, Email: "x"}}).Error)
		err := softdelete.AutoMigrate(e.db, &Listing{}, &Account{})
		require.ErrorIs(t, err, softdelete.ErrDuplicateLiveKeys)
		require.ErrorIs(t, err, gorm.ErrDuplicatedKey)
		assert.Contains(t, err.Error(), "uq_account_org_email")
		var dup *softdelete.DuplicateLiveKeysError
		require.ErrorAs(t, err, &dup)
		assert.Equal(t, "uq_account_org_email", dup.Index)
		assert.Equal(t, "accounts", dup.Table)
		assert.Equal(t, []string{"org_id", "email"}, dup.Columns)
		require.Len(t, dup.Key, 2)
		assert.EqualValues(t, 1, dup.Key[0])
		assert.Equal(t, "x", dup.Key[1])
		assert.Empty(t, indexDef(t, e, "uidx_listings_slug"))
		assert.Empty(t, indexDef(t, e, "idx_accounts_name_live"))
	})
}

func TestIndexSQL(t *testing.T) {
	want := []string{
		`CREATE UNIQUE INDEX "uidx_listings_slug" ON "listings" ("slug") WHERE "deleted_at" IS NULL`,
		`CREATE INDEX "idx_accounts_name_live" ON "accounts" ("name") WHERE "deleted_at" IS NULL`,
		`CREATE UNIQUE INDEX "uq_account_org_email" ON "accounts" ("org_id", "email") WHERE "deleted_at" IS NULL`,
		`CREATE UNIQUE INDEX "uidx_club_members_nick" ON "club_members" ("nick") WHERE "deleted_at" IS NULL`,
	}
	eachDB(t, func(t *testing.T, e *env) {
		want := want
		if e.name == "mysql" {
			want = mysqlIndexSQL
		}
		got, err := softdelete.IndexSQL(e.db, indexModels...)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.False(t, e.db.Migrator().HasTable(&Listing{}), "IndexSQL touches nothing")

		// It is exactly what AutoMigrate runs.
		e.log.reset()
		migrateIndexModels(t, e)
		for _, stmt := range want {
			assert.Len(t, e.log.matching(stmt), 1, stmt)
		}
	})
}

// mysqlIndexSQL is IndexSQL of indexModels on MySQL: one ALTER TABLE per
// index, adding its generated column and the index over it.
var mysqlIndexSQL = []string{
	"ALTER TABLE `listings` ADD COLUMN `live_uidx_listings_slug` TINYINT AS (IF(`deleted_at` IS NULL, 1, NULL)) VIRTUAL INVISIBLE, " +
		"ADD UNIQUE INDEX `uidx_listings_slug` (`slug`, `live_uidx_listings_slug`)",
	"ALTER TABLE `accounts` ADD COLUMN `live_idx_accounts_name_live` TINYINT AS (IF(`deleted_at` IS NULL, 1, NULL)) VIRTUAL INVISIBLE, " +
		"ADD INDEX `idx_accounts_name_live` (`name`, `live_idx_accounts_name_live`)",
	"ALTER TABLE `accounts` ADD COLUMN `live_uq_account_org_email` TINYINT AS (IF(`deleted_at` IS NULL, 1, NULL)) VIRTUAL INVISIBLE, " +
		"ADD UNIQUE INDEX `uq_account_org_email` (`org_id`, `email`, `live_uq_account_org_email`)",
	"ALTER TABLE `club_members` ADD COLUMN `live_uidx_club_members_nick` TINYINT AS (IF(`deleted_at` IS NULL, 1, NULL)) VIRTUAL INVISIBLE, " +
		"ADD UNIQUE INDEX `uidx_club_members_nick` (`nick`, `live_uidx_club_members_nick`)",
}

// LongNamedEntity's default index names exceed 63 bytes.
type LongNamedEntity struct {
	softdelete.Model
	AVeryLongColumnNameThatKeepsGoingOnAndOn string `softdelete:"unique"`
}

func (LongNamedEntity) TableName() string {
	return "a_table_with_a_rather_long_name_for_testing"
}

func TestLongDefaultNamesAreShortened(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		got, err := softdelete.IndexSQL(e.db, &LongNamedEntity{})
		require.NoError(t, err)
		require.Len(t, got, 1)
		// 54 bytes of uidx_<table>_<column>, "_", 8 hex digits of its SHA-256.
		const full = "uidx_a_table_with_a_rather_long_name_for_testing_a_ver_ad8e610a"
		require.Len(t, full, 63)
		assert.Equal(t, full, indexNameIn(got[0]))

		again, err := softdelete.IndexSQL(e.db, &LongNamedEntity{})
		require.NoError(t, err)
		assert.Equal(t, got, again, "deterministic")

		warns := newWarnLog()
		db := e.db.Session(&gorm.Session{Logger: warns})
		require.NoError(t, softdelete.AutoMigrate(db, &LongNamedEntity{}))
		require.NoError(t, softdelete.AutoMigrate(db, &LongNamedEntity{}))
		assert.Contains(t, indexDef(t, e, full), livePredicate(e))
		assert.Empty(t, warns.messages())
	})
}

func TestUpsertInfersPartialIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		live := Listing{Slug: "live", Title: "old", Views: 1}
		require.NoError(t, e.db.Create(&live).Error)

		t.Run("DoUpdates updates the live row", func(t *testing.T) {
			e.log.reset()
			up := Listing{Slug: "live", Title: "new", Views: 2}
			err := e.db.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "slug"}},
				DoUpdates: clause.AssignmentColumns([]string{"title", "views"}),
			}).Create(&up).Error
			require.NoError(t, err)
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE slug = 'live'"))
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE slug = 'live' AND title = 'new' AND views = 2 AND id = ?", live.ID))
			if e.name == "mysql" { // any unique key conflicts; the generated column keeps tombstones out
				assert.Len(t, e.log.matching("ON DUPLICATE KEY UPDATE"), 1)
				return
			}
			sqls := e.log.matching("ON CONFLICT")
			require.Len(t, sqls, 1)
			q := quoteFor(e)
			assert.Contains(t, sqls[0], "ON CONFLICT ("+q("slug")+")")
			assert.Contains(t, sqls[0], "WHERE "+q("deleted_at")+" IS NULL DO UPDATE SET")
		})

		t.Run("UpdateAll updates the live row", func(t *testing.T) {
			up := Listing{Slug: "live", Title: "all", Views: 3}
			err := e.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "slug"}}, UpdateAll: true}).Create(&up).Error
			require.NoError(t, err)
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE slug = 'live'"))
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE title = 'all' AND views = 3 AND id = ?", live.ID))
		})

		t.Run("DoNothing keeps the live row", func(t *testing.T) {
			res := e.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "slug"}}, DoNothing: true}).
				Create(&Listing{Slug: "live", Title: "ignored"})
			require.NoError(t, res.Error)
			if e.name != "mysql" { // GORM's no-op ON DUPLICATE KEY UPDATE id = id RETURNING reports the row
				assert.EqualValues(t, 0, res.RowsAffected)
			}
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE slug = 'live'"))
			assert.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM listings WHERE title = 'ignored'"))
		})

		t.Run("a key held only by a tombstone inserts a new row", func(t *testing.T) {
			gone := Listing{Slug: "gone", Title: "tomb", Views: 7}
			require.NoError(t, e.db.Create(&gone).Error)
			require.NoError(t, e.db.Delete(&gone).Error)
			tomb := rawRow(t, e, gone.ID)

			for i, oc := range []clause.OnConflict{
				{Columns: []clause.Column{{Name: "slug"}}, DoUpdates: clause.AssignmentColumns([]string{"title"})},
				{Columns: []clause.Column{{Name: "slug"}}, DoNothing: true},
			} {
				e.db.Exec("DELETE FROM listings WHERE slug = 'gone' AND deleted_at IS NULL")
				fresh := Listing{Slug: "gone", Title: fmt.Sprint("fresh", i)}
				res := e.db.Clauses(oc).Create(&fresh)
				require.NoError(t, res.Error)
				assert.EqualValues(t, 1, res.RowsAffected)
				assert.NotEqual(t, gone.ID, fresh.ID)
				assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE slug = 'gone' AND deleted_at IS NULL AND title = ?", fresh.Title))
				assert.Equal(t, tomb, rawRow(t, e, gone.ID), "tombstone untouched")
			}
		})

		t.Run("other conflict columns are left alone", func(t *testing.T) {
			e.log.reset()
			err := e.db.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "id"}},
				DoUpdates: clause.AssignmentColumns([]string{"views"}),
			}).Create(&Listing{Model: softdelete.Model{ID: live.ID}, Slug: "live", Views: 9}).Error
			require.NoError(t, err)
			sqls := e.log.matching("ON CONFLICT")
			if e.name == "mysql" {
				sqls = e.log.matching("ON DUPLICATE KEY UPDATE")
			}
			require.Len(t, sqls, 1)
			q := quoteFor(e)
			if e.name != "mysql" {
				assert.Contains(t, sqls[0], "ON CONFLICT ("+q("id")+") DO UPDATE")
			}
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE views = 9 AND id = ?", live.ID))
		})

		t.Run("explicit targets are left alone", func(t *testing.T) {
			e.skipUnless(t, dialect.PartialIndexes, "ON DUPLICATE KEY UPDATE has no conflict target to leave alone")
			e.log.reset()
			err := e.db.Clauses(clause.OnConflict{
				Columns:     []clause.Column{{Name: "slug"}},
				TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "deleted_at IS NULL"}}},
				DoNothing:   true,
			}).Create(&Listing{Slug: "live"}).Error
			require.NoError(t, err)
			sqls := e.log.matching("ON CONFLICT")
			require.Len(t, sqls, 1)
			assert.Contains(t, sqls[0], "WHERE deleted_at IS NULL DO NOTHING")
		})
	})
}

func TestUpsertInfersCompositeIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		a := Account{OrgID: 1, Email: "ann", Name: "old"}
		require.NoError(t, e.db.Create(&a).Error)
		err := e.db.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "email"}, {Name: "org_id"}}, // any order
			DoUpdates: clause.AssignmentColumns([]string{"name"}),
		}).Create(&Account{OrgID: 1, Email: "ann", Name: "new"}).Error
		require.NoError(t, err)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM accounts"))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM accounts WHERE name = 'new' AND id = ?", a.ID))
	})
}

// quoteFor returns a function quoting an identifier as GORM does on e.
func quoteFor(e *env) func(string) string {
	return func(s string) string { return e.db.Statement.Quote(s) }
}

// rawRow reads a listings row as text, column by column: what is physically stored.
func rawRow(t *testing.T, e *env, id uint) map[string]any {
	t.Helper()
	row := map[string]any{}
	require.NoError(t, e.db.Raw(`SELECT id, slug, title, views, `+e.castText("created_at")+` AS created_at,
		`+e.castText("updated_at")+` AS updated_at, `+e.castText("deleted_at")+` AS deleted_at FROM listings WHERE id = ?`, id).
		Take(&row).Error)
	return row
}

func TestRestoreConflict(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		old := Listing{Slug: "taken", Title: "old"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		require.NoError(t, e.db.Create(&Listing{Slug: "taken", Title: "new"}).Error)
		deletedAt := old.DeletedAt

		res := softdelete.Restore(e.db, &old)
		require.Error(t, res.Error)
		assert.ErrorIs(t, res.Error, softdelete.ErrRestoreConflict)
		assert.ErrorIs(t, res.Error, gorm.ErrDuplicatedKey)
		assert.Contains(t, res.Error.Error(), `"uidx_listings_slug"`)
		var conflict *softdelete.RestoreConflictError
		require.ErrorAs(t, res.Error, &conflict)
		assert.Equal(t, "uidx_listings_slug", conflict.Index)
		assert.Equal(t, "listings", conflict.Table)
		assert.Error(t, conflict.Err, "the database's error is kept")
		assert.Equal(t, deletedAt, old.DeletedAt, "struct not cleared")
		assert.NotNil(t, e.deletedAt(t, "listings", old.ID))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE slug = 'taken' AND deleted_at IS NULL"))
	})
}

func TestRestoreConflictNamesCompositeIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		old := Account{OrgID: 3, Email: "x"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		require.NoError(t, e.db.Create(&Account{OrgID: 3, Email: "x"}).Error)

		err := softdelete.Restore(e.db, &old).Error
		require.ErrorIs(t, err, softdelete.ErrRestoreConflict)
		assert.Contains(t, err.Error(), `"uq_account_org_email"`)
		assert.NotNil(t, e.deletedAt(t, "accounts", old.ID))
	})
}

func TestRestoreConflictWithTranslateError(t *testing.T) {
	eachDBWith(t, setup{cfg: func(c *gorm.Config) { c.TranslateError = true }}, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		old := Listing{Slug: "taken"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		require.NoError(t, e.db.Create(&Listing{Slug: "taken"}).Error)

		err := softdelete.Restore(e.db, &old).Error
		require.ErrorIs(t, err, softdelete.ErrRestoreConflict)
		require.ErrorIs(t, err, gorm.ErrDuplicatedKey)
		assert.Contains(t, err.Error(), `"uidx_listings_slug"`)
		assert.NotNil(t, e.deletedAt(t, "listings", old.ID))
	})
}

func TestBulkRestoreConflictRestoresNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		rows := []Listing{{Slug: "free"}, {Slug: "taken"}}
		require.NoError(t, e.db.Create(&rows).Error)
		require.NoError(t, e.db.Delete(&rows).Error)
		require.NoError(t, e.db.Create(&Listing{Slug: "taken"}).Error)

		res := softdelete.Restore(e.db, &Listing{}, "slug IN ?", []string{"free", "taken"})
		require.ErrorIs(t, res.Error, softdelete.ErrRestoreConflict)
		assert.EqualValues(t, 0, res.RowsAffected)
		assert.NotNil(t, e.deletedAt(t, "listings", rows[0].ID), "free row not restored either")
		assert.NotNil(t, e.deletedAt(t, "listings", rows[1].ID))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE deleted_at IS NULL"))

		// Without the clash both come back.
		require.NoError(t, e.db.Where("slug = ?", "taken").Delete(&Listing{}).Error)
		res = softdelete.Restore(e.db, &Listing{}, "id IN ?", []uint{rows[0].ID, rows[1].ID})
		require.NoError(t, res.Error)
		assert.EqualValues(t, 2, res.RowsAffected)
	})
}

// Models with bad index tags.
type (
	piNoSoftDelete struct {
		ID   uint
		Slug string `softdelete:"unique"`
	}
	piDeletedAtTagged struct {
		ID        uint
		DeletedAt softdelete.DeletedAt `softdelete:"unique"`
	}
	piMixedName struct {
		softdelete.Model
		A string `softdelete:"unique:ix_pi_mixed"`
		B string `softdelete:"index:ix_pi_mixed"`
	}
	piLongName struct {
		softdelete.Model
		A string `softdelete:"unique:ix_0123456789_0123456789_0123456789_0123456789_0123456789_012345"`
	}
	piEmptyName struct {
		softdelete.Model
		A string `softdelete:"unique:"`
	}
	piTwice struct {
		softdelete.Model
		A string `softdelete:"unique:ix_pi_twice;unique:ix_pi_twice"`
	}
	piNameClash struct {
		softdelete.Model
		A string `softdelete:"unique"`
		B string `softdelete:"unique:uidx_pi_name_clashes_a"`
	}
	piSharedA struct {
		softdelete.Model
		A string `softdelete:"unique:ix_pi_shared"`
	}
	piSharedB struct {
		softdelete.Model
		B string `softdelete:"unique:ix_pi_shared"`
	}
	piBadCascade struct {
		softdelete.Model
		Slug  string `softdelete:"unique"`
		Other uint   `softdelete:"cascade"`
	}
)

func TestInvalidIndexTags(t *testing.T) {
	cases := []struct {
		name     string
		models   []any
		contains []string
		is       error
	}{
		{"tag on a model without soft-delete field", []any{&piNoSoftDelete{}},
			[]string{"piNoSoftDelete.Slug"}, softdelete.ErrNotSoftDeletable},
		{"index on the soft-delete column", []any{&piDeletedAtTagged{}},
			[]string{"piDeletedAtTagged.DeletedAt", "soft-delete column"}, nil},
		{"name used with unique and index", []any{&piMixedName{}},
			[]string{"piMixedName.B", "ix_pi_mixed"}, nil},
		{"explicit name over 63 bytes", []any{&piLongName{}},
			[]string{"piLongName.A", "64 bytes"}, nil},
		{"empty name", []any{&piEmptyName{}}, []string{"piEmptyName.A"}, nil},
		{"field twice in one index", []any{&piTwice{}}, []string{"piTwice.A", "twice"}, nil},
		{"explicit name equal to a default name", []any{&piNameClash{}},
			[]string{"piNameClash.B", "uidx_pi_name_clashes_a", "twice"}, nil},
		{"same name on two models", []any{&piSharedA{}, &piSharedB{}},
			[]string{"ix_pi_shared", "piSharedA", "piSharedB"}, nil},
		{"cascade tag error", []any{&piBadCascade{}}, []string{"piBadCascade.Other", "cascade"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, e *env) {
				_, err := softdelete.IndexSQL(e.db, c.models...)
				require.ErrorIs(t, err, softdelete.ErrInvalidTag)

				err = softdelete.AutoMigrate(e.db, c.models...)
				require.ErrorIs(t, err, softdelete.ErrInvalidTag)
				if c.is != nil {
					assert.ErrorIs(t, err, c.is)
				}
				for _, s := range c.contains {
					assert.Contains(t, err.Error(), s)
				}
				for _, m := range c.models {
					assert.False(t, e.db.Migrator().HasTable(m), "nothing created")
				}
			})
		})
	}
}

func TestIndexNameTakenByAnotherTable(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.skipUnless(t, dialect.PartialIndexes, "index names are per table: another table's index of the same name does not clash")
		e.gormMigrate(t, &Listing{})
		require.NoError(t, e.db.Exec(`CREATE INDEX "uq_account_org_email" ON "listings" ("title")`).Error)
		err := softdelete.AutoMigrate(e.db, &Account{})
		require.ErrorIs(t, err, softdelete.ErrInvalidTag)
		assert.Contains(t, err.Error(), "listings")
		assert.Contains(t, indexDef(t, e, "uq_account_org_email"), "title", "other table's index untouched")
	})
}

func TestAutoMigrateWithoutPlugin(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target, func(t *testing.T) {
			db := testdb.Open(t, target, &gorm.Config{Logger: logger.Discard})
			err := softdelete.AutoMigrate(db, &Listing{})
			require.ErrorIs(t, err, softdelete.ErrNotRegistered)
			assert.Contains(t, err.Error(), "AutoMigrate")
			assert.False(t, db.Migrator().HasTable(&Listing{}), "nothing is migrated")
			stmts, err := softdelete.IndexSQL(db, &Listing{})
			require.ErrorIs(t, err, softdelete.ErrNotRegistered)
			assert.Contains(t, err.Error(), "IndexSQL")
			assert.Empty(t, stmts)
		})
	}
}

func TestTableReadsRegisteredByAutoMigrate(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		l := Listing{Slug: "x"}
		require.NoError(t, e.db.Create(&[]Listing{l, {Slug: "y"}}).Error)
		require.NoError(t, e.db.Where("slug = ?", "x").Delete(&Listing{}).Error)
		var n int64
		require.NoError(t, e.db.Table("listings").Count(&n).Error)
		assert.EqualValues(t, 1, n)
	})
}

// TestLiveLookupUsesPartialIndex checks that the plugin's SQL for a live-row
// lookup by slug, planned generically with a bound parameter, is served by
// the partial unique index rather than a scan of a table that is mostly
// tombstones.
func TestLiveLookupUsesPartialIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		// 50,000 rows, 90% of them deleted, in one INSERT ... SELECT.
		seed := `INSERT INTO listings (slug, title, views, created_at, updated_at, deleted_at)
			SELECT 's' || g, 't', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,
			       CASE WHEN g % 10 = 0 THEN NULL ELSE CURRENT_TIMESTAMP END
			FROM generate_series(1, 50000) AS g`
		switch e.name {
		case "mysql": // MariaDB's sequence tables
			seed = `INSERT INTO listings (slug, title, views, created_at, updated_at, deleted_at)
			SELECT CONCAT('s', seq), 't', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,
			       CASE WHEN seq % 10 = 0 THEN NULL ELSE CURRENT_TIMESTAMP END
			FROM seq_1_to_50000`
		case "sqlite": // no generate_series: a recursive CTE instead
			seed = `INSERT INTO listings (slug, title, views, created_at, updated_at, deleted_at)
			WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 50000)
			SELECT 's' || g, 't', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,
			       CASE WHEN g % 10 = 0 THEN NULL ELSE CURRENT_TIMESTAMP END
			FROM n`
		}
		require.NoError(t, e.db.Exec(seed).Error)
		analyze := "ANALYZE"
		if e.name == "mysql" {
			analyze = "ANALYZE TABLE listings"
		}
		require.NoError(t, e.db.Exec(analyze).Error)
		assert.EqualValues(t, 5000, e.count(t, "SELECT count(*) FROM listings WHERE deleted_at IS NULL"))

		var l Listing
		stmt := e.db.Session(&gorm.Session{DryRun: true}).Where("slug = ?", "s10").First(&l).Statement
		require.Contains(t, stmt.SQL.String(), "deleted_at")

		plan := explainGeneric(t, e, stmt.SQL.String(), stmt.Vars)
		t.Log(plan)
		assert.Contains(t, plan, "uidx_listings_slug")
		assert.NotContains(t, plan, "Seq Scan")
		assert.NotContains(t, plan, "SCAN listings")
		if e.name == "postgres" {
			assert.Contains(t, plan, "$1", "a generic plan: the parameter stays a parameter")
		}

		// And the query itself, prepared, finds the live row.
		prepared := e.db.Session(&gorm.Session{PrepareStmt: true})
		require.NoError(t, prepared.Where("slug = ?", "s10").First(&l).Error)
		assert.Equal(t, "s10", l.Slug)
	})
}

// explainGeneric returns the plan of query (with its bound vars) as the
// database runs it prepared: on PostgreSQL the generic plan of a PREPAREd
// statement (plan_cache_mode = force_generic_plan, so parameter values
// cannot be looked at), on SQLite EXPLAIN QUERY PLAN of the statement with
// bound parameters.
func explainGeneric(t *testing.T, e *env, query string, vars []any) string {
	t.Helper()
	var lines []string
	if e.name == "mysql" { // EXPLAIN's key column: the index the lookup uses (type const/ref, not ALL)
		var plan []map[string]any
		require.NoError(t, e.db.Raw("EXPLAIN "+query, vars...).Scan(&plan).Error)
		for _, row := range plan {
			lines = append(lines, fmt.Sprintf("type=%v key=%v", row["type"], row["key"]))
		}
		require.NotContains(t, strings.Join(lines, "\n"), "type=ALL", "a full scan")
		return strings.Join(lines, "\n")
	}
	if e.name != "postgres" {
		rows, err := e.db.Raw("EXPLAIN QUERY PLAN "+query, vars...).Rows()
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			lines = append(lines, detail)
		}
		require.NoError(t, rows.Err())
		return strings.Join(lines, "\n")
	}
	// EXECUTE's arguments are not protocol parameters: literals they are.
	literals := make([]string, len(vars))
	for i, v := range vars {
		literals[i] = fmt.Sprint(v)
		if s, ok := v.(string); ok {
			literals[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
	}
	err := e.db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL plan_cache_mode = force_generic_plan").Error; err != nil {
			return err
		}
		if err := tx.Exec("PREPARE softdelete_q AS " + query).Error; err != nil {
			return err
		}
		if err := tx.Raw("EXPLAIN EXECUTE softdelete_q(" + strings.Join(literals, ", ") + ")").Scan(&lines).Error; err != nil {
			return err
		}
		return tx.Exec("DEALLOCATE softdelete_q").Error
	})
	require.NoError(t, err)
	return strings.Join(lines, "\n")
}

// Shelf's items are deleted and restored with it; an item's SKU is unique
// among live items.
type Shelf struct {
	softdelete.Model
	Name  string
	Items []ShelfItem `softdelete:"cascade"`
}

type ShelfItem struct {
	softdelete.Model
	ShelfID uint
	SKU     string `softdelete:"unique"`
}

func TestCascadeRestoreConflictNamesChildIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &Shelf{}, &ShelfItem{}))
		s := Shelf{Name: "a", Items: []ShelfItem{{SKU: "sku-1"}, {SKU: "sku-2"}}}
		require.NoError(t, e.db.Create(&s).Error)
		require.NoError(t, e.db.Delete(&s).Error)
		require.EqualValues(t, 0, e.count(t, "SELECT count(*) FROM shelf_items WHERE deleted_at IS NULL"))
		require.NoError(t, e.db.Create(&Shelf{Name: "b", Items: []ShelfItem{{SKU: "sku-2"}}}).Error)

		err := softdelete.Restore(e.db, &s).Error
		require.ErrorIs(t, err, softdelete.ErrRestoreConflict)
		assert.Contains(t, err.Error(), `"uidx_shelf_items_sku"`)
		assert.NotNil(t, e.deletedAt(t, "shelves", s.ID), "parent not restored")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM shelf_items WHERE deleted_at IS NULL"), "no child restored")
	})
}
