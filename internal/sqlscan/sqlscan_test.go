package sqlscan

import (
	"slices"
	"strings"
	"testing"
)

// soft is the registry of the tests: api_keys and posts (deleted_at),
// app.accounts (removed_at).
func soft(name []string) (string, string, bool) {
	full := strings.ToLower(strings.Join(name, "."))
	last := strings.ToLower(name[len(name)-1])
	switch {
	case last == "api_keys":
		return "api_keys", "deleted_at", true
	case last == "posts":
		return "posts", "deleted_at", true
	case full == "app.accounts" || full == "accounts":
		return "app.accounts", "removed_at", true
	}
	return "", "", false
}

// leaks returns "table/name" of each finding (with "!" for a write).
func leaks(sql string, syn Syntax) []string {
	var out []string
	for _, f := range Unguarded(Lex(sql, syn), soft) {
		s := f.Table + "/" + f.Name
		if f.Write {
			s += "!"
		}
		out = append(out, s)
	}
	return out
}

var (
	std   = Syntax{}
	mysql = Syntax{MySQL: true}
)

func TestUnguarded(t *testing.T) {
	cases := []struct {
		name string
		sql  string
		syn  Syntax
		want []string
	}{
		{"no predicate", `SELECT * FROM api_keys WHERE key = ?`, std, []string{"api_keys/api_keys"}},
		{"predicate unqualified", `SELECT * FROM api_keys WHERE key = ? AND deleted_at IS NULL`, std, nil},
		{"predicate first", `SELECT * FROM api_keys WHERE deleted_at IS NULL AND key = $1`, std, nil},
		{"trash read", `SELECT * FROM api_keys WHERE deleted_at IS NOT NULL`, std, nil},
		{"ISNULL", `SELECT * FROM api_keys WHERE deleted_at ISNULL`, std, nil},
		{"predicate qualified", `SELECT * FROM api_keys WHERE api_keys.deleted_at IS NULL`, std, nil},
		{"predicate on alias", `SELECT * FROM api_keys k WHERE k.deleted_at IS NULL`, std, nil},
		{"predicate on the table, not its alias", `SELECT * FROM api_keys AS k WHERE api_keys.deleted_at IS NULL`, std, []string{"api_keys/k"}},
		{"predicate on another alias", `SELECT * FROM api_keys k, posts p WHERE p.deleted_at IS NULL`, std, []string{"api_keys/k"}},
		{"unqualified ambiguous", `SELECT * FROM api_keys k JOIN posts p ON p.id = k.id WHERE deleted_at IS NULL`, std, []string{"api_keys/k", "posts/p"}},
		{"predicate under OR", `SELECT * FROM api_keys WHERE key = ? OR deleted_at IS NULL`, std, []string{"api_keys/api_keys"}},
		{"predicate under NOT", `SELECT * FROM api_keys WHERE NOT deleted_at IS NULL`, std, []string{"api_keys/api_keys"}},
		{"predicate in a parenthesised conjunct", `SELECT * FROM api_keys WHERE (key = ? AND (deleted_at IS NULL))`, std, nil},
		{"predicate in an OR group", `SELECT * FROM api_keys WHERE (key = ? OR deleted_at IS NULL) AND id > 0`, std, []string{"api_keys/api_keys"}},
		{"comparison is not the predicate", `SELECT * FROM api_keys WHERE deleted_at = NULL`, std, []string{"api_keys/api_keys"}},
		{"not-equal is not the predicate", `SELECT * FROM api_keys WHERE deleted_at <> ?`, std, []string{"api_keys/api_keys"}},
		{"range is a trash read", `DELETE FROM api_keys WHERE deleted_at < $1`, std, nil},
		{"range with <=", `SELECT * FROM api_keys k WHERE k.deleted_at <= ?`, std, nil},
		{"between is a trash read", `SELECT * FROM api_keys WHERE deleted_at BETWEEN ? AND ?`, std, nil},
		{"range on another column", `DELETE FROM api_keys WHERE created_at < $1`, std, []string{"api_keys/api_keys!"}},
		{"range under OR", `DELETE FROM api_keys WHERE deleted_at < $1 OR id = 1`, std, []string{"api_keys/api_keys!"}},
		{"between under OR", `DELETE FROM api_keys WHERE deleted_at BETWEEN $1 AND $2 OR id = 1`, std, []string{"api_keys/api_keys!"}},
		{"between then the predicate", `SELECT * FROM api_keys WHERE id BETWEEN 1 AND 9 AND deleted_at IS NULL`, std, nil},
		{"range under ||", "DELETE FROM api_keys WHERE deleted_at < ? || id = 1", mysql, []string{"api_keys/api_keys!"}},
		{"other table", `SELECT * FROM tags WHERE name = ?`, std, nil},
		{"no table", `SELECT 1`, std, nil},

		// literals and comments
		{"predicate in a string", `SELECT * FROM api_keys WHERE note = 'x AND deleted_at IS NULL'`, std, []string{"api_keys/api_keys"}},
		{"predicate as a whole string", `SELECT * FROM api_keys WHERE key = ? AND 'deleted_at IS NULL'`, std, []string{"api_keys/api_keys"}},
		{"predicate after a doubled quote", `SELECT * FROM api_keys WHERE note = 'it''s AND deleted_at IS NULL'`, std, []string{"api_keys/api_keys"}},
		{"predicate in a line comment", "SELECT * FROM api_keys WHERE key = ? -- AND deleted_at IS NULL", std, []string{"api_keys/api_keys"}},
		{"predicate in a block comment", `SELECT * FROM api_keys WHERE key = ? /* AND deleted_at IS NULL */`, std, []string{"api_keys/api_keys"}},
		{"predicate in a nested block comment", `SELECT * FROM api_keys WHERE key = ? /* a /* b */ AND deleted_at IS NULL */`, std, []string{"api_keys/api_keys"}},
		{"predicate after a comment", "SELECT * FROM api_keys -- note\nWHERE deleted_at IS NULL", std, nil},
		{"predicate in a dollar-quoted string", `SELECT * FROM api_keys WHERE note = $$ AND deleted_at IS NULL$$`, std, []string{"api_keys/api_keys"}},
		{"predicate in a tagged dollar-quoted string", `SELECT * FROM api_keys WHERE note = $x$ $$ AND deleted_at IS NULL $x$ AND key = $1`, std, []string{"api_keys/api_keys"}},
		{"predicate in an E string", `SELECT * FROM api_keys WHERE note = E'\' AND deleted_at IS NULL'`, std, []string{"api_keys/api_keys"}},
		{"a backslash ends a standard string", `SELECT * FROM api_keys WHERE note = '\' AND deleted_at IS NULL`, std, nil},
		{"mysql backslash escape", `SELECT * FROM api_keys WHERE note = 'x\' AND deleted_at IS NULL'`, mysql, []string{"api_keys/api_keys"}},
		{"mysql double-quoted string", `SELECT * FROM api_keys WHERE note = "\" AND deleted_at IS NULL"`, mysql, []string{"api_keys/api_keys"}},
		{"mysql hash comment", "SELECT * FROM api_keys WHERE key = ? # AND deleted_at IS NULL", mysql, []string{"api_keys/api_keys"}},
		{"hash is an operator elsewhere", "SELECT * FROM api_keys WHERE data #> '{a}' = ? AND deleted_at IS NULL", std, nil},
		{"mysql -- needs a space", "SELECT * FROM api_keys WHERE deleted_at IS NULL AND 1--1", mysql, nil},
		{"mysql executable comment", "SELECT * FROM api_keys WHERE key = ? /*!50000 AND deleted_at IS NULL */", mysql, nil},
		{"mysql comments do not nest", "SELECT * FROM api_keys /* a /* b */ WHERE deleted_at IS NULL", mysql, nil},
		{"table in a string", `SELECT 'FROM api_keys' AS x`, std, nil},
		{"table in a comment", "SELECT 1 -- FROM api_keys", std, nil},
		{"table in a block comment", "SELECT 1 /* FROM api_keys */ FROM tags", std, nil},
		{"table in a dollar string", "SELECT $q$ FROM api_keys $q$", std, nil},
		{"cast is not a placeholder", "SELECT * FROM api_keys WHERE key = $1::text AND deleted_at IS NULL", std, nil},

		// quoting
		{"double-quoted table", `SELECT * FROM "api_keys" WHERE "key" = $1`, std, []string{"api_keys/api_keys"}},
		{"double-quoted predicate", `SELECT * FROM "api_keys" WHERE "api_keys"."deleted_at" IS NULL`, std, nil},
		{"backquoted table", "SELECT * FROM `api_keys` WHERE `key` = ?", mysql, []string{"api_keys/api_keys"}},
		{"backquoted predicate", "SELECT * FROM `api_keys` AS `k` WHERE `k`.`deleted_at` IS NULL", mysql, nil},
		{"bracketed table", `SELECT * FROM [api_keys] WHERE [key] = ?`, std, []string{"api_keys/api_keys"}},
		{"bracketed predicate", `SELECT * FROM [api_keys] WHERE [api_keys].[deleted_at] IS NULL`, std, nil},
		{"quoted name with a doubled quote", `SELECT * FROM "api""keys" WHERE x = 1`, std, nil},
		{"subscript is not a bracket name", `SELECT * FROM api_keys WHERE tags[1] = 'a' AND deleted_at IS NULL`, std, nil},
		{"quoted word is not a keyword", `SELECT * FROM api_keys "where" WHERE "where".deleted_at IS NULL`, std, nil},

		// names
		{"schema-qualified", `SELECT * FROM public.api_keys WHERE key = $1`, std, []string{"api_keys/api_keys"}},
		{"schema-qualified guarded", `SELECT * FROM "public"."api_keys" WHERE "api_keys"."deleted_at" IS NULL`, std, nil},
		{"registered qualified", `SELECT * FROM app.accounts WHERE removed_at IS NULL`, std, nil},
		{"registered qualified unguarded", `SELECT * FROM app.accounts a WHERE a.deleted_at IS NULL`, std, []string{"app.accounts/a"}},

		// joins
		{"join without predicate", `SELECT * FROM users u JOIN posts p ON p.author_id = u.id`, std, []string{"posts/p"}},
		{"join predicate in ON", `SELECT * FROM users u LEFT JOIN posts p ON p.author_id = u.id AND p.deleted_at IS NULL`, std, nil},
		{"join predicate in WHERE", `SELECT * FROM users u JOIN posts p ON p.author_id = u.id WHERE p.deleted_at IS NULL`, std, nil},
		{"join predicate in the wrong ON", `SELECT * FROM posts p JOIN api_keys k ON k.id = p.id AND p.deleted_at IS NULL WHERE k.deleted_at IS NULL`, std, []string{"posts/p"}},
		{"parenthesised join", `SELECT * FROM (users u JOIN posts p ON p.author_id = u.id)`, std, []string{"posts/p"}},
		{"join using", `SELECT * FROM users JOIN posts USING (id) WHERE posts.deleted_at IS NULL`, std, nil},
		{"index hint", "SELECT * FROM api_keys k USE INDEX (ix) WHERE k.deleted_at IS NULL", mysql, nil},

		// subqueries and CTEs
		{"subquery in WHERE", `SELECT * FROM users WHERE id IN (SELECT author_id FROM posts)`, std, []string{"posts/posts"}},
		{"guarded subquery", `SELECT * FROM users WHERE id IN (SELECT author_id FROM posts WHERE deleted_at IS NULL)`, std, nil},
		{"outer predicate does not guard the subquery", `SELECT * FROM posts WHERE deleted_at IS NULL AND id IN (SELECT id FROM posts)`, std, []string{"posts/posts"}},
		{"derived table", `SELECT * FROM (SELECT * FROM api_keys) k WHERE k.deleted_at IS NULL`, std, []string{"api_keys/api_keys"}},
		{"GORM subquery", `SELECT * FROM (SELECT * FROM "posts" WHERE "posts"."deleted_at" IS NULL) AS p`, std, nil},
		{"CTE", `WITH live AS (SELECT * FROM api_keys WHERE deleted_at IS NULL) SELECT * FROM live`, std, nil},
		{"CTE unguarded", `WITH k AS (SELECT * FROM api_keys) SELECT * FROM k`, std, []string{"api_keys/api_keys"}},
		{"CTE shadowing the table", `WITH api_keys AS (SELECT * FROM api_keys WHERE deleted_at IS NULL) SELECT * FROM api_keys`, std, nil},
		{"recursive CTE", `WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t) SELECT * FROM t`, std, nil},
		{"union", `SELECT id FROM posts WHERE deleted_at IS NULL UNION SELECT id FROM api_keys`, std, []string{"api_keys/api_keys"}},
		{"scalar subquery", `SELECT (SELECT count(*) FROM posts) AS n`, std, []string{"posts/posts"}},
		{"exists", `SELECT * FROM users u WHERE EXISTS (SELECT 1 FROM posts p WHERE p.author_id = u.id AND p.deleted_at IS NULL)`, std, nil},
		{"is distinct from", `SELECT * FROM api_keys WHERE key IS DISTINCT FROM $1 AND deleted_at IS NULL`, std, nil},
		{"extract from", `SELECT extract(year FROM created_at) FROM api_keys WHERE deleted_at IS NULL`, std, nil},

		// writes
		{"insert values", `INSERT INTO api_keys (key) VALUES ($1)`, std, nil},
		{"insert select", `INSERT INTO archive SELECT * FROM api_keys`, std, []string{"api_keys/api_keys"}},
		{"insert select guarded", `INSERT INTO archive SELECT * FROM api_keys WHERE deleted_at IS NOT NULL`, std, nil},
		{"update", `UPDATE api_keys SET last_used = ? WHERE id = ?`, std, []string{"api_keys/api_keys!"}},
		{"update guarded", `UPDATE api_keys SET last_used = ? WHERE id = ? AND deleted_at IS NULL`, std, nil},
		{"update from", `UPDATE users SET n = 1 FROM posts p WHERE p.author_id = users.id`, std, []string{"posts/p"}},
		{"mysql update join", "UPDATE api_keys k JOIN posts p ON p.id = k.id SET k.x = 1 WHERE k.deleted_at IS NULL", mysql, []string{"posts/p"}},
		{"delete", `DELETE FROM api_keys WHERE id = ?`, std, []string{"api_keys/api_keys!"}},
		{"delete guarded", `DELETE FROM api_keys WHERE deleted_at IS NOT NULL AND deleted_at < ?`, std, nil},
		{"mysql multi-table delete", "DELETE k FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.banned", mysql, []string{"api_keys/k!"}},
		{"ddl", `CREATE INDEX ix ON api_keys (key) WHERE deleted_at IS NULL`, std, nil},
		{"view", `CREATE VIEW v AS SELECT * FROM api_keys`, std, []string{"api_keys/api_keys"}},
		{"two statements", `SELECT * FROM posts WHERE deleted_at IS NULL; SELECT * FROM api_keys`, std, []string{"api_keys/api_keys"}},
		{"for update", `SELECT * FROM api_keys WHERE deleted_at IS NULL FOR UPDATE SKIP LOCKED`, std, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := leaks(c.sql, c.syn); !slices.Equal(got, c.want) {
				t.Errorf("%s\n got %q\nwant %q", c.sql, got, c.want)
			}
		})
	}
}

