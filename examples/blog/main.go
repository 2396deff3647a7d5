// Command blog is a small JSON HTTP API over users, posts and comments that
// shows softdelete in an application: deleted posts answer 404 and free their
// slug, an admin trash lists them with their authors, restores refuse slug
// clashes and deleted authors with 409, deleting a user cascades to their
// posts and comments and restoring the user brings back exactly those, and a
// scheduled purger removes old tombstones.
//
//	go run ./examples/blog                                  # SQLite file ./blog.db on 127.0.0.1:8080
//	go run ./examples/blog -db /tmp/blog.db -addr 127.0.0.1:18080
//	go run ./examples/blog -dsn 'host=localhost user=postgres dbname=blog sslmode=disable'
//	go run ./examples/blog -purge-after 720h                # purge what was deleted 30 days ago
//
// It creates (or migrates) the tables users, posts and comments. See
// README.md for the endpoints and a curl walkthrough.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// config is what the flags set.
type config struct {
	db         string        // SQLite file
	dsn        string        // PostgreSQL DSN; when set, db is not used
	addr       string        // listen address
	purgeAfter time.Duration // purge tombstones older than this; 0: never
	verbose    bool          // log every SQL statement
}

func main() {
	var cfg config
	flag.StringVar(&cfg.db, "db", "blog.db", "SQLite database file")
	flag.StringVar(&cfg.dsn, "dsn", "", "PostgreSQL DSN (instead of SQLite)")
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address")
	flag.DurationVar(&cfg.purgeAfter, "purge-after", 0, "purge posts and users deleted longer ago than this, e.g. 720h (0: never)")
	flag.BoolVar(&cfg.verbose, "v", false, "log every SQL statement")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, cfg)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

// run opens and migrates the database and serves the API until ctx ends.
func run(ctx context.Context, cfg config) error {
	db, err := open(cfg.dsn, cfg.db, cfg.verbose)
	if err != nil {
		return err
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}()
	if err := setup(db); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	where := "SQLite " + cfg.db
	if cfg.dsn != "" {
		where = "PostgreSQL"
	}
	log.Printf("blog: serving http://%s on %s", ln.Addr(), where)
	return serve(ctx, db, ln, cfg.purgeAfter)
}

// sqliteParams: wait for locks instead of failing at once, let readers run
// beside the writer (WAL), enforce foreign keys, and start every transaction
// as a writer (BEGIN IMMEDIATE), so read-then-write transactions such as
// "lock the post, then add a comment" are serialized rather than failing
// with "database is locked" halfway.
const sqliteParams = "_busy_timeout=5000&_journal_mode=WAL&_foreign_keys=1&_txlock=immediate"

// open connects to PostgreSQL when dsn is set, else to the SQLite file.
func open(dsn, file string, verbose bool) (*gorm.DB, error) {
	if dsn != "" {
		return gorm.Open(postgres.Open(dsn), gormConfig(verbose))
	}
	sep := "?"
	if strings.Contains(file, "?") {
		sep = "&"
	}
	return gorm.Open(sqlite.Open(file+sep+sqliteParams), gormConfig(verbose))
}

// gormConfig translates driver errors into GORM's (a slug clash is
// gorm.ErrDuplicatedKey on both databases) and logs SQL only when verbose:
// the API logs its own failures.
func gormConfig(verbose bool) *gorm.Config {
	level := logger.Silent
	if verbose {
		level = logger.Info
	}
	return &gorm.Config{
		TranslateError: true,
		Logger: logger.New(log.New(os.Stderr, "", log.LstdFlags), logger.Config{
			SlowThreshold: time.Second, LogLevel: level, IgnoreRecordNotFoundError: true,
		}),
	}
}

// setup registers the softdelete plugin (with opts) and migrates the models:
// tables, the partial unique index on live slugs, and the soft-delete
// registry.
func setup(db *gorm.DB, opts ...softdelete.Option) error {
	if err := db.Use(softdelete.New(opts...)); err != nil {
		return err
	}
	return softdelete.AutoMigrate(db, models()...)
}

// serve serves the API on ln until ctx ends, then shuts down gracefully:
// requests in flight may finish (for up to 10s) and the purger, when
// purgeAfter > 0, is stopped and waited for.
func serve(ctx context.Context, db *gorm.DB, ln net.Listener, purgeAfter time.Duration) error {
	srv := &http.Server{
		Handler:           logRequests(newServer(db)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	bg, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	var wg sync.WaitGroup
	defer wg.Wait() // after stopBackground (defers run last first)
	if purgeAfter > 0 {
		purger, err := newPurger(db, purgeAfter, purgeInterval(purgeAfter))
		if err != nil {
			_ = ln.Close()
			return err
		}
		log.Printf("blog: purging posts and users deleted more than %s ago, every %s", purgeAfter, purgeInterval(purgeAfter))
		wg.Go(func() { _ = purger.Run(bg) })
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Print("blog: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newPurger returns the purger of -purge-after: posts and users deleted more
// than after ago are removed for good every interval. Purging a user takes
// their deleted posts and those posts' comments; purging a post takes its
// deleted comments. Each run is logged (see purgeLog).
func newPurger(db *gorm.DB, after, interval time.Duration) (*softdelete.Purger, error) {
	opts := softdelete.PurgeOptions{OlderThan: after}
	return softdelete.NewPurger(db.Session(&gorm.Session{Logger: purgeLog{db.Logger}}), interval,
		softdelete.Policy{Model: &Post{}, Options: opts},
		softdelete.Policy{Model: &User{}, Options: opts},
	)
}

// purgeInterval is how often the purger runs for a retention period: a 24th
// of it (a tombstone outlives its retention by at most ~4%), at most hourly,
// at least every second.
func purgeInterval(after time.Duration) time.Duration {
	return min(max(after/24, time.Second), time.Hour)
}

// purgeLog prints the purger's messages (rows purged, failures), which it
// logs at Info and Error level, whatever the level of the SQL log.
type purgeLog struct{ logger.Interface }

func (purgeLog) Info(_ context.Context, msg string, args ...any)  { log.Printf(msg, args...) }
func (purgeLog) Warn(_ context.Context, msg string, args ...any)  { log.Printf(msg, args...) }
func (purgeLog) Error(_ context.Context, msg string, args ...any) { log.Printf(msg, args...) }

// LogMode keeps purgeLog around a logger whose level GORM changes.
func (l purgeLog) LogMode(level logger.LogLevel) logger.Interface {
	return purgeLog{l.Interface.LogMode(level)}
}

// logRequests logs one line per request: method, path, status, duration.
func logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		log.Printf("%s %s %d %s", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Microsecond))
	})
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
