package redisstore

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook/pbx3cx"
)

// everyField returns an event with every field of pbx3cx.Event set to a
// value that is not its zero, found by reflection: a field added to Event
// and forgotten by the encoding fails TestEventEncodingRoundTrip.
func everyField(t *testing.T) pbx3cx.Event {
	t.Helper()
	var ev pbx3cx.Event
	v := reflect.ValueOf(&ev).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch {
		case f.Kind() == reflect.String:
			f.SetString(name + " \xff:1:") // invalid UTF-8 and the separator
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.Int64:
			f.SetInt(int64(7*time.Second + 3))
		case f.Type() == reflect.TypeFor[[]string]():
			f.Set(reflect.ValueOf([]string{name + "1", "", name + "3"}))
		case f.Type() == reflect.TypeFor[map[string]string]():
			f.Set(reflect.ValueOf(map[string]string{"b": name, "a": "", "": "empty key"}))
		default:
			t.Fatalf("Event.%s is a %s: teach everyField and the encoding about it", name, f.Type())
		}
	}
	return ev
}

func TestEventEncodingRoundTrip(t *testing.T) {
	tests := []struct {
		reason string
		ev     pbx3cx.Event
		want   pbx3cx.Event // what reads back
	}{
		{"the zero event", pbx3cx.Event{}, pbx3cx.Event{}},
		{"every field set, by reflection", everyField(t), everyField(t)},
		{"a typical ringing event", pbx3cx.Event{Type: pbx3cx.Ringing, CallerID: "05552221133", User: "800", ID: "230307_1-0", Extra: map[string]string{"chid": "1"}},
			pbx3cx.Event{Type: pbx3cx.Ringing, CallerID: "05552221133", User: "800", ID: "230307_1-0", Extra: map[string]string{"chid": "1"}}},
		{"empty RecordingURLs and Extra read back as nil", pbx3cx.Event{Type: pbx3cx.Recording, RecordingURLs: []string{}, Extra: map[string]string{}},
			pbx3cx.Event{Type: pbx3cx.Recording}},
		{"a negative duration", pbx3cx.Event{Duration: -time.Nanosecond}, pbx3cx.Event{Duration: -time.Nanosecond}},
	}
	for _, tt := range tests {
		m, size := encodeEvent(&tt.ev)
		got, err := decodeEvent(m)
		if err != nil {
			t.Errorf("%s: %v", tt.reason, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: read back (-want +got):\n%s", tt.reason, diff)
		}
		if want := pbx3cx.EventSize(&tt.want); size != want {
			t.Errorf("%s: size %d, want %d, the EventSize of what reads back", tt.reason, size, want)
		}
	}
}

func TestEventEncodingCanonical(t *testing.T) {
	base := everyField(t)
	with := func(f func(*pbx3cx.Event)) pbx3cx.Event {
		e := everyField(t)
		f(&e)
		return e
	}
	tests := []struct {
		reason string
		a, b   pbx3cx.Event
		equal  bool
	}{
		{"equal events", base, everyField(t), true},
		{"nil and empty RecordingURLs and Extra", pbx3cx.Event{ID: "x"}, pbx3cx.Event{ID: "x", RecordingURLs: []string{}, Extra: map[string]string{}}, true},
		{"one Extra value differs", base, with(func(e *pbx3cx.Event) { e.Extra["a"] = "x" }), false},
		{"an Extra key moves into the value", pbx3cx.Event{Extra: map[string]string{"ab": ""}}, pbx3cx.Event{Extra: map[string]string{"a": "b"}}, false},
		{"text moves from one field to the next", pbx3cx.Event{Type: "ab"}, pbx3cx.Event{Type: "a", CallerID: "b"}, false},
		{"a URL more", base, with(func(e *pbx3cx.Event) { e.RecordingURLs = append(e.RecordingURLs, "") }), false},
		{"Transfer differs", base, with(func(e *pbx3cx.Event) { e.Transfer = false }), false},
		{"Duration differs by a nanosecond", base, with(func(e *pbx3cx.Event) { e.Duration++ }), false},
		{"Title differs", base, with(func(e *pbx3cx.Event) { e.Title = "" }), false},
	}
	for _, tt := range tests {
		ma, _ := encodeEvent(&tt.a)
		mb, _ := encodeEvent(&tt.b)
		if (ma == mb) != tt.equal {
			t.Errorf("%s: encodings equal %t, want %t:\n%q\n%q", tt.reason, ma == mb, tt.equal, ma, mb)
		}
	}
}

func TestEventDecodingRejects(t *testing.T) {
	good, _ := encodeEvent(&pbx3cx.Event{Type: pbx3cx.Recording, RecordingURLs: []string{"u"}, Extra: map[string]string{"k": "v"}})
	tests := []struct {
		reason string
		m      string
	}{
		{"empty", ""},
		{"cut short", good[:len(good)-1]},
		{"trailing bytes", good + "0:"},
		{"a length beyond the end", "99:x"},
		{"not a length", "x:"},
	}
	for _, tt := range tests {
		if _, err := decodeEvent(tt.m); err == nil {
			t.Errorf("%s: %q decoded", tt.reason, tt.m)
		}
	}
}
