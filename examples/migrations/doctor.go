package main

import (
	"fmt"
	"io"
	"time"

	"gorm.io/gorm"
	"gorm.io/plugin/soft_delete"

	"github.com/gorm-softdelete/softdelete"
)

// The doctor's patients: each model makes one of the mistakes Check finds.
type (
	// Account keeps GORM's full unique index on its email.
	Account struct {
		softdelete.Model
		Email string `gorm:"uniqueIndex"`
	}
	// Coupon misspells the tag key.
	Coupon struct {
		softdelete.Model
		Code string `softDelete:"unique" gorm:"size:64"`
	}
	// Session uses *time.Time, which the plugin does not handle.
	Session struct {
		ID        uint
		DeletedAt *time.Time
	}
	// Legacy uses gorm.io/plugin/soft_delete's column type.
	Legacy struct {
		ID        uint
		DeletedAt soft_delete.DeletedAt
	}
	// Board cascades to its cards, whose foreign key has no index.
	Board struct {
		softdelete.Model
		Cards []Card `softdelete:"cascade"`
	}
	// Card belongs to a board.
	Card struct {
		softdelete.Model
		BoardID uint
	}
)

// patients are the models Doctor examines.
var patients = []any{&Account{}, &Coupon{}, &Session{}, &Legacy{}, &Board{}, &Card{}}

// Doctor creates the patients' tables on db (GORM's AutoMigrate, as a team
// that has not met the plugin would), leaves a live card on a deleted
// board, and prints what softdelete.Check finds.
func Doctor(w io.Writer, db *gorm.DB) error {
	if err := db.AutoMigrate(patients...); err != nil {
		return err
	}
	board := Board{Cards: []Card{{}}}
	if err := db.Create(&board).Error; err != nil {
		return err
	}
	if err := db.Exec(`UPDATE boards SET deleted_at = ? WHERE id = ?`, time.Now().UTC(), board.ID).Error; err != nil {
		return err
	}
	findings, err := softdelete.Check(db, patients...)
	if err != nil {
		return err
	}
	for _, f := range findings {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return err
		}
	}
	return nil
}
