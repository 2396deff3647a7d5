package softdelete_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
)

// Regression tests for GORM idioms the plugin must leave working: each one
// silently corrupted data before (issue 11). They run on the package's
// column type and, with -tags gormmodel, on gorm.Model models.

// Person is a plain soft-deletable model for FirstOrInit/FirstOrCreate.
type Person struct {
	BaseModel
	Name string
	Age  int
	City string
}

func TestFirstOrCreateKeepsSearchValues(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&Person{}))
		cases := map[string]struct {
			q    func(db *gorm.DB) *gorm.DB
			name string
			age  int
		}{
			"multi-field struct": {q: func(db *gorm.DB) *gorm.DB { return db.Where(&Person{Name: "bob", Age: 40}) }, name: "bob", age: 40},
			"map":                {q: func(db *gorm.DB) *gorm.DB { return db.Where(map[string]any{"name": "map", "age": 3}) }, name: "map", age: 3},
			"struct then Or": {q: func(db *gorm.DB) *gorm.DB {
				return db.Where(&Person{Name: "or", Age: 5}).Or("age = ?", 99)
			}, name: "or", age: 5},
			"struct then Not": {q: func(db *gorm.DB) *gorm.DB {
				return db.Where(&Person{Name: "not", Age: 6}).Not("age = ?", 99)
			}, name: "not", age: 6},
			"struct and raw OR": {q: func(db *gorm.DB) *gorm.DB {
				return db.Where(&Person{Name: "raw", Age: 7}).Where("age = 7 OR\nage = 2")
			}, name: "raw", age: 7},
		}
		for name, c := range cases {
			t.Run(name, func(t *testing.T) {
				var init Person
				require.NoError(t, c.q(e.db).FirstOrInit(&init).Error)
				assert.Equal(t, c.name, init.Name, "FirstOrInit takes the search values")
				assert.Equal(t, c.age, init.Age)

				var p Person
				res := c.q(e.db).FirstOrCreate(&p)
				require.NoError(t, res.Error)
				assert.EqualValues(t, 1, res.RowsAffected)
				var stored Person
				require.NoError(t, e.db.Raw("SELECT * FROM people WHERE id = ?", p.ID).Scan(&stored).Error)
				assert.Equal(t, c.name, stored.Name, "the created row holds the search values")
				assert.Equal(t, c.age, stored.Age)

				var again Person
				res = c.q(e.db).FirstOrCreate(&again)
				require.NoError(t, res.Error)
				assert.Zero(t, res.RowsAffected, "the second call finds the row")
				assert.Equal(t, p.ID, again.ID)
			})
		}
	})
}

func TestFirstOrCreateIgnoresDeletedRows(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&Person{}))
		old := Person{Name: "gone", Age: 1}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		var p Person
		require.NoError(t, e.db.Where(&Person{Name: "gone", Age: 1}).Attrs(Person{City: "oslo"}).FirstOrCreate(&p).Error)
		assert.NotEqual(t, old.ID, p.ID, "a tombstone is not found")
		assert.False(t, p.DeletedAt.Valid)
		assert.Equal(t, "oslo", p.City)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM people WHERE name = 'gone'"))
	})
}

// Hook models: a verb called inside a hook must act on its own statement.
type (
	HookOrder struct {
		ID      uint
		Ref     string
		Touched int
	}
	HookItem struct {
		BaseModel
		OrderRef string
		Name     string
	}
	HookBox struct {
		BaseModel
		Ref string
	}
	HookAudit struct {
		ID     uint
		Note   string
		Source string
	}
)

func (o *HookOrder) AfterCreate(tx *gorm.DB) error {
	return softdelete.Restore(tx, &HookItem{}, "order_ref = ?", o.Ref).Error
}

func (o *HookOrder) AfterUpdate(tx *gorm.DB) error {
	return softdelete.Restore(tx, &HookItem{}, "order_ref = ?", o.Ref).Error
}

func (b *HookBox) AfterRestore(tx *gorm.DB) error {
	if err := softdelete.Restore(tx, &HookItem{}, "order_ref = ?", b.Ref).Error; err != nil {
		return err
	}
	return tx.Create(&HookAudit{Note: "restored " + b.Ref}).Error
}

func (a *HookAudit) BeforeCreate(*gorm.DB) error {
	a.Source = "hook"
	return nil
}

func migrateHookModels(t *testing.T, e *env) {
	t.Helper()
	require.NoError(t, e.db.AutoMigrate(&HookOrder{}, &HookItem{}, &HookBox{}, &HookAudit{}))
}