func TestJoin(t *testing.T) {
	cases := []struct {
		name  string
		main  string
		join  string
		conds []string
		want  []string
	}{
		{"no predicate", "users", "JOIN posts ON posts.author_id = users.id", nil, []string{"posts/posts"}},
		{"predicate in ON", "users", "JOIN posts ON posts.author_id = users.id AND posts.deleted_at IS NULL", nil, nil},
		{"alias", "users", "LEFT JOIN posts p ON p.author_id = users.id", nil, []string{"posts/p"}},
		{"alias guarded", "users", "LEFT JOIN posts p ON p.author_id = users.id AND p.deleted_at IS NULL", nil, nil},
		{"predicate in WHERE", "users", "JOIN posts p ON p.author_id = users.id", []string{"p.deleted_at IS NULL"}, nil},
		{"predicate of another table in WHERE", "users", "JOIN posts p ON p.author_id = users.id", []string{"users.deleted_at IS NULL"}, []string{"posts/p"}},
		{"main table is GORM's", "posts", "JOIN users u ON u.id = posts.author_id", nil, nil},
		{"unqualified next to a soft main table", "posts", "JOIN api_keys k ON k.id = posts.id AND deleted_at IS NULL", nil, nil},
		{"two joins", "users", "JOIN posts p ON p.author_id = users.id AND p.deleted_at IS NULL JOIN api_keys k ON k.user_id = users.id", nil, []string{"api_keys/k"}},
		{"subquery argument", "users", "JOIN (?) p ON p.author_id = users.id", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var conds [][]Token
			for _, s := range c.conds {
				conds = append(conds, Lex(s, std))
			}
			var got []string
			for _, f := range Join(c.main, Lex(c.join, std), conds, soft) {
				got = append(got, f.Table+"/"+f.Name)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestLex(t *testing.T) {
	cases := []struct {
		sql  string
		syn  Syntax
		want string // kind:text, space separated
	}{
		{`"a""b" ` + "`c``d`, [e f]", std, `Q:a"b Q:c` + "`" + `d U:, Q:e f`},
		{`'it''s' E'\'' 'a\'`, std, `S:'it''s' S:'\'' S:'a\'`},
		{`'a\'b' "c\"d"`, mysql, `S:'a\'b' S:"c\"d"`},
		{`$1 ? ?2 :name @p1 $name $$x$$ $t$y$t$`, std, `P:$1 P:? P:?2 P::name P:@p1 P:$name S:$$x$$ S:$t$y$t$`},
		{`a::int x[1] ARRAY[2]`, std, `W:a O:: O:: W:int W:x O:[ N:1 O:] W:ARRAY O:[ N:2 O:]`},
		{"a -- c\nb /* c /* d */ e */ f", std, `W:a W:b W:f`},
		{"a # c\nb", mysql, `W:a W:b`},
		{"a # c", std, `W:a O:# W:c`},
		{`t.c 1.5 .5 1e-3`, std, `W:t U:. W:c N:1.5 N:.5 N:1e-3`},
		{`'unterminated`, std, `S:'unterminated`},
	}
	kinds := map[Kind]string{Word: "W", Quoted: "Q", String: "S", Number: "N", Param: "P", Punct: "U", Op: "O"}
	for _, c := range cases {
		var got []string
		for _, tok := range Lex(c.sql, c.syn) {
			got = append(got, kinds[tok.Kind]+":"+tok.Text)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("Lex(%q)\n got %s\nwant %s", c.sql, g, c.want)
		}
	}
}

// FuzzUnguarded checks the analysis never panics and that a statement
// keeps its findings when a comment is appended.
func FuzzUnguarded(f *testing.F) {
	for _, s := range []string{`SELECT * FROM api_keys WHERE deleted_at IS NULL`, `WITH a AS (SELECT 1) SELECT * FROM a JOIN posts ON (`, `UPDATE x SET`, `DELETE`, `'`, `$a$`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		a := leaks(sql, std)
		b := leaks(sql+"\n-- AND deleted_at IS NULL", std)
		if !slices.Equal(a, b) && !strings.ContainsAny(sql, "'\"`$[/") {
			t.Fatalf("%q: a comment changed the findings: %q vs %q", sql, a, b)
		}
		_ = leaks(sql, mysql)
	})
}
