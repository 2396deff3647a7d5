package bench

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a report ran.
type Machine struct {
	CPU      string // model name from /proc/cpuinfo
	Cores    int    // runtime.NumCPU
	Go       string
	OS       string
	SQLite   string
	Postgres string
	MariaDB  string
	Date     time.Time
	Load     string // /proc/loadavg at the start and the end of the run
}

// LoadAvg returns the 1, 5 and 15 minute load averages.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// DetectMachine fills everything but the database versions.
func DetectMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Date: time.Now().UTC(), CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	m.OS = runtime.GOOS + "/" + runtime.GOARCH
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += ", kernel " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS += ", " + strings.Trim(v, `"`)
			}
		}
	}
	return m
}

// Report is the outcome of one report run.
type Report struct {
	Quick       bool
	Scale       Scale
	Rounds      int
	PurgeRounds int
	BenchTime   string
	Machine     Machine
	Groups      []GroupResult
	Purges      []PurgeRuns
	PurgeGrowth []PurgeRuns // PostgreSQL, one entry per size of Scale.PurgeGrowthPG
	Elapsed     time.Duration
	Errors      []error
	Notes       []string
}

// Headline is one headline ratio with its target.
type Headline struct {
	Name   string
	Value  float64
	Target string // e.g. "≤ 1.05"; "" for information only
	Met    bool
	Note   string
}

// group returns the result of the group with that ID, or nil.
func (r *Report) group(id string) *GroupResult {
	for i := range r.Groups {
		if r.Groups[i].Group.ID() == id {
			return &r.Groups[i]
		}
	}
	return nil
}

// ratio is the paired ns/op ratio of impl a over b in group id (NaN when
// the group did not run).
func (r *Report) ratio(id, a, b string, m Metric) float64 {
	g := r.group(id)
	if g == nil || g.Case(a) == nil || g.Case(b) == nil || len(g.Case(a).Samples) == 0 || len(g.Case(b).Samples) == 0 {
		return math.NaN()
	}
	return Ratio(g.Case(a), g.Case(b), m)
}

// diff is the paired difference of m between impl a and b in group id.
func (r *Report) diff(id, a, b string, m Metric) float64 {
	g := r.group(id)
	if g == nil || g.Case(a) == nil || g.Case(b) == nil || len(g.Case(a).Samples) == 0 || len(g.Case(b).Samples) == 0 {
		return math.NaN()
	}
	return Diff(g.Case(a), g.Case(b), m)
}

// Headlines computes the headline ratios, in print order.
func (r *Report) Headlines() []Headline {
	var hs []Headline
	add := func(name string, v float64, target string, met bool, note string) {
		hs = append(hs, Headline{Name: name, Value: v, Target: target, Met: met && !math.IsNaN(v), Note: note})
	}
	le := func(name string, v, limit float64, note string) {
		add(name, v, fmt.Sprintf("≤ %.2f", limit), v <= limit, note)
	}
	for _, op := range []string{"find", "count", "delete", "restore"} {
		v := r.ratio("build/"+op, ImplPlugin, ImplBuiltin, NsPerOp)
		d := r.diff("build/"+op, ImplPlugin, ImplBuiltin, AllocsPerOp)
		if op == "find" {
			le("build_find_plugin_vs_builtin", v, 1.05, "")
			add("build_find_allocs_plugin_minus_builtin", d, "≤ 1", d <= 1, "")
			continue
		}
		note := ""
		if op == "restore" {
			note = "built-in has no Restore: Unscoped().UpdateColumn"
		}
		add("build_"+op+"_plugin_vs_builtin", v, "", true, note)
		add("build_"+op+"_allocs_plugin_minus_builtin", d, "", true, "")
	}
	worst, worstAllocs, worstOp := math.NaN(), math.NaN(), ""
	for _, g := range r.Groups {
		if g.Group.Section != "unmanaged" {
			continue
		}
		v := r.ratio(g.Group.ID(), ImplPlugin, ImplNone, NsPerOp)
		a := r.diff(g.Group.ID(), ImplPlugin, ImplNone, AllocsPerOp)
		add("unmanaged_"+g.Group.Name+"_plugin_vs_none", v, "", true, "")
		if math.IsNaN(worst) || v > worst {
			worst, worstOp = v, g.Group.Name
		}
		if math.IsNaN(worstAllocs) || a > worstAllocs {
			worstAllocs = a
		}
	}
	le("unmanaged_plugin_vs_none", worst, 1.02, "worst operation: "+worstOp)
	add("unmanaged_allocs_plugin_minus_none", worstAllocs, "= 0", worstAllocs == 0, "worst operation")
	le("e2e_pk_sqlite_plugin_vs_builtin", r.ratio("e2e sqlite-mem/pk", ImplPlugin, ImplBuiltin, NsPerOp), 1.03, "in-memory SQLite, no PrepareStmt")
	le("e2e_pk_pg_plugin_vs_builtin", r.ratio("e2e postgres/pk", ImplPlugin, ImplBuiltin, NsPerOp), 1.02, "no PrepareStmt")
	for _, t := range []Target{SQLiteMem, Postgres} {
		name := "cascade_100k_plugin_vs_handwritten"
		if t != Postgres {
			name = "cascade_100k_sqlite_plugin_vs_handwritten"
		}
		size := r.largestCascade(t)
		note := string(t)
		if size != 100_000 && size > 0 {
			note = fmt.Sprintf("%s; this run's largest size, %d posts (100 000 only in the full run)", t, size)
		}
		le(name, r.ratio(fmt.Sprintf("cascade %s/%d", t, size), ImplPlugin, ImplHandwritten, NsPerOp), 1.2, note)
	}
	hs = append(hs, r.mariaDBHeadlines()...)
	hs = append(hs, r.purgeHeadlines()...)
	for _, t := range []Target{SQLiteMem, Postgres} {
		tn := "pg"
		if t != Postgres {
			tn = "sqlite"
		}
		add("upsert_"+tn+"_plugin_vs_handwritten", r.ratio("upsert/"+string(t), ImplPlugin, ImplHandwritten, NsPerOp), "", true, "")
	}
	return hs
}

