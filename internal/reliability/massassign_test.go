package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// Doc is a multi-tenant model as an API would decode it from a request body:
// every column, the soft-delete one included, has a JSON name.
type Doc struct {
	ID        uint                 `gorm:"primarykey" json:"id"`
	TenantID  int                  `json:"tenant_id"`
	Email     string               `softdelete:"unique" json:"email"`
	Title     string               `json:"title"`
	DeletedAt softdelete.DeletedAt `gorm:"index" json:"deleted_at"`
}

// Folder (per tenant) cascades to its files; for tenant-scoped purges.
type Folder struct {
	ID        uint `gorm:"primarykey"`
	TenantID  int
	Files     []File               `softdelete:"cascade"`
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// File belongs to a folder.
type File struct {
	ID        uint `gorm:"primarykey"`
	FolderID  uint
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// docFixture: per tenant (1 and 2) one live and one deleted doc.
type docFixture struct {
	db                 *gorm.DB
	clock              *clock
	live1, dead1       Doc
	live2, dead2       Doc
	ts                 time.Time // a deletion timestamp an attacker would send
	tombstoneTimestamp string    // JSON of ts
}

// seedDocs creates the fixture on db.
func seedDocs(t *testing.T, db *gorm.DB) *docFixture {
	t.Helper()
	clk := newClock()
	setup(t, db, clk, &Doc{}, &Folder{}, &File{})
	fx := &docFixture{db: db, clock: clk, ts: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	fx.tombstoneTimestamp = `"2020-01-01T00:00:00Z"`
	fx.live1 = Doc{TenantID: 1, Email: "l1@x", Title: "live 1"}
	fx.dead1 = Doc{TenantID: 1, Email: "d1@x", Title: "dead 1"}
	fx.live2 = Doc{TenantID: 2, Email: "l2@x", Title: "live 2"}
	fx.dead2 = Doc{TenantID: 2, Email: "d2@x", Title: "dead 2"}
	for _, d := range []*Doc{&fx.live1, &fx.dead1, &fx.live2, &fx.dead2} {
		require.NoError(t, db.Create(d).Error)
	}
	require.NoError(t, db.Delete(&fx.dead1).Error)
	require.NoError(t, db.Delete(&fx.dead2).Error)
	return fx
}

// docRow is a doc as raw SQL sees it.
type docRow struct {
	ID        uint
	TenantID  int
	Email     string
	Title     string
	DeletedAt *time.Time
}

// snapshot reads every doc with raw SQL, deleted_at normalised to UTC.
func snapshot(t *testing.T, db *gorm.DB) []docRow {
	t.Helper()
	var rows []docRow
	require.NoError(t, db.Raw("SELECT id, tenant_id, email, title, deleted_at FROM docs ORDER BY id").Scan(&rows).Error)
	for i := range rows {
		if rows[i].DeletedAt != nil {
			u := rows[i].DeletedAt.UTC()
			rows[i].DeletedAt = &u
		}
	}
	return rows
}

// decode unmarshals a request body into a Doc.
func decode(t *testing.T, body string) Doc {
	t.Helper()
	var d Doc
	require.NoError(t, json.Unmarshal([]byte(body), &d))
	return d
}

// TestMassAssignmentCannotDeleteOrRestore: no write path other than the
// explicit verbs can set or clear deleted_at — maps, structs, Save and Create
// of bodies decoded from JSON, batches, upserts. Each attempt fails with
// ErrDeletedAtWrite (or, where the filtered statement matches no row, does
// nothing), and raw SQL shows nothing changed. Delete, Restore and
// Unscoped (the documented escape hatch) still work.
func TestMassAssignmentCannotDeleteOrRestore(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedDocs(t, db)
		l1, d1 := fx.live1, fx.dead1
		attempts := []struct {
			name string
			run  func() error
			// noop: the attempt may succeed as long as it changes nothing
			noop bool
		}{
			{name: "Updates(map deleted_at)", run: func() error {
				return db.Model(&Doc{}).Where("id = ?", l1.ID).Updates(map[string]any{"deleted_at": fx.ts}).Error
			}},
			{name: "Updates(map DeletedAt)", run: func() error {
				return db.Model(&Doc{}).Where("id = ?", l1.ID).Updates(map[string]any{"DeletedAt": fx.ts}).Error
			}},
			{name: "Updates(map from JSON)", run: func() error {
				var patch map[string]any
				require.NoError(t, json.Unmarshal([]byte(`{"title":"x","deleted_at":`+fx.tombstoneTimestamp+`}`), &patch))
				return db.Model(&Doc{ID: l1.ID}).Updates(patch).Error
			}},
			{name: "Update(deleted_at)", run: func() error {
				return db.Model(&Doc{ID: l1.ID}).Update("deleted_at", fx.ts).Error
			}},
			{name: "Update(deleted_at, gorm.Expr)", run: func() error {
				return db.Model(&Doc{ID: l1.ID}).Update("deleted_at", gorm.Expr("CURRENT_TIMESTAMP")).Error
			}},
			{name: "UpdateColumn(deleted_at)", run: func() error {
				return db.Model(&Doc{ID: l1.ID}).UpdateColumn("deleted_at", fx.ts).Error
			}},
			{name: "UpdateColumns(map)", run: func() error {
				return db.Model(&Doc{ID: l1.ID}).UpdateColumns(map[string]any{"title": "x", "deleted_at": fx.ts}).Error
			}},
			{name: "Updates(struct)", run: func() error {
				return db.Model(&Doc{ID: l1.ID}).Updates(Doc{Title: "x", DeletedAt: softdelete.DeletedAt{Time: fx.ts, Valid: true}}).Error
			}},
			{name: "Select(*).Updates(struct)", run: func() error {
				d := l1
				d.DeletedAt = softdelete.DeletedAt{Time: fx.ts, Valid: true}
				return db.Model(&Doc{ID: l1.ID}).Select("*").Updates(&d).Error
			}},
			{name: "Save(JSON with deleted_at) of a live row", run: func() error {
				d := decode(t, fmt.Sprintf(`{"id":%d,"tenant_id":1,"email":"l1@x","title":"x","deleted_at":%s}`, l1.ID, fx.tombstoneTimestamp))
				return db.Save(&d).Error
			}},
			{name: "Save(JSON with deleted_at null) of a deleted row", noop: true, run: func() error {
				d := decode(t, fmt.Sprintf(`{"id":%d,"tenant_id":1,"email":"d1@x","title":"resurrected","deleted_at":null}`, d1.ID))
				return db.Save(&d).Error
			}},
			{name: "Save(struct read WithDeleted, cleared) of a deleted row", noop: true, run: func() error {
				var d Doc
				require.NoError(t, db.Scopes(softdelete.WithDeleted).First(&d, d1.ID).Error)
				d.DeletedAt, d.Title = softdelete.DeletedAt{}, "resurrected"
				return db.Save(&d).Error
			}},
			{name: "WithDeleted Updates(map deleted_at nil) of a deleted row", run: func() error {
				return db.Scopes(softdelete.WithDeleted).Model(&Doc{}).Where("id = ?", d1.ID).
					Updates(map[string]any{"deleted_at": nil, "title": "resurrected"}).Error
			}},
			{name: "OnlyDeleted Update(deleted_at nil)", run: func() error {
				return db.Scopes(softdelete.OnlyDeleted).Model(&Doc{}).Where("id = ?", d1.ID).Update("deleted_at", nil).Error
			}},
			{name: "Updates(map deleted_at nil) of a deleted row", noop: true, run: func() error {
				return db.Model(&Doc{}).Where("id = ?", d1.ID).Updates(map[string]any{"deleted_at": nil, "title": "resurrected"}).Error
			}},
			{name: "Create(JSON with deleted_at)", run: func() error {
				d := decode(t, `{"tenant_id":1,"email":"new@x","deleted_at":`+fx.tombstoneTimestamp+`}`)
				return db.Create(&d).Error
			}},
			{name: "Create(map with deleted_at)", run: func() error {
				return db.Model(&Doc{}).Create(map[string]any{"TenantID": 1, "Email": "new@x", "DeletedAt": fx.ts}).Error
			}},
			{name: "CreateInBatches with one tombstone", run: func() error {
				ds := []Doc{{TenantID: 1, Email: "n1@x"}, {TenantID: 1, Email: "n2@x", DeletedAt: softdelete.DeletedAt{Time: fx.ts, Valid: true}}}
				return db.CreateInBatches(&ds, 1).Error
			}},
			{name: "upsert UpdateAll with deleted_at", run: func() error {
				d := decode(t, fmt.Sprintf(`{"id":%d,"tenant_id":1,"email":"l1@x","deleted_at":%s}`, l1.ID, fx.tombstoneTimestamp))
				return db.Clauses(clause.OnConflict{UpdateAll: true}).Create(&d).Error
			}},
			{name: "upsert on email, UpdateAll, body with deleted_at", run: func() error {
				d := decode(t, `{"tenant_id":1,"email":"l1@x","title":"x","deleted_at":`+fx.tombstoneTimestamp+`}`)
				return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}}, UpdateAll: true}).Create(&d).Error
			}},
		}
		for _, a := range attempts {
			t.Run(a.name, func(t *testing.T) {
				before := snapshot(t, db)
				err := a.run()
				if !a.noop || err != nil {
					assert.ErrorIs(t, err, softdelete.ErrDeletedAtWrite)
				}
				assert.Equal(t, before, snapshot(t, db), "nothing written")
			})
		}

		t.Run("the explicit verbs can", func(t *testing.T) {
			require.NoError(t, db.Delete(&Doc{}, l1.ID).Error)
			assert.EqualValues(t, 1, rawCount(t, db, "SELECT count(*) FROM docs WHERE id = ? AND deleted_at IS NOT NULL", l1.ID))
			res := softdelete.Restore(db, &Doc{}, l1.ID)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			assert.EqualValues(t, 1, rawCount(t, db, "SELECT count(*) FROM docs WHERE id = ? AND deleted_at IS NULL", l1.ID))
		})
		t.Run("Unscoped is the escape hatch", func(t *testing.T) {
			require.NoError(t, db.Unscoped().Model(&Doc{ID: l1.ID}).Update("deleted_at", fx.ts).Error)
			assert.EqualValues(t, 1, rawCount(t, db, "SELECT count(*) FROM docs WHERE id = ? AND deleted_at IS NOT NULL", l1.ID))
			require.NoError(t, db.Unscoped().Model(&Doc{ID: l1.ID}).Update("deleted_at", nil).Error)
		})
	})
}

