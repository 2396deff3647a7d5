package bench

import (
	"testing"
)

// Case is one implementation's benchmark body in a Group.
type Case struct {
	Impl string
	// Run is the benchmark body: it runs the operation b.N times and
	// returns the first error (so the report can say what failed).
	Run func(b *testing.B) error
}

// Bench runs c as an ordinary Go benchmark.
func (c Case) Bench(b *testing.B) {
	b.ReportAllocs()
	if err := c.Run(b); err != nil {
		b.Fatal(err)
	}
}

// Group is one operation measured on every implementation that has it.
type Group struct {
	// Section groups tables in the report ("build", "e2e sqlite-mem", ...).
	Section string
	// Name is the operation ("find", "pk", "list 90% deleted", ...).
	Name  string
	Cases []Case
	// Stmts, when set, counts the SQL statements one operation of each
	// implementation runs (outside the timed loop): impl -> "n" text.
	Stmts func() (map[string]string, error)
	// MaxRounds caps the rounds of a group whose operation takes seconds
	// (0: no cap; never below 5).
	MaxRounds int
}

// ID is the group's unique name, used for sub-benchmark names.
func (g Group) ID() string { return g.Section + "/" + g.Name }

// loop runs op b.N times (i is the iteration) after resetting the timer,
// and returns op's first error.
func loop(b *testing.B, op func(i int) error) error {
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := op(i); err != nil {
			return err
		}
	}
	return nil
}
