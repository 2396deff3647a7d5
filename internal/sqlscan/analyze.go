package sqlscan

import "strings"

// Finding is a reference to a soft-deletable table that no soft-delete
// predicate guards.
type Finding struct {
	Table  string // the table, as Tables named it
	Column string // its soft-delete column, as Tables named it
	Name   string // how the statement refers to it: its alias, or its name as written
	Write  bool   // the table is the target of an UPDATE or DELETE
}

// Tables reports whether a table, named as a statement writes it (the parts
// of a qualified name, unquoted), is soft-deletable, with the table's
// registered name and its soft-delete column.
type Tables func(name []string) (table, column string, ok bool)

// Unguarded returns the references to soft-deletable tables in toks (one
// or more statements) that no soft-delete predicate guards. A reference is
// guarded by "<ref>.<column> IS [NOT] NULL" (ISNULL, NOTNULL, or a range:
// <, <=, >, >=, BETWEEN, true of tombstones only), where <ref>
// is its alias or, without one, its name, or by the unqualified column when
// it is the only soft-deletable table of its query block with that column,
// as one of the top-level conjuncts (ANDed, not under OR or NOT) of its
// query block's WHERE or of its own join's ON. Each query block (a SELECT of
// a compound, a subquery, a CTE, a derived table) needs its own predicate.
// CTE names are not tables; the target of an INSERT is not read.
func Unguarded(toks []Token, tables Tables) []Finding {
	a := &analyzer{tables: tables}
	a.statements(toks)
	return a.out
}

// Join returns the unguarded references of a join string a statement GORM
// builds adds after its table main ("JOIN posts p ON p.author_id =
// users.id"): the join's ON, or one of conds — the conditions GORM ANDs into
// the statement's WHERE — must hold the predicate. main itself, filtered by
// GORM, is never reported.
func Join(main string, join []Token, conds [][]Token, tables Tables) []Finding {
	toks := []Token{word("SELECT"), {Kind: Op, Text: "*"}, word("FROM"), {Kind: Quoted, Text: main, trusted: true}}
	toks = append(toks, join...)
	for i, c := range conds {
		if i == 0 {
			toks = append(toks, word("WHERE"))
		} else {
			toks = append(toks, word("AND"))
		}
		toks = append(toks, Token{Kind: Punct, Text: "("})
		toks = append(toks, c...)
		toks = append(toks, Token{Kind: Punct, Text: ")"})
	}
	return Unguarded(toks, tables)
}

// IsNull returns the tokens of "qual.column IS NULL" (qual may be empty):
// a condition GORM holds as a structure (clause.Eq{Value: nil}), for Join.
func IsNull(qual, column string, not bool) []Token {
	var toks []Token
	if qual != "" {
		toks = append(toks, Token{Kind: Quoted, Text: qual}, Token{Kind: Punct, Text: "."})
	}
	toks = append(toks, Token{Kind: Quoted, Text: column}, word("IS"))
	if not {
		toks = append(toks, word("NOT"))
	}
	return append(toks, word("NULL"))
}

func word(w string) Token { return Token{Kind: Word, Text: w} }

// analyzer collects the findings of one Unguarded call.
type analyzer struct {
	tables Tables
	out    []Finding
}

// ref is a reference to a soft-deletable table in one query block.
type ref struct {
	parts  []string // the name as written
	alias  string
	table  string
	column string
	write  bool
	on     []pred // the top-level conjuncts of its own join's ON
}

// name is how the query block refers to the table.
func (r *ref) name() string {
	if r.alias != "" {
		return r.alias
	}
	return r.parts[len(r.parts)-1]
}

// pred is a soft-delete predicate: [qual.]col IS [NOT] NULL.
type pred struct{ qual, col string }

// statements analyses statements separated by semicolons.
func (a *analyzer) statements(ts []Token) {
	start := 0
	depth := 0
	for i := 0; i <= len(ts); i++ {
		if i < len(ts) {
			depth += nesting(ts[i])
			if depth != 0 || !isPunct(ts[i], ";") {
				continue
			}
		}
		a.statement(ts[start:i], nil)
		start = i + 1
	}
}