// TestBugMapKeyCaseBypassesGuard: the guard (guard.go mapWrites) matches map
// keys against the column and field names exactly ("deleted_at",
// "DeletedAt"), but GORM resolves a map key through Schema.LookUpField, which
// also tries the naming strategy's column name of the key: "deletedAt",
// "DELETED_AT", "Deleted_At" all become the deleted_at column. So
// Updates(map{"deletedAt": ts}) — a camelCase JSON patch decoded into a map —
// or Update("deletedAt", ts) soft-deletes the row, and Model(&T{}).Create(map)
// inserts a tombstone, on PostgreSQL and SQLite alike, without
// ErrDeletedAtWrite.
func TestBugMapKeyCaseBypassesGuard(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedDocs(t, db)
		for _, key := range []string{"deletedAt", "DELETED_AT", "Deleted_At", "deleted_AT"} {
			t.Run(key, func(t *testing.T) {
				before := snapshot(t, db)
				err := db.Model(&Doc{}).Where("id = ?", fx.live1.ID).Updates(map[string]any{key: fx.ts}).Error
				assert.ErrorIs(t, err, softdelete.ErrDeletedAtWrite, "Updates(map)")
				err = db.Model(&Doc{ID: fx.live1.ID}).Update(key, fx.ts).Error
				assert.ErrorIs(t, err, softdelete.ErrDeletedAtWrite, "Update(column)")
				err = db.Model(&Doc{}).Create(map[string]any{"TenantID": 1, "Email": key + "@x", key: fx.ts}).Error
				assert.ErrorIs(t, err, softdelete.ErrDeletedAtWrite, "Create(map)")
				assert.Equal(t, before, snapshot(t, db), "nothing written")
			})
		}
	})
}

