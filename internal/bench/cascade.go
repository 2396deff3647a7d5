package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// cascadeUser is the id of the user whose subtree the cascade benchmark
// deletes and restores.
const cascadeUser = 1

// cascadeFixture is one cascade database: one user with size posts and
// 3*size comments.
type cascadeFixture struct {
	db     *DB
	size   int
	plugin *gorm.DB
	hand   *handCascade
}

// handCascade is the hand-written, set-based cascade: three UPDATEs in one
// transaction for the delete, three for the zombie-free restore.
type handCascade struct {
	pool            txPool
	delete, restore []string // every delete statement binds (ts, user), every restore one (user)
}

// txPool begins transactions: *sql.DB (through sqlDBPool) or a CountingPool.
type txPool interface {
	begin(ctx context.Context) (sqlTx, error)
}

// sqlTx is the part of *sql.Tx the hand-written cascade uses.
type sqlTx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	Commit() error
	Rollback() error
}

// sqlDBPool adapts *sql.DB to txPool.
type sqlDBPool struct{ db *sql.DB }

func (p sqlDBPool) begin(ctx context.Context) (sqlTx, error) { return p.db.BeginTx(ctx, nil) }

// newHandCascade prepares the hand-written statements for target. On
// MariaDB the comment and post statements are multi-table UPDATEs (joins),
// MySQL's own form: MariaDB 10.11 runs no semi-join for a single-table
// UPDATE ... WHERE x IN (SELECT ...), and the bindings stay in the same
// order (SET before WHERE).
func newHandCascade(pool txPool, t Target) *handCascade {
	q := func(s string) string { return rebind(t, s) }
	h := &handCascade{
		pool: pool,
		delete: []string{
			q(`UPDATE comments SET deleted_at = ? WHERE post_id IN
				(SELECT id FROM posts WHERE user_id = ? AND deleted_at IS NULL) AND deleted_at IS NULL`),
			q(`UPDATE posts SET deleted_at = ? WHERE user_id = ? AND deleted_at IS NULL`),
			q(`UPDATE users SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`),
		},
		// Zombie-free: only children deleted at the same instant as their
		// parent come back; children deleted earlier, on their own, stay.
		restore: []string{
			q(`UPDATE comments SET deleted_at = NULL WHERE deleted_at IS NOT NULL AND (post_id, deleted_at) IN
				(SELECT id, deleted_at FROM posts WHERE deleted_at IS NOT NULL AND (user_id, deleted_at) IN
					(SELECT id, deleted_at FROM users WHERE id = ? AND deleted_at IS NOT NULL))`),
			q(`UPDATE posts SET deleted_at = NULL WHERE deleted_at IS NOT NULL AND (user_id, deleted_at) IN
				(SELECT id, deleted_at FROM users WHERE id = ? AND deleted_at IS NOT NULL)`),
			q(`UPDATE users SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL`),
		},
	}
	if t == MariaDB {
		h.delete[0] = "UPDATE `comments` c JOIN `posts` p ON p.`id` = c.`post_id` SET c.`deleted_at` = ?" +
			" WHERE p.`user_id` = ? AND p.`deleted_at` IS NULL AND c.`deleted_at` IS NULL"
		h.restore[0] = "UPDATE `comments` c JOIN `posts` p ON p.`id` = c.`post_id` AND p.`deleted_at` = c.`deleted_at`" +
			" JOIN `users` u ON u.`id` = p.`user_id` AND u.`deleted_at` = p.`deleted_at`" +
			" SET c.`deleted_at` = NULL WHERE u.`id` = ?"
		h.restore[1] = "UPDATE `posts` p JOIN `users` u ON u.`id` = p.`user_id` AND u.`deleted_at` = p.`deleted_at`" +
			" SET p.`deleted_at` = NULL WHERE u.`id` = ?"
	}
	return h
}

