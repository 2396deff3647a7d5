package softdelete

import (
	"time"

	"gorm.io/gorm"
)

// HardDelete permanently removes the rows value and conds select, deleted or
// not (same arguments as db.Delete), children of softdelete:"cascade"
// relations first:
//
//	softdelete.HardDelete(db, &post)
//	// DELETE FROM "posts" WHERE "posts"."id" = 1
//
// Combine it with OnlyDeleted to empty the trash; the scope counts as a
// condition:
//
//	softdelete.HardDelete(db.Scopes(softdelete.OnlyDeleted), &Post{})
//	// DELETE FROM "posts" WHERE "posts"."deleted_at" IS NOT NULL
//
// Without any condition it fails with gorm.ErrMissingWhereClause, and
// without the plugin registered with ErrNotRegistered. BeforeDelete and
// AfterDelete hooks run, as for db.Unscoped().Delete.
func HardDelete(db *gorm.DB, value any, conds ...any) *gorm.DB {
	return runVerb(db, verbHard, "HardDelete", value, conds)
}

// hardDelete renders the DELETE (honouring OnlyDeleted, which then counts as
// a condition) after removing cascade children.
func (p *Plugin) hardDelete(db *gorm.DB, m *modelMeta) {
	stmt := db.Statement
	addPrimaryKeyConds(stmt)
	trash := false
	if sc, _ := scopeOf(stmt); sc == scopeOnly {
		if p.onlyDeleted(db, m); db.Error != nil {
			return
		}
		countPredicateAsCondition(stmt)
		trash = true
	}
	if !trash && !hasConditions(stmt) {
		_ = db.AddError(gorm.ErrMissingWhereClause)
		return
	}
	if p.cascadeHardDelete(db, m) != nil {
		return
	}
	buildDelete(stmt)
	p.captureChanges(db, OpHardDelete, m, time.Time{}, nil)
}
