package pbx3cx

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// eventFields says, for every field of Event, how the functions that list
// Event's fields by hand (sameEvent, compareEvents, cloneEvent with
// textFields, eventText and EventSize) handle it. Adding a field to Event
// fails TestEventFieldsCovered until it is listed here, and fails it again
// until each of those functions handles it.
var eventFields = []struct {
	name   string
	reason string // how cloneEvent copies it, and what EventSize counts
}{
	{"Type", "text: in textFields, copied into the clone's one allocation, counted by eventText"},
	{"CallerID", "text, as Type"},
	{"User", "text, as Type"},
	{"UserType", "text, as Type"},
	{"DID", "text, as Type"},
	{"ID", "text, as Type"},
	{"TransferType", "text, as Type"},
	{"FinishType", "text, as Type"},
	{"Title", "text, as Type"},
	{"Transfer", "a value: copied with the struct, inside eventOverhead"},
	{"Duration", "a value: copied with the struct, inside eventOverhead"},
	{"RecordingURLs", "each URL copied into the one allocation, a new slice; counted as text plus a string header each"},
	{"Extra", "each key and value copied into the one allocation, a new map; counted as text plus three headers an entry"},
}

// TestEventFieldsCovered makes two events that differ in one field only,
// for every field of Event, and checks that each hand-written function
// sees the difference: sameEvent says they differ, compareEvents orders
// them both ways, cloneEvent copies the field into memory of its own, and
// EventSize counts its text.
func TestEventFieldsCovered(t *testing.T) {
	typ := reflect.TypeFor[Event]()
	var names, listed []string
	for i := range typ.NumField() {
		names = append(names, typ.Field(i).Name)
	}
	for _, f := range eventFields {
		listed = append(listed, f.name)
	}
	if diff := cmp.Diff(names, listed); diff != "" {
		t.Fatalf("Event's fields differ from eventFields: list the new field there and handle it in sameEvent, "+
			"compareEvents, cloneEvent, textFields and EventSize (-Event +eventFields):\n%s", diff)
	}
	for i, f := range eventFields {
		t.Run(f.name, func(t *testing.T) {
			field := typ.Field(i)
			lo, hi, text := fieldValues(t, field.Type)
			for _, v := range []struct {
				reason string
				a, b   reflect.Value
			}{
				{"zero against set", reflect.Zero(field.Type), hi},
				{"set against another value", lo, hi},
			} {
				var a, b Event
				reflect.ValueOf(&a).Elem().Field(i).Set(v.a)
				reflect.ValueOf(&b).Elem().Field(i).Set(v.b)
				if sameEvent(&a, &b) || sameEvent(&b, &a) {
					t.Errorf("%s: sameEvent does not see %s (%s)", v.reason, f.name, f.reason)
				}
				if ab, ba := compareEvents(&a, &b), compareEvents(&b, &a); ab == 0 || ab != -ba {
					t.Errorf("%s: compareEvents gives %d and %d, want opposite signs", v.reason, ab, ba)
				}
			}

			var src Event
			fv := reflect.ValueOf(&src).Elem().Field(i)
			fv.Set(hi)
			c := cloneEvent(&src)
			if diff := cmp.Diff(src, c); diff != "" || !sameEvent(&src, &c) {
				t.Errorf("cloneEvent's copy differs (-original +clone):\n%s", diff)
			}
			orig, copied := texts(fv), texts(reflect.ValueOf(&c).Elem().Field(i))
			for j := range orig {
				if unsafe.StringData(orig[j]) == unsafe.StringData(copied[j]) {
					t.Errorf("the clone's %s holds the original's text %q, not a copy (%s)", f.name, orig[j], f.reason)
				}
			}
			if changeInPlace(fv) && sameEvent(&src, &c) {
				t.Errorf("changing the original's %s changed the clone: they share it (%s)", f.name, f.reason)
			}
			if got, want := EventSize(&c)-EventSize(&Event{}), int64(text); got < want {
				t.Errorf("EventSize counts %d bytes for %s, fewer than its %d bytes of text (%s)", got, f.name, want, f.reason)
			}
		})
	}
}

// fieldValues returns two different non-zero values of type typ, and the
// bytes of text the second holds.
func fieldValues(t *testing.T, typ reflect.Type) (lo, hi reflect.Value, text int) {
	t.Helper()
	str := strings.Clone // not a constant, whose memory a copy could share
	switch {
	case typ.Kind() == reflect.String:
		return reflect.ValueOf(str("a")).Convert(typ), reflect.ValueOf(str("bb")).Convert(typ), 2
	case typ.Kind() == reflect.Bool:
		return reflect.ValueOf(false), reflect.ValueOf(true), 0
	case typ == reflect.TypeFor[time.Duration]():
		return reflect.ValueOf(time.Second), reflect.ValueOf(2 * time.Second), 0
	case typ == reflect.TypeFor[[]string]():
		return reflect.ValueOf([]string{str("a")}), reflect.ValueOf([]string{str("a"), str("bb")}), 3
	case typ == reflect.TypeFor[map[string]string]():
		return reflect.ValueOf(map[string]string{str("k"): str("a")}), reflect.ValueOf(map[string]string{str("k"): str("bb")}), 3
	}
	t.Fatalf("a field of type %s: teach sameEvent, compareEvents, cloneEvent and EventSize to handle it, then this test", typ)
	return
}

// texts returns the strings v holds, in a fixed order.
func texts(v reflect.Value) []string {
	switch v.Kind() {
	case reflect.String:
		return []string{v.String()}
	case reflect.Slice:
		var out []string
		for i := range v.Len() {
			out = append(out, texts(v.Index(i))...)
		}
		return out
	case reflect.Map:
		var out []string
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			out = append(out, k.String(), v.MapIndex(k).String())
		}
		return out
	}
	return nil
}

// changeInPlace changes what the slice or map v refers to, not v itself,
// and reports whether v is one.
func changeInPlace(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice:
		v.Index(0).SetString("changed")
		return true
	case reflect.Map:
		for _, k := range v.MapKeys() {
			v.SetMapIndex(k, reflect.ValueOf("changed"))
		}
		return true
	}
	return false
}