func TestVerbInsideHookActsOnItsOwnStatement(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateHookModels(t, e)
		item := HookItem{OrderRef: "R1", Name: "widget"}
		require.NoError(t, e.db.Create(&item).Error)
		require.NoError(t, e.db.Delete(&item).Error)

		t.Run("AfterCreate", func(t *testing.T) {
			require.NoError(t, e.db.Create(&HookOrder{Ref: "R1"}).Error)
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM hook_orders"), "one Create inserts one row")
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM hook_items WHERE order_ref = 'R1' AND deleted_at IS NULL"),
				"the restore in the hook restored the item")
		})
		t.Run("AfterUpdate", func(t *testing.T) {
			require.NoError(t, e.db.Delete(&HookItem{}, "order_ref = ?", "R1").Error)
			var o HookOrder
			require.NoError(t, e.db.First(&o, "ref = ?", "R1").Error)
			require.NoError(t, e.db.Model(&o).Update("touched", gorm.Expr("touched + 1")).Error)
			assert.EqualValues(t, 1, e.count(t, "SELECT touched FROM hook_orders WHERE ref = 'R1'"), "the UPDATE ran once")
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM hook_items WHERE order_ref = 'R1' AND deleted_at IS NULL"))
		})
		t.Run("AfterRestore", func(t *testing.T) {
			box := HookBox{Ref: "R1"}
			require.NoError(t, e.db.Create(&box).Error)
			require.NoError(t, e.db.Delete(&HookItem{}, "order_ref = ?", "R1").Error)
			require.NoError(t, e.db.Delete(&box).Error)
			res := softdelete.Restore(e.db, &box)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM hook_boxes WHERE deleted_at IS NULL"))
			assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM hook_items WHERE order_ref = 'R1' AND deleted_at IS NULL"),
				"the hook's restore updated its own table")
			var audit HookAudit
			require.NoError(t, e.db.First(&audit).Error)
			assert.Equal(t, "restored R1", audit.Note)
			assert.Equal(t, "hook", audit.Source, "a write in a restore hook runs its own hooks")
		})
	})
}

// DeleteHookPost counts GORM's delete hooks: Restore must not run them, and
// must leave the caller's chain as it was.
type DeleteHookPost struct {
	BaseModel
	Title string
	Calls int `gorm:"-"`
}

func (p *DeleteHookPost) BeforeDelete(*gorm.DB) error { p.Calls++; return nil }

func TestRestoreSkipsDeleteHooksAndLeavesTheChain(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&DeleteHookPost{}))
		p := DeleteHookPost{Title: "a"}
		require.NoError(t, e.db.Create(&p).Error)
		require.NoError(t, e.db.Delete(&p).Error)
		require.Equal(t, 1, p.Calls)
		chain := e.db.Where("title = ?", "a")
		require.NoError(t, softdelete.Restore(chain, &p).Error)
		assert.Equal(t, 1, p.Calls, "BeforeDelete does not run for a restore")
		assert.False(t, chain.Statement.SkipHooks, "the caller's chain keeps its SkipHooks")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM delete_hook_posts WHERE deleted_at IS NULL"))
		require.NoError(t, e.db.Delete(&p).Error)
		assert.Equal(t, 2, p.Calls, "a Delete runs its hooks")
	})
}

// Association models for Select(clause.Associations): none cascades.
type (
	AssocOwner struct {
		BaseModel
		Name   string
		Books  []AssocBook
		Label  *AssocLabel
		Topics []AssocTopic `gorm:"many2many:assoc_owner_topics"`
	}
	AssocBook struct {
		BaseModel
		AssocOwnerID uint
		Title        string
	}
	AssocLabel struct {
		BaseModel
		AssocOwnerID uint
		Text         string
	}
	AssocTopic struct {
		ID   uint
		Name string
	}
)

func TestRestoreWithSelectAssociationsDeletesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&AssocOwner{}, &AssocBook{}, &AssocLabel{}, &AssocTopic{}))
		o := AssocOwner{Name: "o", Books: []AssocBook{{Title: "b1"}, {Title: "b2"}},
			Label: &AssocLabel{Text: "l"}, Topics: []AssocTopic{{Name: "t"}}}
		require.NoError(t, e.db.Create(&o).Error)
		require.NoError(t, e.db.Delete(&AssocOwner{}, o.ID).Error)

		res := softdelete.Restore(e.db.Select(clause.Associations), &o)
		require.NoError(t, res.Error)
		assert.EqualValues(t, 1, res.RowsAffected)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM assoc_owners WHERE deleted_at IS NULL"))
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM assoc_books WHERE deleted_at IS NULL"), "live children stay live")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM assoc_labels WHERE deleted_at IS NULL"))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM assoc_owner_topics"), "join rows stay")
	})
}

