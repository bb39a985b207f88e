package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook/internal/testfix"
)

func known(k string) bool { return k == "id" || k == "event" || k == "title" }

func TestParse(t *testing.T) {
	tests := []struct {
		raw    string
		want   []Pair
		err    error
		reason string
	}{
		{"event=ringing&callerid=420774852629&user=800&usertype=other&did=DID-420222000320&id=230102104542_15-0",
			[]Pair{{"event", "ringing"}, {"callerid", "420774852629"}, {"user", "800"}, {"usertype", "other"}, {"did", "DID-420222000320"}, {"id", "230102104542_15-0"}},
			nil, "the 3CX GET scheme, plain"},
		{"event=incoming&title=DID-420222000320:Answered call from 420774852629 (0:07)&id=230102104542_15-1",
			[]Pair{{"event", "incoming"}, {"title", "DID-420222000320:Answered call from 420774852629 (0:07)"}, {"id", "230102104542_15-1"}},
			nil, "unescaped spaces, colon and parentheses stay in their value"},
		{"title=Answered+call+from+%2B420774852629&id=1",
			[]Pair{{"title", "Answered call from +420774852629"}, {"id", "1"}},
			nil, "a properly encoded query: '+' is a space, %2B a plus"},
		{"title=Call from +420774852629 (0:07)&id=1",
			[]Pair{{"title", "Call from +420774852629 (0:07)"}, {"id", "1"}},
			nil, "raw text: a '+' is a plus, never a space"},
		{"title=Tom & Jerry&id=1",
			[]Pair{{"title", "Tom & Jerry"}, {"id", "1"}},
			nil, "an '&' that starts no pair belongs to the value"},
		{"title=a=b&c d=e&id=1",
			[]Pair{{"title", "a=b&c d=e"}, {"id", "1"}},
			nil, "a key with a space is no key"},
		{"url=https://h/a.mp3?x=1&y=2&id=7",
			[]Pair{{"url", "https://h/a.mp3?x=1&y=2"}, {"id", "7"}},
			nil, "after a URL with a query, only known keys split it"},
		{"did=&id=1", []Pair{{"did", ""}, {"id", "1"}}, nil, "empty values"},
		{"?id=1", []Pair{{"id", "1"}}, nil, "a leading '?' is dropped"},
		{"title=100% sure&id=1", []Pair{{"title", "100% sure"}, {"id", "1"}}, nil, "an invalid escape is kept as written"},
		{"title=%C3%85re&id=1", []Pair{{"title", "Åre"}, {"id", "1"}}, nil, "valid escapes decode"},
		{"", nil, ErrEmpty, "nothing"},
		{"hello world", nil, ErrNotQuery, "no key=value at the start"},
		{"title=%FF&id=1", nil, ErrUTF8, "bytes that are not text"},
		{strings.Repeat("a=1&", MaxPairs), nil, ErrTooMany, "bounded"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.raw, known)
		if !errors.Is(err, tt.err) {
			t.Errorf("Parse(%.40q) error = %v, want %v (%s)", tt.raw, err, tt.err, tt.reason)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%.40q) (-want +got) — %s:\n%s", tt.raw, tt.reason, diff)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"event=ringing&id=1", "title=a b (0:07)&id=2", "url=https://h/?a=1&b=2&id=3", "x=%zz&y=+1", "a&b"} {
		f.Add(s)
	}
	for _, name := range testfix.Names(f, "pbx3cx", ".txt") { // the 3CX GET scheme as documented
		if b := testfix.Read(f, "pbx3cx", name, ".txt"); !strings.HasPrefix(string(b), "{") {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		pairs, err := Parse(raw, known)
		if err != nil {
			return
		}
		if len(pairs) == 0 || len(pairs) > MaxPairs {
			t.Fatalf("%d pairs without error", len(pairs))
		}
		total := 0
		for _, p := range pairs {
			if p.Key == "" {
				t.Fatalf("empty key from %q", raw)
			}
			total += len(p.Key) + len(p.Value)
		}
		if total > len(raw) {
			t.Fatalf("output (%d bytes) longer than input (%d): something was invented", total, len(raw))
		}
	})
}
