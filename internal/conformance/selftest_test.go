package conformance

import (
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// recorder is a reporter that keeps what the harness reports.
type recorder struct {
	errors, logs []string
}

type fatal struct{ msg string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(f string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(f, args...))
}
func (r *recorder) Logf(f string, args ...any)   { r.logs = append(r.logs, fmt.Sprintf(f, args...)) }
func (r *recorder) Fatalf(f string, args ...any) { panic(fatal{fmt.Sprintf(f, args...)}) }

// pluginSide reports whether db has the plugin: only the self-test may ask.
func pluginSide(db *gorm.DB) bool {
	_, ok := db.Config.Plugins["softdelete"]
	return ok
}

// TestHarnessCatchesDifferences injects differences that only the plugin
// side shows, and checks each is reported, and that agreeing, stale and
// empty scenarios are reported as the rules say.
func TestHarnessCatchesDifferences(t *testing.T) {
	p := openPair(t, "sqlite")
	cases := []struct {
		sc   scenario
		want []string // substrings of the reported errors; none: no error
	}{
		{scenario{name: "agree", run: func(c *call) (any, error) {
			var n int64
			return out(c.db.Model(&User{}).Count(&n), &n)
		}}, nil},
		{scenario{name: "row written on one side", run: func(c *call) (any, error) {
			if pluginSide(c.db) {
				c.db.Create(&Tag{Name: "injected"})
			}
			return 1, nil
		}}, []string{"undeclared difference", "table tags, row id=5: only with the plugin"}},
		{scenario{name: "column changed on one side", run: func(c *call) (any, error) {
			if pluginSide(c.db) {
				c.db.Exec("UPDATE users SET age = 99 WHERE id = 3")
			}
			return 1, nil
		}}, []string{"table users, row id=3, column age", "plain:  35", "plugin: 99"}},
		{scenario{name: "row deleted on one side", run: func(c *call) (any, error) {
			if pluginSide(c.db) {
				c.db.Exec("DELETE FROM post_tags WHERE post_id = 5")
			}
			return 1, nil
		}}, []string{"table post_tags, row post_id=5,tag_id=2: only on plain GORM"}},
		{scenario{name: "result differs", run: func(c *call) (any, error) {
			var us []User
			q := c.db.Order("id")
			if pluginSide(c.db) {
				q = q.Unscoped()
			}
			return out(q.Find(&us), &us)
		}}, []string{"result.rows_affected", "result.value: 4 elements vs 6"}},
		{scenario{name: "error differs", run: func(c *call) (any, error) {
			var u User
			id := 1
			if pluginSide(c.db) {
				id = 3
			}
			return out(c.db.First(&u, id), &u)
		}}, []string{"error:", "gorm.ErrRecordNotFound"}},
		{scenario{name: "error message differs", run: func(c *call) (any, error) {
			if pluginSide(c.db) {
				return nil, fmt.Errorf("%w: plugin", errHook)
			}
			return nil, errHook
		}}, []string{"error:", `"hook says no: plugin"`}},
		{scenario{name: "connection left open on one side", run: func(c *call) (any, error) {
			if pluginSide(c.db) {
				c.db.Begin()
			}
			return 1, nil
		}}, []string{"connections left in use"}},
		{scenario{name: "stale declaration", differs: []string{"or-grouping"}, run: func(c *call) (any, error) {
			return 1, nil
		}}, []string{"stale declaration"}},
		{scenario{name: "compares nothing", run: func(c *call) (any, error) {
			var us []User
			return out(c.db.Where("name = ?", "nobody").Find(&us), &us)
		}}, []string{"compares nothing"}},
		{scenario{name: "panics on one side", run: func(c *call) (any, error) {
			if pluginSide(c.db) {
				panic("injected")
			}
			return 1, nil
		}}, []string{"error:", "panic: injected"}},
	}
	for _, tc := range cases {
		t.Run(tc.sc.name, func(t *testing.T) {
			r := &recorder{}
			func() {
				defer func() {
					if f, ok := recover().(fatal); ok {
						t.Fatalf("harness failed: %s", f.msg)
					}
				}()
				p.check(r, tc.sc)
			}()
			got := strings.Join(r.errors, "\n")
			if len(tc.want) == 0 && got != "" {
				t.Errorf("reported an error for agreeing sides:\n%s", got)
			}
			if len(tc.want) > 0 && len(r.errors) == 0 {
				t.Fatalf("nothing reported, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("report does not mention %q:\n%s", w, got)
				}
			}
		})
	}
}
