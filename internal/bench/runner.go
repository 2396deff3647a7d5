package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"testing"
	"time"
)

// Sample is one testing.Benchmark result of one case.
type Sample struct {
	Ns, Bytes, Allocs float64
	Extra             map[string]float64
}

// CaseResult is every round's sample of one case.
type CaseResult struct {
	Impl    string
	Samples []Sample
	Err     error
}

// GroupResult is a group measured round after round.
type GroupResult struct {
	Group  Group
	Cases  []CaseResult
	Stmts  map[string]string // see Group.Stmts
	Errors []error
}

// Case returns the result of impl, or nil.
func (r *GroupResult) Case(impl string) *CaseResult {
	for i := range r.Cases {
		if r.Cases[i].Impl == impl {
			return &r.Cases[i]
		}
	}
	return nil
}

// Metric extracts one number from a sample.
type Metric func(Sample) float64

// The metrics.
var (
	NsPerOp     Metric = func(s Sample) float64 { return s.Ns }
	BytesPerOp  Metric = func(s Sample) float64 { return s.Bytes }
	AllocsPerOp Metric = func(s Sample) float64 { return s.Allocs }
)

// ExtraMetric reads a b.ReportMetric unit.
func ExtraMetric(unit string) Metric { return func(s Sample) float64 { return s.Extra[unit] } }

// Median is the median of m over the case's samples (NaN-free: 0 when none).
func (c *CaseResult) Median(m Metric) float64 {
	if c == nil || len(c.Samples) == 0 {
		return 0
	}
	xs := make([]float64, len(c.Samples))
	for i, s := range c.Samples {
		xs[i] = m(s)
	}
	return median(xs)
}

// Ratio is the median over rounds of a's m divided by b's m in the same
// round: rounds are interleaved, so pairing cancels drift across rounds.
func Ratio(a, b *CaseResult, m Metric) float64 {
	if a == nil || b == nil {
		return 0
	}
	n := min(len(a.Samples), len(b.Samples))
	var xs []float64
	for i := 0; i < n; i++ {
		if d := m(b.Samples[i]); d != 0 {
			xs = append(xs, m(a.Samples[i])/d)
		}
	}
	return median(xs)
}

