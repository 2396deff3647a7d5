// The doctor's row checks: live rows whose soft-deletable parent is
// deleted, and planner statistics older than the first tombstones.

package softdelete

import (
	"fmt"
	"strings"

	"gorm.io/gorm/schema"
)

// orphans reports live rows whose soft-deletable parent is deleted, through
// the model's cascades (the model is the parent) and its belongs-to
// relations (the model is the child). Polymorphic relations are skipped.
func (c *checkup) orphans() error {
	rels := append(append([]*schema.Relationship{}, c.m.cascades...), c.m.parents...)
	for _, rel := range rels {
		parent, child := rel.Schema, rel.FieldSchema
		if rel.Type == schema.BelongsTo {
			parent, child = child, parent
		}
		if err := c.orphansOf(rel, parent, child); err != nil {
			return err
		}
	}
	return nil
}

// orphansOf counts the live child rows of deleted parents of one relation.
func (c *checkup) orphansOf(rel *schema.Relationship, parent, child *schema.Schema) error {
	pcol, ccol := deletedColumn(parent), deletedColumn(child)
	match, ok := c.joinCondition(rel)
	key := child.Table + "|" + parent.Table + "|" + strings.Join(foreignKeys(rel), ",")
	if pcol == "" || ccol == "" || !ok || c.seen[key] {
		return nil
	}
	c.seen[key] = true
	q := c.d.Quote
	pt, ct := c.d.QuoteTable(parent.Table), c.d.QuoteTable(child.Table)
	deadParent := "EXISTS (SELECT 1 FROM " + pt + " p WHERE " + match(ct) + " AND p." + q(pcol) + " IS NOT NULL)"
	var n int64
	count := "SELECT count(*) FROM " + ct + " WHERE " + ct + "." + q(ccol) + " IS NULL AND " + deadParent
	if err := c.db.Raw(count).Scan(&n).Error; err != nil {
		return fmt.Errorf("count live rows of deleted parents in %s: %w", child.Table, err)
	}
	if n == 0 {
		return nil
	}
	fix := "UPDATE " + ct + " SET " + q(ccol) + " = (SELECT p." + q(pcol) + " FROM " + pt + " p WHERE " + match(ct) + ")" +
		" WHERE " + q(ccol) + " IS NULL AND " + deadParent
	c.add(Finding{Kind: FindingLiveOrphans, Table: child.Table, Field: rel.Name,
		Problem: fmt.Sprintf("%d live rows of %s belong to deleted rows of %s (relation %s.%s).", n, child.Table, parent.Table, rel.Schema.Name, rel.Name),
		Why: "reads show children of parents they hide (a join or Preload from the parent never finds them), " +
			"and purging the parent fails with ErrLiveChild or breaks the foreign key.",
		Fix: "soft-delete them with their parent's timestamp (the SQL below; a later Restore of the parent then brings them back), or restore the parents.",
		SQL: []string{fix},
	})
	return nil
}

// joinCondition returns the condition "p is the parent of the child row of
// table" of a relation (p aliases the parent table), or false for a
// polymorphic relation.
func (c *checkup) joinCondition(rel *schema.Relationship) (func(childTable string) string, bool) {
	for _, ref := range rel.References {
		if ref.PrimaryKey == nil {
			return nil, false
		}
	}
	return func(ct string) string {
		conds := make([]string, len(rel.References))
		for i, ref := range rel.References {
			conds[i] = "p." + c.d.Quote(ref.PrimaryKey.DBName) + " = " + ct + "." + c.d.Quote(ref.ForeignKey.DBName)
		}
		return strings.Join(conds, " AND ")
	}, true
}

// statistics reports a soft-deletable table whose planner statistics say
// the soft-delete column is all NULL while tombstones exist.
func (c *checkup) statistics() error {
	if !c.m.softDeletable() {
		return nil
	}
	table, col := c.m.schema.Table, c.m.field.DBName
	frac, ok, err := c.d.NullFraction(c.db, table, col)
	if err != nil || !ok || frac < 1 {
		return err
	}
	var tombstones []int
	q := "SELECT 1 FROM " + c.d.QuoteTable(table) + " WHERE " + c.d.Quote(col) + " IS NOT NULL LIMIT 1"
	if err := c.db.Raw(q).Scan(&tombstones).Error; err != nil {
		return fmt.Errorf("look for tombstones in %s: %w", table, err)
	}
	if len(tombstones) == 0 {
		return nil
	}
	c.add(Finding{Kind: FindingStaleStatistics, Field: c.m.field.Name,
		Problem: fmt.Sprintf("the planner's statistics of %s were gathered before its first tombstone (%s is all NULL in them).", table, col),
		Why:     "the planner misjudges matches on (foreign key, deleted_at): the zombie-free restore of a cascade may scan instead of using the index.",
		Fix:     "ANALYZE the table (autovacuum keeps it right afterwards).",
		SQL:     []string{"ANALYZE " + c.d.QuoteTable(table)},
	})
	return nil
}
