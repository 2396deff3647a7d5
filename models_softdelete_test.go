//go:build !gormmodel

package softdelete_test

import "github.com/gorm-softdelete/softdelete"

// The core suite runs on this package's column type by default, and on GORM's
// gorm.DeletedAt with -tags gormmodel (see models_gorm_test.go).
type (
	BaseModel = softdelete.Model
	deletedAt = softdelete.DeletedAt
)