// mariaDBHeadlines are the MariaDB ratios, information only (no targets
// yet): plugin vs built-in for the point read and the lists (no
// PrepareStmt), plugin vs hand-written for the largest cascade.
func (r *Report) mariaDBHeadlines() []Headline {
	var hs []Headline
	info := func(name string, v float64, note string) {
		hs = append(hs, Headline{Name: name, Value: v, Note: note})
	}
	if r.group("e2e "+string(MariaDB)+"/pk") == nil && r.largestCascade(MariaDB) == 0 {
		return nil // the MariaDB target did not run
	}
	info("e2e_pk_mariadb_plugin_vs_builtin", r.ratio("e2e mariadb/pk", ImplPlugin, ImplBuiltin, NsPerOp), "no PrepareStmt")
	for _, pct := range []int{10, 50, 90} {
		info(fmt.Sprintf("e2e_list%d_mariadb_plugin_vs_builtin", pct),
			r.ratio(fmt.Sprintf("e2e mariadb/list %d%% deleted", pct), ImplPlugin, ImplBuiltin, NsPerOp),
			fmt.Sprintf("100 live rows of the %d%% deleted table, no PrepareStmt", pct))
	}
	size := r.largestCascade(MariaDB)
	note := "mariadb"
	if size != 100_000 && size > 0 {
		note = fmt.Sprintf("mariadb; this run's largest size, %d posts (100 000 only in the full run)", size)
	}
	info("cascade_100k_mariadb_plugin_vs_handwritten", r.ratio(fmt.Sprintf("cascade mariadb/%d", size), ImplPlugin, ImplHandwritten, NsPerOp), note)
	return hs
}

