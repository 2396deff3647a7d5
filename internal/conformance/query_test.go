package conformance

import (
	"database/sql"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// userName is a smaller result struct (GORM selects its fields only).
type userName struct {
	ID   uint
	Name string
}

type ageCount struct {
	Age   int
	Total int64
}

var queryScenarios = []scenario{
	// Finishers.
	{name: "Find/all", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Order("id").Find(&us), &us)
	}},
	{name: "Find/model without soft delete", run: func(c *call) (any, error) {
		var ts []Tag
		return out(c.db.Order("id").Find(&ts), &ts)
	}},
	{name: "Find/inline primary keys", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Find(&us, []int{1, 2, 3, 5}), &us)
	}},
	{name: "Find/inline condition", run: func(c *call) (any, error) {
		var ps []Post
		return out(c.db.Order("id").Find(&ps, "title = ?", "Hello"), &ps)
	}},
	{name: "Find/into maps", run: func(c *call) (any, error) {
		var ms []map[string]any
		return out(c.db.Model(&Company{}).Order("id").Find(&ms), &ms)
	}},
	{name: "Find/into smaller struct", run: func(c *call) (any, error) {
		var ns []userName
		return out(c.db.Model(&User{}).Order("id").Find(&ns), &ns)
	}},
	{name: "Find/Limit Offset", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Order("id").Limit(2).Offset(1).Find(&us), &us)
	}},
	{name: "Find/Limit -1 cancels", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Order("id").Limit(1).Limit(-1).Find(&us), &us)
	}},
	{name: "Find/Distinct", run: func(c *call) (any, error) {
		var ps []Post
		return out(c.db.Distinct("title").Order("title").Find(&ps), &ps)
	}},
	{name: "Find/Select columns", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Select("id", "name").Order("name desc").Find(&us), &us)
	}},
	{name: "Find/Omit columns", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Omit("addr_street", "logins").Order("id").Find(&us), &us)
	}},
	{name: "First/by primary key", run: func(c *call) (any, error) {
		var u User
		return out(c.db.First(&u, 2), &u)
	}},
	{name: "First/deleted row not found", run: func(c *call) (any, error) {
		var u User
		return out(c.db.First(&u, 3), &u)
	}},
	{name: "First/with condition", run: func(c *call) (any, error) {
		var p Post
		return out(c.db.First(&p, "views > ?", 12), &p)
	}},
	{name: "First/into map", run: func(c *call) (any, error) {
		m := map[string]any{}
		return out(c.db.Model(&Language{}).First(&m), m)
	}},
	{name: "Take/with condition", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where("name = ?", "dave").Take(&u), &u)
	}},
	{name: "Take/not found", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where("name = ?", "erin").Take(&u), &u)
	}},
	{name: "Last/by primary key", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Last(&u), &u)
	}},
	{name: "Last/with Where", run: func(c *call) (any, error) {
		var p Post
		return out(c.db.Where("user_id = ?", 1).Last(&p), &p)
	}},
	{name: "Find/nothing found is no error", run: func(c *call) (any, error) {
		var us []User
		r := &rec{}
		r.do("find", c.db.Where("name = ?", "carol").Find(&us), &us)
		var n int64
		r.do("unscoped count", c.fresh().Unscoped().Model(&User{}).Where("name = ?", "carol").Count(&n), &n)
		return r.out()
	}},

	// Conditions.
	{name: "Where/struct", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where(&User{Age: 30, Active: true}).Order("id").Find(&us), &us)
	}},
	{name: "Where/struct with named fields", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where(&User{Name: "alice", Age: 30, Active: false}, "Name", "Age").Find(&us), &us)
	}},
	{name: "Where/map", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where(map[string]any{"age": 30, "company_id": 1}).Order("id").Find(&us), &us)
	}},
	{name: "Where/IN slice", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name IN ?", []string{"alice", "carol", "erin", "frank"}).Order("id").Find(&us), &us)
	}},
	{name: "Where/embedded prefix field", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where(&User{Address: Address{City: "Paris"}}).Order("id").Find(&us), &us)
	}},
	{name: "Where/anonymous embedded field", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("logins > ?", 2).Order("id").Find(&us), &us)
	}},
	{name: "Where/LIKE", run: func(c *call) (any, error) {
		var ps []Post
		return out(c.db.Where("title LIKE ?", "%o%").Order("id").Find(&ps), &ps)
	}},
	{name: "Where/group conditions", run: func(c *call) (any, error) {
		var us []User
		q := c.db.Where(c.fresh().Where("name = ?", "carol").Or("name = ?", "alice")).Where("age > ?", 20)
		return out(q.Order("id").Find(&us), &us)
	}},
	{name: "Where/clause expressions", run: func(c *call) (any, error) {
		var us []User
		q := c.db.Clauses(clause.Where{Exprs: []clause.Expression{
			clause.Or(clause.Eq{Column: "name", Value: "carol"}, clause.Eq{Column: "name", Value: "bob"}),
		}})
		return out(q.Order("id").Find(&us), &us)
	}},
	{name: "Or/lone", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Or("name = ?", "carol").Or("name = ?", "dave").Order("id").Find(&us), &us)
	}},
	{name: "Or/Where then Or", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name = ?", "carol").Or("name = ?", "bob").Order("id").Find(&us), &us)
	}},
	{name: "Or/struct", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("age = ?", 35).Or(&User{Name: "frank"}).Order("id").Find(&us), &us)
	}},
	{name: "Not/raw", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Not("name = ?", "alice").Order("id").Find(&us), &us)
	}},
	{name: "Not/map", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Not(map[string]any{"age": []int{30, 40}}).Order("id").Find(&us), &us)
	}},
	{name: "Not/struct", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Not(User{Active: true, Age: 30}).Order("id").Find(&us), &us)
	}},
	{name: "Where/raw OR with spaces", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name = 'carol' OR name = 'alice'").Order("id").Find(&us), &us)
	}},
	{name: "Where/raw or lower case", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name = 'carol' or name = 'alice'").Order("id").Find(&us), &us)
	}},
	{name: "Where/raw OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name = 'carol'\nOR name = 'alice'").Order("id").Find(&us), &us)
	}},
	{name: "Where/raw OR before a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name = 'carol' OR\nname = 'alice'").Order("id").Find(&us), &us)
	}},
	{name: "Where/raw OR after a tab", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name = 'carol'\tOR name = 'alice'").Order("id").Find(&us), &us)
	}},
	{name: "Where/raw OR between parentheses", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("(name = 'carol')OR(name = 'alice')").Order("id").Find(&us), &us)
	}},
	{name: "Where/raw trailing comment", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name IN ('carol', 'alice') -- two of them").Order("id").Find(&us), &us)
	}},
	{name: "Where/raw OR newline with args", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Model(&Post{}).Where("title = ?\nOR views > ?", "Draft", 20).Count(&n), &n)
	}},
	{name: "Where/Expr with OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("?", gorm.Expr("name = 'erin'\nOR age = 40")).Order("id").Find(&us), &us)
	}},
	{name: "Where/two raw conditions, one with OR newline", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("age > 20").Where("name = 'carol'\nOR name = 'bob'").Order("id").Find(&us), &us)
	}},
	{name: "Where/raw conditions without OR", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("age > 20").Where("active = ?", true).Order("id").Find(&us), &us)
	}},
	{name: "Where/column named like or", run: func(c *call) (any, error) {
		var ls []Language
		return out(c.db.Where("code = 'fr'").Order("id").Find(&ls), &ls)
	}},

	// Named arguments.
	{name: "Named/sql.Named", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name = @name OR age = @age", sql.Named("name", "carol"), sql.Named("age", 40)).Order("id").Find(&us), &us)
	}},
	{name: "Named/map", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name = @n OR name = @m", map[string]any{"n": "erin", "m": "bob"}).Order("id").Find(&us), &us)
	}},
	{name: "Named/map with OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("name = @n\nOR name = @m", map[string]any{"n": "erin", "m": "bob"}).Order("id").Find(&us), &us)
	}},
	{name: "Named/Raw with named args", run: func(c *call) (any, error) {
		var ns []userName
		return out(c.db.Raw("SELECT id, name FROM users WHERE age >= @age ORDER BY id", sql.Named("age", 30)).Scan(&ns), &ns)
	}},

	// Aggregates.
	{name: "Count/model", run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Model(&User{}).Count(&n), &n)
	}},
	{name: "Count/with Where", run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Model(&Post{}).Where("views > ?", 4).Count(&n), &n)
	}},
	{name: "Count/Select column", run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Model(&User{}).Select("company_id").Count(&n), &n)
	}},
	{name: "Count/Distinct", run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Model(&User{}).Distinct("age").Count(&n), &n)
	}},
	{name: "Count/Group", run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Model(&User{}).Group("age").Count(&n), &n)
	}},
	{name: "Count/Group Having", run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Model(&Post{}).Group("title").Having("COUNT(*) > ?", 1).Count(&n), &n)
	}},
	{name: "Count/Unscoped", run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Unscoped().Model(&User{}).Count(&n), &n)
	}},
	{name: "Count/Table registered by the plugin", differs: []string{"table-filter"}, run: func(c *call) (any, error) {
		var n int64
		return out(c.db.Table("users").Count(&n), &n)
	}},
	{name: "Group/Select aggregate Scan", run: func(c *call) (any, error) {
		var rs []ageCount
		return out(c.db.Model(&User{}).Select("age, COUNT(*) AS total").Group("age").Order("age").Scan(&rs), &rs)
	}},
	{name: "Group/Having Find", run: func(c *call) (any, error) {
		var rs []ageCount
		return out(c.db.Model(&User{}).Select("age, COUNT(*) AS total").Group("age").Having("COUNT(*) >= ?", 2).Find(&rs), &rs)
	}},
	{name: "Pluck/column", run: func(c *call) (any, error) {
		var names []string
		return out(c.db.Model(&User{}).Order("id").Pluck("name", &names), &names)
	}},
	{name: "Pluck/Distinct", run: func(c *call) (any, error) {
		var titles []string
		return out(c.db.Model(&Post{}).Distinct().Order("title").Pluck("title", &titles), &titles)
	}},
	{name: "Pluck/Table registered by the plugin", differs: []string{"table-filter"}, run: func(c *call) (any, error) {
		var ids []int
		return out(c.db.Table("posts").Order("id").Pluck("id", &ids), &ids)
	}},
	{name: "Scan/into struct slice", run: func(c *call) (any, error) {
		var ns []userName
		return out(c.db.Model(&User{}).Where("age < ?", 35).Order("id").Scan(&ns), &ns)
	}},
	{name: "Scan/into maps from Table", differs: []string{"table-filter"}, run: func(c *call) (any, error) {
		var ms []map[string]any
		return out(c.db.Table("companies").Select("id", "name").Order("id").Scan(&ms), &ms)
	}},
	{name: "Scan/Table with alias", differs: []string{"table-filter"}, run: func(c *call) (any, error) {
		var ns []userName
		return out(c.db.Table("users u").Select("u.id, u.name").Where("u.age > ?", 26).Order("u.id").Scan(&ns), &ns)
	}},
	{name: "Scan/Table unknown to the plugin", run: func(c *call) (any, error) {
		var ns []userName
		return out(c.db.Table("tags").Select("id, name").Order("id").Scan(&ns), &ns)
	}},
	{name: "Raw/Scan is not filtered", run: func(c *call) (any, error) {
		var ns []userName
		return out(c.db.Raw("SELECT id, name FROM users WHERE age > ? ORDER BY id", 20).Scan(&ns), &ns)
	}},
	{name: "Raw/Exec", run: func(c *call) (any, error) {
		return out(c.db.Exec("UPDATE posts SET views = views + 1 WHERE user_id = ?", 1), nil)
	}},
	{name: "Raw/Find into model", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Raw("SELECT * FROM users WHERE id IN ?", []int{1, 3}).Find(&us), &us)
	}},
	{name: "Row/Scan", run: func(c *call) (any, error) {
		var name string
		var age int
		err := c.db.Model(&User{}).Where("age > ?", 32).Order("age").Select("name, age").Row().Scan(&name, &age)
		return map[string]any{"name": name, "age": age}, err
	}},
	{name: "Row/Table registered by the plugin", differs: []string{"table-filter"}, run: func(c *call) (any, error) {
		var n int64
		err := c.db.Table("users").Select("COUNT(*)").Row().Scan(&n)
		return n, err
	}},
	{name: "Rows/ScanRows", run: func(c *call) (any, error) {
		rows, err := c.db.Model(&Post{}).Where("views >= ?", 5).Order("id").Rows()
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var ps []Post
		for rows.Next() {
			var p Post
			if err := c.fresh().ScanRows(rows, &p); err != nil {
				return ps, err
			}
			ps = append(ps, p)
		}
		return ps, rows.Err()
	}},
	{name: "FindInBatches/batches", run: func(c *call) (any, error) {
		var batches [][]uint
		var ps []Post
		tx := c.db.Where("views >= ?", 0).FindInBatches(&ps, 2, func(tx *gorm.DB, batch int) error {
			var ids []uint
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			batches = append(batches, ids)
			return nil
		})
		return out(tx, batches)
	}},
	{name: "FindInBatches/writes in the callback", run: func(c *call) (any, error) {
		var cs []Comment
		tx := c.db.FindInBatches(&cs, 2, func(tx *gorm.DB, batch int) error {
			for _, cm := range cs {
				if err := tx.Session(&gorm.Session{NewDB: true}).Model(&cm).Update("body", cm.Body+"!").Error; err != nil {
					return err
				}
			}
			return nil
		})
		return out(tx, nil)
	}},

	// Subqueries.
	{name: "Subquery/Where IN", run: func(c *call) (any, error) {
		var us []User
		sub := c.fresh().Model(&Post{}).Select("user_id").Where("views > ?", 4)
		return out(c.db.Where("id IN (?)", sub).Order("id").Find(&us), &us)
	}},
	{name: "Subquery/Where EXISTS correlated", run: func(c *call) (any, error) {
		var us []User
		sub := c.fresh().Model(&Comment{}).Select("1").Where("comments.post_id IN (SELECT id FROM posts WHERE posts.user_id = users.id)")
		return out(c.db.Where("EXISTS (?)", sub).Order("id").Find(&us), &us)
	}},
	{name: "Subquery/Table from subquery", run: func(c *call) (any, error) {
		var ns []userName
		sub := c.fresh().Model(&User{}).Select("id", "name", "age")
		return out(c.db.Table("(?) AS u", sub).Where("age > ?", 26).Order("id").Find(&ns), &ns)
	}},
	{name: "Subquery/Table from two subqueries", run: func(c *call) (any, error) {
		var rs []map[string]any
		a := c.fresh().Model(&User{}).Select("name")
		b := c.fresh().Model(&Company{}).Select("name")
		return out(c.db.Table("(?) AS a, (?) AS b", a, b).Select("a.name AS user, b.name AS company").Order("a.name, b.name").Find(&rs), &rs)
	}},
	{name: "Subquery/comparison with aggregate", run: func(c *call) (any, error) {
		var ps []Post
		sub := c.fresh().Model(&Post{}).Select("AVG(views)")
		return out(c.db.Where("views > (?)", sub).Order("id").Find(&ps), &ps)
	}},
	{name: "Subquery/Unscoped inner", run: func(c *call) (any, error) {
		var us []User
		sub := c.fresh().Unscoped().Model(&Post{}).Select("user_id").Where("title = ?", "SQL")
		return out(c.db.Where("id IN (?)", sub).Find(&us), &us)
	}},
	{name: "Subquery/with OR newline inside", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var us []User
		sub := c.fresh().Model(&Post{}).Select("user_id").Where("title = 'SQL'\nOR views = 25")
		return out(c.db.Where("id IN (?)", sub).Order("id").Find(&us), &us)
	}},

	// Unscoped reads.
	{name: "Unscoped/Find", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Unscoped().Order("id").Find(&us), &us)
	}},
	{name: "Unscoped/First deleted row", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Unscoped().First(&u, 5), &u)
	}},
	{name: "Unscoped/Where deleted_at IS NOT NULL", run: func(c *call) (any, error) {
		var ps []Post
		return out(c.db.Unscoped().Where("deleted_at IS NOT NULL").Order("id").Find(&ps), &ps)
	}},

	// FirstOrInit / FirstOrCreate.
	{name: "FirstOrInit/found by struct", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "bob"}).FirstOrInit(&u), &u)
	}},
	{name: "FirstOrInit/not found by struct", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "nobody"}).FirstOrInit(&u), &u)
	}},
	{name: "FirstOrInit/deleted row is not found", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "carol"}).FirstOrInit(&u), &u)
	}},
	{name: "FirstOrInit/inline conditions", run: func(c *call) (any, error) {
		var u User
		return out(c.db.FirstOrInit(&u, User{Name: "nobody", Age: 9}), &u)
	}},
	{name: "FirstOrInit/multi-field struct", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "nobody", Age: 9}).FirstOrInit(&u), &u)
	}},
	{name: "FirstOrInit/map", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(map[string]any{"name": "nobody", "age": 9}).FirstOrInit(&u), &u)
	}},
	{name: "FirstOrInit/Or", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "nobody"}).Or(User{Name: "noone"}).FirstOrInit(&u), &u)
	}},
	{name: "FirstOrInit/Not", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "nobody"}).Not(User{Age: 1}).FirstOrInit(&u), &u)
	}},
	{name: "FirstOrInit/Attrs", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "nobody"}).Attrs(User{Age: 20}).FirstOrInit(&u), &u)
	}},
	{name: "FirstOrInit/Assign on found row", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "dave"}).Assign(User{Age: 41}).FirstOrInit(&u), &u)
	}},
	{name: "FirstOrCreate/found", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "alice"}).FirstOrCreate(&u), &u)
	}},
	{name: "FirstOrCreate/creates", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "newbie"}).FirstOrCreate(&u), &u)
	}},
	{name: "FirstOrCreate/deleted row is not found", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "erin"}).FirstOrCreate(&u), &u)
	}},
	{name: "FirstOrCreate/multi-field struct", run: func(c *call) (any, error) {
		var u User
		return out(c.db.Where(User{Name: "newbie", Age: 19}).FirstOrCreate(&u), &u)
	}},
	{name: "FirstOrCreate/map", run: func(c *call) (any, error) {
		var p Post
		return out(c.db.Where(map[string]any{"title": "New", "user_id": 2}).FirstOrCreate(&p), &p)
	}},
	{name: "FirstOrCreate/Or", run: func(c *call) (any, error) {
		var p Post
		return out(c.db.Where(Post{Title: "Fresh", UserID: 4}).Or(Post{Title: "Draft"}).FirstOrCreate(&p), &p)
	}},
	{name: "FirstOrCreate/Not", run: func(c *call) (any, error) {
		var p Post
		return out(c.db.Where(Post{Title: "Fresh", UserID: 6}).Not(Post{Views: 3}).FirstOrCreate(&p), &p)
	}},
	{name: "FirstOrCreate/inline struct", run: func(c *call) (any, error) {
		var p Post
		return out(c.db.FirstOrCreate(&p, Post{Title: "Inline", UserID: 4}), &p)
	}},
	{name: "FirstOrCreate/Attrs", run: func(c *call) (any, error) {
		var a Account
		return out(c.db.Where(Account{Email: "e@example.com"}).Attrs(Account{Balance: 5}).FirstOrCreate(&a), &a)
	}},
	{name: "FirstOrCreate/Assign on found row updates it", run: func(c *call) (any, error) {
		var a Account
		return out(c.db.Where(Account{Email: "c@example.com"}).Assign(Account{Balance: 31}).FirstOrCreate(&a), &a)
	}},
	{name: "FirstOrCreate/Assign creates", run: func(c *call) (any, error) {
		var a Account
		return out(c.db.Where(Account{Email: "f@example.com"}).Assign(map[string]any{"balance": 8}).FirstOrCreate(&a), &a)
	}},
	{name: "FirstOrCreate/key of a deleted row", run: func(c *call) (any, error) {
		var a Account
		return out(c.db.Where(Account{Email: "b@example.com"}).FirstOrCreate(&a), &a)
	}},

	// Scopes and chains.
	{name: "Scopes/paginate and filter", run: func(c *call) (any, error) {
		page := func(db *gorm.DB) *gorm.DB { return db.Order("id").Offset(1).Limit(3) }
		adults := func(db *gorm.DB) *gorm.DB { return db.Where("age >= ?", 18) }
		var us []User
		return out(c.db.Scopes(adults, page).Find(&us), &us)
	}},
	{name: "Scopes/with Or", run: func(c *call) (any, error) {
		either := func(db *gorm.DB) *gorm.DB { return db.Where("name = ?", "carol").Or("name = ?", "frank") }
		var us []User
		return out(c.db.Scopes(either).Order("id").Find(&us), &us)
	}},
	{name: "Scopes/Unscoped inside", run: func(c *call) (any, error) {
		all := func(db *gorm.DB) *gorm.DB { return db.Unscoped() }
		var n int64
		return out(c.db.Model(&Post{}).Scopes(all).Count(&n), &n)
	}},
	{name: "Chain/reused after Count", run: func(c *call) (any, error) {
		r := &rec{}
		q := c.db.Model(&User{}).Where("age > ?", 26)
		var n int64
		r.do("count", q.Count(&n), &n)
		var us []User
		r.do("find", q.Find(&us), &us)
		return r.out()
	}},
	{name: "Chain/reused after Find with Or", run: func(c *call) (any, error) {
		r := &rec{}
		q := c.db.Model(&User{}).Where("name = ?", "carol").Or("name = ?", "bob")
		var us []User
		r.do("find", q.Find(&us), &us)
		var n int64
		r.do("count", q.Count(&n), &n)
		return r.out()
	}},
	{name: "Chain/reused with OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		r := &rec{}
		q := c.db.Model(&User{}).Where("name = 'carol'\nOR name = 'bob'")
		var n int64
		r.do("count", q.Count(&n), &n)
		var us []User
		r.do("find", q.Find(&us), &us)
		return r.out()
	}},
	{name: "Chain/Count then Pluck", run: func(c *call) (any, error) {
		r := &rec{}
		q := c.db.Model(&Post{}).Where("views >= ?", 5).Session(&gorm.Session{})
		var n int64
		r.do("count", q.Count(&n), &n)
		var titles []string
		r.do("pluck", q.Order("id").Pluck("title", &titles), &titles)
		return r.out()
	}},
	{name: "Chain/Unscoped then scoped from the same db", run: func(c *call) (any, error) {
		r := &rec{}
		var a, b int64
		r.do("unscoped", c.db.Unscoped().Model(&User{}).Count(&a), &a)
		r.do("scoped", c.db.Model(&User{}).Count(&b), &b)
		return r.out()
	}},
	{name: "Where/clause Not expression", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where(clause.Not(clause.Eq{Column: "name", Value: "alice"})).Order("id").Find(&us), &us)
	}},
	{name: "Where/Expr argument subquery", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Where("age > (?)", gorm.Expr("SELECT MIN(age) FROM users")).Order("id").Find(&us), &us)
	}},
	{name: "Chain/Session reuse", run: func(c *call) (any, error) {
		r := &rec{}
		q := c.db.Model(&Post{}).Where("views > ?", 4).Session(&gorm.Session{})
		var n int64
		r.do("count", q.Count(&n), &n)
		var ps []Post
		r.do("find", q.Order("id").Find(&ps), &ps)
		r.do("update", q.Update("views", 100), nil)
		return r.out()
	}},
	{name: "Chain/reused for Delete then Find", run: func(c *call) (any, error) {
		r := &rec{}
		q := c.db.Where("post_id = ?", 1).Session(&gorm.Session{})
		r.do("delete", q.Delete(&Comment{}), nil)
		var cs []Comment
		r.do("find", q.Find(&cs), &cs)
		return r.out()
	}},
	{name: "Locking/FOR UPDATE", only: "postgres", run: func(c *call) (any, error) {
		var us []User
		return out(c.db.Clauses(clause.Locking{Strength: "UPDATE"}).Where("age > ?", 26).Order("id").Find(&us), &us)
	}},
}
