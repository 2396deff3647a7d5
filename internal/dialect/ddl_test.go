package dialect

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIndexDDL(t *testing.T) {
	ix := Index{Name: "uidx", Table: "s.t", Columns: []string{"a"}, Unique: true, Where: `"deleted_at" IS NULL`}
	both := DDL{Concurrently: true, IfExists: true}
	cases := []struct {
		dialect, create, drop string
		o                     DDL
	}{
		{"postgres", `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "uidx" ON "s"."t" ("a") WHERE "deleted_at" IS NULL`,
			`DROP INDEX CONCURRENTLY IF EXISTS "s"."uidx"`, both},
		{"postgres", `CREATE UNIQUE INDEX "uidx" ON "s"."t" ("a") WHERE "deleted_at" IS NULL`, `DROP INDEX "s"."uidx"`, DDL{}},
		{"sqlite", `CREATE UNIQUE INDEX IF NOT EXISTS "uidx" ON "s"."t" ("a") WHERE "deleted_at" IS NULL`,
			`DROP INDEX IF EXISTS "uidx"`, both},
		{"otherdb", `CREATE UNIQUE INDEX IF NOT EXISTS "uidx" ON "s"."t" ("a") WHERE "deleted_at" IS NULL`,
			`DROP INDEX IF EXISTS "uidx"`, both},
	}
	for _, c := range cases {
		d := For(c.dialect)
		assert.Equal(t, c.create, d.CreateIndexDDL(ix, c.o), c.dialect)
		drop, err := d.DropIndexDDL(ix, c.o)
		require.NoError(t, err)
		assert.Equal(t, c.drop, drop, c.dialect)
		assert.Equal(t, d.CreateIndex(ix), d.CreateIndexDDL(ix, DDL{}), "CreateIndex is unchanged")
	}
	assert.True(t, For("postgres").Features().Has(ConcurrentIndexes))
	assert.False(t, For("sqlite").Features().Has(ConcurrentIndexes))

	uni := Index{Name: "uni_t_a", Table: "t", Columns: []string{"a"}, Unique: true, Constraint: true}
	pg := For("postgres")
	assert.Equal(t, `ALTER TABLE "t" ADD CONSTRAINT "uni_t_a" UNIQUE ("a")`, pg.CreateIndexDDL(uni, both))
	drop, err := pg.DropIndexDDL(uni, both)
	require.NoError(t, err)
	assert.Equal(t, `ALTER TABLE "t" DROP CONSTRAINT IF EXISTS "uni_t_a"`, drop)
	_, err = For("sqlite").DropIndexDDL(uni, both)
	assert.Error(t, err)
	assert.Equal(t, `ALTER INDEX "s"."a" RENAME TO "b"`, pg.RenameIndex("s.t", "a", "b"))
	assert.Equal(t, `ALTER INDEX "a" RENAME TO "b"`, pg.RenameIndex("t", "a", "b"))
}
