package reliability_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// Writer has many books; neither relation cascades, so the fixture can put
// live books under a deleted writer.
type Writer struct {
	softdelete.Model
	Name  string
	Books []Book
}

// Book belongs to a writer.
type Book struct {
	softdelete.Model
	WriterID uint
	Writer   *Writer
	Title    string
}

// leakFixture: w1 (live) with b1 (live) and b2 (deleted); w2 (deleted) with
// b3 (live) and b4 (deleted).
type leakFixture struct {
	db     *gorm.DB
	w1, w2 Writer
	books  []Book // b1..b4
}

// seedLeak creates the fixture on db.
func seedLeak(t *testing.T, db *gorm.DB) *leakFixture {
	t.Helper()
	setup(t, db, newClock(), &Writer{}, &Book{})
	fx := &leakFixture{db: db, w1: Writer{Name: "w1"}, w2: Writer{Name: "w2"}}
	require.NoError(t, db.Create(&fx.w1).Error)
	require.NoError(t, db.Create(&fx.w2).Error)
	fx.books = []Book{
		{WriterID: fx.w1.ID, Title: "b1"}, {WriterID: fx.w1.ID, Title: "b2"},
		{WriterID: fx.w2.ID, Title: "b3"}, {WriterID: fx.w2.ID, Title: "b4"},
	}
	require.NoError(t, db.Create(&fx.books).Error)
	require.NoError(t, db.Delete(&fx.books[1]).Error)
	require.NoError(t, db.Delete(&fx.books[3]).Error)
	require.NoError(t, db.Delete(&fx.w2).Error)
	return fx
}

// readScope is one column of the matrix: how the read is scoped.
type readScope struct {
	name string
	// apply scopes a chain for the queried model.
	apply func(*gorm.DB) *gorm.DB
	// live, deleted: which books the scope admits.
	live, deleted bool
	// unscoped: every filter is off (relations included).
	unscoped bool
}

// readScopes are the columns of the matrix.
var readScopes = []readScope{
	{"default", func(db *gorm.DB) *gorm.DB { return db }, true, false, false},
	{"WithDeleted", func(db *gorm.DB) *gorm.DB { return db.Scopes(softdelete.WithDeleted) }, true, true, false},
	{"OnlyDeleted", func(db *gorm.DB) *gorm.DB { return db.Scopes(softdelete.OnlyDeleted) }, false, true, false},
	{"Unscoped", func(db *gorm.DB) *gorm.DB { return db.Unscoped() }, true, true, true},
}

// want returns the ids of the fixture's books the scope admits and keep accepts.
func (fx *leakFixture) want(sc readScope, keep func(b Book) bool) []uint {
	var ids []uint
	for i, b := range fx.books {
		deleted := i == 1 || i == 3
		if ((deleted && sc.deleted) || (!deleted && sc.live)) && (keep == nil || keep(b)) {
			ids = append(ids, b.ID)
		}
	}
	return sortIDs(ids)
}

// readAPI is one row of the matrix: a read returning the ids of the books it
// saw (count APIs return as many zero ids, compared by number).
type readAPI struct {
	name string
	read func(t *testing.T, fx *leakFixture, sc readScope) []uint
	// keep restricts the expected books (nil: all the scope admits).
	keep func(fx *leakFixture, sc readScope) func(Book) bool
	// want, when set, replaces the expectation entirely (scope and keep).
	want func(fx *leakFixture, sc readScope) []uint
	// count: only the number of rows is observable.
	count bool
}

// bookIDs returns the ids of books.
func bookIDs(bs []Book) []uint {
	ids := make([]uint, len(bs))
	for i, b := range bs {
		ids[i] = b.ID
	}
	return sortIDs(ids)
}

// n returns n zero ids (the result of a count API).
func n(count int64) []uint { return make([]uint, count) }

// ofW1 keeps the books of w1.
func ofW1(fx *leakFixture, _ readScope) func(Book) bool {
	return func(b Book) bool { return b.WriterID == fx.w1.ID }
}

