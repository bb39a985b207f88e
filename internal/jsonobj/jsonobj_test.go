package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook/internal/testfix"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in     string
		want   []Member
		reason string
	}{
		{`{"a":1,"b":"x"}`, []Member{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte(`"x"`)}}, "in order"},
		{` { "a" : [1,{"c":2}] , "a" : null } `, []Member{{Key: []byte("a"), Value: []byte(`[1,{"c":2}]`), Depth: 2}, {Key: []byte("a"), Value: []byte("null")}},
			"duplicates kept, spaces skipped, depth counted"},
		{`{"k\u00e9y":"v\"q"}`, []Member{{Key: []byte("kéy"), Value: []byte(`"v\"q"`)}}, "escaped key unescaped; value raw"},
		{`{}`, []Member{}, "empty"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Split([]byte(tt.in))); diff != "" {
			t.Errorf("Split(%s) (-want +got) %s:\n%s", tt.in, tt.reason, diff)
		}
	}
}

func TestScalar(t *testing.T) {
	for in, want := range map[string]string{`"a"`: "a", `"a\nb"`: "a\nb", `12345678901234567890`: "12345678901234567890", `true`: "true", `null`: ""} {
		if got, ok := Scalar([]byte(in)); !ok || got != want {
			t.Errorf("Scalar(%s) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{`{}`, `[1]`, ``} {
		if _, ok := Scalar([]byte(in)); ok {
			t.Errorf("Scalar(%s) ok, want not a scalar", in)
		}
	}
}

// FuzzSplit: on every valid object Split agrees with encoding/json (the
// last of two equal keys is what encoding/json keeps), and sees every member.
func FuzzSplit(f *testing.F) {
	for _, dir := range []struct{ provider, ext string }{{"oncall", ".json"}, {"obd", ".json"}, {"pbx3cx", ".txt"}} {
		for _, name := range testfix.Names(f, dir.provider, dir.ext) {
			f.Add(testfix.Read(f, dir.provider, name, dir.ext))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' || !utf8.Valid(b) || !json.Valid(b) || json.Unmarshal(b, &want) != nil {
			return // Split reads valid UTF-8 objects only
		}
		got := map[string]json.RawMessage{}
		for _, m := range Split(b) {
			got[string(m.Key)] = m.Value
		}
		if !cmp.Equal(want, got, cmp.Comparer(func(a, b json.RawMessage) bool { return Same(a, b) })) {
			t.Fatalf("Split disagrees with encoding/json:\n%v\n%v", want, got)
		}
	})
}

// FuzzParse: whatever Parse accepts, strictly or repaired, splits into
// members whose keys and scalar values are valid UTF-8 (escapes such as a
// lone "\udc00" decode to U+FFFD, never to bytes that are no text), and
// whatever it refuses for UTF-8 matches ErrUTF8.
func FuzzParse(f *testing.F) {
	for _, dir := range []struct{ provider, ext string }{{"oncall", ".json"}, {"obd", ".json"}, {"pbx3cx", ".txt"}} {
		for _, name := range testfix.Names(f, dir.provider, dir.ext) {
			f.Add(testfix.Read(f, dir.provider, name, dir.ext))
		}
	}
	f.Add([]byte("{\"\xff\":1}"))
	f.Add([]byte(`{"k\udc00":"\ud800", bare: “typo”,}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		members, err := Parse(b)
		if err != nil {
			if !utf8.Valid(bytes.TrimSpace(b)) && !errors.Is(err, ErrUTF8) {
				t.Fatalf("bytes that are not UTF-8 refused with %v, want ErrUTF8", err)
			}
			return
		}
		text := make([][2]string, len(members)) // duplicates included
		for i, m := range members {
			v, _ := Scalar(m.Value) // objects and arrays: walked by the decoders
			text[i] = [2]string{string(m.Key), v}
		}
		testfix.CheckUTF8(t, text)
	})
}
