package conformance

import (
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

var deleteScenarios = []scenario{
	{name: "Delete/loaded struct", run: func(c *call) (any, error) {
		var p Post
		c.db.First(&p, 1)
		return out(c.fresh().Delete(&p), &p)
	}},
	{name: "Delete/by primary key", run: func(c *call) (any, error) {
		return out(c.db.Delete(&User{}, 2), nil)
	}},
	{name: "Delete/by primary key string", run: func(c *call) (any, error) {
		return out(c.db.Delete(&User{}, "6"), nil)
	}},
	{name: "Delete/by primary keys", run: func(c *call) (any, error) {
		return out(c.db.Delete(&Comment{}, []int{1, 2, 3}), nil)
	}},
	{name: "Delete/by inline condition", run: func(c *call) (any, error) {
		return out(c.db.Delete(&Post{}, "title = ?", "Hello"), nil)
	}},
	{name: "Delete/by Where", run: func(c *call) (any, error) {
		return out(c.db.Where("age > ?", 29).Delete(&User{}), nil)
	}},
	{name: "Delete/by Where struct", run: func(c *call) (any, error) {
		return out(c.db.Where(&Post{UserID: 1}).Delete(&Post{}), nil)
	}},
	{name: "Delete/by Where map", run: func(c *call) (any, error) {
		return out(c.db.Where(map[string]any{"post_id": 3}).Delete(&Comment{}), nil)
	}},
	{name: "Delete/slice of structs", run: func(c *call) (any, error) {
		ps := []Post{{Model: gorm.Model{ID: 3}}, {Model: gorm.Model{ID: 5}}, {Model: gorm.Model{ID: 6}}}
		return out(c.db.Delete(&ps), &ps)
	}},
	{name: "Delete/already deleted row", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 3}}
		return out(c.db.Delete(&u), &u)
	}},
	{name: "Delete/struct and condition", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 1}}
		return out(c.db.Delete(&u, "age > ?", 100), &u)
	}},
	{name: "Delete/no conditions", run: func(c *call) (any, error) {
		return out(c.db.Delete(&User{}), nil)
	}},
	{name: "Delete/Where with empty string", run: func(c *call) (any, error) {
		return out(c.db.Where("").Delete(&User{}), nil)
	}},
	{name: "Delete/AllowGlobalUpdate", run: func(c *call) (any, error) {
		return out(c.db.Session(&gorm.Session{AllowGlobalUpdate: true}).Delete(&Comment{}), nil)
	}},
	{name: "Delete/Where 1 = 1", run: func(c *call) (any, error) {
		return out(c.db.Where("1 = 1").Delete(&Profile{}), nil)
	}},
	{name: "Delete/Model with Where", run: func(c *call) (any, error) {
		return out(c.db.Model(&Post{}).Where("views < ?", 8).Delete(&Post{}), nil)
	}},
	{name: "Delete/subquery condition", run: func(c *call) (any, error) {
		sub := c.fresh().Model(&User{}).Select("id").Where("company_id = ?", 1)
		return out(c.db.Where("user_id IN (?)", sub).Delete(&Post{}), nil)
	}},
	{name: "Delete/Returning", run: func(c *call) (any, error) {
		var ps []Post
		tx := c.db.Clauses(clause.Returning{}).Where("user_id = ?", 1).Delete(&ps)
		return out(tx, &ps)
	}},
	{name: "Delete/lone Or", run: func(c *call) (any, error) {
		return out(c.db.Or("name = ?", "carol").Or("name = ?", "dave").Delete(&User{}), nil)
	}},
	{name: "Delete/raw OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		return out(c.db.Where("name = 'carol'\nOR name = 'alice'").Delete(&User{}), nil)
	}},
	{name: "Delete/raw OR after a tab", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		return out(c.db.Where("title = 'Draft'\tOR title = 'Hello'").Delete(&Post{}), nil)
	}},
	{name: "Delete/model without soft delete", run: func(c *call) (any, error) {
		return out(c.db.Delete(&Tag{}, 4), nil)
	}},
	{name: "Delete/model without soft delete, foreign key violation", run: func(c *call) (any, error) {
		return out(c.db.Delete(&Tag{}, 3), nil)
	}},
	{name: "Delete/model without soft delete, no conditions", run: func(c *call) (any, error) {
		return out(c.db.Delete(&Tag{}), nil)
	}},
	{name: "Delete/Unscoped hard delete", run: func(c *call) (any, error) {
		return out(c.db.Unscoped().Delete(&Comment{}, 4), nil)
	}},
	{name: "Delete/Unscoped hard delete of a tombstone", run: func(c *call) (any, error) {
		return out(c.db.Unscoped().Delete(&Comment{}, 5), nil)
	}},
	{name: "Delete/Unscoped foreign key violation", run: func(c *call) (any, error) {
		return out(c.db.Unscoped().Delete(&User{}, 1), nil)
	}},
	{name: "Delete/Unscoped no conditions", run: func(c *call) (any, error) {
		return out(c.db.Unscoped().Delete(&AuditLog{}), nil)
	}},
	{name: "Delete/Select associations", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 1}}
		return out(c.db.Select(clause.Associations).Delete(&u), &u)
	}},
	{name: "Delete/Select has-many", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 2}}
		return out(c.db.Select("Posts").Delete(&u), &u)
	}},
	{name: "Delete/Select many2many", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 1}}
		return out(c.db.Select("Languages").Delete(&u), &u)
	}},
	{name: "Delete/Select associations without primary key", run: func(c *call) (any, error) {
		return out(c.db.Select(clause.Associations).Where("name = ?", "bob").Delete(&User{}), nil)
	}},
	{name: "Delete/Select associations Unscoped", run: func(c *call) (any, error) {
		p := Post{Model: gorm.Model{ID: 7}}
		return out(c.db.Unscoped().Select("Comments").Delete(&p), &p)
	}},
	{name: "Delete/Select associations, ticking clock", clock: tClock, tick: time.Second, differs: []string{"timestamps"}, run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 1}}
		return out(c.db.Select(clause.Associations).Delete(&u), &u)
	}},
	{name: "Delete/Model primary key, empty value", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{Model: gorm.Model{ID: 2}}).Delete(&User{}), nil)
	}},
	{name: "Delete/Model primary key and Where", run: func(c *call) (any, error) {
		return out(c.db.Model(&Post{Model: gorm.Model{ID: 1}}).Where("views > ?", 5).Delete(&Post{}), nil)
	}},
	{name: "Delete/Limit and Order", run: func(c *call) (any, error) {
		return out(c.db.Where("views > ?", 0).Order("id").Limit(1).Delete(&Post{}), nil)
	}},
	{name: "Delete/inline map condition", run: func(c *call) (any, error) {
		return out(c.db.Delete(&Comment{}, map[string]any{"post_id": 1}), nil)
	}},
	{name: "Delete/inline struct condition", run: func(c *call) (any, error) {
		return out(c.db.Delete(&Post{}, Post{Title: "Hello"}), nil)
	}},
	{name: "Delete/subquery on the same table", run: func(c *call) (any, error) {
		sub := c.fresh().Model(&Post{}).Select("id").Where("views > ?", 9)
		return out(c.db.Where("id IN (?)", sub).Delete(&Post{}), nil)
	}},
	{name: "Delete/clause Or expression", run: func(c *call) (any, error) {
		q := c.db.Clauses(clause.Where{Exprs: []clause.Expression{
			clause.Or(clause.Eq{Column: "name", Value: "erin"}, clause.Eq{Column: "name", Value: "frank"}),
		}})
		return out(q.Delete(&User{}), nil)
	}},
	{name: "Delete/Not condition", run: func(c *call) (any, error) {
		return out(c.db.Not("post_id = ?", 3).Delete(&Comment{}), nil)
	}},
	{name: "Delete/Returning columns", run: func(c *call) (any, error) {
		var cs []Comment
		tx := c.db.Clauses(clause.Returning{Columns: []clause.Column{{Name: "id"}, {Name: "body"}}}).Where("post_id = ?", 3).Delete(&cs)
		return out(tx, &cs)
	}},
	{name: "Delete/join row model", run: func(c *call) (any, error) {
		return out(c.db.Where("user_id = ?", 1).Delete(&UserLanguage{}), nil)
	}},
	{name: "Delete/cascade tag", differs: []string{"cascade"}, run: func(c *call) (any, error) {
		f := Folder{Model: gorm.Model{ID: 1}}
		return out(c.db.Delete(&f), &f)
	}},
	{name: "Delete/cascade tag by condition", differs: []string{"cascade"}, run: func(c *call) (any, error) {
		return out(c.db.Where("name LIKE ?", "%s").Delete(&Folder{}), nil)
	}},
	{name: "Delete/DryRun SQL", run: func(c *call) (any, error) {
		tx := c.db.Session(&gorm.Session{DryRun: true}).Where("views > ?", 3).Delete(&Post{})
		return map[string]any{"sql": tx.Statement.SQL.String(), "vars": tx.Statement.Vars}, tx.Error
	}},
	{name: "Delete/ToSQL", run: func(c *call) (any, error) {
		return c.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return tx.Delete(&Comment{}, 4) }), nil
	}},
}