// statement analyses one statement (or query) with the CTE names ctes in
// scope.
func (a *analyzer) statement(ts []Token, ctes []string) {
	if len(ts) > 0 && isWord(ts[0], "WITH") {
		ts, ctes = a.with(ts, ctes)
	}
	if len(ts) == 0 {
		return
	}
	switch {
	case isWord(ts[0], "SELECT") || isPunct(ts[0], "("):
		a.compound(ts, ctes)
	case isWord(ts[0], "UPDATE"):
		a.update(ts, ctes)
	case isWord(ts[0], "DELETE"):
		a.delete(ts, ctes)
	default: // INSERT ... SELECT, CREATE VIEW ... AS SELECT, EXPLAIN: the query it holds
		if i := indexWord(ts, 1, "SELECT", "WITH"); i > 0 {
			a.scanGroups(ts[:i], ctes)
			a.statement(ts[i:], ctes)
			return
		}
		a.scanGroups(ts, ctes)
	}
}

// with reads WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (query),
// ..., analysing each CTE's query, and returns the statement after it and
// the CTE names then in scope.
func (a *analyzer) with(ts []Token, ctes []string) ([]Token, []string) {
	i := 1
	recursive := i < len(ts) && isWord(ts[i], "RECURSIVE")
	if recursive {
		i++
	}
	names := append([]string(nil), ctes...)
	for i < len(ts) && isName(ts[i]) {
		name := strings.ToLower(ts[i].Text)
		i++
		if i < len(ts) && isPunct(ts[i], "(") {
			i = closing(ts, i) + 1
		}
		for i < len(ts) && (isWord(ts[i], "AS") || isWord(ts[i], "NOT") || isWord(ts[i], "MATERIALIZED")) {
			i++
		}
		if i >= len(ts) || !isPunct(ts[i], "(") {
			break
		}
		end := closing(ts, i)
		scope := names
		if recursive {
			scope = append(append([]string(nil), names...), name)
		}
		a.statement(ts[i+1:end], scope)
		names = append(names, name)
		i = end + 1
		if i < len(ts) && isPunct(ts[i], ",") {
			i++
		}
	}
	return ts[min(i, len(ts)):], names
}

// compound analyses SELECTs joined by UNION, INTERSECT or EXCEPT, each its
// own query block.
func (a *analyzer) compound(ts []Token, ctes []string) {
	for _, part := range splitWords(ts, "UNION", "INTERSECT", "EXCEPT", "MINUS") {
		for len(part) > 0 && (isWord(part[0], "ALL") || isWord(part[0], "DISTINCT")) {
			part = part[1:]
		}
		switch {
		case len(part) == 0:
		case isPunct(part[0], "("):
			end := closing(part, 0)
			a.statement(part[1:end], ctes)
			a.scanGroups(part[min(end+1, len(part)):], ctes)
		case isWord(part[0], "SELECT"):
			a.selectBlock(part, ctes)
		default:
			a.scanGroups(part, ctes)
		}
	}
}

// selectBlock analyses one SELECT query block.
func (a *analyzer) selectBlock(ts []Token, ctes []string) {
	var refs []*ref
	var preds []pred
	for _, seg := range split(ts, "SELECT", selectClause) {
		switch seg.kw {
		case "FROM":
			refs = append(refs, a.fromList(seg.toks, ctes)...)
		case "WHERE":
			preds = conjuncts(seg.toks)
			a.scanGroups(seg.toks, ctes)
		default:
			a.scanGroups(seg.toks, ctes)
		}
	}
	a.check(refs, preds)
}

// selectClause reports whether w starts a new clause of a SELECT.
func selectClause(cur, w string) bool {
	switch w {
	case "FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "OFFSET", "FETCH", "FOR", "LOCK", "RETURNING", "INTO":
		return true
	case "ON": // INSERT ... SELECT ... ON CONFLICT / ON DUPLICATE KEY
		return cur == "WHERE"
	}
	return false
}