// purgeHeadlines are the purge targets of issue 14: PostgreSQL default
// options ≥ 0.4× one DELETE and BatchTime 20ms ≥ 0.8×, slowest batch ≤ 25 ms
// in both; SQLite default ≥ 0.7×; rows/s flat with table size.
func (r *Report) purgeHeadlines() []Headline {
	var hs []Headline
	add := func(name string, v float64, target string, met bool, note string) {
		hs = append(hs, Headline{Name: name, Value: v, Target: target, Met: met && !math.IsNaN(v), Note: note})
	}
	for _, pr := range r.Purges {
		tn, least := "pg", 0.4
		switch pr.Target {
		case SQLiteFile, SQLiteMem:
			tn, least = "sqlite", 0.7
		case MariaDB: // no targets yet: information only
			tn, least = "mariadb", math.NaN()
		}
		note := fmt.Sprintf("%s, %d rows, rows/s ratio", pr.Target, pr.Rows)
		v := pr.PurgeRatio()
		target, met := fmt.Sprintf("≥ %.2f", least), v >= least
		if math.IsNaN(least) {
			target, met, note = "", true, note+" (keyset batches)"
		}
		add("purge_"+tn+"_batched_vs_single", v, target, met, note+", default options")
		ms := float64(pr.SlowestBatch().Microseconds()) / 1e3
		target, met = "≤ 25", ms <= 25
		if math.IsNaN(least) {
			target, met = "", true
		}
		add("purge_"+tn+"_slowest_batch_ms", ms, target, met, "default options")
		v = pr.RatioOf(ImplBatchTime)
		target, met = "", true
		if pr.Target == Postgres {
			target, met = "≥ 0.80", v >= 0.8
		}
		add("purge_"+tn+"_batchtime_vs_single", v, target, met, fmt.Sprintf("%s, BatchTime %s", note, purgeBatchTime))
		ms = float64(pr.SlowestOf(ImplBatchTime).Microseconds()) / 1e3
		target, met = "", true
		if pr.Target == Postgres {
			target, met = "≤ 25", ms <= 25
		}
		add("purge_"+tn+"_batchtime_slowest_batch_ms", ms, target, met, "")
	}
	if g := r.PurgeGrowth; len(g) > 0 {
		for _, pr := range g {
			add(fmt.Sprintf("purge_pg_rows_per_s_%d", pr.Rows), medianOf(pr.Batched, PurgeResult.RowsPerSec), "", true, "default options")
		}
		first, last := g[0], g[len(g)-1]
		v := medianOf(last.Batched, PurgeResult.RowsPerSec) / medianOf(first.Batched, PurgeResult.RowsPerSec)
		add("purge_pg_growth_largest_vs_smallest", v, "≥ 0.80", v >= 0.8,
			fmt.Sprintf("rows/s at %d rows over rows/s at %d rows: flat, not falling with size", last.Rows, first.Rows))
	}
	return hs
}

// largestCascade is the largest cascade size that ran on t (0: none).
func (r *Report) largestCascade(t Target) int {
	largest := 0
	for _, g := range r.Groups {
		if g.Group.Section == "cascade "+string(t) {
			var n int
			if _, err := fmt.Sscan(g.Group.Name, &n); err == nil && n > largest {
				largest = n
			}
		}
	}
	return largest
}

// RatioLines are the machine-readable lines: "RATIO <name> <value>".
func (r *Report) RatioLines() []string {
	var out []string
	for _, h := range r.Headlines() {
		out = append(out, fmt.Sprintf("RATIO %s %s", h.Name, formatValue(h.Value)))
	}
	return out
}

func formatValue(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return fmt.Sprintf("%.3f", v)
}

// sectionSpec says how to tabulate a family of sections.
type sectionSpec struct {
	impls  []string
	ratios [][2]string // [num, den] paired ns/op ratios
	allocs [][2]string // [a, b] paired allocs/op differences
	intro  string
}

func specFor(section string) sectionSpec {
	switch {
	case section == "build":
		return sectionSpec{
			impls:  []string{ImplPlain, ImplBuiltin, ImplSoftDelete, ImplPlugin},
			ratios: [][2]string{{ImplPlugin, ImplBuiltin}},
			allocs: [][2]string{{ImplPlugin, ImplBuiltin}},
			intro:  "Statement building only: DryRun session, SQLite dialect, nothing sent to a database.",
		}
	case section == "unmanaged":
		return sectionSpec{
			impls:  []string{ImplNone, ImplPlugin},
			ratios: [][2]string{{ImplPlugin, ImplNone}},
			allocs: [][2]string{{ImplPlugin, ImplNone}},
			intro:  "A model without a soft-delete field (`Tag`), plugin not registered vs registered; DryRun, SQLite dialect.",
		}
	case strings.HasPrefix(section, "e2e"):
		return sectionSpec{
			impls:  []string{ImplRaw, ImplPlain, ImplBuiltin, ImplSoftDelete, ImplPlugin},
			ratios: [][2]string{{ImplPlugin, ImplBuiltin}, {ImplPlugin, ImplRaw}},
			allocs: [][2]string{{ImplPlugin, ImplBuiltin}},
		}
	case strings.HasPrefix(section, "cascade"):
		return sectionSpec{
			impls:  []string{ImplHandwritten, ImplPlugin},
			ratios: [][2]string{{ImplPlugin, ImplHandwritten}},
			intro:  "One delete + restore cycle of 1 user, N posts, 3N comments; cell: cycle time (delete + restore).",
		}
	case section == "upsert":
		return sectionSpec{
			impls:  []string{ImplBuiltin, ImplHandwritten, ImplPlugin},
			ratios: [][2]string{{ImplPlugin, ImplHandwritten}, {ImplPlugin, ImplBuiltin}},
			allocs: [][2]string{{ImplPlugin, ImplHandwritten}},
		}
	}
	return sectionSpec{}
}