func TestSelectAssociationsDeleteSharesTheTimestamp(t *testing.T) {
	ticking := &fixedClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	tick := func() time.Time { ticking.Advance(time.Second); return ticking.Now() }
	eachDBWith(t, setup{opts: []softdelete.Option{softdelete.WithClock(tick)}}, func(t *testing.T, e *env) {
		a, posts := e.seedPosts(t, 2)
		require.NoError(t, e.db.Create(&Comment{PostID: posts[0].ID, Body: "c"}).Error)
		require.NoError(t, e.db.Select(clause.Associations).Delete(&a).Error)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL"))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(DISTINCT deleted_at) FROM ("+
			"SELECT deleted_at FROM authors UNION ALL SELECT deleted_at FROM posts UNION ALL SELECT deleted_at FROM comments) t"),
			"one timestamp for the whole delete")

		require.NoError(t, softdelete.Restore(e.db, &a).Error)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NULL"), "the children come back")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM comments WHERE deleted_at IS NULL"))
	})
}

func TestOnlyDeletedDeleteTouchesNoLiveRow(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, posts := e.seedPosts(t, 3)
		require.NoError(t, e.db.Delete(&posts[0]).Error)
		before := *e.deletedAt(t, "posts", posts[0].ID)
		e.clock.Advance(time.Hour)

		res := e.db.Scopes(softdelete.OnlyDeleted).Where("views > ?", 0).Delete(&Post{})
		require.NoError(t, res.Error)
		assert.Zero(t, res.RowsAffected)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NULL"), "live rows stay live")
		assert.True(t, before.Equal(*e.deletedAt(t, "posts", posts[0].ID)), "the tombstone keeps its timestamp")
	})
}

func TestHardDeleteOnlyDeletedEmptiesTheTrash(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, posts := e.seedPosts(t, 3)
		require.NoError(t, e.db.Delete(&posts[0]).Error)
		require.NoError(t, e.db.Delete(&posts[1]).Error)

		res := softdelete.HardDelete(e.db.Scopes(softdelete.OnlyDeleted), &Post{})
		require.NoError(t, res.Error)
		assert.EqualValues(t, 2, res.RowsAffected)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM posts"))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NULL"))

		err := softdelete.HardDelete(e.db.Scopes(softdelete.WithDeleted), &Post{}).Error
		require.ErrorIs(t, err, gorm.ErrMissingWhereClause, "WithDeleted is no condition")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM posts"))
	})
}

func TestRelationJoinConditionsWithOrAreGrouped(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		ann, bob := Author{Name: "ann"}, Author{Name: "bob"}
		require.NoError(t, e.db.Create(&[]*Author{&ann, &bob}).Error)
		require.NoError(t, e.db.Create(&[]Post{{AuthorID: ann.ID, Title: "a"}, {AuthorID: bob.ID, Title: "b"}}).Error)
		// bob is deleted on his own (a Delete would cascade to his posts)
		require.NoError(t, e.db.Exec("UPDATE authors SET deleted_at = ? WHERE id = ?", e.clock.Now(), bob.ID).Error)

		for name, join := range map[string]func(*gorm.DB) *gorm.DB{
			"InnerJoins": func(db *gorm.DB) *gorm.DB {
				return db.InnerJoins("Author", e.db.Where(&Author{Name: "ann"}).Or(&Author{Name: "bob"}))
			},
			"Joins with a raw OR": func(db *gorm.DB) *gorm.DB {
				name := quoteFor(e)("Author") + "." + quoteFor(e)("name")
				return db.InnerJoins("Author", e.db.Where(name+" = 'ann' OR\n"+name+" = 'bob'"))
			},
		} {
			t.Run(name, func(t *testing.T) {
				var got []Post
				require.NoError(t, join(e.db.Model(&Post{})).Order("posts.id").Find(&got).Error)
				require.Len(t, got, 1, "bob is deleted: his post is not joined")
				assert.Equal(t, "a", got[0].Title)
			})
		}
	})
}

