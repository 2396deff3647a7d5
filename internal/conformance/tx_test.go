package conformance

import (
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

var errRollback = errors.New("roll back")

var txScenarios = []scenario{
	{name: "Transaction/commit", run: func(c *call) (any, error) {
		r := &rec{}
		err := c.db.Transaction(func(tx *gorm.DB) error {
			u := User{Name: "txn"}
			r.do("create", tx.Create(&u), &u)
			r.do("delete", tx.Delete(&Post{}, 1), nil)
			var n int64
			r.do("count inside", tx.Model(&Post{}).Count(&n), &n)
			return nil
		})
		r.err("transaction", err)
		return r.out()
	}},
	{name: "Transaction/rollback on error", run: func(c *call) (any, error) {
		r := &rec{}
		err := c.db.Transaction(func(tx *gorm.DB) error {
			r.do("delete", tx.Delete(&User{}, 1), nil)
			var u User
			r.do("first inside", tx.First(&u, 1), &u)
			return errRollback
		})
		r.err("transaction", err)
		var u User
		r.do("first after", c.fresh().First(&u, 1), &u)
		return r.out()
	}},
	{name: "Transaction/panic rolls back", run: func(c *call) (any, error) {
		r := &rec{}
		func() {
			defer func() { r.val("recovered", recover() != nil) }()
			_ = c.db.Transaction(func(tx *gorm.DB) error {
				tx.Delete(&Comment{}, 1)
				panic("boom")
			})
		}()
		var n int64
		r.do("count", c.fresh().Model(&Comment{}).Count(&n), &n)
		return r.out()
	}},
	{name: "Transaction/nested rollback of the inner one", run: func(c *call) (any, error) {
		r := &rec{}
		err := c.db.Transaction(func(tx *gorm.DB) error {
			r.do("outer delete", tx.Delete(&Post{}, 3), nil)
			r.err("inner", tx.Transaction(func(tx2 *gorm.DB) error {
				r.do("inner delete", tx2.Delete(&Post{}, 6), nil)
				return errRollback
			}))
			r.err("inner ok", tx.Transaction(func(tx2 *gorm.DB) error {
				return tx2.Model(&Post{}).Where("id = ?", 7).Update("views", 70).Error
			}))
			return nil
		})
		r.err("outer", err)
		return r.out()
	}},
	{name: "Transaction/nested delete of a deleted row", run: func(c *call) (any, error) {
		r := &rec{}
		err := c.db.Transaction(func(tx *gorm.DB) error {
			return tx.Transaction(func(tx2 *gorm.DB) error {
				r.do("delete live", tx2.Delete(&User{}, 4), nil)
				r.do("delete deleted", tx2.Delete(&User{}, 5), nil)
				return nil
			})
		})
		r.err("outer", err)
		return r.out()
	}},
	{name: "Transaction/SavePoint and RollbackTo", run: func(c *call) (any, error) {
		r := &rec{}
		tx := c.db.Begin()
		r.do("delete 1", tx.Delete(&Comment{}, 1), nil)
		r.do("savepoint", tx.SavePoint("sp1"), nil)
		r.do("delete 4", tx.Delete(&Comment{}, 4), nil)
		r.do("rollback to", tx.RollbackTo("sp1"), nil)
		r.do("delete 6", tx.Delete(&Comment{}, 6), nil)
		r.do("commit", tx.Commit(), nil)
		return r.out()
	}},
	{name: "Transaction/manual Begin Rollback", run: func(c *call) (any, error) {
		r := &rec{}
		tx := c.db.Begin()
		r.do("delete", tx.Where("age > ?", 20).Delete(&User{}), nil)
		r.do("update", tx.Model(&Post{}).Where("user_id = ?", 1).Update("views", 1), nil)
		r.do("rollback", tx.Rollback(), nil)
		return r.out()
	}},
	{name: "Transaction/manual Begin Commit", run: func(c *call) (any, error) {
		r := &rec{}
		tx := c.db.Begin()
		u := User{Name: "manual"}
		r.do("create", tx.Create(&u), &u)
		r.do("delete", tx.Delete(&u), &u)
		var n int64
		r.do("count", tx.Model(&User{}).Count(&n), &n)
		r.do("commit", tx.Commit(), nil)
		r.do("commit again", tx.Commit(), nil)
		return r.out()
	}},
	{name: "Transaction/failed statement then savepoint recovery", run: func(c *call) (any, error) {
		r := &rec{}
		tx := c.db.Begin()
		r.do("savepoint", tx.SavePoint("before"), nil)
		a := Account{Email: "a@example.com"}
		r.do("duplicate", tx.Create(&a), &a)
		r.do("rollback to", tx.RollbackTo("before"), nil)
		r.do("delete", tx.Delete(&Account{}, 3), nil)
		r.do("commit", tx.Commit(), nil)
		return r.out()
	}},
	{name: "Transaction/error inside rolls back a soft delete", run: func(c *call) (any, error) {
		err := c.db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Delete(&Profile{}, 1).Error; err != nil {
				return err
			}
			return tx.Create(&Account{Email: "c@example.com"}).Error
		})
		return nil, err
	}},
	{name: "Transaction/Select associations Delete", run: func(c *call) (any, error) {
		err := c.db.Transaction(func(tx *gorm.DB) error {
			return tx.Select(clause.Associations).Delete(&User{Model: gorm.Model{ID: 2}}).Error
		})
		return nil, err
	}},
	{name: "Transaction/cascade tag rolled back", differs: []string{"cascade"}, run: func(c *call) (any, error) {
		r := &rec{}
		tx := c.db.Begin()
		r.do("delete folder", tx.Delete(&Folder{}, 1), nil)
		var n int64
		r.do("files inside", tx.Model(&File{}).Count(&n), &n)
		r.do("rollback", tx.Rollback(), nil)
		return r.out()
	}},
	// Databases opened with SkipDefaultTransaction.
	{name: "SkipDefaultTransaction config/Delete", noDefaultTx: true, run: func(c *call) (any, error) {
		return out(c.db.Where("age > ?", 26).Delete(&User{}), nil)
	}},
	{name: "SkipDefaultTransaction config/Create with associations", noDefaultTx: true, run: func(c *call) (any, error) {
		u := User{Name: "notx", Posts: []Post{{Title: "a"}}, Languages: []Language{{Model: gorm.Model{ID: 2}}}}
		return out(c.db.Create(&u), &u)
	}},
	{name: "SkipDefaultTransaction config/Select associations Delete", noDefaultTx: true, run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 1}}
		return out(c.db.Select(clause.Associations).Delete(&u), &u)
	}},
	{name: "SkipDefaultTransaction config/hook error after Delete", noDefaultTx: true, run: func(c *call) (any, error) {
		db := c.hooked("AfterDelete", func(*gorm.DB, *Order) error { return errHook })
		return out(db.Delete(c.order(1)), nil)
	}},
	{name: "SkipDefaultTransaction config/Transaction", noDefaultTx: true, run: func(c *call) (any, error) {
		err := c.db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Delete(&Post{}, 1).Error; err != nil {
				return err
			}
			return errRollback
		})
		return nil, err
	}},
	{name: "SkipDefaultTransaction config/Save of a stale struct", noDefaultTx: true, differs: []string{"save-tombstone"}, run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 5, CreatedAt: tSeed}, Name: "erin", Age: 29}
		return out(c.db.Save(&u), &u)
	}},
	{name: "SkipDefaultTransaction config/cascade tag", noDefaultTx: true, differs: []string{"cascade"}, run: func(c *call) (any, error) {
		return out(c.db.Where("name = ?", "docs").Delete(&Folder{}), nil)
	}},
	{name: "SkipDefaultTransaction config/OR on a new line", noDefaultTx: true, differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		return out(c.db.Where("title = 'SQL'\nOR title = 'Go tips'").Delete(&Post{}), nil)
	}},
	{name: "SkipDefaultTransaction/Delete", run: func(c *call) (any, error) {
		return out(c.db.Session(&gorm.Session{SkipDefaultTransaction: true}).Delete(&Post{}, []int{1, 2, 3}), nil)
	}},
	{name: "SkipDefaultTransaction/Update", run: func(c *call) (any, error) {
		return out(c.db.Session(&gorm.Session{SkipDefaultTransaction: true}).Model(&Post{}).Where("views > ?", 5).Update("views", 5), nil)
	}},
	{name: "SkipDefaultTransaction/Select associations Delete", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 1}}
		return out(c.db.Session(&gorm.Session{SkipDefaultTransaction: true}).Select("Posts", "Profile").Delete(&u), &u)
	}},
	{name: "SkipDefaultTransaction/hooks", run: func(c *call) (any, error) {
		return out(c.db.Session(&gorm.Session{SkipDefaultTransaction: true}).Delete(c.order(1)), nil)
	}},
	{name: "SkipDefaultTransaction/cascade tag", differs: []string{"cascade"}, run: func(c *call) (any, error) {
		return out(c.db.Session(&gorm.Session{SkipDefaultTransaction: true}).Delete(&Folder{}, 1), nil)
	}},
}
