// Package sqlscan reads SQL text far enough to tell which tables a statement
// reads or writes and which of them it filters with a soft-delete predicate
// ("t"."deleted_at" IS NULL): the leak detector's parser.
//
// No maintained Go SQL parser reads the three dialects the plugin supports
// (docs/leak-detector.md has the evaluation), so this package is a lexer
// that gets quoting right in each of them — quoted identifiers ("x", `x`,
// [x]), string literals with doubled quotes, backslash escapes (MySQL,
// PostgreSQL's E'...'), dollar-quoted strings, --, # and nested /* */
// comments, placeholders ($1, ?, ?1, :name, @name) — feeding a small
// structural analysis (analyze.go): statements, CTEs, subqueries, FROM
// lists, joins and the top-level conjuncts of WHERE and ON.
package sqlscan

import "strings"

// Kind is the kind of a token.
type Kind uint8

// Token kinds.
const (
	Word   Kind = iota // a bare word: keyword or unquoted identifier
	Quoted             // a quoted identifier; Text is the name, unquoted
	String             // a string literal of any form
	Number             // a numeric literal
	Param              // a placeholder: ?, ?1, $1, :name, @name
	Punct              // ( ) , . ;
	Op                 // any other character
)

// Token is one lexical token.
type Token struct {
	Kind Kind
	Text string // the text; for Quoted the unquoted name

	trusted bool // a table reference GORM itself filters (see Join)
}

// Syntax is the lexical syntax of a database.
type Syntax struct {
	// MySQL selects MySQL/MariaDB rules: backslash escapes in strings,
	// "..." is a string, # starts a comment, -- needs a space after it,
	// /*! ... */ is executed, block comments do not nest.
	MySQL bool
}

// lexer is the state of one Lex call.
type lexer struct {
	src  string
	pos  int
	syn  Syntax
	toks []Token
	exec int // open /*! ... */ executable comments (MySQL)
}

// Lex splits sql into tokens; comments and whitespace are dropped. It never
// fails: an unterminated literal or comment runs to the end of the text.
func Lex(sql string, syn Syntax) []Token {
	l := &lexer{src: sql, syn: syn}
	for l.pos < len(l.src) {
		l.next()
	}
	return l.toks
}

func (l *lexer) emit(k Kind, text string) { l.toks = append(l.toks, Token{Kind: k, Text: text}) }

func (l *lexer) peek(off int) byte {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

// next reads one token (or skips one run of whitespace or one comment).
func (l *lexer) next() {
	c := l.src[l.pos]
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		l.pos++
	case c == '-' && l.peek(1) == '-' && (!l.syn.MySQL || isSpaceOrEnd(l.peek(2))):
		l.lineComment()
	case c == '#' && l.syn.MySQL:
		l.lineComment()
	case c == '/' && l.peek(1) == '*':
		l.blockComment()
	case c == '*' && l.peek(1) == '/' && l.exec > 0:
		l.exec--
		l.pos += 2
	case c == '\'':
		l.str('\'', l.syn.MySQL || l.escapePrefix())
	case c == '"' && l.syn.MySQL:
		l.str('"', true)
	case c == '"' || c == '`':
		l.quoted(c, c)
	case c == '[' && l.bracketIdent():
		l.quoted('[', ']')
	case c == '$':
		l.dollar()
	case c == '?':
		l.pos++
		l.emit(Param, "?"+l.run(isDigit))
	case (c == '@' || (c == ':' && (l.pos == 0 || l.src[l.pos-1] != ':'))) && (isIdentStart(l.peek(1)) || isDigit(l.peek(1)) || l.peek(1) == '@'):
		l.pos++
		l.emit(Param, string(c)+l.run(func(b byte) bool { return isIdentPart(b) || b == '@' }))
	case isDigit(c) || (c == '.' && isDigit(l.peek(1)) && !l.afterName()):
		l.number()
	case isIdentStart(c):
		l.emit(Word, l.run(isIdentPart))
	case c == '(' || c == ')' || c == ',' || c == '.' || c == ';':
		l.pos++
		l.emit(Punct, string(c))
	default:
		l.pos++
		l.emit(Op, string(c))
	}
}

// run consumes the longest run of bytes ok accepts and returns it.
func (l *lexer) run(ok func(byte) bool) string {
	start := l.pos
	for l.pos < len(l.src) && ok(l.src[l.pos]) {
		l.pos++
	}
	return l.src[start:l.pos]
}

func (l *lexer) lineComment() {
	end := strings.IndexByte(l.src[l.pos:], '\n')
	if end < 0 {
		l.pos = len(l.src)
		return
	}
	l.pos += end + 1
}

// blockComment skips /* ... */: nested on PostgreSQL (and harmlessly on
// SQLite, where a nested opener is just text), flat on MySQL, whose
// /*! ... */ and /*M! ... */ comments hold SQL it executes: their content
// is read as SQL.
func (l *lexer) blockComment() {
	if l.syn.MySQL && (l.peek(2) == '!' || (l.peek(2) == 'M' && l.peek(3) == '!')) {
		l.pos += strings.IndexByte(l.src[l.pos:], '!') + 1
		l.run(isDigit) // the version the content needs
		l.exec++
		return
	}
	depth := 0
	for l.pos < len(l.src) {
		switch {
		case l.src[l.pos] == '/' && l.peek(1) == '*':
			depth++
			l.pos += 2
		case l.src[l.pos] == '*' && l.peek(1) == '/':
			depth--
			l.pos += 2
			if depth == 0 || l.syn.MySQL {
				return
			}
		default:
			l.pos++
		}
	}
}