func TestPurgeGroupsTheChainsConditions(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &PurgeTenantRow{}))
		rows := []PurgeTenantRow{{TenantID: 1}, {TenantID: 2}, {TenantID: 2}, {TenantID: 3}, {TenantID: 3}, {TenantID: 4}}
		require.NoError(t, e.db.Create(&rows).Error)
		require.NoError(t, e.db.Delete(&PurgeTenantRow{}, []uint{rows[0].ID, rows[2].ID, rows[3].ID, rows[4].ID}).Error)
		e.clock.Advance(2 * time.Hour)

		n, err := softdelete.Purge(context.Background(), e.db.Where("tenant_id = ?", 3).Or("tenant_id = ?", 2),
			&PurgeTenantRow{}, softdelete.PurgeOptions{OlderThan: time.Hour, BatchSize: 1})
		require.NoError(t, err)
		assert.EqualValues(t, 3, n, "every due row of tenants 2 and 3, though tenant 2 has a live row")
		assert.EqualValues(t, 3, e.count(t, "SELECT count(*) FROM purge_tenant_rows"))
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM purge_tenant_rows WHERE tenant_id = 1"), "tenant 1 is not in the chain")
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM purge_tenant_rows WHERE deleted_at IS NULL"), "live rows stay")
	})
}

func TestFailedRestoreLeavesCallersTransactionUsable(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		migrateIndexModels(t, e)
		old := Listing{Slug: "x", Title: "old"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		require.NoError(t, e.db.Create(&Listing{Slug: "x", Title: "new"}).Error)

		err := e.db.Transaction(func(tx *gorm.DB) error {
			err := softdelete.Restore(tx, &old).Error
			require.ErrorIs(t, err, softdelete.ErrRestoreConflict)
			return tx.Create(&Listing{Slug: "y", Title: "after"}).Error
		})
		require.NoError(t, err, "the transaction goes on after the failed restore")
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM listings WHERE slug = 'y'"))
		assert.NotNil(t, e.deletedAt(t, "listings", old.ID), "the conflicting row stays deleted")
	})
}

// Many2many with a soft-deletable join model.
type (
	LinkUser struct {
		ID     uint
		Name   string
		Groups []LinkGroup `gorm:"many2many:link_memberships"`
	}
	LinkGroup struct {
		ID   uint
		Name string
	}
	LinkMembership struct {
		LinkUserID  uint `gorm:"primaryKey"`
		LinkGroupID uint `gorm:"primaryKey"`
		DeletedAt   deletedAt
	}
)

func TestMany2ManyReappendRestoresTheJoinRow(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.SetupJoinTable(&LinkUser{}, "Groups", &LinkMembership{}))
		require.NoError(t, e.db.AutoMigrate(&LinkUser{}, &LinkGroup{}, &LinkMembership{}))
		u, g, h := LinkUser{Name: "u"}, LinkGroup{Name: "g"}, LinkGroup{Name: "h"}
		require.NoError(t, e.db.Create(&[]*LinkGroup{&g, &h}).Error)
		require.NoError(t, e.db.Create(&u).Error)
		assoc := func() *gorm.Association { return e.db.Model(&u).Association("Groups") }

		require.NoError(t, assoc().Append(&g, &h))
		require.NoError(t, assoc().Delete(&g))
		assert.EqualValues(t, 1, assoc().Count())
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM link_memberships WHERE deleted_at IS NOT NULL"), "soft-deleted link")

		require.NoError(t, assoc().Append(&g))
		assert.EqualValues(t, 2, assoc().Count(), "the re-appended link shows again")
		var groups []LinkGroup
		require.NoError(t, assoc().Find(&groups))
		assert.Len(t, groups, 2)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM link_memberships WHERE deleted_at IS NULL"))
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM link_memberships"), "restored, not duplicated")

		require.NoError(t, assoc().Replace(&h))
		require.NoError(t, assoc().Replace(&g, &h))
		assert.EqualValues(t, 2, assoc().Count(), "Replace brings a removed link back too")
	})
}

func TestGenericsAPIScopes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, posts := e.seedPosts(t, 3)
		require.NoError(t, e.db.Delete(&posts[0]).Error)

		only, err := gorm.G[Post](e.db, softdelete.OnlyDeletedClause).Find(ctx)
		require.NoError(t, err)
		assert.Equal(t, []uint{posts[0].ID}, ids(only))
		all, err := gorm.G[Post](e.db, softdelete.WithDeletedClause).Order("id").Find(ctx)
		require.NoError(t, err)
		assert.Len(t, all, 3)
		scoped, err := gorm.G[Post](e.db).Scopes(softdelete.OnlyDeletedStatement).Find(ctx)
		require.NoError(t, err)
		assert.Equal(t, []uint{posts[0].ID}, ids(scoped))
		n, err := gorm.G[Post](e.db).Scopes(softdelete.WithDeletedStatement).Count(ctx, "*")
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
	})
}

