package conformance

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The schema: gorm.Model models only (gorm.DeletedAt), the same on both
// sides. Relations cover belongs-to (User.Company, User.Manager, Post.User),
// has-one (User.Profile), has-many (User.Posts, Post.Comments), many2many
// with a soft-deletable join row (User.Languages through UserLanguage) and
// with a plain join table (Post.Tags), embedded structs with and without a
// prefix, a model without a soft-delete field (Tag), a full unique index
// (Account.Email, Language.Code), a model with hooks that query and write
// (Order), and one softdelete:"cascade" tag, which GORM ignores (Folder).

type Company struct {
	gorm.Model
	Name string
}

type Address struct {
	Street string
	City   string
}

type Stats struct {
	Logins int
}

type User struct {
	gorm.Model
	Name      string
	Age       int
	Active    bool
	CompanyID *uint
	Company   *Company
	ManagerID *uint
	Manager   *User
	Address   Address `gorm:"embedded;embeddedPrefix:addr_"`
	Stats
	Profile   *Profile
	Posts     []Post
	Languages []Language `gorm:"many2many:user_languages"`
}

type Profile struct {
	gorm.Model
	UserID uint
	Bio    string
}

type Post struct {
	gorm.Model
	UserID   uint
	User     *User
	Title    string
	Views    int
	Comments []Comment
	Tags     []Tag `gorm:"many2many:post_tags"`
}

type Comment struct {
	gorm.Model
	PostID uint
	Body   string
}

type Language struct {
	gorm.Model
	Code string `gorm:"uniqueIndex"`
	Name string
}

// UserLanguage is the join model of User.Languages: its rows are
// soft-deletable.
type UserLanguage struct {
	UserID     uint `gorm:"primaryKey"`
	LanguageID uint `gorm:"primaryKey"`
	CreatedAt  time.Time
	DeletedAt  gorm.DeletedAt
}

// Tag has no soft-delete field.
type Tag struct {
	ID   uint
	Name string
}

type Account struct {
	gorm.Model
	Email   string `gorm:"uniqueIndex"`
	Balance int
}

// Order has every hook; each one queries or writes (see hooks below).
type Order struct {
	gorm.Model
	UserID uint
	Amount int
	Note   string
	Seen   string `gorm:"-"` // set by AfterFind
}

type AuditLog struct {
	gorm.Model
	Event string
}

// Folder carries softdelete's cascade tag; plain GORM ignores it.
type Folder struct {
	gorm.Model
	Name  string
	Files []File `softdelete:"cascade"`
}

type File struct {
	gorm.Model
	FolderID uint
	Name     string
}

// allModels lists the models in the order AutoMigrate gets them.
var allModels = []any{
	&Company{}, &User{}, &Profile{}, &Post{}, &Comment{}, &Language{}, &UserLanguage{},
	&Tag{}, &Account{}, &Order{}, &AuditLog{}, &Folder{}, &File{},
}

// setupJoinTables declares the custom join models; it must run before
// AutoMigrate on every *gorm.DB.
func setupJoinTables(db *gorm.DB) error {
	return db.SetupJoinTable(&User{}, "Languages", &UserLanguage{})
}

// Hooks. Every Order hook has a default effect (a query, or an audit row
// written through the hook's tx), and runs in addition whatever the
// scenario put in the context with withHook: verbs called inside hooks.

type hookKey struct{}

type hookFunc func(tx *gorm.DB, o *Order) error

// withHook returns ctx with fn run by the Order hook named name.
func withHook(ctx context.Context, name string, fn hookFunc) context.Context {
	plan, _ := ctx.Value(hookKey{}).(map[string]hookFunc)
	next := map[string]hookFunc{name: fn}
	for k, v := range plan {
		if k != name {
			next[k] = v
		}
	}
	return context.WithValue(ctx, hookKey{}, next)
}

func runHook(tx *gorm.DB, name string, o *Order) error {
	plan, _ := tx.Statement.Context.Value(hookKey{}).(map[string]hookFunc)
	if fn := plan[name]; fn != nil {
		return fn(tx, o)
	}
	return nil
}

func audit(tx *gorm.DB, format string, args ...any) error {
	return tx.Create(&AuditLog{Event: fmt.Sprintf(format, args...)}).Error
}

func (o *Order) BeforeSave(tx *gorm.DB) error {
	if err := audit(tx, "before save order %d", o.ID); err != nil {
		return err
	}
	return runHook(tx, "BeforeSave", o)
}

