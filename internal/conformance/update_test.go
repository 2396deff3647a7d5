package conformance

import (
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

var updateScenarios = []scenario{
	{name: "Update/one column of a loaded struct", run: func(c *call) (any, error) {
		var u User
		c.db.First(&u, 1)
		return out(c.fresh().Model(&u).Update("name", "alicia"), &u)
	}},
	{name: "Update/by condition skips deleted rows", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("age >= ?", 30).Update("age", gorm.Expr("age + ?", 1)), nil)
	}},
	{name: "Update/deleted row by primary key", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 3}}
		return out(c.db.Model(&u).Update("name", "zombie"), &u)
	}},
	{name: "Update/no conditions", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Update("age", 1), nil)
	}},
	{name: "Update/AllowGlobalUpdate", run: func(c *call) (any, error) {
		return out(c.db.Session(&gorm.Session{AllowGlobalUpdate: true}).Model(&Post{}).Update("views", 0), nil)
	}},
	{name: "Update/with lone Or", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Or("name = ?", "carol").Or("name = ?", "bob").Update("age", 77), nil)
	}},
	{name: "Update/Where and Or", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("name = ?", "alice").Or("name = ?", "carol").Update("age", 77), nil)
	}},
	{name: "Update/raw OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("name = 'carol'\nOR name = 'alice'").Update("age", 77), nil)
	}},
	{name: "Update/Not with raw OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		return out(c.db.Model(&Post{}).Not("views > 1\nOR title = 'nothing'").Update("views", 1), nil)
	}},
	{name: "Update/subquery condition", run: func(c *call) (any, error) {
		sub := c.fresh().Model(&Post{}).Select("user_id").Where("views > ?", 5)
		return out(c.db.Model(&User{}).Where("id IN (?)", sub).Update("active", false), nil)
	}},
	{name: "Update/Returning", run: func(c *call) (any, error) {
		var us []User
		tx := c.db.Model(&us).Clauses(clause.Returning{}).Where("company_id = ?", 1).Update("age", 18)
		return out(tx, &us)
	}},
	{name: "Update/Returning columns", run: func(c *call) (any, error) {
		var ps []Post
		tx := c.db.Model(&ps).Clauses(clause.Returning{Columns: []clause.Column{{Name: "id"}, {Name: "views"}}}).
			Where("views < ?", 10).Update("views", gorm.Expr("views + 100"))
		return out(tx, &ps)
	}},
	{name: "Update/Unscoped with Or", run: func(c *call) (any, error) {
		return out(c.db.Unscoped().Model(&User{}).Where("name = ?", "carol").Or("name = ?", "erin").Update("age", 1), nil)
	}},
	{name: "Update/clause Not expression", run: func(c *call) (any, error) {
		q := c.db.Model(&Comment{}).Where(clause.Not(clause.Eq{Column: "post_id", Value: 1}))
		return out(q.Update("body", "x"), nil)
	}},
	{name: "Update/Table and Model", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Table("users").Where("age = ?", 30).Update("logins", 0), nil)
	}},
	{name: "Update/Table without model", run: func(c *call) (any, error) {
		return out(c.db.Table("users").Where("name IN ?", []string{"bob", "erin"}).Update("age", 5), nil)
	}},
	{name: "Update/Select and Omit", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 4}}
		return out(c.db.Model(&u).Select("name", "age").Omit("age").Updates(User{Name: "david", Age: 41}), &u)
	}},
	{name: "Updates/struct", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 2}}
		return out(c.db.Model(&u).Updates(User{Name: "robert", Age: 26, Address: Address{City: "Munich"}}), &u)
	}},
	{name: "Updates/map", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 2}}
		return out(c.db.Model(&u).Updates(map[string]any{"name": "rob", "age": 0, "active": true}), &u)
	}},
	{name: "Updates/map on deleted row", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("id IN ?", []int{5, 4}).Updates(map[string]any{"name": "erin2"}), nil)
	}},
	{name: "Updates/Select star", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 6, CreatedAt: tSeed}, Name: "francis"}
		return out(c.db.Model(&u).Select("*").Omit("created_at").Updates(&u), &u)
	}},
	{name: "Updates/with associations", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 4}}
		return out(c.db.Model(&u).Updates(User{Name: "dave", Profile: &Profile{Bio: "updated"}}), &u)
	}},
	{name: "Updates/slice model with Where", run: func(c *call) (any, error) {
		return out(c.db.Model(&[]Comment{}).Where("post_id = ?", 1).Updates(Comment{Body: "edited"}), nil)
	}},
	{name: "UpdateColumn/no hooks no updated_at", run: func(c *call) (any, error) {
		return out(c.db.Model(&Order{Model: gorm.Model{ID: 1}}).UpdateColumn("amount", 101), nil)
	}},
	{name: "UpdateColumns/map", run: func(c *call) (any, error) {
		return out(c.db.Model(&Post{}).Where("user_id = ?", 1).UpdateColumns(map[string]any{"views": gorm.Expr("views * 2")}), nil)
	}},
	{name: "UpdateColumn/deleted row", run: func(c *call) (any, error) {
		return out(c.db.Model(&Post{}).Where("id IN ?", []int{2, 3}).UpdateColumn("views", 99), nil)
	}},
	{name: "Update/Unscoped reaches a deleted row", run: func(c *call) (any, error) {
		return out(c.db.Unscoped().Model(&User{}).Where("id = ?", 3).Update("age", 99), nil)
	}},
	{name: "Update/Unscoped restore by hand", run: func(c *call) (any, error) {
		return out(c.db.Unscoped().Model(&User{}).Where("id = ?", 3).Update("deleted_at", nil), nil)
	}},
	{name: "UpdateColumn/deleted_at NULL on live row", run: func(c *call) (any, error) {
		// the row stays live (on MySQL RowsAffected is 0: nothing changed)
		var live int64
		tx := c.db.Model(&User{}).Where("id = ?", 1).UpdateColumn("deleted_at", nil)
		c.fresh().Model(&User{}).Where("id = ?", 1).Count(&live)
		return out(tx, live)
	}},
	{name: "Update/Unscoped delete by hand", run: func(c *call) (any, error) {
		return out(c.db.Unscoped().Model(&User{}).Where("id = ?", 1).Update("deleted_at", tClock), nil)
	}},

	// The write guard.
	{name: "Update/deleted_at", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("id = ?", 1).Update("deleted_at", tClock), nil)
	}},
	{name: "UpdateColumn/deleted_at", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("id = ?", 1).UpdateColumn("deleted_at", tClock), nil)
	}},
	{name: "Updates/map with deleted_at", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("id = ?", 1).Updates(map[string]any{"name": "x", "deleted_at": tClock}), nil)
	}},
	{name: "Updates/struct with DeletedAt", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("id = ?", 1).Updates(User{Name: "x", Model: gorm.Model{DeletedAt: tombstone()}}), nil)
	}},
	{name: "Updates/struct with DeletedAt omitted", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("id = ?", 1).Omit("deleted_at").Updates(User{Name: "x", Model: gorm.Model{DeletedAt: tombstone()}}), nil)
	}},
	{name: "UpdateColumns/map with DeletedAt field name", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Where("id = ?", 2).UpdateColumns(map[string]any{"DeletedAt": tClock}), nil)
	}},
}
