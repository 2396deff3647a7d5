package bench

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// e2eOps are the end-to-end operations of one implementation.
type e2eOps struct {
	pk    func(id uint) error // point read of a live row by primary key
	list  [3]func() error     // 100 live rows, ORDER BY id, from the 10/50/90% deleted table
	count func() error        // count of live rows (50% table)
	cycle func(id uint) error // soft delete then restore one live row (50% table)
}

// e2eOpNames name the operations in report order.
var e2eOpNames = []string{"pk", "list 10% deleted", "list 50% deleted", "list 90% deleted", "count", "delete+restore"}

// itemColumns is the column list of the raw implementation's reads.
const itemColumns = "id, created_at, updated_at, deleted_at, name, slug, owner_id, score"

// rawItem is what the raw implementation scans a row into.
type rawItem struct {
	ID                   uint
	CreatedAt, UpdatedAt time.Time
	DeletedAt            sql.NullTime
	Name, Slug           string
	OwnerID              uint
	Score                int
}

// rawQuerier is *sql.DB or a set of prepared statements behind one interface.
type rawQuerier interface {
	query(q string, args ...any) (*sql.Rows, error)
	queryRow(q string, args ...any) *sql.Row
	exec(q string, args ...any) (sql.Result, error)
}

// plainQuerier sends SQL text every time.
type plainQuerier struct{ db *sql.DB }

func (p plainQuerier) query(q string, args ...any) (*sql.Rows, error) { return p.db.Query(q, args...) }
func (p plainQuerier) queryRow(q string, args ...any) *sql.Row        { return p.db.QueryRow(q, args...) }
func (p plainQuerier) exec(q string, args ...any) (sql.Result, error) {
	return p.db.Exec(q, args...)
}

// preparedQuerier uses *sql.Stmt prepared once per query text.
type preparedQuerier struct{ stmts map[string]*sql.Stmt }

func (p preparedQuerier) query(q string, args ...any) (*sql.Rows, error) {
	return p.stmts[q].Query(args...)
}
func (p preparedQuerier) queryRow(q string, args ...any) *sql.Row {
	return p.stmts[q].QueryRow(args...)
}
func (p preparedQuerier) exec(q string, args ...any) (sql.Result, error) {
	return p.stmts[q].Exec(args...)
}

// rawOps is implementation (a): hand-written SQL through database/sql, the
// same statements the ORMs send minus what they add (ORDER BY/LIMIT on a
// primary-key read).
func rawOps(d *DB, prepare bool) (e2eOps, error) {
	q := func(s string) string { return rebind(d.Target, s) }
	pkQ := q("SELECT " + itemColumns + " FROM items_p50 WHERE id = ? AND deleted_at IS NULL")
	var listQ [3]string
	for i, f := range []fraction{f10{}, f50{}, f90{}} {
		listQ[i] = "SELECT " + itemColumns + " FROM " + f.items() + " WHERE deleted_at IS NULL ORDER BY id LIMIT 100"
	}
	countQ := "SELECT count(*) FROM items_p50 WHERE deleted_at IS NULL"
	delQ := q("UPDATE items_p50 SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL")
	resQ := q("UPDATE items_p50 SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL")

	var rq rawQuerier = plainQuerier{d.SQL}
	if prepare {
		pq := preparedQuerier{stmts: map[string]*sql.Stmt{}}
		for _, s := range append(listQ[:], pkQ, countQ, delQ, resQ) {
			st, err := d.SQL.Prepare(s)
			if err != nil {
				return e2eOps{}, err
			}
			pq.stmts[s] = st
		}
		rq = pq
	}
	scan := func(sc interface{ Scan(...any) error }, x *rawItem) error {
		return sc.Scan(&x.ID, &x.CreatedAt, &x.UpdatedAt, &x.DeletedAt, &x.Name, &x.Slug, &x.OwnerID, &x.Score)
	}
	list := func(s string) func() error {
		return func() error {
			rows, err := rq.query(s)
			if err != nil {
				return err
			}
			defer rows.Close()
			var xs []rawItem
			for rows.Next() {
				var x rawItem
				if err := scan(rows, &x); err != nil {
					return err
				}
				xs = append(xs, x)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			return wantLen(len(xs), 100)
		}
	}
	return e2eOps{
		pk: func(id uint) error {
			var x rawItem
			return scan(rq.queryRow(pkQ, id), &x)
		},
		list: [3]func() error{list(listQ[0]), list(listQ[1]), list(listQ[2])},
		count: func() error {
			var n int64
			return rq.queryRow(countQ).Scan(&n)
		},
		cycle: func(id uint) error {
			now := time.Now().UTC().Truncate(time.Microsecond)
			if err := wantAffected(rq.exec(delQ, now, id)); err != nil {
				return err
			}
			return wantAffected(rq.exec(resQ, id))
		},
	}, nil
}

// wantAffected checks an UPDATE changed exactly one row.
func wantAffected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n != 1 {
		err = fmt.Errorf("%d rows affected, want 1", n)
	}
	return err
}

// wantLen checks a list came back full.
func wantLen(got, want int) error {
	if got != want {
		return fmt.Errorf("got %d rows, want %d", got, want)
	}
	return nil
}

// gormReads builds the read operations of a GORM implementation whose item
// types for the 10/50/90% tables are T10, T50, T90; filter is the
// hand-written live-row condition (plain GORM) or "".
func gormReads[T10, T50, T90 any](db *gorm.DB, filter string) e2eOps {
	base := func() *gorm.DB {
		if filter != "" {
			return db.Where(filter)
		}
		return db
	}
	return e2eOps{
		pk: func(id uint) error {
			var x T50
			return base().First(&x, id).Error
		},
		list: [3]func() error{listOf[T10](base), listOf[T50](base), listOf[T90](base)},
		count: func() error {
			var n int64
			return base().Model(new(T50)).Count(&n).Error
		},
	}
}

