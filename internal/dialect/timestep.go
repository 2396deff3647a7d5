package dialect

import (
	"regexp"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// TimeStep is the smallest difference between two deletion timestamps the
// ANSI base's databases store: PostgreSQL's timestamptz keeps microseconds,
// and SQLite keeps what it is given (the plugin writes microseconds).
func (ansi) TimeStep(*gorm.DB, *schema.Field) time.Duration { return time.Microsecond }

// fractionDigits finds the fractional-second digits of a MySQL time type:
// datetime(3), timestamp(6), DATETIME(3) NULL.
var fractionDigits = regexp.MustCompile(`(?i)^\s*(?:datetime|timestamp)\s*(?:\(\s*(\d)\s*\))?`)

// TimeStep is the precision of the column f is migrated to (its type as the
// dialector renders it: GORM's MySQL default for time.Time is datetime(3),
// a millisecond): what a deletion timestamp is truncated to so that what is
// stored equals what is written back, and the step past the newest
// tombstone of a cascade. A type the step cannot be read from counts as
// seconds (datetime).
func (mysql) TimeStep(db *gorm.DB, f *schema.Field) time.Duration {
	if db == nil || db.Dialector == nil || f == nil {
		return time.Second
	}
	m := fractionDigits.FindStringSubmatch(db.Dialector.DataTypeOf(f))
	if m == nil {
		return time.Second
	}
	digits, _ := strconv.Atoi(m[1]) // "" (no precision) is 0
	if digits > 6 {
		digits = 6
	}
	step := time.Second
	for ; digits > 0; digits-- {
		step /= 10
	}
	return step
}