// TestBugUpsertDoUpdatesWritesDeletedAt: an upsert whose DO UPDATE assigns
// deleted_at (clause.Assignments, e.g. built from a request's fields) soft
// deletes the live row it conflicts with. guardCreate (guard.go) checks the
// inserted values (Dest) only, never OnConflict.DoUpdates, and
// protectTombstones' WHERE "deleted_at" IS NULL matches exactly that live row.
func TestBugUpsertDoUpdatesWritesDeletedAt(t *testing.T) {
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedDocs(t, db)
		before := snapshot(t, db)
		d := Doc{TenantID: 1, Email: fx.live1.Email}
		err := db.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "email"}},
			DoUpdates: clause.Assignments(map[string]any{"deleted_at": fx.ts}),
		}).Create(&d).Error
		assert.ErrorIs(t, err, softdelete.ErrDeletedAtWrite)
		assert.Equal(t, before, snapshot(t, db), "nothing written")
	})
}

// TestVerbsHonourTheChainsScope: Restore, Delete, HardDelete, Update and
// Purge honour the chain's conditions like reads do — a tenant condition
// (db.Where or db.Scopes) limits them, and raw SQL shows the other tenant's
// rows untouched.
func TestVerbsHonourTheChainsScope(t *testing.T) {
	tenant1 := func(db *gorm.DB) *gorm.DB { return db.Where("tenant_id = ?", 1) }
	testdb.Each(t, quietConfig, func(t *testing.T, db *gorm.DB) {
		fx := seedDocs(t, db)
		tenant2 := func() []docRow {
			var out []docRow
			for _, r := range snapshot(t, db) {
				if r.TenantID == 2 {
					out = append(out, r)
				}
			}
			return out
		}
		other := tenant2()
		check := func(t *testing.T) {
			t.Helper()
			assert.Equal(t, other, tenant2(), "tenant 2 untouched")
		}

		t.Run("Update", func(t *testing.T) {
			res := tenant1(db).Model(&Doc{}).Where("title <> ?", "").Update("title", "renamed")
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected, "tenant 1's live doc only")
			check(t)
		})
		t.Run("Restore", func(t *testing.T) {
			res := softdelete.Restore(tenant1(db), &Doc{})
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			check(t)
		})
		t.Run("Delete", func(t *testing.T) {
			res := tenant1(db).Delete(&Doc{})
			require.NoError(t, res.Error)
			assert.EqualValues(t, 2, res.RowsAffected)
			check(t)
		})
		t.Run("Restore through Scopes", func(t *testing.T) {
			res := softdelete.Restore(db.Scopes(tenant1), &Doc{}, "email = ?", fx.live1.Email)
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			check(t)
		})
		t.Run("Purge", func(t *testing.T) {
			fx.clock.Advance(48 * time.Hour)
			n, err := softdelete.Purge(context.Background(), tenant1(db), &Doc{}, softdelete.PurgeOptions{OlderThan: time.Hour})
			require.NoError(t, err)
			assert.EqualValues(t, 1, n, "tenant 1's one tombstone")
			assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM docs WHERE tenant_id = 1 AND deleted_at IS NOT NULL"))
			check(t)
		})
		t.Run("Purge through Scopes", func(t *testing.T) {
			require.NoError(t, tenant1(db).Delete(&Doc{}).Error)
			fx.clock.Advance(48 * time.Hour)
			n, err := softdelete.Purge(context.Background(), db.Scopes(tenant1), &Doc{}, softdelete.PurgeOptions{OlderThan: time.Hour})
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			check(t)
		})
		t.Run("HardDelete of the trash", func(t *testing.T) {
			d := Doc{TenantID: 1, Email: "t@x"}
			require.NoError(t, db.Create(&d).Error)
			require.NoError(t, db.Delete(&d).Error)
			res := softdelete.HardDelete(tenant1(db).Scopes(softdelete.OnlyDeleted), &Doc{})
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			check(t)
		})
		t.Run("HardDelete", func(t *testing.T) {
			require.NoError(t, db.Create(&Doc{TenantID: 1, Email: "h@x"}).Error)
			res := softdelete.HardDelete(tenant1(db), &Doc{})
			require.NoError(t, res.Error)
			assert.EqualValues(t, 1, res.RowsAffected)
			assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM docs WHERE tenant_id = 1"))
			check(t)
		})
		t.Run("Purge with cascade", func(t *testing.T) {
			for tenant := 1; tenant <= 2; tenant++ {
				f := Folder{TenantID: tenant, Files: []File{{}, {}}}
				require.NoError(t, db.Create(&f).Error)
				require.NoError(t, db.Delete(&f).Error)
			}
			fx.clock.Advance(48 * time.Hour)
			n, err := softdelete.Purge(context.Background(), tenant1(db), &Folder{}, softdelete.PurgeOptions{OlderThan: time.Hour})
			require.NoError(t, err)
			assert.EqualValues(t, 3, n, "tenant 1's folder and its two files")
			assert.EqualValues(t, 1, rawCount(t, db, "SELECT count(*) FROM folders WHERE tenant_id = 2"))
			assert.EqualValues(t, 2, rawCount(t, db,
				"SELECT count(*) FROM files WHERE folder_id IN (SELECT id FROM folders WHERE tenant_id = 2)"))
			assert.Zero(t, rawCount(t, db, "SELECT count(*) FROM folders WHERE tenant_id = 1"))
			assert.EqualValues(t, 2, rawCount(t, db, "SELECT count(*) FROM files"))
		})
	})
}
