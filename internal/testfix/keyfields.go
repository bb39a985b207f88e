package testfix

// CheckKeyFields and its variant maker: every provider's test that its
// de-duplication key covers every field of an event, made by reflection,
// so that a field added to an event later is covered without a change.

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keyVariant is an event that differs from the base event in one field.
type keyVariant[T any] struct {
	field string // its path: "From", "Payload.Digits", "Extra[a]", "len(Images)", "key of Extra[a]"
	ev    *T
}

// keyVariants returns a maker of the base event of type T, with every
// field set to a value of its own, and one variant per field. They are
// made by reflection, so that a field added to T later gets a variant
// without a change here. A slice gets two elements, a map the keys "a"
// and "b"; each also gets a variant with one element fewer, and a map one
// with a renamed key.
func keyVariants[T any]() (func() *T, []keyVariant[T]) {
	build := func(target int) (*T, []string) {
		f := &keyFiller{target: target}
		ev := new(T)
		f.fill(reflect.ValueOf(ev).Elem(), "")
		return ev, f.leaves
	}
	_, leaves := build(-1)
	vs := make([]keyVariant[T], len(leaves))
	for i, path := range leaves {
		ev, _ := build(i)
		vs[i] = keyVariant[T]{path, ev}
	}
	return func() *T { ev, _ := build(-1); return ev }, vs
}

// keyFiller sets every field of a value, giving the target-th leaf (a
// field, an element count, a map key) its other value.
type keyFiller struct {
	target int      // -1 for none
	leaves []string // the path of every leaf met so far
}

// other records the leaf path and reports whether it is the target.
func (f *keyFiller) other(path string) bool {
	f.leaves = append(f.leaves, path)
	return len(f.leaves)-1 == f.target
}

func (f *keyFiller) fill(v reflect.Value, path string) {
	n := len(f.leaves) // makes every leaf's value its own, the same in every build
	if v.Type() == reflect.TypeFor[time.Time]() {
		t := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).Add(time.Duration(n) * time.Hour)
		if f.other(path) {
			t = t.Add(time.Second)
		}
		v.Set(reflect.ValueOf(t))
		return
	}
	switch v.Kind() {
	case reflect.String:
		s := "v" + strconv.Itoa(n)
		if f.other(path) {
			s += "'"
		}
		v.SetString(s)
	case reflect.Interface: // the values of a map[string]any
		s := "v" + strconv.Itoa(n)
		if f.other(path) {
			s += "'"
		}
		v.Set(reflect.ValueOf(s))
	case reflect.Int, reflect.Int64: // Duration too
		i := int64(1000 * (n + 1))
		if f.other(path) {
			i++
		}
		v.SetInt(i)
	case reflect.Bool:
		v.SetBool(!f.other(path))
	case reflect.Struct:
		for i := range v.NumField() {
			if sf := v.Type().Field(i); sf.IsExported() {
				f.fill(v.Field(i), strings.TrimPrefix(path+"."+sf.Name, "."))
			}
		}
	case reflect.Slice:
		shorter := f.other("len(" + path + ")")
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		if shorter {
			s = s.Slice(0, 1)
		}
		v.Set(s)
	case reflect.Map:
		renamed := f.other("key of " + path + "[a]")
		fewer := f.other("len(" + path + ")")
		m := reflect.MakeMap(v.Type())
		for _, k := range []string{"a", "b"} {
			e := reflect.New(v.Type().Elem()).Elem()
			f.fill(e, path+"["+k+"]")
			switch {
			case k == "a" && renamed:
				k = "a'"
			case k == "b" && fewer:
				continue
			}
			m.SetMapIndex(reflect.ValueOf(k), e)
		}
		v.Set(m)
	default:
		panic(fmt.Sprintf("keyFiller: no value for %s (%s): teach it", path, v.Type()))
	}
}

// CheckKeyFields fails t unless key gives the base event of type T the
// same key however often it is made (a resend, with maps in any order),
// and every variant another key, except the variants of fields in
// excluded (path → why it is left out), which must keep the base's key.
func CheckKeyFields[T any](t *testing.T, key func(*T) string, excluded map[string]string) {
	t.Helper()
	base, vs := keyVariants[T]()
	want := key(base())
	if want == "" {
		t.Fatalf("%T has no key: it would never be de-duplicated", base())
	}
	for range 20 {
		if got := key(base()); got != want {
			t.Fatalf("the same %T made again: key %q, then %q", base(), want, got)
		}
	}
	seen := make(map[string]bool)
	for _, v := range vs {
		got := key(v.ev)
		if reason, ok := excluded[v.field]; ok {
			seen[v.field] = true
			if got != want {
				t.Errorf("%s is left out of the key (%s), yet changing it changed the key", v.field, reason)
			}
			continue
		}
		if got == want {
			t.Errorf("two %T differing only in %s have the same key: the second would be dropped as a duplicate", v.ev, v.field)
		}
	}
	for field := range excluded {
		if !seen[field] {
			t.Errorf("%s is listed as left out of the key, but %T has no such field", field, base())
		}
	}
}

// EventVariants returns an event of type T with every field set, then
// one variant of it per field (see CheckKeyFields): for checking what a
// key does with every event, such as giving none.
func EventVariants[T any]() []*T {
	base, vs := keyVariants[T]()
	evs := []*T{base()}
	for _, v := range vs {
		evs = append(evs, v.ev)
	}
	return evs
}
