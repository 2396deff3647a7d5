package conformance

import (
	"gorm.io/gorm"
)

// user returns a loaded user, as association mode is used on loaded owners.
func (c *call) user(id uint) *User {
	var u User
	c.fresh().Unscoped().First(&u, id)
	return &u
}

func (c *call) post(id uint) *Post {
	var p Post
	c.fresh().Unscoped().First(&p, id)
	return &p
}

// assoc runs one association operation and records the association's
// contents and count afterwards.
func assoc(c *call, owner any, name string, op func(a *gorm.Association) error, find any) (any, error) {
	r := &rec{}
	if op != nil {
		r.err("op", op(c.fresh().Model(owner).Association(name)))
	}
	a := c.fresh().Model(owner).Association(name)
	r.err("find", a.Find(find))
	r.val("found", find)
	r.val("count", c.fresh().Model(owner).Association(name).Count())
	r.val("owner", owner)
	return r.out()
}

var associationScenarios = []scenario{
	// has-many
	{name: "Association/has-many Find", run: func(c *call) (any, error) {
		var ps []Post
		return assoc(c, c.user(1), "Posts", nil, &ps)
	}},
	{name: "Association/has-many Find with conditions", run: func(c *call) (any, error) {
		var ps []Post
		err := c.db.Model(c.user(1)).Where("views > ?", 5).Order("id").Association("Posts").Find(&ps)
		return ps, err
	}},
	{name: "Association/has-many Find with inline conditions", run: func(c *call) (any, error) {
		var ps []Post
		err := c.db.Model(c.user(1)).Association("Posts").Find(&ps, "title <> ?", "Hello")
		return ps, err
	}},
	{name: "Association/has-many Find with OR on a new line", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
		var ps []Post
		err := c.db.Model(c.user(1)).Where("title = 'Draft'\nOR views > 0").Order("id").Association("Posts").Find(&ps)
		return ps, err
	}},
	{name: "Association/has-many Count of a deleted owner", run: func(c *call) (any, error) {
		var ps []Post
		return assoc(c, c.user(3), "Posts", nil, &ps)
	}},
	{name: "Association/has-many Append new", run: func(c *call) (any, error) {
		var ps []Post
		return assoc(c, c.user(2), "Posts", func(a *gorm.Association) error {
			return a.Append(&Post{Title: "appended", Views: 1})
		}, &ps)
	}},
	{name: "Association/has-many Append existing", run: func(c *call) (any, error) {
		var ps []Post
		return assoc(c, c.user(2), "Posts", func(a *gorm.Association) error {
			return a.Append(c.post(6))
		}, &ps)
	}},
	{name: "Association/has-many Append deleted row", differs: []string{"upsert-tombstone"}, run: func(c *call) (any, error) {
		var ps []Post
		return assoc(c, c.user(2), "Posts", func(a *gorm.Association) error {
			return a.Append(c.post(5))
		}, &ps)
	}},
	{name: "Association/has-many Replace", run: func(c *call) (any, error) {
		var ps []Post
		return assoc(c, c.user(1), "Posts", func(a *gorm.Association) error {
			return a.Replace(c.post(7), &Post{Title: "replacement"})
		}, &ps)
	}},
	{name: "Association/has-many Delete", run: func(c *call) (any, error) {
		var ps []Post
		return assoc(c, c.user(1), "Posts", func(a *gorm.Association) error {
			return a.Delete(c.post(1))
		}, &ps)
	}},
	{name: "Association/has-many Clear", run: func(c *call) (any, error) {
		var ps []Post
		return assoc(c, c.user(1), "Posts", func(a *gorm.Association) error { return a.Clear() }, &ps)
	}},
	{name: "Association/has-many Unscoped Delete", run: func(c *call) (any, error) {
		var cs []Comment
		return assoc(c, c.post(3), "Comments", func(a *gorm.Association) error {
			return a.Unscoped().Delete(&Comment{Model: gorm.Model{ID: 4}})
		}, &cs)
	}},
	{name: "Association/has-many Unscoped Clear", run: func(c *call) (any, error) {
		var cs []Comment
		return assoc(c, c.post(3), "Comments", func(a *gorm.Association) error { return a.Unscoped().Clear() }, &cs)
	}},
	{name: "Association/has-many Unscoped Find", run: func(c *call) (any, error) {
		var ps []Post
		err := c.db.Model(c.user(1)).Unscoped().Order("id").Association("Posts").Find(&ps)
		return ps, err
	}},

	// has-one
	{name: "Association/has-one Find", run: func(c *call) (any, error) {
		var p Profile
		return assoc(c, c.user(2), "Profile", nil, &p)
	}},
	{name: "Association/has-one Replace", run: func(c *call) (any, error) {
		var p Profile
		return assoc(c, c.user(4), "Profile", func(a *gorm.Association) error {
			return a.Replace(&Profile{Bio: "dave v2"})
		}, &p)
	}},
	{name: "Association/has-one Append to owner without one", run: func(c *call) (any, error) {
		var p Profile
		return assoc(c, c.user(6), "Profile", func(a *gorm.Association) error {
			return a.Append(&Profile{Bio: "frank bio"})
		}, &p)
	}},
	{name: "Association/has-one Delete", run: func(c *call) (any, error) {
		var p Profile
		return assoc(c, c.user(1), "Profile", func(a *gorm.Association) error {
			return a.Delete(&Profile{Model: gorm.Model{ID: 1}})
		}, &p)
	}},
	{name: "Association/has-one Clear", run: func(c *call) (any, error) {
		var p Profile
		return assoc(c, c.user(2), "Profile", func(a *gorm.Association) error { return a.Clear() }, &p)
	}},

	// belongs-to
	{name: "Association/belongs-to Find live", run: func(c *call) (any, error) {
		var co Company
		return assoc(c, c.user(1), "Company", nil, &co)
	}},
	{name: "Association/belongs-to Find deleted", run: func(c *call) (any, error) {
		var co Company
		return assoc(c, c.user(2), "Company", nil, &co)
	}},
	{name: "Association/belongs-to Replace", run: func(c *call) (any, error) {
		var co Company
		return assoc(c, c.user(2), "Company", func(a *gorm.Association) error {
			return a.Replace(&Company{Model: gorm.Model{ID: 3}, Name: "Initech"})
		}, &co)
	}},
	{name: "Association/belongs-to Replace with new", run: func(c *call) (any, error) {
		var co Company
		return assoc(c, c.user(6), "Company", func(a *gorm.Association) error {
			return a.Replace(&Company{Name: "Hooli"})
		}, &co)
	}},
	{name: "Association/belongs-to Append", run: func(c *call) (any, error) {
		var co Company
		return assoc(c, c.user(6), "Company", func(a *gorm.Association) error {
			return a.Append(&Company{Model: gorm.Model{ID: 3}, Name: "Initech"})
		}, &co)
	}},
	{name: "Association/belongs-to Delete", run: func(c *call) (any, error) {
		var co Company
		return assoc(c, c.user(1), "Company", func(a *gorm.Association) error {
			return a.Delete(&Company{Model: gorm.Model{ID: 1}})
		}, &co)
	}},
	{name: "Association/belongs-to Clear", run: func(c *call) (any, error) {
		var co Company
		return assoc(c, c.user(4), "Company", func(a *gorm.Association) error { return a.Clear() }, &co)
	}},
	{name: "Association/belongs-to self", run: func(c *call) (any, error) {
		var m User
		return assoc(c, c.user(4), "Manager", nil, &m)
	}},

	// many2many with a soft-deletable join row
	{name: "Association/many2many Find", run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(1), "Languages", nil, &ls)
	}},
	{name: "Association/many2many Find deleted join row", run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(2), "Languages", nil, &ls)
	}},
	{name: "Association/many2many Find with conditions", run: func(c *call) (any, error) {
		var ls []Language
		err := c.db.Model(c.user(1)).Where("code <> ?", "en").Association("Languages").Find(&ls)
		return ls, err
	}},
	{name: "Association/many2many Append new", run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(4), "Languages", func(a *gorm.Association) error {
			return a.Append(&Language{Code: "pt", Name: "Portuguese"})
		}, &ls)
	}},
	{name: "Association/many2many Append existing", run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(4), "Languages", func(a *gorm.Association) error {
			return a.Append(&Language{Model: gorm.Model{ID: 1}, Code: "en", Name: "English"})
		}, &ls)
	}},
	{name: "Association/many2many Append already linked", run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(1), "Languages", func(a *gorm.Association) error {
			return a.Append(&Language{Model: gorm.Model{ID: 2}, Code: "fr", Name: "French"})
		}, &ls)
	}},
	{name: "Association/many2many Replace", run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(1), "Languages", func(a *gorm.Association) error {
			return a.Replace(&Language{Model: gorm.Model{ID: 4}, Code: "es", Name: "Spanish"})
		}, &ls)
	}},
	{name: "Association/many2many Delete", run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(1), "Languages", func(a *gorm.Association) error {
			return a.Delete(&Language{Model: gorm.Model{ID: 1}})
		}, &ls)
	}},
	{name: "Association/many2many Clear", run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(1), "Languages", func(a *gorm.Association) error { return a.Clear() }, &ls)
	}},
	{name: "Association/many2many Unscoped Delete", run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(1), "Languages", func(a *gorm.Association) error {
			return a.Unscoped().Delete(&Language{Model: gorm.Model{ID: 2}})
		}, &ls)
	}},
	{name: "Association/many2many re-append after Delete", differs: []string{"m2m-reappend"}, run: func(c *call) (any, error) {
		var ls []Language
		en := &Language{Model: gorm.Model{ID: 1}, Code: "en", Name: "English"}
		return assoc(c, c.user(1), "Languages", func(a *gorm.Association) error {
			if err := a.Delete(en); err != nil {
				return err
			}
			return c.fresh().Model(c.user(1)).Association("Languages").Append(en)
		}, &ls)
	}},
	{name: "Association/many2many re-append a seeded deleted link", differs: []string{"m2m-reappend"}, run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(2), "Languages", func(a *gorm.Association) error {
			return a.Append(&Language{Model: gorm.Model{ID: 1}, Code: "en", Name: "English"})
		}, &ls)
	}},
	{name: "Association/many2many Replace with a deleted link", differs: []string{"m2m-reappend"}, run: func(c *call) (any, error) {
		var ls []Language
		return assoc(c, c.user(2), "Languages", func(a *gorm.Association) error {
			return a.Replace(&Language{Model: gorm.Model{ID: 1}, Code: "en", Name: "English"})
		}, &ls)
	}},

	// many2many with a plain join table
	{name: "Association/many2many plain Find", run: func(c *call) (any, error) {
		var ts []Tag
		return assoc(c, c.post(1), "Tags", nil, &ts)
	}},
	{name: "Association/many2many plain Append and Delete", run: func(c *call) (any, error) {
		var ts []Tag
		return assoc(c, c.post(1), "Tags", func(a *gorm.Association) error {
			if err := a.Append(&Tag{ID: 2, Name: "sql"}); err != nil {
				return err
			}
			return c.fresh().Model(c.post(1)).Association("Tags").Delete(&Tag{ID: 1})
		}, &ts)
	}},
	{name: "Association/of a deleted post", run: func(c *call) (any, error) {
		var ts []Tag
		return assoc(c, c.post(5), "Tags", nil, &ts)
	}},

	{name: "Association/unknown relation", run: func(c *call) (any, error) {
		a := c.db.Model(c.user(1)).Association("Nope")
		return nil, a.Error
	}},
}