// Diff is the median over rounds of a's m minus b's m in the same round.
func Diff(a, b *CaseResult, m Metric) float64 {
	if a == nil || b == nil {
		return 0
	}
	n := min(len(a.Samples), len(b.Samples))
	xs := make([]float64, n)
	for i := 0; i < n; i++ {
		xs[i] = m(a.Samples[i]) - m(b.Samples[i])
	}
	return median(xs)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// RunGroup measures g: rounds rounds, each running every case once with
// testing.Benchmark, in alternating order (A B C, C B A, ...), so the
// cases of a group are interleaved and none always runs first. The
// -test.benchtime flag in force sets each run's length.
func RunGroup(g Group, rounds int, progress io.Writer) GroupResult {
	r := GroupResult{Group: g, Cases: make([]CaseResult, len(g.Cases))}
	for i, c := range g.Cases {
		r.Cases[i].Impl = c.Impl
	}
	start := time.Now()
	if g.MaxRounds > 0 {
		rounds = min(rounds, max(g.MaxRounds, 5))
	}
	for round := 0; round < rounds; round++ {
		order := make([]int, len(g.Cases))
		for i := range order {
			order[i] = i
			if round%2 == 1 {
				order[i] = len(order) - 1 - i
			}
		}
		for _, i := range order {
			if r.Cases[i].Err != nil {
				continue
			}
			var err error
			res := testing.Benchmark(func(b *testing.B) { err = g.Cases[i].Run(b) })
			if err == nil && res.N == 0 {
				err = fmt.Errorf("benchmark did not run")
			}
			if err != nil {
				r.Cases[i].Err = err
				r.Errors = append(r.Errors, fmt.Errorf("%s/%s: %w", g.ID(), g.Cases[i].Impl, err))
				continue
			}
			r.Cases[i].Samples = append(r.Cases[i].Samples, Sample{
				Ns:     float64(res.NsPerOp()),
				Bytes:  float64(res.AllocedBytesPerOp()),
				Allocs: float64(res.AllocsPerOp()),
				Extra:  res.Extra,
			})
		}
	}
	if g.Stmts != nil {
		var err error
		if r.Stmts, err = g.Stmts(); err != nil {
			r.Errors = append(r.Errors, fmt.Errorf("%s: counting statements: %w", g.ID(), err))
		}
	}
	if progress != nil {
		fmt.Fprintf(progress, "  %-40s %6.1fs", g.ID(), time.Since(start).Seconds())
		for _, c := range r.Cases {
			fmt.Fprintf(progress, "  %s=%s", c.Impl, FormatNs(c.Median(NsPerOp)))
		}
		fmt.Fprintln(progress)
	}
	return r
}

// PurgeRuns are the interleaved runs of the purge benchmark on one target.
type PurgeRuns struct {
	Target     Target
	Rows       int
	Batched    []PurgeResult // softdelete.Purge, default options
	BatchTimed []PurgeResult // softdelete.Purge, BatchTime purgeBatchTime
	Single     []PurgeResult // one DELETE
	Err        error
}

// purgeImpls are the purge implementations in round order.
var purgeImpls = []string{ImplBatched, ImplBatchTime, ImplSingle}

// runs returns the runs of impl.
func (pr *PurgeRuns) runs(impl string) *[]PurgeResult {
	switch impl {
	case ImplBatched:
		return &pr.Batched
	case ImplBatchTime:
		return &pr.BatchTimed
	}
	return &pr.Single
}

// RunPurge re-seeds and purges rounds times per implementation, the three
// interleaved (the order flips every round), on the fixture's current Rows.
func RunPurge(fx *PurgeFixture, rounds int, progress io.Writer) PurgeRuns {
	return runPurge(fx, rounds, purgeImpls, progress)
}

// runPurge is RunPurge over the given implementations.
func runPurge(fx *PurgeFixture, rounds int, impls []string, progress io.Writer) PurgeRuns {
	pr := PurgeRuns{Target: fx.Target, Rows: fx.Rows}
	start := time.Now()
	for round := 0; round < rounds && pr.Err == nil; round++ {
		order := slices.Clone(impls)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, impl := range order {
			if err := fx.Seed(); err != nil {
				pr.Err = err
				break
			}
			r, err := fx.Run(impl)
			if err != nil {
				pr.Err = fmt.Errorf("purge %s %d rows %s: %w", fx.Target, fx.Rows, impl, err)
				break
			}
			dst := pr.runs(impl)
			*dst = append(*dst, r)
		}
	}
	if progress != nil {
		fmt.Fprintf(progress, "  %-40s %6.1fs", fmt.Sprintf("purge/%s/%d", fx.Target, fx.Rows), time.Since(start).Seconds())
		for _, impl := range impls {
			fmt.Fprintf(progress, "  %s=%.0f rows/s", impl, medianOf(*pr.runs(impl), PurgeResult.RowsPerSec))
		}
		fmt.Fprintln(progress)
	}
	return pr
}

// RunPurgeGrowth runs the default purge and the single DELETE at each size
// (rounds times each, interleaved), for the cost growth with table size.
func RunPurgeGrowth(fx *PurgeFixture, sizes []int, rounds int, progress io.Writer) []PurgeRuns {
	defer func(rows int) { fx.Rows = rows }(fx.Rows)
	var out []PurgeRuns
	for _, n := range sizes {
		fx.Rows = n
		pr := runPurge(fx, rounds, []string{ImplBatched, ImplSingle}, progress)
		out = append(out, pr)
		if pr.Err != nil {
			break
		}
	}
	return out
}

// medianOf is the median of f over runs.
func medianOf(runs []PurgeResult, f func(PurgeResult) float64) float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = f(r)
	}
	return median(xs)
}

// PurgeRatio is the median over rounds of the default purge's rows/s over
// the single DELETE's.
func (pr PurgeRuns) PurgeRatio() float64 { return pr.RatioOf(ImplBatched) }

// RatioOf is the median over rounds of impl's rows/s over the single
// DELETE's, paired by round.
func (pr PurgeRuns) RatioOf(impl string) float64 {
	runs := *pr.runs(impl)
	n := min(len(runs), len(pr.Single))
	var xs []float64
	for i := 0; i < n; i++ {
		if s := pr.Single[i].RowsPerSec(); s > 0 {
			xs = append(xs, runs[i].RowsPerSec()/s)
		}
	}
	return median(xs)
}

// SlowestBatch is the slowest batch over every default-options run.
func (pr PurgeRuns) SlowestBatch() time.Duration { return pr.SlowestOf(ImplBatched) }

// SlowestOf is the slowest batch over every run of impl.
func (pr PurgeRuns) SlowestOf(impl string) time.Duration {
	var d time.Duration
	for _, r := range *pr.runs(impl) {
		d = max(d, r.Slowest)
	}
	return d
}

// FormatNs renders nanoseconds with a readable unit.
func FormatNs(ns float64) string {
	switch {
	case ns == 0:
		return "–"
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return fmt.Sprintf("%.2f s", ns/1e9)
}
