package softdelete

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// These tests pin every GORM internal gorm.go relies on: when a GORM upgrade
// changes one, they fail here instead of users' data changing silently.

type seamModel struct {
	gorm.Model
	Name string
}

type seamPlain struct {
	ID   uint
	Name string
}

func openSeamDB(t *testing.T, target string, plugin bool) *gorm.DB {
	t.Helper()
	db := testdb.Open(t, target, &gorm.Config{Logger: logger.Discard})
	if plugin {
		require.NoError(t, db.Use(New()))
	}
	require.NoError(t, db.AutoMigrate(&seamModel{}, &seamPlain{}))
	return db
}

func TestSeamInitializeChecksAnchors(t *testing.T) {
	for _, name := range []string{cbQuery, cbBeforeDelete, cbDelete, cbAfterDelete} {
		t.Run(name, func(t *testing.T) {
			db := testdb.Open(t, "sqlite", &gorm.Config{Logger: logger.Discard})
			proc := map[string]interface{ Remove(string) error }{
				cbQuery: db.Callback().Query(), cbBeforeDelete: db.Callback().Delete(),
				cbDelete: db.Callback().Delete(), cbAfterDelete: db.Callback().Delete(),
			}[name]
			require.NoError(t, proc.Remove(name))
			err := db.Use(New())
			require.ErrorIs(t, err, ErrIncompatibleGORM)
			assert.Contains(t, err.Error(), name)
		})
	}
	db := testdb.Open(t, "sqlite", &gorm.Config{Logger: logger.Discard})
	require.NoError(t, checkGORM(db), "every anchor exists in this GORM version")
}

func TestSeamGORMMarksItsFilter(t *testing.T) {
	db := openSeamDB(t, "sqlite", false)
	stmt := db.Session(&gorm.Session{DryRun: true}).Find(&[]seamModel{}).Statement
	_, marked := stmt.Clauses[gormMarker]
	assert.True(t, marked, "gorm.SoftDeleteQueryClause marks the statement with %q", gormMarker)
	assert.Contains(t, stmt.SQL.String(), "`deleted_at` IS NULL")
}

func TestSeamDefaultTransactionKey(t *testing.T) {
	for _, skip := range []bool{false, true} {
		db := testdb.Open(t, "sqlite", &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: skip})
		require.NoError(t, db.AutoMigrate(&seamPlain{}))
		var inTx bool
		require.NoError(t, db.Callback().Delete().Before(cbDelete).Register("test:probe", func(db *gorm.DB) {
			inTx = inGormTransaction(db)
		}))
		require.NoError(t, db.Delete(&seamPlain{}, 1).Error)
		assert.Equal(t, !skip, inTx, "GORM's default transaction sets %q (SkipDefaultTransaction=%v)", gormTxKey, skip)
	}
}

func TestSeamSaveSelectsEveryColumn(t *testing.T) {
	db := openSeamDB(t, "sqlite", false)
	row := seamPlain{Name: "a"}
	require.NoError(t, db.Create(&row).Error)
	var writes bool
	require.NoError(t, db.Callback().Update().Before(cbUpdate).Register("test:probe", func(db *gorm.DB) {
		writes = writesZeroValues(db.Statement)
	}))
	require.NoError(t, db.Save(&row).Error)
	assert.True(t, writes, "Save selects \"*\"")
	require.NoError(t, db.Model(&row).Updates(seamPlain{Name: "b"}).Error)
	assert.False(t, writes, "Updates with a struct writes non-zero fields only")
}

// addPrimaryKeyConds and hasConditions copy gorm:delete's logic: the plugin's
// statements must select exactly the rows plain GORM's would, and refuse
// exactly the deletes GORM refuses.
func TestSeamPrimaryKeyAndMissingWhereMatchGORM(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target, func(t *testing.T) {
			plain, ours := openSeamDB(t, target, false), openSeamDB(t, target, true)
			dry := func(db *gorm.DB) *gorm.DB { return db.Session(&gorm.Session{DryRun: true}) }
			one, many := seamPlain{ID: 3}, []seamPlain{{ID: 4}, {ID: 5}}
			cases := map[string]struct {
				gorm, plugin func(db *gorm.DB) *gorm.DB
			}{
				"struct": {
					func(db *gorm.DB) *gorm.DB { return dry(db).Delete(&one) },
					func(db *gorm.DB) *gorm.DB { return HardDelete(dry(db), &one) },
				},
				"slice": {
					func(db *gorm.DB) *gorm.DB { return dry(db).Delete(&many) },
					func(db *gorm.DB) *gorm.DB { return HardDelete(dry(db), &many) },
				},
				"Model and value": {
					func(db *gorm.DB) *gorm.DB { return dry(db).Model(&seamPlain{ID: 7}).Delete(&seamPlain{ID: 8}) },
					func(db *gorm.DB) *gorm.DB { return HardDelete(dry(db).Model(&seamPlain{ID: 7}), &seamPlain{ID: 8}) },
				},
				"inline condition": {
					func(db *gorm.DB) *gorm.DB { return dry(db).Delete(&seamPlain{}, 9) },
					func(db *gorm.DB) *gorm.DB { return HardDelete(dry(db), &seamPlain{}, 9) },
				},
				"no condition": {
					func(db *gorm.DB) *gorm.DB { return dry(db).Delete(&seamPlain{}) },
					func(db *gorm.DB) *gorm.DB { return HardDelete(dry(db), &seamPlain{}) },
				},
				"global update allowed": {
					func(db *gorm.DB) *gorm.DB {
						return dry(db).Session(&gorm.Session{AllowGlobalUpdate: true}).Delete(&seamPlain{})
					},
					func(db *gorm.DB) *gorm.DB {
						return HardDelete(dry(db).Session(&gorm.Session{AllowGlobalUpdate: true}), &seamPlain{})
					},
				},
			}
			for name, c := range cases {
				t.Run(name, func(t *testing.T) {
					want, got := c.gorm(plain), c.plugin(ours)
					refused := errors.Is(want.Error, gorm.ErrMissingWhereClause)
					assert.Equal(t, refused, errors.Is(got.Error, gorm.ErrMissingWhereClause))
					if refused {
						return
					}
					require.NoError(t, got.Error)
					assert.Equal(t, want.Statement.SQL.String(), got.Statement.SQL.String())
					assert.Equal(t, want.Statement.Vars, got.Statement.Vars)
				})
			}
			// the soft-delete predicate is not a condition of its own
			err := ours.Delete(&seamModel{}).Error
			assert.ErrorIs(t, err, gorm.ErrMissingWhereClause)
			assert.ErrorIs(t, plain.Delete(&seamModel{}).Error, gorm.ErrMissingWhereClause)
		})
	}
}
