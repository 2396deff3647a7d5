package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gorm-softdelete/softdelete"
)

// The tools Write writes files for.
const (
	Goose         = "goose"
	GolangMigrate = "golang-migrate"
)

// migration is one migration: its name and statements both ways.
type migration struct {
	name     string
	up, down []string
	noTx     bool // the statements must run outside a transaction
}

// Write writes the migrations of the example for tool into dir and returns
// the paths written, in order.
func Write(db *gorm.DB, tool, dir string) ([]string, error) {
	ms, err := migrations(db, tool)
	if err != nil {
		return nil, err
	}
	var paths []string
	for i, m := range ms {
		files := render(tool, i+1, m)
		for _, f := range files {
			path := filepath.Join(dir, f.name)
			if err := os.WriteFile(path, []byte(f.text), 0o644); err != nil {
				return nil, fmt.Errorf("write %s: %w", path, err)
			}
			paths = append(paths, path)
		}
	}
	return paths, nil
}

// Print writes the files Write would write to w, each under a "-- name"
// header.
func Print(w io.Writer, db *gorm.DB, tool string) error {
	ms, err := migrations(db, tool)
	if err != nil {
		return err
	}
	for i, m := range ms {
		for _, f := range render(tool, i+1, m) {
			if _, err := fmt.Fprintf(w, "-- %s\n%s\n", f.name, f.text); err != nil {
				return err
			}
		}
	}
	return nil
}

// migrations lists the example's migrations: the legacy table, then the
// plugin's indexes. For golang-migrate, whose files each run as one
// statement batch, a concurrent build gets a migration per statement.
func migrations(db *gorm.DB, tool string) ([]migration, error) {
	if tool != Goose && tool != GolangMigrate {
		return nil, fmt.Errorf("unknown tool %q (want %s or %s)", tool, Goose, GolangMigrate)
	}
	table, err := legacyTable(db)
	if err != nil {
		return nil, err
	}
	out := []migration{{name: "create_customers", up: table, down: []string{`DROP TABLE "customers"`}}}
	m, err := softdelete.MigrationSQL(db, conversion, &Customer{})
	if err != nil {
		return nil, err
	}
	if tool == Goose || !m.NoTransaction {
		return append(out, migration{name: "softdelete_indexes", up: m.Up(), down: m.Down(), noTx: m.NoTransaction}), nil
	}
	for _, step := range m.Steps {
		for i, p := range step.Pairs() {
			out = append(out, migration{name: fmt.Sprintf("%s_%d", step.Index, i+1),
				up: []string{p.Up}, down: []string{p.Down}, noTx: true})
		}
	}
	return out, nil
}

// file is one file to write.
type file struct{ name, text string }

// render turns migration number n into the tool's files.
func render(tool string, n int, m migration) []file {
	if tool == GolangMigrate {
		base := fmt.Sprintf("%06d_%s", n, m.name)
		return []file{{base + ".up.sql", statements(m.up)}, {base + ".down.sql", statements(m.down)}}
	}
	var b strings.Builder
	if m.noTx {
		b.WriteString("-- +goose NO TRANSACTION\n")
	}
	b.WriteString("-- +goose Up\n" + statements(m.up) + "\n-- +goose Down\n" + statements(m.down))
	return []file{{fmt.Sprintf("%05d_%s.sql", n, m.name), b.String()}}
}

// statements renders statements one per line, each ending with ';'.
func statements(stmts []string) string {
	var b strings.Builder
	for _, s := range stmts {
		b.WriteString(s + ";\n")
	}
	return b.String()
}

// legacyTable returns the statements GORM's AutoMigrate ran to create the
// legacy table (CREATE TABLE and its indexes, idx_customers_email among
// them), captured from a dry run: nothing is executed.
func legacyTable(db *gorm.DB) ([]string, error) {
	c := &capture{Interface: logger.Discard}
	dry := db.Session(&gorm.Session{DryRun: true, Logger: c, NewDB: true})
	if err := dry.Migrator().CreateTable(&LegacyCustomer{}); err != nil {
		return nil, fmt.Errorf("render the legacy table: %w", err)
	}
	return c.stmts, nil
}

// capture records the SQL of every statement GORM logs.
type capture struct {
	logger.Interface
	stmts []string
}

// LogMode keeps the capture whatever the level.
func (c *capture) LogMode(logger.LogLevel) logger.Interface { return c }

// Trace records one statement.
func (c *capture) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	c.stmts = append(c.stmts, sql)
}
