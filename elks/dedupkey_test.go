package elks

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
)

// Issue 10 item 6: a key of only some fields drops a webhook that differs
// in another as a duplicate. Every field of every event type counts,
// unless it is listed here with the reason it is left out.
func TestDedupKeyCoversEveryField(t *testing.T) {
	key := func(ev Event) string { return (&Callbacks{}).delivery(ev, nil).Key }
	tests := []struct {
		event  string
		check  func(*testing.T)
		reason string
	}{
		{"SMS", func(t *testing.T) { checkKeyFields(t, func(ev *SMS) string { return key(ev) }, nil) },
			"46elks resends the same form body"},
		{"MMS", func(t *testing.T) { checkKeyFields(t, func(ev *MMS) string { return key(ev) }, nil) },
			"the images are part of the message"},
		{"DeliveryReport", func(t *testing.T) { checkKeyFields(t, func(ev *DeliveryReport) string { return key(ev) }, nil) },
			"sent, then delivered or failed: one key each"},
		{"Recording", func(t *testing.T) { checkKeyFields(t, func(ev *Recording) string { return key(ev) }, nil) },
			"record and recordcall may both report on one call"},
		{"CallEnd", func(t *testing.T) { checkKeyFields(t, func(ev *CallEnd) string { return key(ev) }, nil) },
			"Actions and Legs count element by element"},
		{"CallEvent", func(t *testing.T) {
			base, vs := keyVariants[CallEvent]()
			for _, ev := range append([]*CallEvent{base()}, variantEvents(vs)...) {
				if k := key(ev); k != "" {
					t.Fatalf("a step of a live call has the key %q", k)
				}
			}
		}, "never de-duplicated: the same digits may rightly come twice, and a duplicate's 204 would end the call"},
	}
	for _, tt := range tests {
		t.Run(tt.event+": "+tt.reason, tt.check)
	}
}

func variantEvents[T any](vs []keyVariant[T]) []*T {
	evs := make([]*T, len(vs))
	for i, v := range vs {
		evs[i] = v.ev
	}
	return evs
}

// Issue 10 item 6, through the handler: two SMS under one id (a test tool
// replaying one fixture with another text, say) that differ in their text
// or an undocumented field both reach OnSMS; a resend does not.
func TestHandlerDeliversSMSDifferingOnlyInText(t *testing.T) {
	var mu sync.Mutex
	var got []string
	h := NewHandler(Callbacks{OnSMS: func(_ context.Context, ev *SMS) (Reply, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.Message+" "+ev.Extra["owner"])
		return Reply{}, nil
	}}, telhook.WithLogger(slog.New(slog.DiscardHandler)))
	for _, extra := range []string{"message=Hello", "message=Bye", "message=Bye", "message=Bye&owner=u2"} {
		body := "direction=incoming&id=sf8425555e5d8db61dda7a7b3f1b91bdb&from=%2B46706861004&to=%2B46706860000&created=2018-07-13T13%3A57%3A23.741000&" + extra
		req := httptest.NewRequest(http.MethodPost, "/sms", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
	}
	if diff := cmp.Diff([]string{"Hello ", "Bye ", "Bye u2"}, got); diff != "" {
		t.Errorf("SMS that reached OnSMS (-want +got):\n%s", diff)
	}
}

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

// checkKeyFields fails t unless key gives the base event of type T the
// same key however often it is made (a resend, with maps in any order),
// and every variant another key, except the variants of fields in
// excluded (path → why it is left out), which must keep the base's key.
func checkKeyFields[T any](t *testing.T, key func(*T) string, excluded map[string]string) {
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