// update analyses UPDATE [OR x] [LOW_PRIORITY] [IGNORE] target [joins] SET
// ... [FROM ...] [WHERE ...].
func (a *analyzer) update(ts []Token, ctes []string) {
	i := 1
	if i < len(ts) && isWord(ts[i], "OR") {
		i += 2
	}
	for i < len(ts) && (isWord(ts[i], "LOW_PRIORITY") || isWord(ts[i], "IGNORE")) {
		i++
	}
	var refs []*ref
	var preds []pred
	for _, seg := range split(ts[min(i, len(ts)):], "UPDATE", updateClause) {
		switch seg.kw {
		case "UPDATE":
			target, end := a.item(seg.toks, 0, ctes)
			for _, r := range target {
				r.write = true
			}
			refs = append(append(refs, target...), a.fromList(seg.toks[end:], ctes)...)
		case "FROM":
			refs = append(refs, a.fromList(seg.toks, ctes)...)
		case "WHERE":
			preds = conjuncts(seg.toks)
			a.scanGroups(seg.toks, ctes)
		default:
			a.scanGroups(seg.toks, ctes)
		}
	}
	a.check(refs, preds)
}

func updateClause(_, w string) bool {
	switch w {
	case "SET", "FROM", "WHERE", "RETURNING", "ORDER", "LIMIT":
		return true
	}
	return false
}

// delete analyses DELETE [targets] FROM table [joins] [USING ...] [WHERE ...]
// (targets: MySQL's multi-table form).
func (a *analyzer) delete(ts []Token, ctes []string) {
	var targets []string
	var refs []*ref
	var preds []pred
	for _, seg := range split(ts[1:], "TARGETS", deleteClause) {
		switch seg.kw {
		case "TARGETS":
			for _, t := range seg.toks {
				if isName(t) && !keyword(t.Text) {
					targets = append(targets, strings.ToLower(t.Text))
				}
			}
		case "FROM":
			first, end := a.item(seg.toks, 0, ctes)
			for _, r := range first {
				r.write = len(targets) == 0
			}
			refs = append(append(refs, first...), a.fromList(seg.toks[end:], ctes)...)
		case "USING":
			refs = append(refs, a.fromList(seg.toks, ctes)...)
		case "WHERE":
			preds = conjuncts(seg.toks)
			a.scanGroups(seg.toks, ctes)
		default:
			a.scanGroups(seg.toks, ctes)
		}
	}
	for _, r := range refs {
		for _, t := range targets {
			r.write = r.write || strings.EqualFold(r.name(), t)
		}
	}
	a.check(refs, preds)
}

func deleteClause(_, w string) bool {
	switch w {
	case "FROM", "USING", "WHERE", "RETURNING", "ORDER", "LIMIT":
		return true
	}
	return false
}

// check reports the block's references that neither their ON nor the
// block's WHERE guards.
func (a *analyzer) check(refs []*ref, where []pred) {
	for _, r := range refs {
		if !guarded(r, r.on, refs) && !guarded(r, where, refs) {
			a.out = append(a.out, Finding{Table: r.table, Column: r.column, Name: r.name(), Write: r.write})
		}
	}
}

// guarded reports whether one of preds guards r among the block's refs: an
// unqualified column only when no other soft-deletable table of the block
// has a column of that name (else the database would call it ambiguous).
func guarded(r *ref, preds []pred, refs []*ref) bool {
	col := strings.ToLower(r.column)
	for _, p := range preds {
		if p.col != col {
			continue
		}
		if p.qual == "" && sameColumn(refs, col) == 1 {
			return true
		}
		if p.qual != "" && p.qual == strings.ToLower(r.name()) {
			return true
		}
	}
	return false
}

// sameColumn counts the refs whose soft-delete column is col.
func sameColumn(refs []*ref, col string) int {
	n := 0
	for _, r := range refs {
		if strings.ToLower(r.column) == col {
			n++
		}
	}
	return n
}