// PetOwner's loaded children may include soft-deleted ones: saving the
// parent re-saves them (GORM upserts every loaded child on its key).
type (
	PetOwner struct {
		BaseModel
		Name string
		Pets []Pet
	}
	Pet struct {
		BaseModel
		PetOwnerID uint
		Name       string
	}
)

func TestSavingAParentWithADeletedChildLoaded(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&PetOwner{}, &Pet{}))
		o := PetOwner{Name: "o", Pets: []Pet{{Name: "p1"}, {Name: "p2"}}}
		require.NoError(t, e.db.Create(&o).Error)
		require.NoError(t, e.db.Delete(&o.Pets[0]).Error)
		stamp := *e.deletedAt(t, "pets", o.Pets[0].ID)

		require.NoError(t, e.db.Model(&o).Association("Pets").Append(&Pet{Name: "p3"}))
		o.Name = "o2"
		require.NoError(t, e.db.Save(&o).Error)
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM pet_owners WHERE name = 'o2'"))
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM pets WHERE deleted_at IS NULL"), "p2 and p3")
		assert.True(t, stamp.Equal(*e.deletedAt(t, "pets", o.Pets[0].ID)), "the tombstone is untouched")

		ghost := Pet{Name: "ghost", PetOwnerID: o.ID}
		ghost.ID = 999
		ghost.DeletedAt = deletedAt{Time: time.Now(), Valid: true}
		o.Pets = append(o.Pets, ghost)
		require.ErrorIs(t, e.db.Save(&o).Error, softdelete.ErrDeletedAtWrite, "a tombstone that does not exist is not inserted")
		assert.Zero(t, e.count(t, "SELECT count(*) FROM pets WHERE id = 999"))
	})
}

func TestChainAfterACascadeIsLeftOutsideTheTransaction(t *testing.T) {
	noTx := setup{cfg: func(c *gorm.Config) { c.SkipDefaultTransaction = true }}
	eachDBWith(t, noTx, func(t *testing.T, e *env) {
		a, _ := e.seedPosts(t, 2)
		q := e.db.Where("name = ?", "ann")
		require.NoError(t, q.Delete(&Author{}).Error)
		_, inTx := q.Statement.ConnPool.(gorm.TxCommitter)
		assert.False(t, inTx, "the plugin's own transaction is not left on the caller's statement")
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL"))
		require.NoError(t, softdelete.Restore(e.db, &Author{}, a.ID).Error)
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM posts WHERE deleted_at IS NULL"))
	})
}

// A clock that steps back (NTP), a coarse clock, or two deletes in one tick
// must not let a child deleted on its own share its parent's timestamp: the
// parent's restore would bring it back (issue 12).
func TestClockSteppingBackMakesNoZombie(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a, posts := e.seedPosts(t, 2)
		require.NoError(t, e.db.Create(&Comment{PostID: posts[1].ID, Body: "c"}).Error)
		require.NoError(t, e.db.Delete(&posts[0]).Error) // on its own, at T
		own := *e.deletedAt(t, "posts", posts[0].ID)
		e.clock.Advance(-time.Hour)
		e.clock.Advance(time.Hour) // stepped back onto T
		require.NoError(t, e.db.Delete(&a).Error)
		assert.True(t, a.DeletedAt.Time.After(own), "the parent's timestamp is past the child's")
		assert.True(t, a.DeletedAt.Time.Equal(*e.deletedAt(t, "authors", a.ID)), "written back as stored")
		assert.True(t, a.DeletedAt.Time.Equal(*e.deletedAt(t, "posts", posts[1].ID)), "one timestamp for the delete")
		assert.True(t, a.DeletedAt.Time.Equal(*e.deletedAt(t, "comments", 1)), "down to the grandchildren")

		require.NoError(t, softdelete.Restore(e.db, &a).Error)
		assert.Nil(t, e.deletedAt(t, "posts", posts[1].ID), "deleted with the parent: back")
		assert.NotNil(t, e.deletedAt(t, "posts", posts[0].ID), "deleted on its own: stays deleted")
		assert.True(t, own.Equal(*e.deletedAt(t, "posts", posts[0].ID)))
	})
}