// escapePrefix reports whether the literal starting here is PostgreSQL's
// E'...' (backslash escapes); the prefix word, glued to the quote, becomes
// part of the literal. Other glued prefixes (N, X, B, _utf8mb4) are folded
// into the literal too.
func (l *lexer) escapePrefix() bool {
	n := len(l.toks)
	if n == 0 || l.toks[n-1].Kind != Word || l.pos == 0 || !isIdentPart(l.src[l.pos-1]) {
		return false
	}
	prefix := l.toks[n-1].Text
	if !strings.HasSuffix(l.src[:l.pos], prefix) {
		return false
	}
	if up := strings.ToUpper(prefix); up == "E" || up == "N" || up == "X" || up == "B" || prefix[0] == '_' {
		l.toks = l.toks[:n-1]
		return up == "E"
	}
	return false
}

// str reads a string literal closed by q: a doubled q is a q, and with
// backslash a backslash escapes the next byte.
func (l *lexer) str(q byte, backslash bool) {
	start := l.pos
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case backslash && c == '\\':
			l.pos += 2
			continue
		case c == q && l.peek(1) == q:
			l.pos += 2
			continue
		case c == q:
			l.pos++
			l.emit(String, l.src[start:min(l.pos, len(l.src))])
			return
		}
		l.pos++
	}
	l.pos = len(l.src)
	l.emit(String, l.src[start:])
}

// quoted reads an identifier quoted by open ... end (end doubled inside
// stands for itself, except in [x], which has no escape).
func (l *lexer) quoted(open, end byte) {
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		l.pos++
		if c != end {
			b.WriteByte(c)
			continue
		}
		if open != '[' && l.pos < len(l.src) && l.src[l.pos] == end {
			b.WriteByte(c)
			l.pos++
			continue
		}
		break
	}
	l.emit(Quoted, b.String())
}

// bracketIdent reports whether a '[' here opens a [quoted] identifier
// (SQLite) rather than a subscript (PostgreSQL's a[1], ARRAY[...], int[]):
// it does where a name is expected, after a keyword or an operator.
func (l *lexer) bracketIdent() bool {
	n := len(l.toks)
	if n == 0 {
		return true
	}
	t := l.toks[n-1]
	switch t.Kind {
	case Word:
		return keyword(t.Text) && !strings.EqualFold(t.Text, "ARRAY")
	case Punct:
		return t.Text != ")"
	case Op:
		return t.Text != "]"
	}
	return false
}

// afterName reports whether the previous token is a name, so that a '.'
// here qualifies it rather than starting a number (t.5 is not t .5).
func (l *lexer) afterName() bool {
	n := len(l.toks)
	return n > 0 && (l.toks[n-1].Kind == Word || l.toks[n-1].Kind == Quoted)
}

// dollar reads $1 (a placeholder), a PostgreSQL dollar-quoted string
// ($$...$$, $tag$...$tag$), or SQLite's $name placeholder.
func (l *lexer) dollar() {
	start := l.pos
	if isDigit(l.peek(1)) {
		l.pos++
		l.emit(Param, "$"+l.run(isDigit))
		return
	}
	if !l.syn.MySQL {
		l.pos++
		tagName := l.run(func(b byte) bool { return isIdentPart(b) && b != '$' })
		if l.pos < len(l.src) && l.src[l.pos] == '$' && (tagName == "" || !isDigit(tagName[0])) {
			tag := "$" + tagName + "$"
			end := strings.Index(l.src[l.pos+1:], tag)
			if end < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += 1 + end + len(tag)
			}
			l.emit(String, l.src[start:l.pos])
			return
		}
		if tagName != "" {
			l.emit(Param, "$"+tagName)
			return
		}
		l.emit(Op, "$")
		return
	}
	l.pos++
	l.emit(Op, "$")
}

// number reads a numeric literal (digits, a fraction, an exponent, hex).
func (l *lexer) number() {
	start := l.pos
	l.run(func(b byte) bool { return isDigit(b) || b == '.' || b == '_' || isIdentStart(b) })
	if e := l.src[l.pos-1]; (e == 'e' || e == 'E') && (l.peek(0) == '+' || l.peek(0) == '-') {
		l.pos++
		l.run(isDigit)
	}
	l.emit(Number, l.src[start:l.pos])
}

func isDigit(b byte) bool      { return '0' <= b && b <= '9' }
func isSpaceOrEnd(b byte) bool { return b == 0 || b == ' ' || b == '\t' || b == '\n' || b == '\r' }
func isIdentStart(b byte) bool {
	return b == '_' || ('a' <= b|0x20 && b|0x20 <= 'z') || b >= 0x80
}
func isIdentPart(b byte) bool { return isIdentStart(b) || isDigit(b) || b == '$' }
