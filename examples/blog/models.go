package main

import (
	"time"

	"github.com/gorm-softdelete/softdelete"
)

// Model is softdelete.Model with JSON names: id, created_at, updated_at and
// deleted_at (null while the row is live, the deletion time in the trash).
type Model struct {
	ID        uint                 `gorm:"primarykey" json:"id"`
	CreatedAt time.Time            `json:"created_at"`
	UpdatedAt time.Time            `json:"updated_at"`
	DeletedAt softdelete.DeletedAt `gorm:"index" json:"deleted_at"`
}

// User writes posts. Deleting a user soft-deletes their posts, and through
// them the posts' comments; restoring the user brings back exactly the posts
// and comments that went with them.
type User struct {
	Model
	Name  string `gorm:"not null" json:"name"`
	Posts []Post `gorm:"foreignKey:AuthorID" softdelete:"cascade" json:"posts,omitempty"`
}

// Post is a blog post. Its slug is unique among live posts only: a deleted
// post frees its slug for a new one.
type Post struct {
	Model
	Slug     string    `gorm:"not null" softdelete:"unique" json:"slug"`
	Title    string    `gorm:"not null" json:"title"`
	Body     string    `gorm:"not null" json:"body"`
	AuthorID uint      `gorm:"not null;index" json:"author_id"`
	Author   *User     `json:"author,omitempty"`
	Comments []Comment `softdelete:"cascade" json:"comments,omitempty"`
}

// Comment belongs to a post and goes (and comes back) with it.
type Comment struct {
	Model
	PostID uint   `gorm:"not null;index" json:"post_id"`
	Author string `gorm:"not null" json:"author"`
	Body   string `gorm:"not null" json:"body"`
}

// models lists the models in migration order.
func models() []any { return []any{&User{}, &Post{}, &Comment{}} }