// listOf lists 100 live rows of T's table.
func listOf[T any](base func() *gorm.DB) func() error {
	return func() error {
		var xs []T
		if err := base().Order("id").Limit(100).Find(&xs).Error; err != nil {
			return err
		}
		return wantLen(len(xs), 100)
	}
}

// gormCycle wraps a soft delete + restore pair, checking each changed one row.
func gormCycle(del, restore func(id uint) *gorm.DB) func(id uint) error {
	return func(id uint) error {
		for _, f := range []func(uint) *gorm.DB{del, restore} {
			res := f(id)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("%d rows affected, want 1", res.RowsAffected)
			}
		}
		return nil
	}
}

// e2eImpls returns the operations of every implementation on d.
func e2eImpls(d *DB, prepare bool) ([]string, []e2eOps, error) {
	raw, err := rawOps(d, prepare)
	if err != nil {
		return nil, nil, err
	}
	none, err := d.Gorm(GormConfig{PrepareStmt: prepare})
	if err != nil {
		return nil, nil, err
	}
	plugin, err := d.Gorm(GormConfig{PrepareStmt: prepare, Plugin: true})
	if err != nil {
		return nil, nil, err
	}

	plain := gormReads[PlainItem[f10], PlainItem[f50], PlainItem[f90]](none, "deleted_at IS NULL")
	plain.cycle = gormCycle(
		func(id uint) *gorm.DB {
			x := PlainItem[f50]{ID: id}
			return none.Model(&x).Where("deleted_at IS NULL").UpdateColumn("deleted_at", time.Now().UTC().Truncate(time.Microsecond))
		},
		func(id uint) *gorm.DB {
			x := PlainItem[f50]{ID: id}
			return none.Model(&x).Where("deleted_at IS NOT NULL").UpdateColumn("deleted_at", nil)
		})

	builtin := gormReads[BuiltinItem[f10], BuiltinItem[f50], BuiltinItem[f90]](none, "")
	builtin.cycle = gormCycle(
		func(id uint) *gorm.DB {
			x := BuiltinItem[f50]{}
			x.ID = id
			return none.Delete(&x)
		},
		func(id uint) *gorm.DB {
			x := BuiltinItem[f50]{}
			x.ID = id
			return none.Unscoped().Model(&x).UpdateColumn("deleted_at", nil)
		})

	sd := gormReads[SDItem[f10], SDItem[f50], SDItem[f90]](none, "")
	sd.cycle = gormCycle(
		func(id uint) *gorm.DB {
			x := SDItem[f50]{ID: id}
			return none.Delete(&x)
		},
		func(id uint) *gorm.DB {
			x := SDItem[f50]{ID: id}
			return none.Unscoped().Model(&x).UpdateColumn("deleted_at", 0)
		})

	ours := gormReads[PluginItem[f10], PluginItem[f50], PluginItem[f90]](plugin, "")
	ours.cycle = gormCycle(
		func(id uint) *gorm.DB {
			x := PluginItem[f50]{}
			x.ID = id
			return plugin.Delete(&x)
		},
		func(id uint) *gorm.DB {
			x := PluginItem[f50]{}
			x.ID = id
			return softdelete.Restore(plugin, &x)
		})

	return []string{ImplRaw, ImplPlain, ImplBuiltin, ImplSoftDelete, ImplPlugin},
		[]e2eOps{raw, plain, builtin, sd, ours}, nil
}

// itemsDB returns the target's database holding the e2e tables, created and
// seeded on first use.
func (e *Env) itemsDB(t Target) (*DB, error) {
	return once(e, "items-"+string(t), func() (*DB, error) {
		d, err := e.Open(t, "items")
		if err != nil {
			return nil, err
		}
		return d, createItems(d, e.Scale.ItemRows)
	})
}

// E2EGroups are benchmark 3 on one target, with or without PrepareStmt
// (raw: *sql.Stmt prepared once): point read, lists from 10/50/90% deleted
// tables, Count, and soft delete + restore (MariaDB: the point read and the
// lists only).
func (e *Env) E2EGroups(t Target, prepare bool) ([]Group, error) {
	d, err := e.itemsDB(t)
	if err != nil {
		return nil, err
	}
	names, impls, err := e2eImpls(d, prepare)
	if err != nil {
		return nil, err
	}
	ids := livePKs(e.Scale.ItemRows)
	section := "e2e " + string(t)
	if prepare {
		section += " prepared"
	}
	nops := len(e2eOpNames)
	if t == MariaDB {
		nops = 4 // pk and the three lists
	}
	groups := make([]Group, nops)
	for gi, name := range e2eOpNames[:nops] {
		groups[gi] = Group{Section: section, Name: name}
		for ii, ops := range impls {
			var op func(i int) error
			switch gi {
			case 0:
				op = func(i int) error { return ops.pk(ids[i%len(ids)]) }
			case 1, 2, 3:
				list := ops.list[gi-1]
				op = func(int) error { return list() }
			case 4:
				op = func(int) error { return ops.count() }
			case 5:
				op = func(i int) error { return ops.cycle(ids[i%len(ids)]) }
			}
			groups[gi].Cases = append(groups[gi].Cases, Case{Impl: names[ii], Run: func(b *testing.B) error {
				return loop(b, op)
			}})
		}
	}
	return groups, nil
}
