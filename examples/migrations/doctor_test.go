package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/soft_delete"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/testdb"
)

// PluginModel uses gorm.io/plugin/soft_delete's column type, which this
// plugin does not handle (the library itself never imports that module: it
// recognises the type by its package path).
type PluginModel struct {
	ID        uint
	Name      string
	DeletedAt soft_delete.DeletedAt `gorm:"softDelete:milli"`
}

func TestCheckNamesTheSoftDeletePluginType(t *testing.T) {
	testdb.Each(t, func() *gorm.Config { return &gorm.Config{Logger: logger.Discard} }, func(t *testing.T, db *gorm.DB) {
		require.NoError(t, db.Use(softdelete.New()))
		require.NoError(t, db.AutoMigrate(&PluginModel{}))
		findings, err := softdelete.Check(db, &PluginModel{})
		require.NoError(t, err)
		require.Len(t, findings, 1, "%v", findings)
		f := findings[0]
		assert.Equal(t, softdelete.FindingUnsupportedType, f.Kind)
		assert.Equal(t, "DeletedAt", f.Field)
		assert.Contains(t, f.Problem, "gorm.io/plugin/soft_delete.DeletedAt")

		err = softdelete.Restore(db, &PluginModel{ID: 1}).Error
		assert.ErrorIs(t, err, softdelete.ErrNotSoftDeletable)
		assert.ErrorContains(t, err, "field DeletedAt is gorm.io/plugin/soft_delete.DeletedAt, not a soft-delete type")
	})
}

func TestDoctorFindsEveryMistake(t *testing.T) {
	testdb.Each(t, func() *gorm.Config { return &gorm.Config{Logger: logger.Discard} }, func(t *testing.T, db *gorm.DB) {
		if db.Dialector.Name() == "mysql" {
			t.Skip("the example is for SQLite and PostgreSQL")
		}
		require.NoError(t, db.Use(softdelete.New()))
		var out bytes.Buffer
		require.NoError(t, Doctor(&out, db))
		for _, want := range []string{
			"Account.Email (accounts): gorm-unique-tag:",
			`Coupon.Code (coupons): misspelled-tag: tag softDelete:"unique"`,
			"Session.DeletedAt (sessions): unsupported-type: field DeletedAt is *time.Time",
			"Legacy.DeletedAt (legacies): unsupported-type: field DeletedAt is gorm.io/plugin/soft_delete.DeletedAt",
			"Board.Cards (cards): unindexed-foreign-key:",
			"Board.Cards (cards): live-orphans: 1 live rows of cards",
		} {
			assert.Contains(t, out.String(), want)
		}
		assert.Equal(t, 6, strings.Count(out.String(), "Why:"), out.String())
	})
}

func TestDoctorCommandRuns(t *testing.T) {
	db, err := offline("sqlite")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, Doctor(&out, db))
	assert.Contains(t, out.String(), "live-orphans")
}