// run executes stmts in one transaction with args, and returns the rows the
// last statement (the user's) changed.
func (h *handCascade) run(stmts []string, args ...any) (int64, error) {
	ctx := context.Background()
	tx, err := h.pool.begin(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range stmts {
		res, err := tx.ExecContext(ctx, s, args...)
		if err != nil {
			_ = tx.Rollback()
			return 0, err
		}
		if n, err = res.RowsAffected(); err != nil {
			_ = tx.Rollback()
			return 0, err
		}
	}
	return n, tx.Commit()
}

// cycle deletes the user's subtree and restores it.
func (h *handCascade) cycle() (del, res time.Duration, err error) {
	start := time.Now()
	ts := time.Now().UTC().Truncate(time.Microsecond)
	if err := wantOne(h.run(h.delete, ts, cascadeUser)); err != nil {
		return 0, 0, fmt.Errorf("hand-written cascade delete: %w", err)
	}
	mid := time.Now()
	if err := wantOne(h.run(h.restore, cascadeUser)); err != nil {
		return 0, 0, fmt.Errorf("hand-written cascade restore: %w", err)
	}
	return mid.Sub(start), time.Since(mid), nil
}

// pluginCycle deletes the user with the plugin (cascading to posts and
// comments) and restores it (bringing them back).
func pluginCycle(db *gorm.DB) (del, res time.Duration, err error) {
	start := time.Now()
	u := User{}
	u.ID = cascadeUser
	r := db.Delete(&u)
	if err := wantOne(r.RowsAffected, r.Error); err != nil {
		return 0, 0, fmt.Errorf("plugin cascade delete: %w", err)
	}
	mid := time.Now()
	r = softdelete.Restore(db, &u)
	if err := wantOne(r.RowsAffected, r.Error); err != nil {
		return 0, 0, fmt.Errorf("plugin cascade restore: %w", err)
	}
	return mid.Sub(start), time.Since(mid), nil
}

// wantOne checks a root statement changed exactly one row.
func wantOne(n int64, err error) error {
	if err == nil && n != 1 {
		err = fmt.Errorf("%d rows affected, want 1", n)
	}
	return err
}

// createCascade creates the cascade tables with the plugin's AutoMigrate and
// seeds them. The benchmark's user (id 1) has size live posts of 3 live
// comments each, plus size/10 posts it deleted earlier, on their own (a
// restore must leave them and their comments deleted). Background rows make
// the tables look like production ones to the planner: size posts of users
// 2..11, a fifth of them deleted earlier, and every tenth comment of a live
// post deleted on its own. Without such rows, statistics gathered on an
// all-live table make PostgreSQL plan the restore as a nested loop over the
// equal deletion timestamps (1.2 s for 1 000 posts, hand-written or plugin
// alike).
func createCascade(d *DB, db *gorm.DB, size int) error {
	if err := softdelete.AutoMigrate(db, &User{}, &Post{}, &Comment{}); err != nil {
		return err
	}
	now, old := tsAt(d, seedBase.Unix(), "0"), tsAt(d, seedBase.Unix(), "3600")
	own, other := size/10, size // posts user 1 deleted earlier; posts of other users
	posts := size + own + other
	return errorsJoin(
		d.Exec(fmt.Sprintf(`INSERT INTO users (id, created_at, updated_at, name) SELECT x, %s, %s, %s FROM %s`,
			now, now, concat(d, "'u'", "x"), series(d, 11))),
		// posts 1..size: user 1, live; then user 1's own deletions; then other users' (x %% 5 = 0 deleted)
		d.Exec(fmt.Sprintf(`INSERT INTO posts (id, created_at, updated_at, deleted_at, user_id, title)
			SELECT x, %[1]s, %[1]s,
				CASE WHEN x > %[2]d AND (x <= %[3]d OR x %% 5 = 0) THEN %[4]s END,
				CASE WHEN x <= %[3]d THEN 1 ELSE 2 + x %% 10 END, %[6]s FROM %[5]s`,
			now, size, size+own, old, series(d, posts), concat(d, "'post '", "x"))),
		// 3 comments per post: deleted with their post, or every tenth on its own
		d.Exec(fmt.Sprintf(`INSERT INTO comments (id, created_at, updated_at, deleted_at, post_id, body)
			SELECT c.x, %[1]s, %[1]s, CASE WHEN p.deleted_at IS NOT NULL OR c.x %% 10 = 0 THEN %[2]s END, p.id, %[4]s
			FROM %[3]s JOIN posts p ON p.id = %[5]s`,
			now, old, seriesAs(d, 3*posts, "c"), concat(d, "'comment '", "c.x"), idiv(d, "c.x + 2", "3"))),
		analyze(d),
	)
}

// errorsJoin returns the first non-nil error (later steps are skipped by
// callers only when they depend on earlier ones; here they do not).
func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// cascadeFixtureFor returns the cascade database of size on t.
func (e *Env) cascadeFixtureFor(t Target, size int) (*cascadeFixture, error) {
	return once(e, "cascade-"+string(t)+"-"+strconv.Itoa(size), func() (*cascadeFixture, error) {
		d, err := e.Open(t, "cascade"+strconv.Itoa(size))
		if err != nil {
			return nil, err
		}
		db, err := d.Gorm(GormConfig{Plugin: true})
		if err != nil {
			return nil, err
		}
		if err := createCascade(d, db, size); err != nil {
			return nil, err
		}
		return &cascadeFixture{db: d, size: size, plugin: db, hand: newHandCascade(sqlDBPool{d.SQL}, t)}, nil
	})
}

// cascadeCase times delete+restore cycles with cycle and reports the two
// halves as extra metrics (ms).
func cascadeCase(impl string, cycle func() (del, res time.Duration, err error)) Case {
	return Case{Impl: impl, Run: func(b *testing.B) error {
		var del, res time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			d, r, err := cycle()
			if err != nil {
				return err
			}
			del, res = del+d, res+r
		}
		b.ReportMetric(float64(del.Microseconds())/1e3/float64(b.N), "delete-ms/op")
		b.ReportMetric(float64(res.Microseconds())/1e3/float64(b.N), "restore-ms/op")
		return nil
	}}
}