// fromList reads a FROM list: items separated by commas and joins, each
// join's ON applying to the item it joins.
func (a *analyzer) fromList(ts []Token, ctes []string) []*ref {
	var refs, last []*ref
	for i := 0; i < len(ts); {
		t := ts[i]
		switch {
		case isPunct(t, ",") || joinWord(t):
			i++
		case isWord(t, "ON"):
			end := i + 1
			for end < len(ts) && !isPunct(ts[end], ",") && !joinWord(ts[end]) {
				if isPunct(ts[end], "(") {
					end = closing(ts, end)
				}
				end++
			}
			end = min(end, len(ts))
			for _, r := range last {
				r.on = append(r.on, conjuncts(ts[i+1:end])...)
			}
			a.scanGroups(ts[i+1:end], ctes)
			i = end
		case isWord(t, "USING"):
			i = skipTail(ts, i+1)
		default:
			last, i = a.item(ts, i, ctes)
			refs = append(refs, last...)
		}
	}
	return refs
}

// item reads one FROM item at i — [LATERAL|ONLY] name [[AS] alias [(cols)]],
// a derived table, a table function or a parenthesised join — and returns
// its soft-deletable refs and the index after it.
func (a *analyzer) item(ts []Token, i int, ctes []string) ([]*ref, int) {
	for i < len(ts) && (isWord(ts[i], "LATERAL") || isWord(ts[i], "ONLY")) {
		i++
	}
	if i >= len(ts) {
		return nil, i
	}
	var out []*ref
	single := false
	switch {
	case isPunct(ts[i], "("):
		end := closing(ts, i)
		if inner := ts[i+1 : end]; startsQuery(inner) {
			a.statement(inner, ctes)
		} else {
			out = a.fromList(inner, ctes)
		}
		i = end + 1
	case isName(ts[i]):
		parts, j := qualifiedName(ts, i)
		if j < len(ts) && isPunct(ts[j], "(") { // a table function
			end := closing(ts, j)
			a.scanGroups(ts[j:min(end+1, len(ts))], ctes)
			i = end + 1
			break
		}
		if r := a.newRef(ts[i], parts, ctes); r != nil {
			out, single = append(out, r), true
		}
		i = j
	default:
		return nil, i + 1
	}
	alias, i := aliasAt(ts, min(i, len(ts)))
	if single {
		out[0].alias = alias
	}
	return out, skipTail(ts, i)
}

// newRef returns the ref of a table name, or nil when it names a CTE, a
// table that is not soft-deletable, or the table GORM filters (Join).
func (a *analyzer) newRef(first Token, parts []string, ctes []string) *ref {
	if first.trusted {
		return nil
	}
	if len(parts) == 1 {
		for _, c := range ctes {
			if strings.EqualFold(c, parts[0]) {
				return nil
			}
		}
	}
	table, column, ok := a.tables(parts)
	if !ok {
		return nil
	}
	return &ref{parts: parts, table: table, column: column}
}

// aliasAt reads an optional [AS] alias [(columns)] at i.
func aliasAt(ts []Token, i int) (string, int) {
	alias := ""
	switch {
	case i < len(ts) && isWord(ts[i], "AS") && i+1 < len(ts) && isName(ts[i+1]):
		alias, i = ts[i+1].Text, i+2
	case i < len(ts) && (ts[i].Kind == Quoted || (ts[i].Kind == Word && !keyword(ts[i].Text))):
		alias, i = ts[i].Text, i+1
	}
	if alias != "" && i < len(ts) && isPunct(ts[i], "(") {
		i = closing(ts, i) + 1
	}
	return alias, min(i, len(ts))
}

// skipTail skips what may follow a FROM item (index hints, TABLESAMPLE,
// USING (cols)) up to the next comma, join or ON.
func skipTail(ts []Token, i int) int {
	for i < len(ts) && !isPunct(ts[i], ",") && !joinWord(ts[i]) && !isWord(ts[i], "ON") {
		if isPunct(ts[i], "(") {
			i = closing(ts, i)
		}
		i++
	}
	return min(i, len(ts))
}