// readAPIs lists every read API of the contract.
var readAPIs = []readAPI{
	{name: "Find", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var bs []Book
		require.NoError(t, sc.apply(fx.db).Find(&bs).Error)
		return bookIDs(bs)
	}},
	{name: "First by id", read: byID(func(q *gorm.DB, b *Book, id uint) error { return q.First(b, id).Error })},
	{name: "Take by id", read: byID(func(q *gorm.DB, b *Book, id uint) error { return q.Take(b, id).Error })},
	{name: "Last by id", read: byID(func(q *gorm.DB, b *Book, id uint) error { return q.Last(b, id).Error })},
	{name: "First and Last", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var first, last Book
		require.NoError(t, sc.apply(fx.db).First(&first).Error)
		require.NoError(t, sc.apply(fx.db).Last(&last).Error)
		return []uint{first.ID, last.ID}
	}, keep: func(fx *leakFixture, sc readScope) func(Book) bool {
		ids := fx.want(sc, nil)
		return func(b Book) bool { return b.ID == ids[0] || b.ID == ids[len(ids)-1] }
	}},
	{name: "Count", count: true, read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var c int64
		require.NoError(t, sc.apply(fx.db).Model(&Book{}).Count(&c).Error)
		return n(c)
	}},
	{name: "Pluck", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var ids []uint
		require.NoError(t, sc.apply(fx.db).Model(&Book{}).Pluck("id", &ids).Error)
		return sortIDs(ids)
	}},
	{name: "Scan", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var rows []struct{ ID uint }
		require.NoError(t, sc.apply(fx.db).Model(&Book{}).Select("id").Scan(&rows).Error)
		ids := make([]uint, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		return sortIDs(ids)
	}},
	{name: "Row", count: true, read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var c int64
		require.NoError(t, sc.apply(fx.db).Model(&Book{}).Select("count(*)").Row().Scan(&c))
		return n(c)
	}},
	{name: "Rows", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		rows, err := sc.apply(fx.db).Model(&Book{}).Select("id").Rows()
		require.NoError(t, err)
		defer rows.Close()
		var ids []uint
		for rows.Next() {
			var id uint
			require.NoError(t, rows.Scan(&id))
			ids = append(ids, id)
		}
		require.NoError(t, rows.Err())
		return sortIDs(ids)
	}},
	{name: "FindInBatches", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var batch, all []Book
		require.NoError(t, sc.apply(fx.db).FindInBatches(&batch, 1, func(*gorm.DB, int) error {
			all = append(all, batch...)
			return nil
		}).Error)
		return bookIDs(all)
	}},
	{name: "Group and aggregate", count: true, read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var groups []struct {
			WriterID uint
			N        int64
		}
		require.NoError(t, sc.apply(fx.db).Model(&Book{}).Select("writer_id, count(*) AS n").Group("writer_id").Scan(&groups).Error)
		var total int64
		for _, g := range groups {
			total += g.N
		}
		return n(total)
	}},
	{name: "subquery", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		sub := sc.apply(fx.db).Model(&Book{}).Select("id")
		return rawIDs(t, fx.db, "SELECT id FROM books WHERE id IN (?)", sub)
	}},
	{name: "Preload (scope on the preload)", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var ws []Writer
		require.NoError(t, fx.db.Scopes(softdelete.WithDeleted).Preload("Books", sc.apply).Find(&ws).Error)
		require.Len(t, ws, 2)
		return bookIDs(append(ws[0].Books, ws[1].Books...))
	}},
	{name: "Preload (scope on the parent)", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var ws []Writer
		require.NoError(t, sc.apply(fx.db).Preload("Books").Find(&ws).Error)
		var bs []Book
		for _, w := range ws {
			bs = append(bs, w.Books...)
		}
		return bookIDs(bs)
	}, want: func(fx *leakFixture, sc readScope) []uint {
		// the scope picks writers; their books keep their own default
		// (live only), except under Unscoped, which reaches preloads
		var ids []uint
		for _, b := range fx.books {
			writerLive := b.WriterID == fx.w1.ID
			bookLive := b.Title == "b1" || b.Title == "b3"
			if (writerLive && sc.live || !writerLive && sc.deleted) && (bookLive || sc.unscoped) {
				ids = append(ids, b.ID)
			}
		}
		return sortIDs(ids)
	}},
	{name: "Joins relation (LEFT)", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var bs []Book
		require.NoError(t, sc.apply(fx.db).Joins("Writer").Find(&bs).Error)
		for _, b := range bs {
			loaded := b.Writer != nil && b.Writer.ID != 0
			assert.Equal(t, b.WriterID == fx.w1.ID || sc.unscoped, loaded,
				"book %d: the joined writer is loaded only when live (or Unscoped)", b.ID)
		}
		return bookIDs(bs)
	}},
	{name: "InnerJoins relation", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var bs []Book
		require.NoError(t, sc.apply(fx.db).InnerJoins("Writer").Find(&bs).Error)
		return bookIDs(bs)
	}, keep: func(fx *leakFixture, sc readScope) func(Book) bool {
		return func(b Book) bool { return sc.unscoped || b.WriterID == fx.w1.ID }
	}},
	{name: "Association Find", keep: ofW1, read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var bs []Book
		require.NoError(t, sc.apply(fx.db).Model(&fx.w1).Association("Books").Find(&bs))
		return bookIDs(bs)
	}},
	{name: "Association Count", keep: ofW1, count: true, read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		return n(sc.apply(fx.db).Model(&fx.w1).Association("Books").Count())
	}},
	{name: "generics gorm.G[T] with Scopes", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		bs, err := gorm.G[Book](fx.db).Scopes(stmtScope(sc)).Find(context.Background())
		require.NoError(t, err)
		return bookIDs(bs)
	}},
	{name: "generics gorm.G[T] Count", count: true, read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		c, err := gorm.G[Book](fx.db).Scopes(stmtScope(sc)).Count(context.Background(), "*")
		require.NoError(t, err)
		return n(c)
	}},
	{name: "Table after softdelete.AutoMigrate", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var ids []uint
		require.NoError(t, sc.apply(fx.db).Table("books").Pluck("id", &ids).Error)
		return sortIDs(ids)
	}},
	{name: "Table with alias", read: func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var ids []uint
		require.NoError(t, sc.apply(fx.db).Table("books b").Where("b.id > ?", 0).Pluck("b.id", &ids).Error)
		return sortIDs(ids)
	}},
}

