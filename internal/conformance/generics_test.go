package conformance

import (
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// gres is the result of a generics call: its value and rows affected.
func gres(v any, n int, err error) (any, error) {
	return map[string]any{"value": v, "rows_affected": n}, err
}

var genericsScenarios = []scenario{
	{name: "Generics/Find", run: func(c *call) (any, error) {
		us, err := gorm.G[User](c.db).Where("age > ?", 20).Order("id").Find(c.ctx)
		return us, err
	}},
	{name: "Generics/First", run: func(c *call) (any, error) {
		return gorm.G[User](c.db).Where("name = ?", "bob").First(c.ctx)
	}},
	{name: "Generics/First deleted row", run: func(c *call) (any, error) {
		return gorm.G[User](c.db).Where("id = ?", 3).First(c.ctx)
	}},
	{name: "Generics/Take and Last", run: func(c *call) (any, error) {
		r := &rec{}
		u, err := gorm.G[Post](c.db).Where("views < ?", 8).Take(c.ctx)
		r.val("take", u)
		r.err("take", err)
		p, err := gorm.G[Post](c.db).Last(c.ctx)
		r.val("last", p)
		r.err("last", err)
		return r.out()
	}},
	{name: "Generics/Count", run: func(c *call) (any, error) {
		return gorm.G[Comment](c.db).Where("post_id IN ?", []int{1, 2, 3}).Count(c.ctx, "id")
	}},
	{name: "Generics/Count star", run: func(c *call) (any, error) {
		return gorm.G[User](c.db).Scopes().Count(c.ctx, "*") // Scopes(): GORM v1.30 has Count on chains only
	}},
	{name: "Generics/Or and Not", run: func(c *call) (any, error) {
		return gorm.G[User](c.db).Where("name = ?", "carol").Or("age = ?", 40).Not("name = ?", "x").Order("id").Find(c.ctx)
	}},
	{name: "Generics/Where OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		return gorm.G[User](c.db).Where("name = 'erin'\nOR name = 'bob'").Order("id").Find(c.ctx)
	}},
	{name: "Generics/Scopes", run: func(c *call) (any, error) {
		older := func(stmt *gorm.Statement) { stmt.Where("age > ?", 29) }
		return gorm.G[User](c.db).Scopes(older).Order("id").Find(c.ctx)
	}},
	{name: "Generics/Scopes with Or", run: func(c *call) (any, error) {
		either := func(stmt *gorm.Statement) { stmt.Where("name = ?", "carol").Or("name = ?", "dave") }
		return gorm.G[User](c.db).Scopes(either).Order("id").Find(c.ctx)
	}},
	{name: "Generics/Scopes on Delete", run: func(c *call) (any, error) {
		byUser := func(stmt *gorm.Statement) { stmt.Where("user_id = ?", 1) }
		n, err := gorm.G[Post](c.db).Scopes(byUser).Delete(c.ctx)
		return gres(nil, n, err)
	}},
	{name: "Generics/conditions on the db are dropped", run: func(c *call) (any, error) {
		return gorm.G[User](c.db.Where("age > ?", 100)).Order("id").Find(c.ctx)
	}},
	{name: "Generics/Unscoped db", run: func(c *call) (any, error) {
		return gorm.G[User](c.db.Unscoped()).Order("id").Find(c.ctx)
	}},
	{name: "Generics/Create", run: func(c *call) (any, error) {
		u := User{Name: "gen", Age: 7}
		err := gorm.G[User](c.db).Create(c.ctx, &u)
		return u, err
	}},
	{name: "Generics/Create with DeletedAt", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		u := User{Name: "gen", Model: gorm.Model{DeletedAt: tombstone()}}
		err := gorm.G[User](c.db).Create(c.ctx, &u)
		return u, err
	}},
	{name: "Generics/CreateInBatches", run: func(c *call) (any, error) {
		ts := []Tag{{Name: "a"}, {Name: "b"}, {Name: "c"}}
		err := gorm.G[Tag](c.db).CreateInBatches(c.ctx, &ts, 2)
		return ts, err
	}},
	{name: "Generics/Update", run: func(c *call) (any, error) {
		n, err := gorm.G[User](c.db).Where("age >= ?", 30).Update(c.ctx, "active", false)
		return gres(nil, n, err)
	}},
	{name: "Generics/Update deleted_at", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		n, err := gorm.G[User](c.db).Where("id = ?", 1).Update(c.ctx, "deleted_at", tClock)
		return gres(nil, n, err)
	}},
	{name: "Generics/Updates", run: func(c *call) (any, error) {
		n, err := gorm.G[Post](c.db).Where("title = ?", "Hello").Updates(c.ctx, Post{Views: 1})
		return gres(nil, n, err)
	}},
	{name: "Generics/Set Update", run: func(c *call) (any, error) {
		n, err := gorm.G[Post](c.db).Where("user_id = ?", 1).Set(clause.Assignment{Column: clause.Column{Name: "views"}, Value: 2}).Update(c.ctx)
		return gres(nil, n, err)
	}},
	{name: "Generics/Set Create", run: func(c *call) (any, error) {
		err := gorm.G[Tag](c.db).Set(clause.Assignment{Column: clause.Column{Name: "name"}, Value: "set"}).Create(c.ctx)
		return nil, err
	}},
	{name: "Generics/Delete", run: func(c *call) (any, error) {
		n, err := gorm.G[Post](c.db).Where("views > ?", 6).Delete(c.ctx)
		return gres(nil, n, err)
	}},
	{name: "Generics/Delete without conditions", run: func(c *call) (any, error) {
		n, err := gorm.G[Post](c.db).Delete(c.ctx)
		return gres(nil, n, err)
	}},
	{name: "Generics/Delete with OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		n, err := gorm.G[Post](c.db).Where("title = 'SQL'\nOR title = 'Hello'").Delete(c.ctx)
		return gres(nil, n, err)
	}},
	{name: "Generics/Joins", run: func(c *call) (any, error) {
		return gorm.G[User](c.db).Joins(clause.LeftJoin.Association("Company"), nil).Order("users.id").Find(c.ctx)
	}},
	{name: "Generics/Joins with condition", run: func(c *call) (any, error) {
		on := func(db gorm.JoinBuilder, joinTable, curTable clause.Table) error {
			db.Where("?.name <> ?", joinTable, "Initech")
			return nil
		}
		return gorm.G[User](c.db).Joins(clause.LeftJoin.Association("Company"), on).Order("users.id").Find(c.ctx)
	}},
	{name: "Generics/Joins with Or condition", run: func(c *call) (any, error) {
		// GORM's JoinBuilder.Or is a Where: the conditions are ANDed
		on := func(db gorm.JoinBuilder, joinTable, curTable clause.Table) error {
			db.Where("?.name = ?", joinTable, "Initech").Or("?.name = ?", joinTable, "Globex")
			return nil
		}
		return gorm.G[User](c.db).Joins(clause.LeftJoin.Association("Company"), on).Order("users.id").Find(c.ctx)
	}},
	{name: "Generics/Joins with OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		on := func(db gorm.JoinBuilder, joinTable, curTable clause.Table) error {
			db.Where("?.name = 'Initech'\nOR ?.name = 'Globex'", joinTable, joinTable)
			return nil
		}
		return gorm.G[User](c.db).Joins(clause.LeftJoin.Association("Company"), on).Order("users.id").Find(c.ctx)
	}},
	{name: "Generics/InnerJoins", run: func(c *call) (any, error) {
		return gorm.G[Post](c.db).Joins(clause.Has("User"), nil).Order("posts.id").Find(c.ctx)
	}},
	{name: "Generics/Preload", run: func(c *call) (any, error) {
		return gorm.G[User](c.db).Preload("Posts", nil).Order("id").Find(c.ctx)
	}},
	{name: "Generics/Preload with condition", run: func(c *call) (any, error) {
		q := func(db gorm.PreloadBuilder) error { db.Where("views > ?", 4).Order("id"); return nil }
		return gorm.G[User](c.db).Preload("Posts", q).Preload("Languages", nil).Order("id").Find(c.ctx)
	}},
	{name: "Generics/Preload LimitPerRecord", run: func(c *call) (any, error) {
		q := func(db gorm.PreloadBuilder) error { db.Order("id DESC").LimitPerRecord(1); return nil }
		return gorm.G[User](c.db).Preload("Posts", q).Order("id").Find(c.ctx)
	}},
	{name: "Generics/Raw", run: func(c *call) (any, error) {
		return gorm.G[User](c.db).Raw("SELECT * FROM users WHERE age > ? ORDER BY id", 30).Find(c.ctx)
	}},
	{name: "Generics/Exec", run: func(c *call) (any, error) {
		return nil, gorm.G[User](c.db).Exec(c.ctx, "UPDATE users SET age = age + 1 WHERE id = ?", 3)
	}},
	{name: "Generics/Scan", run: func(c *call) (any, error) {
		var ns []userName
		err := gorm.G[User](c.db).Select("id, name").Where("age < ?", 35).Order("id").Scan(c.ctx, &ns)
		return ns, err
	}},
	{name: "Generics/FindInBatches", run: func(c *call) (any, error) {
		var batches [][]string
		err := gorm.G[Post](c.db).Order("id").FindInBatches(c.ctx, 2, func(ps []Post, batch int) error {
			var titles []string
			for _, p := range ps {
				titles = append(titles, p.Title)
			}
			batches = append(batches, titles)
			return nil
		})
		return batches, err
	}},
	{name: "Generics/Group Having", run: func(c *call) (any, error) {
		var rs []ageCount
		err := gorm.G[User](c.db).Select("age, COUNT(*) AS total").Group("age").Having("COUNT(*) > ?", 1).Scan(c.ctx, &rs)
		return rs, err
	}},
}