func (o *Order) BeforeCreate(tx *gorm.DB) error {
	var n int64
	if err := tx.Model(&User{}).Count(&n).Error; err != nil {
		return err
	}
	o.Note = fmt.Sprintf("%s users=%d", o.Note, n)
	return runHook(tx, "BeforeCreate", o)
}

func (o *Order) AfterCreate(tx *gorm.DB) error {
	if err := audit(tx, "created order %d (%s)", o.ID, o.Note); err != nil {
		return err
	}
	return runHook(tx, "AfterCreate", o)
}

func (o *Order) BeforeUpdate(tx *gorm.DB) error {
	var n int64
	if err := tx.Model(&Order{}).Where("amount > ?", o.Amount).Count(&n).Error; err != nil {
		return err
	}
	if err := audit(tx, "updating order %d, %d larger", o.ID, n); err != nil {
		return err
	}
	return runHook(tx, "BeforeUpdate", o)
}

func (o *Order) AfterUpdate(tx *gorm.DB) error {
	if err := audit(tx, "updated order %d to %d", o.ID, o.Amount); err != nil {
		return err
	}
	return runHook(tx, "AfterUpdate", o)
}

func (o *Order) AfterSave(tx *gorm.DB) error {
	if err := audit(tx, "after save order %d", o.ID); err != nil {
		return err
	}
	return runHook(tx, "AfterSave", o)
}

func (o *Order) BeforeDelete(tx *gorm.DB) error {
	var n int64
	if err := tx.Model(&Order{}).Count(&n).Error; err != nil {
		return err
	}
	if err := audit(tx, "deleting order %d of %d", o.ID, n); err != nil {
		return err
	}
	return runHook(tx, "BeforeDelete", o)
}

func (o *Order) AfterDelete(tx *gorm.DB) error {
	if err := audit(tx, "deleted order %d at %v", o.ID, o.DeletedAt.Valid); err != nil {
		return err
	}
	return runHook(tx, "AfterDelete", o)
}

func (o *Order) AfterFind(tx *gorm.DB) error {
	var n int64
	if err := tx.Model(&AuditLog{}).Count(&n).Error; err != nil {
		return err
	}
	o.Seen = fmt.Sprintf("logs=%d", n)
	return runHook(tx, "AfterFind", o)
}

// Seed data, written with raw SQL (never rewritten by the plugin) so that
// both sides start from the same rows. Every table holds live and deleted
// rows, and live rows whose parent is deleted, so that a leaked or missing
// filter shows.

var (
	tSeed  = time.Date(2026, 1, 1, 10, 0, 0, 1000, time.UTC)
	tDel1  = time.Date(2026, 2, 1, 9, 30, 0, 250000, time.UTC)
	tDel2  = time.Date(2026, 2, 15, 18, 45, 30, 0, time.UTC)
	tClock = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	// tClockLocal is the same instant as tClock's second plus nanoseconds, in
	// a zone east of UTC: the clock of the timestamps scenarios.
	tClockLocal = time.Date(2026, 3, 4, 7, 6, 7, 123456789, time.FixedZone("UTC+2", 2*3600))
)

type seedTable struct {
	table string
	cols  []string
	rows  [][]any
}

