//go:build gormmodel

package softdelete_test

import "gorm.io/gorm"

// With -tags gormmodel the core suite runs on models embedding gorm.Model:
// the plugin must give them everything it gives its own column type.
type (
	BaseModel = gorm.Model
	deletedAt = gorm.DeletedAt
)