// scanGroups analyses the subqueries in the parenthesised groups of ts.
func (a *analyzer) scanGroups(ts []Token, ctes []string) {
	for i := 0; i < len(ts); i++ {
		if !isPunct(ts[i], "(") {
			continue
		}
		end := closing(ts, i)
		if inner := ts[i+1 : end]; startsQuery(inner) {
			a.statement(inner, ctes)
		} else {
			a.scanGroups(inner, ctes)
		}
		i = end
	}
}

// conjuncts returns the soft-delete predicates among the top-level
// conjuncts of a condition: split at AND, recursing into a conjunct that
// is wholly parenthesised. A conjunct that is anything else (an OR, a NOT,
// a comparison) contributes nothing.
func conjuncts(ts []Token) []pred {
	var out []pred
	start, depth, between := 0, 0, false
	for i := 0; i <= len(ts); i++ {
		if i < len(ts) {
			depth += nesting(ts[i])
			if depth == 0 && isWord(ts[i], "BETWEEN") {
				between = true
			}
			if depth != 0 || !isWord(ts[i], "AND") {
				continue
			}
			if between { // BETWEEN x AND y
				between = false
				continue
			}
		}
		c := ts[start:i]
		start = i + 1
		if len(c) >= 2 && isPunct(c[0], "(") && closing(c, 0) == len(c)-1 {
			out = append(out, conjuncts(c[1:len(c)-1])...)
		} else if p, ok := predicate(c); ok {
			out = append(out, p)
		}
	}
	return out
}

// predicate matches exactly [qual.]col IS [NOT] NULL, col ISNULL or col
// NOTNULL, or a range on the column (trashRange).
func predicate(c []Token) (pred, bool) {
	if len(c) == 0 || !isName(c[0]) {
		return pred{}, false
	}
	parts, j := qualifiedName(c, 0)
	rest := c[j:]
	ok := (len(rest) == 2 && isWord(rest[0], "IS") && isWord(rest[1], "NULL")) ||
		(len(rest) == 3 && isWord(rest[0], "IS") && isWord(rest[1], "NOT") && isWord(rest[2], "NULL")) ||
		(len(rest) == 1 && (isWord(rest[0], "ISNULL") || isWord(rest[0], "NOTNULL"))) ||
		trashRange(rest)
	if !ok {
		return pred{}, false
	}
	p := pred{col: strings.ToLower(parts[len(parts)-1])}
	if len(parts) > 1 {
		p.qual = strings.ToLower(parts[len(parts)-2])
	}
	return p, true
}

// trashRange reports whether what follows the column compares it with <,
// <=, >, >= or BETWEEN: true of tombstones only (NULL compares to nothing),
// a deliberate read of the trash (DELETE ... WHERE deleted_at < ?).
func trashRange(rest []Token) bool {
	if len(rest) < 2 || disjunction(rest) {
		return false
	}
	if isWord(rest[0], "BETWEEN") {
		return true
	}
	op := rest[0].Kind == Op && (rest[0].Text == "<" || rest[0].Text == ">")
	return op && !(rest[1].Kind == Op && (rest[1].Text == ">" || rest[1].Text == "<"))
}

// disjunction reports whether ts holds a top-level OR (XOR, ||).
func disjunction(ts []Token) bool {
	depth := 0
	for i, t := range ts {
		depth += nesting(t)
		if depth == 0 && (isWord(t, "OR", "XOR") || (t.Text == "|" && i+1 < len(ts) && ts[i+1].Text == "|")) {
			return true
		}
	}
	return false
}

// qualifiedName reads name(.name)* at i.
func qualifiedName(ts []Token, i int) ([]string, int) {
	parts := []string{ts[i].Text}
	i++
	for i+1 < len(ts) && isPunct(ts[i], ".") && isName(ts[i+1]) {
		parts = append(parts, ts[i+1].Text)
		i += 2
	}
	return parts, i
}

// segment is one clause of a statement: its keyword and its tokens.
type segment struct {
	kw   string
	toks []Token
}