// seed is inserted in this order (parents first) and removed in reverse.
var seed = []seedTable{
	{"companies", []string{"id", "created_at", "updated_at", "deleted_at", "name"}, [][]any{
		{1, tSeed, tSeed, nil, "Acme"},
		{2, tSeed, tSeed, tDel1, "Globex"},
		{3, tSeed, tSeed, nil, "Initech"},
	}},
	{"users", []string{"id", "created_at", "updated_at", "deleted_at", "name", "age", "active",
		"company_id", "manager_id", "addr_street", "addr_city", "logins"}, [][]any{
		{1, tSeed, tSeed, nil, "alice", 30, true, 1, nil, "1 Main St", "Paris", 5},
		{2, tSeed, tSeed, nil, "bob", 25, false, 2, 1, "2 Side St", "Berlin", 0},
		{3, tSeed, tSeed, tDel1, "carol", 35, true, 1, 1, "3 High St", "Paris", 9},
		{4, tSeed, tSeed, nil, "dave", 40, true, 3, 3, "4 Low St", "Rome", 2},
		{5, tSeed, tSeed, tDel2, "erin", 28, false, nil, nil, "5 Mid St", "Berlin", 1},
		{6, tSeed, tSeed, nil, "frank", 30, true, 1, 2, "6 End St", "Paris", 3},
	}},
	{"profiles", []string{"id", "created_at", "updated_at", "deleted_at", "user_id", "bio"}, [][]any{
		{1, tSeed, tSeed, nil, 1, "alice bio"},
		{2, tSeed, tSeed, tDel1, 2, "bob old bio"},
		{3, tSeed, tSeed, nil, 3, "carol bio"},
		{4, tSeed, tSeed, nil, 4, "dave bio"},
		{5, tSeed, tSeed, nil, 2, "bob bio"},
	}},
	{"posts", []string{"id", "created_at", "updated_at", "deleted_at", "user_id", "title", "views"}, [][]any{
		{1, tSeed, tSeed, nil, 1, "Hello", 10},
		{2, tSeed, tSeed, tDel1, 1, "Draft", 0},
		{3, tSeed, tSeed, nil, 2, "Go tips", 25},
		{4, tSeed, tSeed, nil, 3, "Ghost", 5},
		{5, tSeed, tSeed, tDel2, 4, "SQL", 15},
		{6, tSeed, tSeed, nil, 6, "Hello", 7},
		{7, tSeed, tSeed, nil, 1, "Later", 3},
	}},
	{"comments", []string{"id", "created_at", "updated_at", "deleted_at", "post_id", "body"}, [][]any{
		{1, tSeed, tSeed, nil, 1, "nice"},
		{2, tSeed, tSeed, tDel1, 1, "spam"},
		{3, tSeed, tSeed, nil, 2, "on a draft"},
		{4, tSeed, tSeed, nil, 3, "useful"},
		{5, tSeed, tSeed, tDel2, 3, "rude"},
		{6, tSeed, tSeed, nil, 7, "soon"},
	}},
	{"languages", []string{"id", "created_at", "updated_at", "deleted_at", "code", "name"}, [][]any{
		{1, tSeed, tSeed, nil, "en", "English"},
		{2, tSeed, tSeed, nil, "fr", "French"},
		{3, tSeed, tSeed, tDel1, "de", "German"},
		{4, tSeed, tSeed, nil, "es", "Spanish"},
	}},
	{"user_languages", []string{"user_id", "language_id", "created_at", "deleted_at"}, [][]any{
		{1, 1, tSeed, nil},
		{1, 2, tSeed, nil},
		{1, 3, tSeed, nil},
		{2, 1, tSeed, tDel1},
		{2, 4, tSeed, nil},
		{4, 2, tSeed, nil},
	}},
	{"tags", []string{"id", "name"}, [][]any{
		{1, "go"}, {2, "sql"}, {3, "misc"}, {4, "unused"},
	}},
	{"post_tags", []string{"post_id", "tag_id"}, [][]any{
		{1, 1}, {1, 3}, {3, 1}, {5, 2},
	}},
	{"accounts", []string{"id", "created_at", "updated_at", "deleted_at", "email", "balance"}, [][]any{
		{1, tSeed, tSeed, nil, "a@example.com", 10},
		{2, tSeed, tSeed, tDel1, "b@example.com", 20},
		{3, tSeed, tSeed, nil, "c@example.com", 30},
	}},
	{"orders", []string{"id", "created_at", "updated_at", "deleted_at", "user_id", "amount", "note"}, [][]any{
		{1, tSeed, tSeed, nil, 1, 100, "first"},
		{2, tSeed, tSeed, tDel1, 1, 200, "cancelled"},
		{3, tSeed, tSeed, nil, 2, 50, "small"},
	}},
	{"audit_logs", []string{"id", "created_at", "updated_at", "deleted_at", "event"}, [][]any{
		{1, tSeed, tSeed, nil, "seeded"},
		{2, tSeed, tSeed, tDel1, "old"},
	}},
	{"folders", []string{"id", "created_at", "updated_at", "deleted_at", "name"}, [][]any{
		{1, tSeed, tSeed, nil, "docs"},
		{2, tSeed, tSeed, nil, "pics"},
	}},
	{"files", []string{"id", "created_at", "updated_at", "deleted_at", "folder_id", "name"}, [][]any{
		{1, tSeed, tSeed, nil, 1, "a.txt"},
		{2, tSeed, tSeed, tDel1, 1, "b.txt"},
		{3, tSeed, tSeed, nil, 1, "c.txt"},
		{4, tSeed, tSeed, nil, 2, "d.png"},
	}},
}
