package reliability_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/gorm-softdelete/softdelete"
)

// The cascade trees of the clock, interleaving, deadlock and disk-full tests.

// Site → Page → Block is a three-level cascade. Pages have a key unique among
// live rows (a partial unique index) and a body to make rows take room.
// Drafts are a has-many association without a cascade tag: only
// db.Select(clause.Associations).Delete reaches them, and they cascade to
// their revisions.
type Site struct {
	ID        uint `gorm:"primarykey"`
	Name      string
	Pages     []Page               `softdelete:"cascade"`
	Drafts    []Draft              // no cascade: GORM's association step deletes them
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// Page is a site's page and cascades to its blocks.
type Page struct {
	ID        uint `gorm:"primarykey"`
	SiteID    uint
	Path      string `softdelete:"unique"`
	Body      string
	Blocks    []Block              `softdelete:"cascade"`
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// Block is a page's block.
type Block struct {
	ID        uint `gorm:"primarykey"`
	PageID    uint
	Body      string
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// Draft belongs to a site (not cascaded from it) and cascades to revisions.
type Draft struct {
	ID        uint `gorm:"primarykey"`
	SiteID    uint
	Revisions []Revision           `softdelete:"cascade"`
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// Revision is a draft's revision.
type Revision struct {
	ID        uint `gorm:"primarykey"`
	DraftID   uint
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// Node is a self-referencing tree: deleting a node cascades to its whole
// subtree (one WITH RECURSIVE statement).
type Node struct {
	ID        uint `gorm:"primarykey"`
	ParentID  *uint
	Name      string
	Children  []Node               `gorm:"foreignKey:ParentID" softdelete:"cascade"`
	DeletedAt softdelete.DeletedAt `gorm:"index"`
}

// treeModels are the models of this file, in migration order.
var treeModels = []any{&Site{}, &Page{}, &Block{}, &Draft{}, &Revision{}, &Node{}}

// siteSeq numbers the sites of a test binary, so page paths never collide.
var siteSeq atomic.Int64

// newSite returns a site with pages pages of blocks blocks each, and drafts
// drafts of two revisions each (not yet created). Page paths are unique.
func newSite(name string, pages, blocks, drafts int) Site {
	s := Site{Name: name}
	seq := siteSeq.Add(1)
	for i := range pages {
		p := Page{Path: fmt.Sprintf("%s-%d/%d", name, seq, i), Body: name}
		for range blocks {
			p.Blocks = append(p.Blocks, Block{Body: name})
		}
		s.Pages = append(s.Pages, p)
	}
	for range drafts {
		s.Drafts = append(s.Drafts, Draft{Revisions: []Revision{{}, {}}})
	}
	return s
}

// tombstones reads id → deleted_at (nil when live) of every row of table
// with raw SQL: what is physically there.
func tombstones(t testing.TB, db *gorm.DB, table string) map[uint]*time.Time {
	t.Helper()
	var rows []struct {
		ID        uint
		DeletedAt *time.Time
	}
	require.NoError(t, db.Raw("SELECT id, deleted_at FROM "+table+" ORDER BY id").Scan(&rows).Error)
	out := make(map[uint]*time.Time, len(rows))
	for _, r := range rows {
		if r.DeletedAt != nil {
			ts := r.DeletedAt.UTC()
			out[r.ID] = &ts
		} else {
			out[r.ID] = nil
		}
	}
	return out
}

// tree creates nodes as a tree: parent[i] is the index of node i's parent
// (-1 for a root). It returns the nodes with their ids.
func tree(t testing.TB, db *gorm.DB, name string, parent []int) []Node {
	t.Helper()
	nodes := make([]Node, len(parent))
	for i, p := range parent {
		nodes[i] = Node{Name: name + "/" + string(rune('a'+i))}
		if p >= 0 {
			nodes[i].ParentID = &nodes[p].ID
		}
		require.NoError(t, db.Create(&nodes[i]).Error)
	}
	return nodes
}
