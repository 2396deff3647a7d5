package softdelete

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ErrInvalidInterval is returned by NewPurger when the interval is not
// positive.
var ErrInvalidInterval = errors.New("softdelete: purge interval must be positive")

// Policy is one model's retention rule for a Purger: Purge(ctx, db, Model,
// Options) on every run.
type Policy struct {
	Model   any          // a soft-deletable model, e.g. &Post{}
	Options PurgeOptions // OlderThan is required; OnBatch, if set, sees every batch
}

// Purger runs Purge for a list of policies on a schedule, like a cron job:
//
//	purger, err := softdelete.NewPurger(db, time.Hour,
//		softdelete.Policy{Model: &Post{}, Options: softdelete.PurgeOptions{OlderThan: 30 * 24 * time.Hour}},
//		softdelete.Policy{Model: &Session{}, Options: softdelete.PurgeOptions{OlderThan: 24 * time.Hour}},
//	)
//	if err != nil { ... }
//	go purger.Run(ctx) // until ctx ends
//
// It is safe to run a Purger on several nodes at once: Purge never removes a
// row twice, and on PostgreSQL purgers skip the table segments and rows
// another holds instead of waiting for them. Each run of each policy is logged through the db's
// logger: Info with the number of rows removed, Error when it fails.
// A Purger has no mutable state; its methods may be called concurrently.
type Purger struct {
	db       *gorm.DB
	interval time.Duration
	policies []purgePolicy
}

// purgePolicy is a validated Policy and the table it purges (for the log).
type purgePolicy struct {
	Policy
	table string
}

// NewPurger returns a Purger that runs the policies every interval on db.
// Every policy is validated as Purge would validate it (ErrInvalidRetention,
// ErrInvalidBatchSize, ErrInvalidBatchTime, ErrNotSoftDeletable, ...); an
// interval <= 0 fails with ErrInvalidInterval, a nil db with gorm.ErrInvalidDB
// and an empty policy list with gorm.ErrInvalidValue.
func NewPurger(db *gorm.DB, interval time.Duration, policies ...Policy) (*Purger, error) {
	switch {
	case db == nil:
		return nil, fmt.Errorf("softdelete: NewPurger: nil *gorm.DB: %w", gorm.ErrInvalidDB)
	case interval <= 0:
		return nil, fmt.Errorf("%w: NewPurger with interval %s", ErrInvalidInterval, interval)
	case len(policies) == 0:
		return nil, fmt.Errorf("softdelete: NewPurger: no policies: %w", gorm.ErrInvalidValue)
	}
	p := &Purger{db: db, interval: interval}
	for i, pol := range policies {
		m, _, err := purgeTarget(context.Background(), db, pol.Model, pol.Options)
		if err != nil {
			return nil, fmt.Errorf("softdelete: NewPurger: policy %d: %w", i, err)
		}
		p.policies = append(p.policies, purgePolicy{Policy: pol, table: m.schema.Table})
	}
	return p, nil
}

// Run purges every policy now and then once per interval until ctx ends, and
// returns ctx.Err(). A failed run is logged (and retried at the next tick), it
// does not stop Run; a run in progress when ctx ends is interrupted (its
// committed batches stay).
func (p *Purger) Run(ctx context.Context) error {
	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	for {
		_, _ = p.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// RunOnce purges every policy once, in order, and returns the rows removed and
// the failures joined (errors.Is works on each). A failed policy does not keep
// the next from running; when ctx ends, RunOnce stops.
func (p *Purger) RunOnce(ctx context.Context) (int64, error) {
	var total int64
	var errs []error
	for _, pol := range p.policies {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("softdelete: purge %s not run: %w", pol.table, ctx.Err()))
			break
		}
		n, err := p.runPolicy(ctx, pol)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// runPolicy purges one policy and logs the outcome.
func (p *Purger) runPolicy(ctx context.Context, pol purgePolicy) (int64, error) {
	start := time.Now()
	n, err := Purge(ctx, p.db, pol.Model, pol.Options)
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case err == nil:
		p.db.Logger.Info(ctx, "softdelete: purged %d rows from %s (deleted more than %s ago) in %s",
			n, pol.table, pol.Options.OlderThan, took)
	case ctx.Err() != nil:
		p.db.Logger.Info(ctx, "softdelete: purge of %s stopped after %d rows: %v", pol.table, n, err)
	default:
		p.db.Logger.Error(ctx, "softdelete: purge of %s failed after %d rows in %s: %v", pol.table, n, took, err)
	}
	return n, err
}
