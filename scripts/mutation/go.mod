module github.com/gorm-softdelete/softdelete/scripts/mutation

go 1.25.0