// split cuts ts at the top-level words for which brk(current clause, word)
// holds; the first segment is named first. FROM after IS [NOT] DISTINCT is
// part of a condition.
func split(ts []Token, first string, brk func(cur, w string) bool) []segment {
	segs := []segment{{kw: first}}
	depth, start := 0, 0
	for i, t := range ts {
		depth += nesting(t)
		if depth != 0 || t.Kind != Word {
			continue
		}
		w := strings.ToUpper(t.Text)
		cur := segs[len(segs)-1].kw
		if !brk(cur, w) || (w == "FROM" && i > 0 && isWord(ts[i-1], "DISTINCT")) {
			continue
		}
		segs[len(segs)-1].toks = ts[start:i]
		segs = append(segs, segment{kw: w})
		start = i + 1
	}
	segs[len(segs)-1].toks = ts[start:]
	return segs
}

// splitWords cuts ts at the top-level words given.
func splitWords(ts []Token, words ...string) [][]Token {
	var parts [][]Token
	depth, start := 0, 0
	for i, t := range ts {
		depth += nesting(t)
		if depth == 0 && isWord(t, words...) {
			parts = append(parts, ts[start:i])
			start = i + 1
		}
	}
	return append(parts, ts[start:])
}

// indexWord returns the index of the first top-level word among words at
// or after from, or -1.
func indexWord(ts []Token, from int, words ...string) int {
	depth := 0
	for i, t := range ts {
		depth += nesting(t)
		if i >= from && depth == 0 && isWord(t, words...) {
			return i
		}
	}
	return -1
}

// closing returns the index of the ")" matching the "(" at i, or len(ts)
// when it is missing.
func closing(ts []Token, i int) int {
	depth := 0
	for j := i; j < len(ts); j++ {
		depth += nesting(ts[j])
		if depth == 0 {
			return j
		}
	}
	return len(ts)
}

// nesting is +1 for "(", -1 for ")", else 0.
func nesting(t Token) int {
	switch {
	case isPunct(t, "("):
		return 1
	case isPunct(t, ")"):
		return -1
	}
	return 0
}

// startsQuery reports whether a parenthesised group holds a query.
func startsQuery(ts []Token) bool {
	for len(ts) > 0 && isPunct(ts[0], "(") {
		ts = ts[1:]
	}
	return len(ts) > 0 && (isWord(ts[0], "SELECT") || isWord(ts[0], "WITH"))
}

func isPunct(t Token, p string) bool { return t.Kind == Punct && t.Text == p }

// isWord reports whether t is one of the bare words (any case).
func isWord(t Token, words ...string) bool {
	if t.Kind != Word {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.Text, w) {
			return true
		}
	}
	return false
}

// isName reports whether t can be a table, alias or column name.
func isName(t Token) bool { return t.Kind == Quoted || t.Kind == Word }

// joinWord reports whether t is part of a join operator.
func joinWord(t Token) bool {
	return isWord(t, "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "OUTER", "STRAIGHT_JOIN")
}

// keyword reports whether a bare word is reserved where a name or alias
// could stand: it is never read as an alias.
func keyword(w string) bool {
	switch strings.ToUpper(w) {
	case "SELECT", "FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "OFFSET", "FETCH",
		"FOR", "LOCK", "RETURNING", "INTO", "ON", "USING", "JOIN", "INNER", "LEFT", "RIGHT", "FULL",
		"CROSS", "NATURAL", "OUTER", "STRAIGHT_JOIN", "UNION", "INTERSECT", "EXCEPT", "MINUS", "SET",
		"USE", "FORCE", "IGNORE", "INDEXED", "NOT", "TABLESAMPLE", "PARTITION", "VALUES", "WITH", "AS",
		"AND", "OR", "WHEN", "THEN", "ELSE", "END", "CASE", "IN", "IS", "LIKE", "BETWEEN", "EXISTS",
		"DISTINCT", "ALL", "ARRAY", "UPDATE", "DELETE", "INSERT", "BY":
		return true
	}
	return false
}