// CascadeGroups are benchmark 4 on t: one user with size posts of 3
// comments each, soft-deleted and restored through softdelete:"cascade"
// relations, against the hand-written set-based SQL in one transaction.
// ns/op is one delete + restore cycle; delete-ms/op and restore-ms/op split
// it. Stmts counts the SQL statements of one delete and one restore.
func (e *Env) CascadeGroups(t Target, sizes []int) ([]Group, error) {
	var groups []Group
	for _, size := range sizes {
		fx, err := e.cascadeFixtureFor(t, size)
		if err != nil {
			return nil, err
		}
		groups = append(groups, Group{
			Section: "cascade " + string(t),
			Name:    strconv.Itoa(size),
			Cases: []Case{
				cascadeCase(ImplHandwritten, fx.hand.cycle),
				cascadeCase(ImplPlugin, func() (time.Duration, time.Duration, error) { return pluginCycle(fx.plugin) }),
			},
			Stmts: fx.countStatements,
		})
		if size >= 10_000 {
			groups[len(groups)-1].MaxRounds = 5 // a cycle takes a second or more
		}
	}
	return groups, nil
}

// countStatements runs one cycle of each implementation through a
// CountingPool and returns "delete stmts/restore stmts (transactions)".
func (fx *cascadeFixture) countStatements() (map[string]string, error) {
	pool := NewCountingPool(fx.db.SQL)
	db, err := fx.db.Gorm(GormConfig{Plugin: true, Pool: pool})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, impl := range []string{ImplHandwritten, ImplPlugin} {
		var counts [2][2]int
		for half := 0; half < 2; half++ {
			pool.Reset()
			var err error
			hand := newHandCascade(pool, fx.db.Target)
			switch {
			case impl == ImplHandwritten && half == 0:
				_, err = hand.run(hand.delete, time.Now().UTC().Truncate(time.Microsecond), cascadeUser)
			case impl == ImplHandwritten:
				_, err = hand.run(hand.restore, cascadeUser)
			case half == 0:
				u := User{}
				u.ID = cascadeUser
				err = db.Delete(&u).Error
			default:
				u := User{}
				u.ID = cascadeUser
				err = softdelete.Restore(db, &u).Error
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", impl, err)
			}
			counts[half][0], counts[half][1] = pool.Counts()
		}
		out[impl] = fmt.Sprintf("%d+%d stmts, %d+%d tx", counts[0][0], counts[1][0], counts[0][1], counts[1][1])
		if err := fx.checkZombies(); err != nil {
			return nil, fmt.Errorf("%s: %w", impl, err)
		}
	}
	return out, nil
}

// checkZombies verifies that after a delete + restore cycle exactly the
// rows deleted on their own before it are still deleted.
func (fx *cascadeFixture) checkZombies() error {
	own := fx.size / 10
	var posts, comments int64
	err := fx.db.SQL.QueryRow(rebind(fx.db.Target,
		`SELECT (SELECT count(*) FROM posts WHERE user_id = ? AND deleted_at IS NOT NULL),
			(SELECT count(*) FROM comments WHERE post_id <= ? AND deleted_at IS NOT NULL)`),
		cascadeUser, fx.size).Scan(&posts, &comments)
	if err == nil && (posts != int64(own) || comments != int64(3*fx.size/10)) {
		err = fmt.Errorf("after delete + restore: %d deleted posts (want %d), %d deleted comments of live posts (want %d)",
			posts, own, comments, 3*fx.size/10)
	}
	return err
}
