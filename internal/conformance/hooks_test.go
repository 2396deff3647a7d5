package conformance

import (
	"gorm.io/gorm"
)

// hooked returns c's database with fn run by the Order hook named name.
func (c *call) hooked(name string, fn hookFunc) *gorm.DB {
	return c.db.WithContext(withHook(c.ctx, name, fn))
}

func (c *call) order(id uint) *Order {
	var o Order
	c.fresh().Session(&gorm.Session{SkipHooks: true}).Unscoped().First(&o, id)
	return &o
}

var hookScenarios = []scenario{
	// The default hooks query and write through their tx.
	{name: "Hooks/Create", run: func(c *call) (any, error) {
		o := Order{UserID: 1, Amount: 5, Note: "new"}
		return out(c.db.Create(&o), &o)
	}},
	{name: "Hooks/Create slice", run: func(c *call) (any, error) {
		os := []Order{{UserID: 1, Amount: 5}, {UserID: 2, Amount: 6}}
		return out(c.db.Create(&os), &os)
	}},
	{name: "Hooks/Save update", run: func(c *call) (any, error) {
		o := c.order(1)
		o.Amount = 150
		return out(c.db.Save(o), o)
	}},
	{name: "Hooks/Update", run: func(c *call) (any, error) {
		o := c.order(3)
		return out(c.db.Model(o).Update("amount", 60), o)
	}},
	{name: "Hooks/Updates map", run: func(c *call) (any, error) {
		o := c.order(3)
		return out(c.db.Model(o).Updates(map[string]any{"amount": 70, "note": "bigger"}), o)
	}},
	{name: "Hooks/Update of a deleted row", run: func(c *call) (any, error) {
		o := c.order(2)
		return out(c.db.Model(o).Update("amount", 1), o)
	}},
	{name: "Hooks/Delete", run: func(c *call) (any, error) {
		o := c.order(1)
		return out(c.db.Delete(o), o)
	}},
	{name: "Hooks/Delete by condition", run: func(c *call) (any, error) {
		return out(c.db.Where("amount < ?", 1000).Delete(&Order{}), nil)
	}},
	{name: "Hooks/Delete slice", run: func(c *call) (any, error) {
		os := []Order{*c.order(1), *c.order(3)}
		return out(c.db.Delete(&os), &os)
	}},
	{name: "Hooks/Delete of a deleted row", run: func(c *call) (any, error) {
		o := c.order(2)
		return out(c.db.Delete(o), o)
	}},
	{name: "Hooks/Unscoped Delete", run: func(c *call) (any, error) {
		o := c.order(3)
		return out(c.db.Unscoped().Delete(o), o)
	}},
	{name: "Hooks/Find", run: func(c *call) (any, error) {
		var os []Order
		return out(c.db.Order("id").Find(&os), &os)
	}},
	{name: "Hooks/First deleted row", run: func(c *call) (any, error) {
		var o Order
		return out(c.db.First(&o, 2), &o)
	}},
	{name: "Hooks/SkipHooks", run: func(c *call) (any, error) {
		r := &rec{}
		s := c.db.Session(&gorm.Session{SkipHooks: true})
		o := Order{UserID: 4, Amount: 9}
		r.do("create", s.Create(&o), &o)
		r.do("update", s.Model(&o).Update("amount", 10), &o)
		r.do("delete", s.Delete(&o), &o)
		var os []Order
		r.do("find", s.Order("id").Find(&os), &os)
		return r.out()
	}},
	{name: "Hooks/error in BeforeCreate", run: func(c *call) (any, error) {
		o := Order{UserID: 1, Amount: 5}
		db := c.hooked("BeforeCreate", func(*gorm.DB, *Order) error { return errHook })
		return out(db.Create(&o), &o)
	}},
	{name: "Hooks/error in AfterDelete rolls back", run: func(c *call) (any, error) {
		o := c.order(1)
		db := c.hooked("AfterDelete", func(*gorm.DB, *Order) error { return errHook })
		return out(db.Delete(o), o)
	}},
	{name: "Hooks/error in BeforeDelete", run: func(c *call) (any, error) {
		db := c.hooked("BeforeDelete", func(*gorm.DB, *Order) error { return errHook })
		return out(db.Delete(c.order(3)), nil)
	}},
	{name: "Hooks/BeforeCreate sets DeletedAt", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		o := Order{UserID: 1, Amount: 5}
		db := c.hooked("BeforeCreate", func(_ *gorm.DB, o *Order) error { o.DeletedAt = tombstone(); return nil })
		return out(db.Create(&o), &o)
	}},

	// Verbs called inside hooks act on their own statement.
	{name: "Hooks/Delete inside AfterCreate", run: func(c *call) (any, error) {
		o := Order{UserID: 1, Amount: 5}
		db := c.hooked("AfterCreate", func(tx *gorm.DB, o *Order) error { return tx.Delete(&Comment{}, 1).Error })
		return out(db.Create(&o), &o)
	}},
	{name: "Hooks/Delete by condition inside BeforeCreate", run: func(c *call) (any, error) {
		o := Order{UserID: 2, Amount: 5}
		db := c.hooked("BeforeCreate", func(tx *gorm.DB, o *Order) error {
			return tx.Where("user_id = ?", o.UserID).Delete(&Post{}).Error
		})
		return out(db.Create(&o), &o)
	}},
	{name: "Hooks/Update inside BeforeDelete", run: func(c *call) (any, error) {
		db := c.hooked("BeforeDelete", func(tx *gorm.DB, o *Order) error {
			return tx.Model(&User{}).Where("id = ?", o.UserID).Update("active", false).Error
		})
		return out(db.Delete(c.order(1)), nil)
	}},
	{name: "Hooks/Delete inside AfterDelete", run: func(c *call) (any, error) {
		db := c.hooked("AfterDelete", func(tx *gorm.DB, o *Order) error {
			return tx.Where("user_id = ?", o.UserID).Delete(&Post{}).Error
		})
		return out(db.Delete(c.order(1)), nil)
	}},
	{name: "Hooks/Delete struct inside AfterDelete", run: func(c *call) (any, error) {
		db := c.hooked("AfterDelete", func(tx *gorm.DB, o *Order) error {
			return tx.Delete(&Profile{Model: gorm.Model{ID: 1}}).Error
		})
		return out(db.Delete(c.order(3)), nil)
	}},
	{name: "Hooks/Unscoped Delete inside AfterDelete", run: func(c *call) (any, error) {
		db := c.hooked("AfterDelete", func(tx *gorm.DB, o *Order) error {
			return tx.Unscoped().Delete(&AuditLog{}, 2).Error
		})
		return out(db.Delete(c.order(3)), nil)
	}},
	{name: "Hooks/Delete of another Order inside AfterUpdate", run: func(c *call) (any, error) {
		db := c.hooked("AfterUpdate", func(tx *gorm.DB, o *Order) error {
			return tx.Delete(&Order{}, 3).Error
		})
		o := c.order(1)
		return out(db.Model(o).Update("amount", 1), o)
	}},
	{name: "Hooks/Select associations Delete inside AfterCreate", run: func(c *call) (any, error) {
		db := c.hooked("AfterCreate", func(tx *gorm.DB, o *Order) error {
			return tx.Select("Posts").Delete(&User{Model: gorm.Model{ID: 2}}).Error
		})
		o := Order{UserID: 2, Amount: 1}
		return out(db.Create(&o), &o)
	}},
	{name: "Hooks/Create inside BeforeDelete", run: func(c *call) (any, error) {
		db := c.hooked("BeforeDelete", func(tx *gorm.DB, o *Order) error {
			return tx.Create(&Tag{Name: "from hook"}).Error
		})
		return out(db.Delete(c.order(3)), nil)
	}},
	{name: "Hooks/Save inside AfterDelete", run: func(c *call) (any, error) {
		db := c.hooked("AfterDelete", func(tx *gorm.DB, o *Order) error {
			return tx.Save(&Account{Model: gorm.Model{ID: 3, CreatedAt: tSeed}, Email: "c@example.com", Balance: 33}).Error
		})
		return out(db.Delete(c.order(1)), nil)
	}},
	{name: "Hooks/FirstOrCreate inside AfterCreate", run: func(c *call) (any, error) {
		db := c.hooked("AfterCreate", func(tx *gorm.DB, o *Order) error {
			var a Account
			return tx.Where(Account{Email: "hook@example.com"}).Attrs(Account{Balance: o.Amount}).FirstOrCreate(&a).Error
		})
		o := Order{UserID: 1, Amount: 12}
		return out(db.Create(&o), &o)
	}},
	{name: "Hooks/Find inside AfterFind", run: func(c *call) (any, error) {
		db := c.hooked("AfterFind", func(tx *gorm.DB, o *Order) error {
			var ps []Post
			if err := tx.Where("user_id = ?", o.UserID).Order("id").Find(&ps).Error; err != nil {
				return err
			}
			o.Note += " posts:"
			for _, p := range ps {
				o.Note += " " + p.Title
			}
			return nil
		})
		var os []Order
		return out(db.Order("id").Find(&os), &os)
	}},
	{name: "Hooks/Delete inside AfterFind", run: func(c *call) (any, error) {
		db := c.hooked("AfterFind", func(tx *gorm.DB, o *Order) error {
			return tx.Where("event = ?", "seeded").Delete(&AuditLog{}).Error
		})
		var o Order
		return out(db.First(&o, 1), &o)
	}},
	{name: "Hooks/SkipHooks NewDB session inside BeforeCreate", run: func(c *call) (any, error) {
		db := c.hooked("BeforeCreate", func(tx *gorm.DB, o *Order) error {
			return tx.Session(&gorm.Session{SkipHooks: true, NewDB: true}).Create(&AuditLog{Event: "skip"}).Error
		})
		o := Order{UserID: 1, Amount: 5}
		return out(db.Create(&o), &o)
	}},
	// GORM clones the enclosing statement here and panics; so must the plugin.
	{name: "Hooks/SkipHooks session inside BeforeCreate", run: func(c *call) (any, error) {
		db := c.hooked("BeforeCreate", func(tx *gorm.DB, o *Order) error {
			return tx.Session(&gorm.Session{SkipHooks: true}).Create(&AuditLog{Event: "skip"}).Error
		})
		o := Order{UserID: 1, Amount: 5}
		return out(db.Create(&o), &o)
	}},
	// GORM replays the enclosing statement's SQL here; so must the plugin.
	{name: "Hooks/SkipHooks session Delete inside AfterCreate", run: func(c *call) (any, error) {
		db := c.hooked("AfterCreate", func(tx *gorm.DB, o *Order) error {
			return tx.Session(&gorm.Session{SkipHooks: true}).Delete(&Order{}, 3).Error
		})
		o := Order{UserID: 1, Amount: 5}
		return out(db.Create(&o), &o)
	}},
	{name: "Hooks/SkipHooks session Update inside AfterUpdate", run: func(c *call) (any, error) {
		db := c.hooked("AfterUpdate", func(tx *gorm.DB, o *Order) error {
			return tx.Session(&gorm.Session{SkipHooks: true}).Model(&Order{}).Where("id = ?", 3).Update("note", "hook").Error
		})
		o := c.order(1)
		return out(db.Model(o).Update("amount", 1), o)
	}},
	{name: "Hooks/SkipHooks session Delete inside AfterDelete", run: func(c *call) (any, error) {
		db := c.hooked("AfterDelete", func(tx *gorm.DB, o *Order) error {
			return tx.Session(&gorm.Session{SkipHooks: true, NewDB: true}).Delete(&Comment{}, 4).Error
		})
		return out(db.Delete(c.order(1)), nil)
	}},
	{name: "Hooks/Update inside AfterSave of Save", run: func(c *call) (any, error) {
		db := c.hooked("AfterSave", func(tx *gorm.DB, o *Order) error {
			return tx.Model(&Post{}).Where("user_id = ?", o.UserID).Update("views", gorm.Expr("views + 1")).Error
		})
		o := c.order(3)
		o.Amount = 51
		return out(db.Save(o), o)
	}},
	{name: "Hooks/Delete inside a hook inside a Transaction", run: func(c *call) (any, error) {
		db := c.hooked("AfterDelete", func(tx *gorm.DB, o *Order) error {
			return tx.Delete(&Comment{}, "post_id = ?", 3).Error
		})
		err := db.Transaction(func(tx *gorm.DB) error {
			return tx.Delete(c.order(3)).Error
		})
		return nil, err
	}},
}