// stmtScope adapts a read scope to the generics API's Scopes, which passes
// the *gorm.Statement being built: its DB is not a clone (clone 0), so the
// scope's Clauses/Unscoped apply to that very statement.
func stmtScope(sc readScope) func(*gorm.Statement) {
	return func(s *gorm.Statement) { sc.apply(s.DB) }
}

// byID runs a single-row finder for every book id and returns the ids found;
// gorm.ErrRecordNotFound means not found, any other error fails.
func byID(find func(q *gorm.DB, b *Book, id uint) error) func(*testing.T, *leakFixture, readScope) []uint {
	return func(t *testing.T, fx *leakFixture, sc readScope) []uint {
		var found []uint
		for _, want := range fx.books {
			var b Book
			err := find(sc.apply(fx.db), &b, want.ID)
			if err == nil {
				found = append(found, b.ID)
				continue
			}
			require.ErrorIs(t, err, gorm.ErrRecordNotFound)
		}
		return sortIDs(found)
	}
}

// TestReadLeakMatrix runs every read API of the contract under each scope
// (default, WithDeleted, OnlyDeleted, Unscoped) and asserts exactly which
// books come back, on SQLite and PostgreSQL.
func TestReadLeakMatrix(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedLeak(t, db)
		for _, api := range readAPIs {
			t.Run(api.name, func(t *testing.T) {
				for _, sc := range readScopes {
					t.Run(sc.name, func(t *testing.T) {
						var keep func(Book) bool
						if api.keep != nil {
							keep = api.keep(fx, sc)
						}
						want := fx.want(sc, keep)
						if api.want != nil {
							want = api.want(fx, sc)
						}
						got := api.read(t, fx, sc)
						if api.count {
							assert.Len(t, got, len(want), "rows counted")
							return
						}
						if api.name == "First and Last" {
							want = []uint{want[0], want[len(want)-1]}
						}
						assert.Equal(t, want, got)
					})
				}
			})
		}
	})
}

// TestDocumentedUnfilteredPaths pins the paths the README says are never
// filtered: they DO return deleted rows.
func TestDocumentedUnfilteredPaths(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedLeak(t, db)
		all := bookIDs(fx.books)
		t.Run("Raw", func(t *testing.T) {
			assert.Equal(t, all, rawIDs(t, db, "SELECT id FROM books"))
		})
		t.Run("Exec", func(t *testing.T) {
			if db.Dialector.Name() == "mysql" { // MySQL counts changed rows: change them, then put them back
				res := db.Exec("UPDATE books SET title = CONCAT(title, '~')")
				require.NoError(t, res.Error)
				assert.EqualValues(t, len(all), res.RowsAffected, "Exec reaches deleted rows")
				require.NoError(t, db.Exec("UPDATE books SET title = TRIM(TRAILING '~' FROM title)").Error)
				return
			}
			res := db.Exec("UPDATE books SET title = title")
			require.NoError(t, res.Error)
			assert.EqualValues(t, len(all), res.RowsAffected, "Exec reaches deleted rows")
		})
		t.Run("string join", func(t *testing.T) {
			var ids []uint
			require.NoError(t, db.Model(&Writer{}).Joins("JOIN books ON books.writer_id = writers.id").
				Pluck("books.id", &ids).Error)
			// writers (the model) are filtered, the joined books are not
			assert.Equal(t, []uint{fx.books[0].ID, fx.books[1].ID}, sortIDs(ids))
		})
		t.Run("generics take the scope through Scopes(func(*gorm.Statement))", func(t *testing.T) {
			// the form the README recommends
			bs, err := gorm.G[Book](db).Scopes(func(s *gorm.Statement) { softdelete.WithDeleted(s.DB) }).Find(context.Background())
			require.NoError(t, err)
			assert.Equal(t, all, bookIDs(bs))
		})
		t.Run("generics ignore a *gorm.DB scope (and stay filtered)", func(t *testing.T) {
			// gorm.G opens a NewDB session: scopes on the *gorm.DB it is given
			// are dropped, so the read falls back to the default: no leak.
			bs, err := gorm.G[Book](db.Scopes(softdelete.OnlyDeleted)).Find(context.Background())
			require.NoError(t, err)
			assert.Equal(t, []uint{fx.books[0].ID, fx.books[2].ID}, bookIDs(bs))
		})
	})
}
