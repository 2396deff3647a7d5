// Command purge seeds a table with tombstones of various ages and removes the
// expired ones with softdelete.Purge, in batches, drawing a progress bar.
//
//	go run ./examples/purge                              # in-memory SQLite, 20000 rows
//	go run ./examples/purge -rows 100000 -batch 5000 -older 720h
//	go run ./examples/purge -dsn 'host=localhost user=postgres dbname=app sslmode=disable'
//
// On PostgreSQL it drops and recreates its own table, softdelete_purge_demo.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
	"github.com/gorm-softdelete/softdelete/internal/exampledb"
)

// Event is the demo model.
type Event struct {
	softdelete.Model
	Kind string
}

// TableName keeps the demo away from any real "events" table.
func (Event) TableName() string { return "softdelete_purge_demo" }

// config is what the flags set.
type config struct {
	rows      int           // rows to seed
	batch     int           // PurgeOptions.BatchSize
	olderThan time.Duration // PurgeOptions.OlderThan
}

func main() {
	dsn := flag.String("dsn", "", "PostgreSQL or MySQL (user@tcp(host:3306)/db) DSN (default: in-memory SQLite)")
	var cfg config
	flag.IntVar(&cfg.rows, "rows", 20000, "rows to seed")
	flag.IntVar(&cfg.batch, "batch", 1000, "rows per batch")
	flag.DurationVar(&cfg.olderThan, "older", 30*24*time.Hour, "purge rows deleted longer ago than this")
	flag.Parse()

	db, err := open(*dsn)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt) // Ctrl-C stops between batches
	defer stop()
	if err := run(ctx, os.Stdout, db, cfg); err != nil {
		log.Fatal(err)
	}
}

// open connects to PostgreSQL when dsn is set, else to in-memory SQLite.
func open(dsn string) (*gorm.DB, error) {
	return exampledb.Open(dsn, "", &gorm.Config{Logger: logger.Default.LogMode(logger.Warn)})
}

// run seeds the demo table, purges it with a progress bar on w, and prints
// the totals.
func run(ctx context.Context, w io.Writer, db *gorm.DB, cfg config) error {
	if err := db.Use(softdelete.New()); err != nil {
		return err
	}
	if err := db.Migrator().DropTable(&Event{}); err != nil { // start afresh on every run
		return err
	}
	if err := softdelete.AutoMigrate(db, &Event{}); err != nil {
		return err
	}
	s, err := seed(db, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "seeded %d rows: %d deleted long ago, %d deleted recently, %d live\n", cfg.rows, s.expired, s.recent, s.live)

	bar := &progressBar{w: w, total: int64(s.expired), width: 40}
	batches := 0
	start := time.Now()
	n, err := softdelete.Purge(ctx, db, &Event{}, softdelete.PurgeOptions{
		OlderThan: cfg.olderThan,
		BatchSize: cfg.batch,
		OnBatch: func(p softdelete.PurgeProgress) {
			batches++
			bar.set(p.Purged)
		},
	})
	bar.finish()
	if err != nil {
		return fmt.Errorf("purged %d rows, then: %w", n, err)
	}
	fmt.Fprintf(w, "purged %d rows in %d batches of up to %d (%s)\n", n, batches, cfg.batch, time.Since(start).Round(time.Millisecond))
	return report(w, db)
}

// seeded counts the rows seed wrote.
type seeded struct{ expired, recent, live int }

// seed writes cfg.rows events: 6 in 8 deleted 45 days ago, 1 in 8 deleted 5
// days ago, 1 in 8 live. Unscoped lets the import write the soft-delete column.
func seed(db *gorm.DB, cfg config) (seeded, error) {
	now := time.Now().UTC()
	var s seeded
	events := make([]Event, cfg.rows)
	for i := range events {
		events[i].Kind = fmt.Sprintf("event-%d", i)
		switch i % 8 {
		case 6:
			events[i].DeletedAt = softdelete.DeletedAt{Time: now.Add(-5 * 24 * time.Hour), Valid: true}
			s.recent++
		case 7:
			s.live++
		default:
			events[i].DeletedAt = softdelete.DeletedAt{Time: now.Add(-45 * 24 * time.Hour), Valid: true}
			s.expired++
		}
	}
	if len(events) == 0 {
		return s, nil
	}
	return s, db.Unscoped().CreateInBatches(&events, 1000).Error
}

// report prints what is left in the table.
func report(w io.Writer, db *gorm.DB) error {
	var live, deleted int64
	if err := db.Model(&Event{}).Count(&live).Error; err != nil {
		return err
	}
	if err := db.Scopes(softdelete.OnlyDeleted).Model(&Event{}).Count(&deleted).Error; err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "left: %d live rows, %d recently deleted rows\n", live, deleted)
	return err
}

// progressBar draws [#####-----]  50%  10/20 on one line, redrawn with \r.
type progressBar struct {
	w     io.Writer
	total int64
	width int
	drawn bool
}

// set redraws the bar at done rows.
func (b *progressBar) set(done int64) {
	filled, pct := b.width, 100
	if b.total > 0 {
		filled = int(min(done, b.total) * int64(b.width) / b.total)
		pct = int(min(done, b.total) * 100 / b.total)
	}
	fmt.Fprintf(b.w, "\r[%s%s] %3d%%  %d/%d", strings.Repeat("#", filled), strings.Repeat("-", b.width-filled), pct, done, b.total)
	b.drawn = true
}

// finish ends the bar's line (drawing it empty when no batch ran).
func (b *progressBar) finish() {
	if !b.drawn {
		b.set(0)
	}
	fmt.Fprintln(b.w)
}
