package softdelete_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gorm-softdelete/softdelete"
)

// sqlStateError stands for a driver error carrying a SQLSTATE (pgconn.PgError).
type sqlStateError string

func (e sqlStateError) Error() string    { return "ERROR: (SQLSTATE " + string(e) + ")" }
func (e sqlStateError) SQLState() string { return string(e) }

func TestIsRetryable(t *testing.T) {
	cases := map[string]struct {
		err  error
		want bool
	}{
		"nil":                      {nil, false},
		"deadlock, wrapped":        {fmt.Errorf("softdelete: cascade: %w", sqlStateError("40P01")), true},
		"serialization failure":    {sqlStateError("40001"), true},
		"unique violation":         {sqlStateError("23505"), false},
		"SQLite busy":              {errors.New("database is locked (5) (SQLITE_BUSY)"), true},
		"a restore conflict":       {softdelete.ErrRestoreConflict, false},
		"joined with another":      {errors.Join(errors.New("x"), sqlStateError("40P01")), true},
		"deleted-at write refused": {softdelete.ErrDeletedAtWrite, false},
	}
	for name, c := range cases {
		assert.Equal(t, c.want, softdelete.IsRetryable(c.err), name)
	}
}
