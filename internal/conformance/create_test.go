package conformance

import (
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

func ptr[T any](v T) *T { return &v }

// tombstone is a non-NULL deletion timestamp for writes the guard refuses.
func tombstone() gorm.DeletedAt { return gorm.DeletedAt{Time: tClock, Valid: true} }

var createScenarios = []scenario{
	{name: "Create/struct", run: func(c *call) (any, error) {
		u := User{Name: "gina", Age: 22, CompanyID: ptr[uint](1), Address: Address{City: "Oslo"}}
		return out(c.db.Create(&u), &u)
	}},
	{name: "Create/with associations", run: func(c *call) (any, error) {
		u := User{
			Name:      "hank",
			Profile:   &Profile{Bio: "new"},
			Posts:     []Post{{Title: "p1", Comments: []Comment{{Body: "c1"}}}, {Title: "p2"}},
			Languages: []Language{{Code: "it", Name: "Italian"}},
		}
		return out(c.db.Create(&u), &u)
	}},
	{name: "Create/association to existing rows", run: func(c *call) (any, error) {
		u := User{Name: "ivy", Company: &Company{Model: gorm.Model{ID: 3}}, Languages: []Language{{Model: gorm.Model{ID: 1}}, {Model: gorm.Model{ID: 3}}}}
		return out(c.db.Create(&u), &u)
	}},
	{name: "Create/slice", run: func(c *call) (any, error) {
		us := []User{{Name: "j1", Age: 1}, {Name: "j2", Age: 2}, {Name: "j3", Age: 3}}
		return out(c.db.Create(&us), &us)
	}},
	{name: "Create/slice of pointers", run: func(c *call) (any, error) {
		us := []*User{{Name: "k1"}, {Name: "k2"}}
		return out(c.db.Create(us), us)
	}},
	{name: "CreateInBatches/size 2", run: func(c *call) (any, error) {
		ps := []Post{{UserID: 1, Title: "b1"}, {UserID: 2, Title: "b2"}, {UserID: 4, Title: "b3"}}
		return out(c.db.CreateInBatches(&ps, 2), &ps)
	}},
	{name: "CreateInBatches/Session CreateBatchSize", run: func(c *call) (any, error) {
		cs := []Comment{{PostID: 1, Body: "x"}, {PostID: 3, Body: "y"}, {PostID: 7, Body: "z"}}
		return out(c.db.Session(&gorm.Session{CreateBatchSize: 2}).Create(&cs), &cs)
	}},
	{name: "Create/Select fields", run: func(c *call) (any, error) {
		u := User{Name: "lou", Age: 50, Active: true}
		return out(c.db.Select("Name", "Active").Create(&u), &u)
	}},
	{name: "Create/Omit field", run: func(c *call) (any, error) {
		u := User{Name: "max", Age: 60}
		return out(c.db.Omit("Age").Create(&u), &u)
	}},
	{name: "Create/Omit associations", run: func(c *call) (any, error) {
		u := User{Name: "ned", Posts: []Post{{Title: "never"}}}
		return out(c.db.Omit(clause.Associations).Create(&u), &u)
	}},
	{name: "Create/map", run: func(c *call) (any, error) {
		m := map[string]any{"name": "ola", "age": 33, "created_at": tClock, "updated_at": tClock}
		return out(c.db.Model(&User{}).Create(m), m)
	}},
	{name: "Create/slice of maps", run: func(c *call) (any, error) {
		ms := []map[string]any{{"name": "p1", "age": 1}, {"name": "p2", "age": 2}}
		return out(c.db.Model(&User{}).Create(&ms), ms)
	}},
	{name: "Create/map with SQL expression", run: func(c *call) (any, error) {
		m := map[string]any{"name": gorm.Expr("UPPER(?)", "quinn"), "age": 9}
		return out(c.db.Model(&User{}).Create(m), nil)
	}},
	{name: "Create/embedded struct with prefix", run: func(c *call) (any, error) {
		u := User{Name: "rex", Address: Address{Street: "9 Elm", City: "Lima"}, Stats: Stats{Logins: 4}}
		tx := c.db.Create(&u)
		var back User
		c.fresh().First(&back, u.ID)
		return out(tx, []User{u, back})
	}},
	{name: "Create/model without soft delete", run: func(c *call) (any, error) {
		tag := Tag{Name: "new"}
		return out(c.db.Create(&tag), &tag)
	}},
	{name: "Create/duplicate key of a live row", run: func(c *call) (any, error) {
		a := Account{Email: "a@example.com", Balance: 1}
		return out(c.db.Create(&a), &a)
	}},
	{name: "Create/duplicate key of a deleted row", run: func(c *call) (any, error) {
		a := Account{Email: "b@example.com", Balance: 1}
		return out(c.db.Create(&a), &a)
	}},
	{name: "Create/foreign key violation", run: func(c *call) (any, error) {
		p := Post{UserID: 99, Title: "orphan"}
		return out(c.db.Create(&p), &p)
	}},
	{name: "Create/explicit primary key of a deleted row", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 3}, Name: "carol again"}
		return out(c.db.Create(&u), &u)
	}},
	{name: "Create/Returning", run: func(c *call) (any, error) {
		u := User{Name: "sam", Age: 1}
		return out(c.db.Clauses(clause.Returning{}).Create(&u), &u)
	}},
	{name: "Create/SkipDefaultTransaction", run: func(c *call) (any, error) {
		u := User{Name: "tom", Posts: []Post{{Title: "t"}}}
		return out(c.db.Session(&gorm.Session{SkipDefaultTransaction: true}).Create(&u), &u)
	}},
	{name: "Create/DryRun SQL", run: func(c *call) (any, error) {
		tx := c.db.Session(&gorm.Session{DryRun: true}).Create(&User{Name: "dry"})
		return map[string]any{"sql": tx.Statement.SQL.String(), "vars": tx.Statement.Vars}, tx.Error
	}},

	// The write guard: a non-NULL deleted_at.
	{name: "Create/struct with DeletedAt set", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		u := User{Name: "zed", Model: gorm.Model{DeletedAt: tombstone()}}
		return out(c.db.Create(&u), &u)
	}},
	{name: "Create/slice with one DeletedAt set", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		us := []User{{Name: "ok"}, {Name: "gone", Model: gorm.Model{DeletedAt: tombstone()}}}
		return out(c.db.Create(&us), &us)
	}},
	{name: "CreateInBatches/one DeletedAt set", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		us := []User{{Name: "b1"}, {Name: "b2"}, {Name: "b3", Model: gorm.Model{DeletedAt: tombstone()}}}
		return out(c.db.CreateInBatches(&us, 2), &us)
	}},
	{name: "Create/map with deleted_at", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Create(map[string]any{"name": "m", "deleted_at": tClock}), nil)
	}},
	{name: "Create/map with DeletedAt field name", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Create(map[string]any{"Name": "m", "DeletedAt": tClock}), nil)
	}},
	{name: "Create/map with deleted_at NULL", run: func(c *call) (any, error) {
		return out(c.db.Model(&User{}).Create(map[string]any{"name": "m", "deleted_at": nil}), nil)
	}},
	{name: "Create/association with DeletedAt set", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		u := User{Name: "uma", Posts: []Post{{Title: "gone", Model: gorm.Model{DeletedAt: tombstone()}}}}
		return out(c.db.Create(&u), &u)
	}},
	{name: "Create/Unscoped with DeletedAt set", run: func(c *call) (any, error) {
		u := User{Name: "import", Model: gorm.Model{DeletedAt: tombstone()}}
		return out(c.db.Unscoped().Create(&u), &u)
	}},
	{name: "Create/DeletedAt set but omitted", run: func(c *call) (any, error) {
		u := User{Name: "omit", Model: gorm.Model{DeletedAt: tombstone()}}
		return out(c.db.Omit("DeletedAt").Create(&u), &u)
	}},
	{name: "Create/DeletedAt set but not selected", run: func(c *call) (any, error) {
		u := User{Name: "sel", Model: gorm.Model{DeletedAt: tombstone()}}
		return out(c.db.Select("Name").Create(&u), &u)
	}},

	// Upserts.
	{name: "Upsert/DoNothing on a live row", run: func(c *call) (any, error) {
		a := Account{Email: "a@example.com", Balance: 99}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}}, DoNothing: true}).Create(&a), &a)
	}},
	{name: "Upsert/DoNothing on a deleted row", run: func(c *call) (any, error) {
		a := Account{Email: "b@example.com", Balance: 99}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}}, DoNothing: true}).Create(&a), &a)
	}},
	{name: "Upsert/DoNothing without columns", run: func(c *call) (any, error) {
		as := []Account{{Email: "a@example.com"}, {Email: "new@example.com", Balance: 5}}
		return out(c.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&as), &as)
	}},
	{name: "Upsert/UpdateAll on a live row", run: func(c *call) (any, error) {
		a := Account{Email: "c@example.com", Balance: 77}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}}, UpdateAll: true}).Create(&a), &a)
	}},
	{name: "Upsert/UpdateAll on a deleted row", differs: []string{"upsert-tombstone"}, run: func(c *call) (any, error) {
		a := Account{Email: "b@example.com", Balance: 77}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}}, UpdateAll: true}).Create(&a), &a)
	}},
	{name: "Upsert/DoUpdates columns on a live row", run: func(c *call) (any, error) {
		a := Account{Email: "a@example.com", Balance: 55}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}},
			DoUpdates: clause.AssignmentColumns([]string{"balance"})}).Create(&a), &a)
	}},
	{name: "Upsert/DoUpdates columns on a deleted row", differs: []string{"upsert-tombstone"}, run: func(c *call) (any, error) {
		a := Account{Email: "b@example.com", Balance: 55}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}},
			DoUpdates: clause.AssignmentColumns([]string{"balance"})}).Create(&a), &a)
	}},
	{name: "Upsert/DoUpdates expression", run: func(c *call) (any, error) {
		as := []Account{{Email: "a@example.com", Balance: 1}, {Email: "d@example.com", Balance: 4}}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}},
			DoUpdates: clause.Assignments(map[string]any{"balance": gorm.Expr("accounts.balance + 1")})}).Create(&as), &as)
	}},
	{name: "Upsert/on primary key, live row", run: func(c *call) (any, error) {
		p := Post{Model: gorm.Model{ID: 1, CreatedAt: tSeed}, UserID: 1, Title: "Hello v2", Views: 11}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, UpdateAll: true}).Create(&p), &p)
	}},
	{name: "Upsert/DoUpdates writing deleted_at", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		a := Account{Email: "a@example.com", Balance: 1}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}},
			DoUpdates: clause.Assignments(map[string]any{"deleted_at": tClock})}).Create(&a), &a)
	}},
	{name: "Upsert/TargetWhere by hand", run: func(c *call) (any, error) {
		a := Account{Email: "c@example.com", Balance: 3}
		return out(c.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}},
			DoUpdates: clause.AssignmentColumns([]string{"balance"}),
			Where:     clause.Where{Exprs: []clause.Expression{clause.Gt{Column: clause.Column{Table: "accounts", Name: "balance"}, Value: 0}}},
		}).Create(&a), &a)
	}},

	// Save.
	{name: "Save/new struct inserts", run: func(c *call) (any, error) {
		u := User{Name: "vic", Age: 3}
		return out(c.db.Save(&u), &u)
	}},
	{name: "Save/loaded live struct updates every column", run: func(c *call) (any, error) {
		var u User
		c.db.First(&u, 1)
		u.Name, u.Age, u.Active = "alice2", 31, false
		return out(c.fresh().Save(&u), &u)
	}},
	{name: "Save/with Select", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 2}, Name: "bobby", Age: 99}
		return out(c.db.Select("Name").Save(&u), &u)
	}},
	{name: "Save/unknown primary key inserts", run: func(c *call) (any, error) {
		u := User{Model: gorm.Model{ID: 42}, Name: "fortytwo"}
		return out(c.db.Save(&u), &u)
	}},
	{name: "Save/slice", run: func(c *call) (any, error) {
		ts := []Tag{{ID: 1, Name: "golang"}, {Name: "new"}}
		return out(c.db.Save(&ts), &ts)
	}},
	{name: "Save/stale struct of a deleted row", differs: []string{"save-tombstone"}, run: func(c *call) (any, error) {
		// loaded while live, deleted meanwhile by someone else
		u := User{Model: gorm.Model{ID: 3, CreatedAt: tSeed}, Name: "carol", Age: 36, CompanyID: ptr[uint](1)}
		return out(c.db.Save(&u), &u)
	}},
	{name: "Save/loaded tombstone", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		var u User
		c.db.Unscoped().First(&u, 3)
		u.Age = 36
		return out(c.fresh().Save(&u), &u)
	}},
	{name: "Save/loaded tombstone Unscoped", run: func(c *call) (any, error) {
		var u User
		c.db.Unscoped().First(&u, 3)
		u.Age = 36
		return out(c.fresh().Unscoped().Save(&u), &u)
	}},
	{name: "Save/slice with a tombstone", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		var us []User
		c.db.Unscoped().Order("id").Find(&us, []int{2, 3})
		for i := range us {
			us[i].Age++
		}
		return out(c.fresh().Save(&us), &us)
	}},
	{name: "Save/struct deleted with Delete then saved", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		var r rec
		var p Post
		r.do("first", c.db.First(&p, 1), &p)
		r.do("delete", c.fresh().Delete(&p), &p)
		p.Views = 1000
		r.do("save", c.fresh().Save(&p), &p)
		return r.out()
	}},
	{name: "Save/FullSaveAssociations with a child deleted meanwhile", differs: []string{"save-tombstone"}, run: func(c *call) (any, error) {
		var u User
		c.db.Preload("Posts", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).First(&u, 1)
		c.fresh().Exec("UPDATE posts SET deleted_at = ? WHERE id = 7", tDel2) // by someone else
		u.Name = "alice2"
		for i := range u.Posts {
			u.Posts[i].Views += 100
		}
		return out(c.fresh().Session(&gorm.Session{FullSaveAssociations: true}).Save(&u), &u)
	}},
	{name: "Save/FullSaveAssociations with a deleted child loaded", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		var u User
		c.db.Unscoped().Preload("Posts", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).First(&u, 1)
		u.Name = "alice2"
		for i := range u.Posts {
			u.Posts[i].Views += 100
		}
		return out(c.fresh().Session(&gorm.Session{FullSaveAssociations: true}).Save(&u), &u)
	}},
	{name: "Save/with a deleted child loaded", run: func(c *call) (any, error) {
		var u User
		c.db.Unscoped().Preload("Posts", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).First(&u, 1)
		u.Name = "alice2"
		return out(c.fresh().Save(&u), &u)
	}},
	{name: "Save/with a new child carrying DeletedAt", differs: []string{"guard-write"}, run: func(c *call) (any, error) {
		var u User
		c.db.Preload("Posts").First(&u, 6)
		u.Posts = append(u.Posts, Post{Title: "ghost", Model: gorm.Model{ID: 99, DeletedAt: tombstone()}})
		return out(c.fresh().Save(&u), &u)
	}},
	{name: "Save/created later at same clock", run: func(c *call) (any, error) {
		o := Order{UserID: 4, Amount: 7}
		tx := c.db.Save(&o)
		o.Amount = 8
		tx2 := c.fresh().Save(&o)
		return map[string]any{"first": tx.RowsAffected, "second": tx2.RowsAffected, "order": o, "at": time.Duration(0)}, tx2.Error
	}},
}
