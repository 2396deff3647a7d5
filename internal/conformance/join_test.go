package conformance

import (
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// userCompany is a Scan target for joined columns.
type userCompany struct {
	Name    string
	Company string
}

var joinScenarios = []scenario{
	// Relation joins.
	{name: "Joins/belongs-to", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Joins("Company").Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/belongs-to with Where on the relation", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Joins("Company").Where("\"Company\".name = ?", "Acme").Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/with struct condition", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Joins("Company", c.fresh().Where(&Company{Name: "Acme"})).Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/with raw condition", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Joins("Company", c.fresh().Where("\"Company\".name <> ?", "Acme")).Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/with OR condition", run: func(c *call) (any, error) {
		var us []User
		cond := c.fresh().Where("\"Company\".name = ? OR \"Company\".name = ?", "Globex", "Initech")
		return out(c.db.Joins("Company", cond).Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/with Where then Or condition", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		cond := c.fresh().Where("\"Company\".name = ?", "Initech").Or("\"Company\".name = ?", "Globex")
		return out(c.db.Joins("Company", cond).Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/with lone Or condition", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		cond := c.fresh().Or(c.quote("Company")+".name = ?", "Initech")
		return out(c.db.Joins("Company", cond).Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/with OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		cond := c.fresh().Where(c.quote("Company") + ".name = 'Initech'\nOR " + c.quote("Company") + ".name = 'Globex'")
		return out(c.db.Joins("Company", cond).Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/self-referencing", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Joins("Manager").Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/nested", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Joins("Manager.Company").Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/has-one", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Joins("Profile").Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/two relations", run: func(c *call) (any, error) {
		var ps []Post
		return out(c.db.Joins("User").Joins("User.Company").Order("posts.id").Find(&ps), &ps)
	}},
	{name: "Joins/Select on the relation", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Joins("Company", c.fresh().Select("name")).Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/Count", run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Model(&User{}).Joins("Company").Where("\"Company\".id IS NOT NULL").Count(&n), &n)
	}},
	{name: "Joins/Unscoped", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Unscoped().Joins("Company").Order("users.id").Find(&us), &us)
	}},
	{name: "InnerJoins/belongs-to", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.InnerJoins("Company").Order("users.id").Find(&us), &us)
	}},
	{name: "InnerJoins/with condition", run: func(c *call) (any, error) {
		var ps []Post
		return out(c.db.InnerJoins("User", c.fresh().Where("\"User\".age > ?", 26)).Order("posts.id").Find(&ps), &ps)
	}},
	{name: "InnerJoins/with Or condition", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var ps []Post
		cond := c.fresh().Where("\"User\".name = ?", "bob").Or("\"User\".name = ?", "carol")
		return out(c.db.InnerJoins("User", cond).Order("posts.id").Find(&ps), &ps)
	}},
	{name: "Joins/DryRun SQL", run: func(c *call) (any, error) {
		var us []User
		tx := c.db.Session(&gorm.Session{DryRun: true}).Joins("Company").Where("users.age > ?", 1).Find(&us)
		return map[string]any{"sql": tx.Statement.SQL.String(), "vars": tx.Statement.Vars}, tx.Error
	}},

	// Raw join strings are not filtered by either.
	{name: "Joins/raw string", run: func(c *call) (any, error) {
		var rs []userCompany
		q := c.db.Model(&User{}).Select("users.name, companies.name AS company").
			Joins("JOIN companies ON companies.id = users.company_id")
		return out(q.Order("users.id").Scan(&rs), &rs)
	}},
	{name: "Joins/raw string with args", run: func(c *call) (any, error) {
		var us []User
		q := c.db.Joins("JOIN posts ON posts.user_id = users.id AND posts.views > ?", 4).Distinct("users.*")
		return out(q.Order("users.id").Find(&us), &us)
	}},
	{name: "Joins/raw LEFT JOIN with Group", run: func(c *call) (any, error) {
		var rs []map[string]any
		q := c.db.Model(&User{}).Select("users.id, COUNT(posts.id) AS posts").
			Joins("LEFT JOIN posts ON posts.user_id = users.id").Group("users.id")
		return out(q.Order("users.id").Find(&rs), &rs)
	}},
	{name: "Joins/subquery", run: func(c *call) (any, error) {
		var rs []map[string]any
		sub := c.fresh().Model(&Post{}).Select("user_id, SUM(views) AS total").Group("user_id")
		q := c.db.Model(&User{}).Select("users.name, p.total").Joins("JOIN (?) p ON p.user_id = users.id", sub)
		return out(q.Order("users.name").Find(&rs), &rs)
	}},

	// Preload.
	{name: "Preload/has-many", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Posts").Order("id").Find(&us), &us)
	}},
	{name: "Preload/with condition", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Posts", "views > ?", 5).Order("id").Find(&us), &us)
	}},
	{name: "Preload/with Or condition", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Posts", c.fresh().Where("title = ?", "Draft").Or("views > ?", 20)).Order("id").Find(&us), &us)
	}},
	{name: "Preload/with OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Posts", "title = 'Draft'\nOR views > 20").Order("id").Find(&us), &us)
	}},
	{name: "Preload/custom function", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Posts", func(db *gorm.DB) *gorm.DB { return db.Order("posts.id DESC") }).Order("id").Find(&us), &us)
	}},
	{name: "Preload/nested", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Posts.Comments").Order("id").Find(&us), &us)
	}},
	{name: "Preload/all associations", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload(clause.Associations).Order("id").Find(&us), &us)
	}},
	{name: "Preload/belongs-to", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Company").Preload("Manager").Order("id").Find(&us), &us)
	}},
	{name: "Preload/has-one", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Profile").Order("id").Find(&us), &us)
	}},
	{name: "Preload/many2many with deleted join rows", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Languages").Order("id").Find(&us), &us)
	}},
	{name: "Preload/many2many plain join table", run: func(c *call) (any, error) {
		var ps []Post
		return out(c.db.Preload("Tags").Order("id").Find(&ps), &ps)
	}},
	{name: "Preload/Unscoped", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Unscoped().Preload("Posts").Preload("Languages").Order("id").Find(&us), &us)
	}},
	{name: "Preload/Unscoped inside the preload", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Preload("Posts", func(db *gorm.DB) *gorm.DB { return db.Unscoped() }).Order("id").Find(&us), &us)
	}},
	{name: "Preload/with Joins", run: func(c *call) (any, error) {
		var ps []Post
		return out(c.db.Joins("User").Preload("Comments").Order("posts.id").Find(&ps), &ps)
	}},
	{name: "Preload/on First", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Preload("Posts.Comments").Preload("Profile").First(&u, 1), &u)
	}},
}
