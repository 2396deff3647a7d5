package softdelete_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gorm-softdelete/softdelete"
)

// Subscriber is the model after the conversion: email unique among live rows.
type Subscriber struct {
	softdelete.Model
	Email string `softdelete:"unique"`
	List  string `softdelete:"index"`
}

// OldSubscriber is the same table before it: GORM's full unique index
// idx_subscribers_email.
type OldSubscriber struct {
	softdelete.Model
	Email string `gorm:"uniqueIndex"`
	List  string `gorm:"size:191"` // MySQL: a key column needs a length
}

func (OldSubscriber) TableName() string { return "subscribers" }

// convertOpts replaces GORM's full index by the partial one, concurrently
// where the database can.
var convertOpts = softdelete.MigrationOptions{
	Concurrently: true,
	Replace:      []softdelete.Replacement{{Index: "uidx_subscribers_email", Old: "idx_subscribers_email"}},
}

// execAll runs statements one by one, outside any transaction (as a
// migration tool does with NO TRANSACTION).
func execAll(t *testing.T, e *env, stmts []string) {
	t.Helper()
	for _, s := range stmts {
		require.NoError(t, e.db.Exec(s).Error, s)
	}
}

func TestMigrationSQLConvertsUpDownUp(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&OldSubscriber{}))
		old := OldSubscriber{Email: "a@example.com"}
		require.NoError(t, e.db.Create(&old).Error)
		require.NoError(t, e.db.Delete(&old).Error)
		require.Error(t, e.db.Create(&OldSubscriber{Email: "a@example.com"}).Error, "the full index burns the deleted key")

		m, err := softdelete.MigrationSQL(e.db, convertOpts, &Subscriber{})
		require.NoError(t, err)
		assert.Equal(t, e.name == "postgres", m.NoTransaction)
		require.Len(t, m.Steps, 2)

		pairs := m.Steps[1].Pairs()
		require.Len(t, pairs, 2)
		assert.Equal(t, m.Steps[1].Up, []string{pairs[0].Up, pairs[1].Up})
		assert.Equal(t, m.Steps[1].Down, []string{pairs[1].Down, pairs[0].Down})
		assert.Contains(t, pairs[0].Down, "uidx_subscribers_email", "the create is undone by the drop")

		execAll(t, e, m.Up())
		assert.Contains(t, indexDef(t, e, "uidx_subscribers_email"), livePredicate(e))
		assert.Contains(t, indexDef(t, e, "idx_subscribers_list_live"), livePredicate(e))
		assert.Empty(t, indexDef(t, e, "idx_subscribers_email"))
		execAll(t, e, m.Up()) // IF [NOT] EXISTS: running it again changes nothing

		execAll(t, e, m.Down())
		assert.Empty(t, indexDef(t, e, "uidx_subscribers_email"))
		assert.Empty(t, indexDef(t, e, "idx_subscribers_list_live"))
		full := indexDef(t, e, "idx_subscribers_email")
		assert.Contains(t, full, "UNIQUE")
		assert.NotContains(t, full, "WHERE")

		execAll(t, e, m.Up())
		require.NoError(t, e.db.Create(&Subscriber{Email: "a@example.com"}).Error, "the deleted key is free")
		assert.Error(t, e.db.Create(&Subscriber{Email: "a@example.com"}).Error, "two live rows cannot share it")
		assert.EqualValues(t, 2, e.count(t, "SELECT count(*) FROM subscribers WHERE email = 'a@example.com'"))

		// Once a deleted key is reused, the full index cannot come back.
		assert.Error(t, e.db.Exec(m.Down()[0]).Error)
	})
}

func TestMigrationSQLSameNameReplacement(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, e.db.AutoMigrate(&OldSubscriber{}))
		opts := softdelete.MigrationOptions{Replace: []softdelete.Replacement{
			{Index: "uidx_subscribers_email", Old: "uidx_subscribers_email"},
		}}
		require.NoError(t, e.db.Exec(`CREATE UNIQUE INDEX uidx_subscribers_email ON subscribers (email)`).Error)
		m, err := softdelete.MigrationSQL(e.db, opts, &Subscriber{})
		require.NoError(t, err)
		execAll(t, e, m.Up())
		assert.Contains(t, indexDef(t, e, "uidx_subscribers_email"), livePredicate(e))
		execAll(t, e, m.Down())
		assert.NotContains(t, indexDef(t, e, "uidx_subscribers_email"), "WHERE")
		assert.Contains(t, indexDef(t, e, "uidx_subscribers_email"), "UNIQUE")
	})
}

func TestMigrationSQLMatchesIndexSQL(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		create, err := softdelete.IndexSQL(e.db, &Subscriber{})
		require.NoError(t, err)
		m, err := softdelete.MigrationSQL(e.db, softdelete.MigrationOptions{}, &Subscriber{})
		require.NoError(t, err)
		require.Len(t, m.Steps, len(create))
		assert.False(t, m.NoTransaction)
		for i, s := range m.Steps {
			require.Len(t, s.Up, 1)
			assert.Contains(t, s.Up[0], "IF NOT EXISTS")
			assert.Equal(t, create[i], strings.ReplaceAll(s.Up[0], "IF NOT EXISTS ", ""))
			assert.Equal(t, "Subscriber", s.Model)
			assert.Equal(t, "subscribers", s.Table)
			assert.Len(t, s.Repair, 2)
		}
	})
}

func TestMigrationSQLRejectsBadReplacements(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		for name, r := range map[string]softdelete.Replacement{
			"unknown index": {Index: "uidx_nope", Old: "idx_subscribers_email"},
			"not unique":    {Index: "idx_subscribers_list_live", Old: "idx_subscribers_list"},
			"no old index":  {Index: "uidx_subscribers_email"},
		} {
			m, err := softdelete.MigrationSQL(e.db, softdelete.MigrationOptions{Replace: []softdelete.Replacement{r}}, &Subscriber{})
			assert.ErrorIs(t, err, softdelete.ErrInvalidMigration, name)
			assert.Nil(t, m, name)
		}
		constraint := softdelete.Replacement{Index: "uidx_subscribers_email", Old: "uni_subscribers_email", Constraint: true}
		m, err := softdelete.MigrationSQL(e.db, softdelete.MigrationOptions{Replace: []softdelete.Replacement{constraint}}, &Subscriber{})
		if e.name == "sqlite" {
			assert.ErrorIs(t, err, softdelete.ErrInvalidMigration, "SQLite cannot drop a UNIQUE constraint")
			return
		}
		require.NoError(t, err)
		if e.name != "postgres" { // MySQL: a UNIQUE constraint is an index
			return
		}
		assert.Contains(t, m.Up(), `ALTER TABLE "subscribers" DROP CONSTRAINT IF EXISTS "uni_subscribers_email"`)
		assert.Contains(t, m.Down(), `ALTER TABLE "subscribers" ADD CONSTRAINT "uni_subscribers_email" UNIQUE ("email")`)
	})
}

func TestMigrationSQLValidatesLikeIndexSQL(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, err := softdelete.MigrationSQL(e.db, softdelete.MigrationOptions{}, &struct {
			softdelete.Model
			A string `softdelete:"uniq"`
		}{})
		assert.ErrorIs(t, err, softdelete.ErrInvalidTag)
	})
}
