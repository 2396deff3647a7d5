package conformance

import (
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// dry returns the SQL and variables of a DryRun statement.
func dry(tx *gorm.DB) (any, error) {
	return map[string]any{"sql": tx.Statement.SQL.String(), "vars": tx.Statement.Vars}, tx.Error
}

var miscScenarios = []scenario{
	// DryRun and ToSQL: the SQL text is the point.
	{name: "DryRun/Find", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Where("age > ?", 20).Find(&us))
	}},
	{name: "DryRun/First by primary key", run: func(c *call) (any, error) {
		var u User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).First(&u, 3))
	}},
	{name: "DryRun/Where and Or", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Where("name = ?", "a").Or("name = ?", "b").Find(&us))
	}},
	{name: "DryRun/lone Or", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Or("name = ?", "a").Find(&us))
	}},
	{name: "DryRun/lone Or with Count", run: func(c *call) (any, error) {
		var n int64
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Model(&User{}).Or("name = ?", "a").Count(&n))
	}},
	{name: "DryRun/Where then a group holding an Or", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Where("name = ?", "a").Where(c.db.Or("name = ?", "b")).Find(&us))
	}},
	{name: "DryRun/Not raw", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Not("name = ?", "a").Find(&us))
	}},
	{name: "DryRun/Not raw with OR", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Not("name = ? OR age = ?", "a", 3).Find(&us))
	}},
	{name: "DryRun/Not map and struct", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Not(map[string]any{"name": []string{"a", "b"}}).Not(&User{Age: 3}).Find(&us))
	}},
	{name: "DryRun/Or then Update", run: func(c *call) (any, error) {
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Model(&User{}).Or("name = ?", "a").Update("age", 4))
	}},
	{name: "DryRun/Not then Delete", run: func(c *call) (any, error) {
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Not("name = ?", "a").Delete(&User{}))
	}},
	{name: "DryRun/OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Where("name = 'a'\nOR name = 'b'").Find(&us))
	}},
	{name: "DryRun/Not with OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Not("name = 'a'\nOR name = 'b'").Find(&us))
	}},
	{name: "DryRun/trailing comment", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Where("name = 'a' -- note").Find(&us))
	}},
	{name: "DryRun/Where struct with two fields", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Where(&User{Name: "a", Age: 3}).Find(&us))
	}},
	{name: "DryRun/Where map with two keys", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Where(map[string]any{"name": "a", "age": 3}).Find(&us))
	}},
	{name: "DryRun/Where two raw conditions", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Where("name = ?", "a").Where("age > ?", 1).Find(&us))
	}},
	{name: "DryRun/Not struct", run: func(c *call) (any, error) {
		var us []User
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Not(&User{Name: "a"}).Find(&us))
	}},
	{name: "DryRun/Update", run: func(c *call) (any, error) {
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Model(&User{}).Where("id = ?", 1).Update("name", "x"))
	}},
	{name: "DryRun/Count", run: func(c *call) (any, error) {
		var n int64
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Model(&Post{}).Where("views > ?", 1).Count(&n))
	}},
	{name: "DryRun/Delete by primary key", run: func(c *call) (any, error) {
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Delete(&User{Model: gorm.Model{ID: 1}}))
	}},
	{name: "DryRun/Unscoped Delete", run: func(c *call) (any, error) {
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Unscoped().Delete(&User{}, 1))
	}},
	{name: "DryRun/Delete without conditions", run: func(c *call) (any, error) {
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Delete(&User{}))
	}},
	{name: "DryRun/Select associations Delete writes nothing", run: func(c *call) (any, error) {
		return dry(c.db.Session(&gorm.Session{DryRun: true}).Select(clause.Associations).Delete(&User{Model: gorm.Model{ID: 1}}))
	}},
	{name: "ToSQL/Find", run: func(c *call) (any, error) {
		return c.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			var ps []Post
			return tx.Where("views > ?", 4).Order("id").Limit(3).Find(&ps)
		}), nil
	}},
	{name: "ToSQL/Update", run: func(c *call) (any, error) {
		return c.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			return tx.Model(&Post{}).Where("id = ?", 1).Updates(map[string]any{"views": 1, "title": "t"})
		}), nil
	}},
	{name: "ToSQL/Create", run: func(c *call) (any, error) {
		return c.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return tx.Create(&Tag{Name: "to-sql"}) }), nil
	}},
	{name: "ToSQL/Delete by condition", run: func(c *call) (any, error) {
		return c.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return tx.Where("views = ?", 0).Delete(&Post{}) }), nil
	}},
	{name: "ToSQL/OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		return c.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			var ps []Post
			return tx.Where("views > 4\nOR title = 'x'").Find(&ps)
		}), nil
	}},

	// PrepareStmt sessions.
	{name: "PrepareStmt/Find twice", run: func(c *call) (any, error) {
		r := &rec{}
		s := c.db.Session(&gorm.Session{PrepareStmt: true})
		for _, age := range []int{20, 30} {
			var us []User
			r.do("find", s.Where("age > ?", age).Order("id").Find(&us), &us)
		}
		return r.out()
	}},
	{name: "PrepareStmt/Count, Update, Delete", run: func(c *call) (any, error) {
		r := &rec{}
		s := c.db.Session(&gorm.Session{PrepareStmt: true})
		var n int64
		r.do("count", s.Model(&Post{}).Where("views > ?", 4).Count(&n), &n)
		r.do("update", s.Model(&Post{}).Where("id = ?", 3).Update("views", 4), nil)
		r.do("delete", s.Delete(&Post{}, 1), nil)
		r.do("delete again", s.Delete(&Post{}, 1), nil)
		return r.out()
	}},
	{name: "PrepareStmt/Create and Preload", run: func(c *call) (any, error) {
		r := &rec{}
		s := c.db.Session(&gorm.Session{PrepareStmt: true})
		u := User{Name: "prep", Posts: []Post{{Title: "pp"}}}
		r.do("create", s.Create(&u), &u)
		var us []User
		r.do("preload", s.Preload("Posts").Order("id").Find(&us), &us)
		return r.out()
	}},
	{name: "PrepareStmt/in a transaction", run: func(c *call) (any, error) {
		s := c.db.Session(&gorm.Session{PrepareStmt: true})
		err := s.Transaction(func(tx *gorm.DB) error {
			if err := tx.Delete(&Comment{}, 1).Error; err != nil {
				return err
			}
			return tx.Model(&Comment{}).Where("post_id = ?", 3).Update("body", "tx").Error
		})
		return nil, err
	}},
	{name: "PrepareStmt/OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Session(&gorm.Session{PrepareStmt: true}).Where("name = 'carol'\nOR age = 40").Order("id").Find(&us), &us)
	}},

	// Embedded structs.
	{name: "Embedded/Update prefixed column", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("addr_city = ?", "Paris").Update("addr_city", "Lyon"), nil)
	}},
	{name: "Embedded/Updates nested struct", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 4}}
		return out(c.db.Model(&u).Updates(User{Address: Address{Street: "new st"}, Stats: Stats{Logins: 8}}), &u)
	}},
	{name: "Embedded/Select prefixed columns", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Select("id", "addr_city", "logins").Order("id").Find(&us), &us)
	}},
	{name: "Embedded/Group by prefixed column", run: func(c *call) (any, error) {
		var rs []map[string]any
		return out(c.db.Model(&User{}).Select("addr_city, COUNT(*) AS n").Group("addr_city").Order("addr_city").Find(&rs), &rs)
	}},

	// Timestamps: with a clock that is not UTC and has nanoseconds, GORM
	// writes created_at/updated_at as the clock says on both sides; only
	// the deletion timestamp differs.
	{name: "Timestamps/Delete with a local nanosecond clock", clock: tClockLocal, differs: []string{"timestamps"}, run: func(c *call) (any, error) {
		p := Post{Model: gorm.Model{ID: 1}}
		return out(c.db.Delete(&p), &p)
	}},
	// on PostgreSQL both store the same microseconds (pgx truncates): only
	// SQLite's text shows the difference when no struct is written back
	{name: "Timestamps/Delete by condition with a local nanosecond clock", only: "sqlite", clock: tClockLocal, differs: []string{"timestamps"}, run: func(c *call) (any, error) {
		return out(c.db.Where("views > ?", 5).Delete(&Post{}), nil)
	}},
	{name: "Timestamps/Select associations Delete with a local nanosecond clock", clock: tClockLocal, differs: []string{"timestamps"}, run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 1}}
		return out(c.db.Select("Posts", "Profile").Delete(&u), &u)
	}},
	{name: "Timestamps/many2many Delete with a local nanosecond clock", only: "sqlite", clock: tClockLocal, differs: []string{"timestamps"}, run: func(c *call) (any, error) {
		return nil, c.db.Model(c.user(1)).Association("Languages").Delete(&Language{Model: gorm.Model{ID: 2}})
	}},
	{name: "Timestamps/Create with a local nanosecond clock", clock: tClockLocal, run: func(c *call) (any, error) {
		u := User{Name: "clock"}
		return out(c.db.Create(&u), &u)
	}},
	{name: "Timestamps/Update with a local nanosecond clock", clock: tClockLocal, run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("id = ?", 2).Update("age", 3), nil)
	}},
	{name: "Timestamps/Save with a local nanosecond clock", clock: tClockLocal, run: func(c *call) (any, error) {
		u := c.user(4)
		u.Age = 44
		return out(c.db.Save(u), u)
	}},
	{name: "Timestamps/Delete with a UTC microsecond clock", run: func(c *call) (any, error) {
		p := Post{Model: gorm.Model{ID: 1}}
		return out(c.db.Delete(&p), &p)
	}},
}
