package field_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telhook/telhook/internal/field"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/internal/wire"
)

func TestForm(t *testing.T) {
	tests := []struct {
		body   string
		want   []field.Field
		err    string
		reason string
	}{
		{"id=s1&from=%2B46706861004&message=Hej+d%C3%A5", []field.Field{{Key: "id", Value: "s1"}, {Key: "from", Value: "+46706861004"}, {Key: "message", Value: "Hej då"}}, "",
			"escapes and '+' read as url.ParseQuery does, in the order sent"},
		{"from= 46706861004&to=\r\n", []field.Field{{Key: "from", Value: " 46706861004"}, {Key: "to", Value: ""}}, "",
			"a raw '+' arrives as a space (restored by Reader.Phone); trailing line breaks dropped"},
		{"a=1&&b&a=1", []field.Field{{Key: "a", Value: "1"}, {Key: "b", Value: ""}}, "", "empty pairs skipped, a bare key is empty, a same-value repeat read once"},
		{"", nil, `elks: empty body`, "nothing"},
		{"\r\n", nil, `elks: empty body`, "only line breaks"},
		{"a=1&a=2", nil, `elks: field "a": value "2": field is repeated with different values`, "conflicting repeat"},
		{"b=\xff&a=1&a=2", nil, `elks: field "a": value "2": field is repeated with different values`, "of UTF-8 and repeat errors, the smallest key"},
		{"b=%ff", nil, "elks: field \"b\": value \"\ufffd\": not valid UTF-8", "an escape that decodes to a bad byte"},
		{"%ff=1", nil, "elks: field \"\ufffd\": not valid UTF-8", "a bad key"},
		{"a=%zz&b=\xff", nil, `elks: field "a": value "%zz": invalid percent-encoding`, "a bad escape wins over a UTF-8 error"},
		{"b=\xff&a=%zz", nil, `elks: field "a": value "%zz": invalid percent-encoding`, "wherever it is"},
		{"%zz=1", nil, `elks: field "%zz": invalid percent-encoding`, "a bad key escape names the key as sent"},
		{"id=1;x=2", nil, `elks: field "id": value "1;x=2": ';' is not a field separator`, "semicolons"},
		{strings.Repeat("a=1&", field.MaxFields), nil, `elks: more than 1000 fields`, "too many"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			got, err := field.Form("elks", []byte(tt.body), nil)
			if tt.err != "" {
				var de *telhook.DecodeError
				if err == nil || err.Error() != tt.err || !errors.As(err, &de) {
					t.Fatalf("error %v, want %s (%s)", err, tt.err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got) %s:\n%s", tt.reason, diff)
			}
		})
	}
}

// TestFormManyFieldsRepeat: past 32 fields, repeats are looked up in a map
// instead of a scan, and a conflicting repeat of the first key, sent last
// after 998 distinct fields, is still found.
func TestFormManyFieldsRepeat(t *testing.T) {
	var b strings.Builder
	b.WriteString("ka=1&")
	for i := range field.MaxFields - 2 {
		b.WriteString("k")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(url.QueryEscape(string(rune(0x100 + i))))
		b.WriteString("=v&")
	}
	b.WriteString("ka=other")
	got, err := field.Form("elks", []byte(b.String()), nil)
	if err == nil || !errors.Is(err, field.ErrRepeated) {
		t.Fatalf("got %d fields, %v; want the late conflicting repeat of ka refused", len(got), err)
	}
}

// FuzzForm checks Form against url.ParseQuery and wire.Check, the way
// forms were read before: the same fields (first value of each key, in any
// order), or the same error text.
func FuzzForm(f *testing.F) {
	for _, p := range must(filepath.Glob(filepath.Join(testfix.Dir("elks"), "*.form"))) {
		f.Add(must(os.ReadFile(p)))
	}
	f.Add([]byte("a=%zz&b=\xff&a=1&a=2;"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := field.Form("elks", body, nil)
		ref, refErr := wire.Form("elks", body)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("Form error %v, reference error %v", err, refErr)
		}
		if err != nil {
			if err.Error() != refErr.Error() {
				t.Fatalf("Form error %q, reference %q", err, refErr)
			}
			return
		}
		want := map[string]string{}
		for k, vs := range ref {
			want[k] = vs[0]
		}
		have := map[string]string{}
		for _, f := range got {
			if _, dup := have[f.Key]; dup {
				t.Fatalf("key %q twice", f.Key)
			}
			have[f.Key] = f.Value
		}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Fatalf("fields (-reference +Form):\n%s", diff)
		}
		if bad := testfix.InvalidUTF8(got); bad != "" {
			t.Fatalf("accepted invalid UTF-8 at %s", bad)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
