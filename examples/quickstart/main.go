// Command quickstart walks through softdelete: create → delete → find →
// OnlyDeleted → Restore → HardDelete, printing each step and the SQL it ran.
//
//	go run ./examples/quickstart                       # in-memory SQLite
//	go run ./examples/quickstart -dsn 'host=localhost user=postgres dbname=app sslmode=disable'
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/exampledb"
)

// Post is an example model: softdelete.Model is a drop-in for gorm.Model.
type Post struct {
	softdelete.Model
	Title string
}

// TableName keeps the walkthrough away from any real "posts" table of the
// database -dsn names: the table it drops and recreates is its own.
func (Post) TableName() string { return "quickstart_posts" }

func main() {
	dsn := flag.String("dsn", "", "PostgreSQL or MySQL (user@tcp(host:3306)/db) DSN (default: in-memory SQLite)")
	flag.Parse()
	db, err := open(*dsn)
	if err != nil {
		log.Fatal(err)
	}
	if err := run(os.Stdout, db); err != nil {
		log.Fatal(err)
	}
}

// open connects to PostgreSQL when dsn is set, else to in-memory SQLite.
func open(dsn string) (*gorm.DB, error) { return exampledb.Open(dsn, "", nil) }

// run performs the walkthrough on db, writing to w.
func run(w io.Writer, db *gorm.DB) error {
	if err := db.Use(softdelete.New()); err != nil {
		return err
	}
	if err := db.Migrator().DropTable(&Post{}); err != nil { // start afresh on every run
		return err
	}
	if err := softdelete.AutoMigrate(db, &Post{}); err != nil {
		return err
	}
	db.Logger = &sqlPrinter{w: w}
	steps := []struct {
		title string
		do    func(*gorm.DB) (string, error)
	}{
		{"create two posts", create},
		{"soft delete one", remove},
		{"find: deleted rows are gone", find},
		{"OnlyDeleted: the trash", trash},
		{"Restore", restore},
		{"HardDelete: gone for good", hardDelete},
	}
	for i, s := range steps {
		fmt.Fprintf(w, "\n%d. %s\n", i+1, s.title)
		out, err := s.do(db)
		if err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
		fmt.Fprintf(w, "   => %s\n", out)
	}
	return nil
}

func create(db *gorm.DB) (string, error) {
	posts := []Post{{Title: "hello"}, {Title: "world"}}
	err := db.Create(&posts).Error
	return fmt.Sprintf("created %d posts", len(posts)), err
}

func remove(db *gorm.DB) (string, error) {
	res := db.Where("title = ?", "hello").Delete(&Post{})
	return fmt.Sprintf("%d row marked deleted", res.RowsAffected), res.Error
}

func find(db *gorm.DB) (string, error) {
	var posts []Post
	err := db.Find(&posts).Error
	return "found " + titles(posts), err
}

func trash(db *gorm.DB) (string, error) {
	var posts []Post
	err := db.Scopes(softdelete.OnlyDeleted).Find(&posts).Error
	return "in the trash: " + titles(posts), err
}

func restore(db *gorm.DB) (string, error) {
	res := softdelete.Restore(db, &Post{}, "title = ?", "hello")
	if res.Error != nil {
		return "", res.Error
	}
	var n int64
	err := db.Model(&Post{}).Count(&n).Error
	return fmt.Sprintf("%d restored, %d live posts", res.RowsAffected, n), err
}

func hardDelete(db *gorm.DB) (string, error) {
	res := softdelete.HardDelete(db, &Post{}, "title = ?", "world")
	if res.Error != nil {
		return "", res.Error
	}
	var n int64
	err := db.Scopes(softdelete.WithDeleted).Model(&Post{}).Count(&n).Error
	return fmt.Sprintf("%d removed, %d rows left in the table", res.RowsAffected, n), err
}

func titles(posts []Post) string {
	names := make([]string, len(posts))
	for i, p := range posts {
		names[i] = p.Title
	}
	return "[" + strings.Join(names, " ") + "]"
}

// sqlPrinter is a GORM logger that prints each statement, indented.
type sqlPrinter struct{ w io.Writer }

func (p *sqlPrinter) LogMode(logger.LogLevel) logger.Interface { return p }
func (p *sqlPrinter) Info(context.Context, string, ...any)     {}
func (p *sqlPrinter) Warn(context.Context, string, ...any)     {}
func (p *sqlPrinter) Error(context.Context, string, ...any)    {}

// Trace prints the SQL with timestamps masked, so the output is stable.
func (p *sqlPrinter) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	fmt.Fprintf(p.w, "   SQL: %s\n", maskTimes(sql))
}

// maskTimes replaces quoted timestamps (the deletion time) with <now>.
func maskTimes(sql string) string {
	var b strings.Builder
	for {
		i := strings.IndexAny(sql, "\"'")
		if i < 0 {
			b.WriteString(sql)
			return b.String()
		}
		j := strings.IndexByte(sql[i+1:], sql[i])
		if j < 0 {
			b.WriteString(sql)
			return b.String()
		}
		quoted := sql[i : i+j+2]
		if len(quoted) > 12 && quoted[1:3] == "20" && quoted[5] == '-' {
			quoted = "<now>"
		}
		b.WriteString(sql[:i])
		b.WriteString(quoted)
		sql = sql[i+j+2:]
	}
}
