package softdelete_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gorm-softdelete/softdelete"
)

// PtrNote keeps its soft-delete column behind a pointer.
type PtrNote struct {
	ID        uint
	Text      string
	DeletedAt *softdelete.DeletedAt `gorm:"index"`
}

// Audit is embedded; its DeletedAt is found through the embedding.
type Audit struct {
	RemovedAt softdelete.DeletedAt `gorm:"column:removed_at"`
}

type AuditedNote struct {
	ID   uint
	Text string
	Audit
}

func TestFieldShapes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		require.NoError(t, softdelete.AutoMigrate(e.db, &PtrNote{}, &AuditedNote{}))

		p := PtrNote{Text: "ptr"}
		require.NoError(t, e.db.Create(&p).Error)
		require.NoError(t, e.db.Delete(&p).Error)
		require.NotNil(t, p.DeletedAt)
		assert.True(t, p.DeletedAt.IsDeleted())
		var ps []PtrNote
		require.NoError(t, e.db.Find(&ps).Error)
		assert.Empty(t, ps)
		require.NoError(t, softdelete.Restore(e.db, &p).Error)
		assert.True(t, p.DeletedAt == nil || !p.DeletedAt.IsDeleted())
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM ptr_notes WHERE deleted_at IS NULL"))

		a := AuditedNote{Text: "embedded"}
		require.NoError(t, e.db.Create(&a).Error)
		require.NoError(t, e.db.Delete(&a).Error)
		assert.True(t, a.RemovedAt.IsDeleted())
		assert.EqualValues(t, 1, e.count(t, "SELECT count(*) FROM audited_notes WHERE removed_at IS NOT NULL"))
		var as []AuditedNote
		require.NoError(t, e.db.Find(&as).Error)
		assert.Empty(t, as)
		require.NoError(t, e.db.Scopes(softdelete.OnlyDeleted).Find(&as).Error)
		assert.Len(t, as, 1)
	})
}