// Markdown renders the report (machine, headlines, one table per section,
// purge) as Markdown.
func (r *Report) Markdown() string {
	var b strings.Builder
	mode := "full"
	if r.Quick {
		mode = "quick (-quick: smaller data, shorter runs)"
	}
	m := r.Machine
	fmt.Fprintf(&b, "Run: %s, %s, %d interleaved rounds per group (5 for cascades of 10 000+ posts), -test.benchtime=%s per run, medians; took %s.\n\n",
		m.Date.Format("2006-01-02 15:04 UTC"), mode, r.Rounds, r.BenchTime, r.Elapsed.Round(time.Second))
	fmt.Fprintf(&b, "Machine: %s, %d cores; %s; %s; SQLite %s; PostgreSQL %s (harness cluster: fsync=off, synchronous_commit=off, loopback TCP)",
		m.CPU, m.Cores, m.Go, m.OS, m.SQLite, m.Postgres)
	if m.MariaDB != "" {
		fmt.Fprintf(&b, "; MariaDB %s (harness server: innodb_flush_log_at_trx_commit=0, doublewrite off, no binlog, loopback TCP)", m.MariaDB)
	}
	fmt.Fprintf(&b, ". Load average (1/5/15 min) at start → end: %s (other work shared the machine).\n\n", m.Load)
	fmt.Fprintf(&b, "Data: e2e tables of %d rows each; cascade sizes %v posts (×3 comments); purge %d rows (PostgreSQL) / %d (SQLite, MariaDB), 80%% due, cost growth at %v rows (PostgreSQL); upsert %d live slugs with 2 tombstones each.\n\n",
		r.Scale.ItemRows, r.Scale.CascadeSizes, r.Scale.PurgeRowsPG, r.Scale.PurgeRowsLite, r.Scale.PurgeGrowthPG, r.Scale.UpsertRows)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s\n\n", n)
	}

	b.WriteString("#### Headline ratios\n\n| name | value | target | met | note |\n|---|---:|---|---|---|\n")
	for _, h := range r.Headlines() {
		met := ""
		if h.Target != "" {
			met = "yes"
			if !h.Met {
				met = "**no**"
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", h.Name, formatValue(h.Value), h.Target, met, h.Note)
	}
	b.WriteString("\nRatios are medians of per-round ratios (each round runs the cases of a group back to back); " +
		"allocation differences likewise. Cells: median ns/op (allocs/op).\n")

	var sections []string
	seen := map[string]bool{}
	for _, g := range r.Groups {
		if !seen[g.Group.Section] {
			seen[g.Group.Section] = true
			sections = append(sections, g.Group.Section)
		}
	}
	for _, s := range sections {
		r.section(&b, s)
	}
	r.purgeSection(&b)
	if len(r.Errors) > 0 {
		b.WriteString("\n#### Errors\n\n")
		for _, err := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
	return b.String()
}

// section renders one section's table.
func (r *Report) section(b *strings.Builder, section string) {
	spec := specFor(section)
	fmt.Fprintf(b, "\n#### %s\n\n", section)
	if spec.intro != "" {
		fmt.Fprintf(b, "%s\n\n", spec.intro)
	}
	cascade := strings.HasPrefix(section, "cascade")
	b.WriteString("| op |")
	for _, impl := range spec.impls {
		fmt.Fprintf(b, " %s |", impl)
	}
	for _, rt := range spec.ratios {
		fmt.Fprintf(b, " %s/%s |", rt[0], rt[1])
	}
	for _, a := range spec.allocs {
		fmt.Fprintf(b, " Δallocs %s−%s |", a[0], a[1])
	}
	if cascade {
		b.WriteString(" delete / restore ms (hand · plugin) | statements delete+restore (hand · plugin) |")
	}
	b.WriteString("\n|---|")
	n := len(spec.impls) + len(spec.ratios) + len(spec.allocs)
	if cascade {
		n += 2
	}
	b.WriteString(strings.Repeat("---:|", n) + "\n")
	for _, g := range r.Groups {
		if g.Group.Section != section {
			continue
		}
		fmt.Fprintf(b, "| %s |", g.Group.Name)
		for _, impl := range spec.impls {
			c := g.Case(impl)
			switch {
			case c == nil:
				b.WriteString(" |")
			case c.Err != nil:
				b.WriteString(" error |")
			default:
				fmt.Fprintf(b, " %s (%.0f) |", FormatNs(c.Median(NsPerOp)), c.Median(AllocsPerOp))
			}
		}
		for _, rt := range spec.ratios {
			fmt.Fprintf(b, " %s |", formatValue(r.ratio(g.Group.ID(), rt[0], rt[1], NsPerOp)))
		}
		for _, a := range spec.allocs {
			fmt.Fprintf(b, " %+.0f |", r.diff(g.Group.ID(), a[0], a[1], AllocsPerOp))
		}
		if cascade {
			h, p := g.Case(ImplHandwritten), g.Case(ImplPlugin)
			fmt.Fprintf(b, " %.2f / %.2f · %.2f / %.2f | %s · %s |",
				h.Median(ExtraMetric("delete-ms/op")), h.Median(ExtraMetric("restore-ms/op")),
				p.Median(ExtraMetric("delete-ms/op")), p.Median(ExtraMetric("restore-ms/op")),
				g.Stmts[ImplHandwritten], g.Stmts[ImplPlugin])
		}
		b.WriteString("\n")
	}
}

// purgeSection renders the purge runs.
func (r *Report) purgeSection(b *strings.Builder) {
	if len(r.Purges) == 0 {
		return
	}
	fmt.Fprintf(b, "\n#### purge\n\nsoftdelete.Purge with its default options (`batched`: BatchSize %d) and with `BatchTime: %s` "+
		"(`batchtime`) vs one `DELETE ... WHERE deleted_at < cutoff` (`single`), interleaved; the table is re-seeded before every run "+
		"(untimed). Slowest batch: longest gap between OnBatch calls (first: from the call).\n\n", purgeBatchSize, purgeBatchTime)
	if r.Scale.PurgeBudget > 0 {
		fmt.Fprintf(b, "Each batched run is capped at %s (cancelled through its context); a capped run's rows/s and batches cover the part that ran.\n\n", r.Scale.PurgeBudget)
	}
	fmt.Fprintf(b, "%d rounds per target.\n\n", r.PurgeRounds)
	purgeTable(b, r.Purges, purgeImpls)
	if len(r.PurgeGrowth) > 0 {
		b.WriteString("\nCost growth with table size (PostgreSQL, default options vs one DELETE, same data at each size):\n\n")
		purgeTable(b, r.PurgeGrowth, []string{ImplBatched, ImplSingle})
	}
}

// purgeTable renders purge runs, one line per implementation.
func purgeTable(b *strings.Builder, purges []PurgeRuns, impls []string) {
	b.WriteString("| target | rows (due) | impl | median time | median rows/s | slowest batch (all runs) | batches | capped runs | impl/single rows/s |\n|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, pr := range purges {
		if pr.Err != nil {
			fmt.Fprintf(b, "| %s | %d | error: %s | | | | | |\n", pr.Target, pr.Rows, strings.ReplaceAll(pr.Err.Error(), "\n", " "))
			continue
		}
		for _, impl := range impls {
			runs, ratio := *pr.runs(impl), formatValue(pr.RatioOf(impl))
			if impl == ImplSingle {
				ratio = ""
			}
			capped := 0
			for _, x := range runs {
				if x.Partial {
					capped++
				}
			}
			fmt.Fprintf(b, "| %s | %d (%d) | %s | %s | %.0f | %s | %.0f | %d | %s |\n", pr.Target, pr.Rows, int64(pr.Rows)/10*8, impl,
				FormatNs(medianOf(runs, func(x PurgeResult) float64 { return float64(x.Elapsed) })),
				medianOf(runs, PurgeResult.RowsPerSec), FormatNs(float64(pr.SlowestOf(impl))),
				medianOf(runs, func(x PurgeResult) float64 { return float64(x.Batches) }), capped, ratio)
		}
	}
}
