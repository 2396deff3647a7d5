package softdelete

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"

	"gorm.io/gorm"
)

// BeforeRestoreInterface is implemented by models with a BeforeRestore hook,
// run before a Restore of a struct (or slice) value; an error aborts it.
type BeforeRestoreInterface interface {
	BeforeRestore(tx *gorm.DB) error
}

// AfterRestoreInterface is implemented by models with an AfterRestore hook,
// run after a successful Restore of a struct (or slice) value, inside its
// transaction; an error rolls it back.
type AfterRestoreInterface interface {
	AfterRestore(tx *gorm.DB) error
}

func beforeRestore(v any, tx *gorm.DB) error {
	if h, ok := v.(BeforeRestoreInterface); ok {
		return h.BeforeRestore(tx)
	}
	return nil
}

func afterRestore(v any, tx *gorm.DB) error {
	if h, ok := v.(AfterRestoreInterface); ok {
		return h.AfterRestore(tx)
	}
	return nil
}

// callHook runs hook on the value passed to the statement (each element of a
// slice), with a fresh session on the same connection, like GORM's own hooks.
// The restore's statement skips GORM's delete hooks (see startVerb); GORM
// copies SkipHooks into every statement a hook's session starts, so it is
// off while the hook runs: the hook's own writes run their hooks. The first
// error is added to db and returned.
func callHook(db *gorm.DB, hook func(any, *gorm.DB) error) error {
	stmt := db.Statement
	rv := stmt.ReflectValue
	skip := stmt.SkipHooks
	stmt.SkipHooks = false
	defer func() { stmt.SkipHooks = skip }()
	tx := db.Session(&gorm.Session{NewDB: true})
	call := func(v reflect.Value) error {
		if v.CanAddr() {
			v = v.Addr()
		}
		return hook(v.Interface(), tx)
	}
	var err error
	switch rv.Kind() {
	case reflect.Struct:
		err = call(rv)
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len() && err == nil; i++ {
			err = call(reflect.Indirect(rv.Index(i)))
		}
	}
	if err != nil {
		_ = db.AddError(err)
	}
	return err
}

// actorValue returns the deleted_by value for a soft delete: the WithActor
// function's result for the statement's context, checked against the field's
// type. nil when there is no actor column or no actor function.
func (p *Plugin) actorValue(stmt *gorm.Statement, m *modelMeta) (any, error) {
	if m.deletedBy == nil || p.actor == nil {
		return nil, nil
	}
	ctx := stmt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	v := p.actor(ctx)
	if v == nil {
		return nil, nil
	}
	if want := m.deletedBy.IndirectFieldType; !fits(reflect.TypeOf(v), want) {
		return nil, fmt.Errorf("%w: actor value %v (%T) does not fit %s.%s (%s)",
			ErrInvalidActor, v, v, m.schema.Name, m.deletedBy.Name, m.deletedBy.FieldType)
	}
	return v, nil
}

var scannerType = reflect.TypeOf((*sql.Scanner)(nil)).Elem()

// fits reports whether a value of type got can be stored in a field of type
// want: assignable, the same family of basic kind, or want scans it itself.
func fits(got, want reflect.Type) bool {
	switch {
	case got.AssignableTo(want), reflect.PointerTo(want).Implements(scannerType):
		return true
	case got.Kind() == reflect.String || want.Kind() == reflect.String:
		return got.Kind() == want.Kind()
	default:
		return got.ConvertibleTo(want) && kindFamily(got) == kindFamily(want)
	}
}

// kindFamily groups integer and float kinds so int64 fits uint but not string.
func kindFamily(t reflect.Type) reflect.Kind {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return reflect.Int
	case reflect.Float32, reflect.Float64:
		return reflect.Float64
	}
	return t.Kind()
}
