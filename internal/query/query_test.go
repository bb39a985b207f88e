package query

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/field"
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
	for _, s := range []string{"event=ringing&id=1", "title=a b (0:07)&id=2", "url=https://h/?a=1&b=2&id=3", "x=%zz&y=+1", "a&b",
		"url=https?x&b://y&c=1&id=7", "url=https:&//h?c=1&d=2", "url=a://b&c=?&d=1&id=2"} {
		f.Add(s)
	}
	for _, name := range testfix.Names(f, "pbx3cx", ".txt") { // the 3CX GET scheme as documented
		if b := testfix.Read(f, "pbx3cx", name, ".txt"); !strings.HasPrefix(string(b), "{") {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if diff := sameResult(raw); diff != "" {
			t.Fatalf("Parse(%q) differs from the reference: %s", raw, diff)
		}
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

// parseReference is Parse as it was before it was made linear (issue 10,
// item 7): each piece that starts no pair was appended to a copy of the
// value before it, and the value was rescanned for "://" and '?' at every
// piece that could start one. It is quadratic in the number of such pieces
// and kept here only as the reference Parse must agree with.
func parseReference(raw string, known func(key string) bool) ([]Pair, error) {
	raw = strings.TrimPrefix(strings.TrimSpace(raw), "?")
	if raw == "" {
		return nil, ErrEmpty
	}
	if strings.Count(raw, "&") >= MaxPairs {
		return nil, ErrTooMany
	}
	literal := strings.Contains(raw, " ")
	type rawPair struct{ key, value string }
	var pairs []rawPair
	for piece := range strings.SplitSeq(raw, "&") {
		k, v, hasEq := strings.Cut(piece, "=")
		starts := hasEq && IsKey(k)
		if starts && len(pairs) > 0 && isURLWithQuery(pairs[len(pairs)-1].value) {
			starts = known != nil && known(strings.ToLower(k))
		}
		if !starts {
			if len(pairs) == 0 {
				return nil, ErrNotQuery
			}
			pairs[len(pairs)-1].value += "&" + piece
			continue
		}
		pairs = append(pairs, rawPair{k, v})
	}
	out := make([]Pair, len(pairs))
	for i, p := range pairs {
		out[i] = Pair{Key: unescape(p.key, literal), Value: unescape(p.value, literal)}
		if !utf8.ValidString(out[i].Key) || !utf8.ValidString(out[i].Value) {
			return nil, &Error{Key: strings.ToValidUTF8(out[i].Key, "\uFFFD"), Value: strings.ToValidUTF8(out[i].Value, "\uFFFD"), Err: ErrUTF8}
		}
	}
	return out, nil
}

func isURLWithQuery(v string) bool {
	return strings.Contains(v, "://") && strings.Contains(v, "?")
}

// sameResult reports how Parse and parseReference differ on raw, or "".
func sameResult(raw string) string {
	got, gotErr := Parse(raw, known)
	want, wantErr := parseReference(raw, known)
	if diff := cmp.Diff(want, got); diff != "" {
		return fmt.Sprintf("pairs (-reference +Parse):\n%s", diff)
	}
	var ge, we *Error
	if errors.As(gotErr, &ge) != errors.As(wantErr, &we) || ge != nil && *ge != *we {
		return fmt.Sprintf("error %#v, reference %#v", gotErr, wantErr)
	}
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		return fmt.Sprintf("error %v, reference %v", gotErr, wantErr)
	}
	return ""
}

// TestParseMatchesReference: Parse gives what the quadratic reference gave,
// pairs and errors alike, on the inputs where the two algorithms differ
// most (FuzzParse checks the same on everything it finds).
func TestParseMatchesReference(t *testing.T) {
	tests := []struct{ raw, reason string }{
		{manyAmpersands(64<<10, benchAmps), "999 '&' joined into one value"},
		{"url=https://h/a.mp3?x=1&y=2&id=7&title=a", "a URL with a query: only known keys split it"},
		{"url=https://h/a&b?c=1&d=2&id=7", "the '?' in a later piece of the value"},
		{"url=https?x&b://y&c=1&id=7", "'?' and \"://\" in different pieces"},
		{"url=https:&//h?c=1&d=2", "a \"://\" cut by an '&' is none"},
		{"url=a://b&c=?&d=1&id=2", "the '?' arrives with a piece that starts a pair"},
		{"a=1&&b=2&=3&c d=4&id=5", "empty pieces, an empty key, a key with a space"},
		{"title=Tom & Jerry+%2B&id=1", "raw text: '+' stays"},
		{"title=%FF&x&id=1", "an UTF-8 error in a grown value"},
		{"&id=1", "no pair to join the first piece to"},
		{"?  id=1&x  ", "trimmed, '?' dropped"},
		{strings.Repeat("&", MaxPairs), "bounded"},
	}
	for _, tt := range tests {
		if diff := sameResult(tt.raw); diff != "" {
			t.Errorf("Parse(%.40q) differs from the reference (%s): %s", tt.raw, tt.reason, diff)
		}
	}
}

// manyAmpersands is a query of size bytes whose one value holds amps
// unescaped '&', none of them followed by key=: the worst case of the
// reference (each '&' joins a piece to the value before it).
func manyAmpersands(size, amps int) string {
	const head = "title="
	piece := (size - len(head) - amps) / (amps + 1)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(head)
	for i := 0; i <= amps; i++ {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(strings.Repeat("x", piece))
	}
	for b.Len() < size {
		b.WriteByte('x')
	}
	return b.String()
}

// oneValue is a query of size bytes with one value and no '&'.
func oneValue(size int) string {
	const head = "title="
	return head + strings.Repeat("x", size-len(head))
}

const (
	benchSize = 1 << 20
	benchAmps = MaxPairs - 1 // the most Parse reads
)

func BenchmarkParseOneValue(b *testing.B) {
	raw := oneValue(benchSize)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw, known); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseManyAmpersands(b *testing.B) {
	raw := manyAmpersands(benchSize, benchAmps)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw, known); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseManyAmpersandsIsLinear is the regression test of "loose query
// parsing is quadratic": a 1 MiB value with 999 unescaped '&' took
// hundreds of times as long as one value of the same length (0.5-0.8 s
// against under 2 ms here), copying the value at every '&'. It must now
// take at most 10 times as long: the best of five interleaved runs of each
// is compared, so that a noisy machine does not fail it.
func TestParseManyAmpersandsIsLinear(t *testing.T) {
	one, many := oneValue(benchSize), manyAmpersands(benchSize, benchAmps)
	if len(one) != benchSize || len(many) != benchSize || strings.Count(many, "&") != benchAmps {
		t.Fatalf("inputs: %d and %d bytes, %d '&'", len(one), len(many), strings.Count(many, "&"))
	}
	best := func(raw string, d *time.Duration) {
		start := time.Now()
		if _, err := Parse(raw, known); err != nil {
			t.Fatal(err)
		}
		if e := time.Since(start); *d == 0 || e < *d {
			*d = e
		}
	}
	var tOne, tMany time.Duration
	for range 5 {
		best(one, &tOne)
		best(many, &tMany)
	}
	const factor = 10
	if tMany > factor*tOne {
		t.Errorf("Parse of %d bytes: %v with %d '&' in the value, %v without: more than %dx (best of 5 each)", benchSize, tMany, benchAmps, tOne, factor)
	}
	t.Logf("best of 5: one value %v, %d '&' %v (%.1fx)", tOne, benchAmps, tMany, float64(tMany)/float64(tOne))
}

// TestFields: Fields reads every query as Parse does, as fields of kind
// Text, and refuses with field's sentinels in *telhook.DecodeErrors.
func TestFields(t *testing.T) {
	tests := []struct {
		raw    string
		want   []field.Field
		err    error  // nil: no error
		msg    string // the error's text
		reason string
	}{
		{"event=incoming&title=Call from +420774852629 (0:07)&id=1",
			[]field.Field{{Key: "event", Value: "incoming"}, {Key: "title", Value: "Call from +420774852629 (0:07)"}, {Key: "id", Value: "1"}},
			nil, "", "raw text: spaces, a literal '+'"},
		{"title=Missed+call+from+%2B420&did=DID%20Serbia&id=1",
			[]field.Field{{Key: "title", Value: "Missed call from +420"}, {Key: "did", Value: "DID Serbia"}, {Key: "id", Value: "1"}},
			nil, "", "properly encoded: '+' a space, escapes decoded"},
		{"t%69tle=100% sure&id=1", nil, ErrNotQuery, `p: value "t%69tle=100% sure&id=1": not a query string: it does not start with key=value`,
			"an escape in a key makes it no key"},
		{"title=Tom & Jerry&id=1&id=1&ID=2", []field.Field{{Key: "title", Value: "Tom & Jerry"}, {Key: "id", Value: "1"}, {Key: "id", Value: "1"}, {Key: "ID", Value: "2"}},
			nil, "", "repeats are the caller's"},
		{"", nil, field.ErrEmpty, "p: empty query string", "nothing: field.ErrEmpty, worded as before"},
		{"a=1&user=8%FF2&b=%FE", nil, field.ErrUTF8, `p: field "user": value "8�2": not valid UTF-8`, "the first pair that is not UTF-8 is named"},
		{strings.Repeat("a=1&", MaxPairs), nil, field.ErrTooMany, `p: value "` + strings.Repeat("a=1&", 16) + `…": more than 1000 fields`, "bounded, quoting the query"},
	}
	for _, tt := range tests {
		dst := []field.Field{{Key: "before"}}
		got, err := Fields("p", tt.raw, known, dst)
		var de *telhook.DecodeError
		if tt.err != nil {
			if !errors.Is(err, tt.err) || !errors.As(err, &de) || err.Error() != tt.msg || len(got) != 1 {
				t.Errorf("Fields(%.40q) = %d fields, %v; want %q matching %v, dst unchanged (%s)", tt.raw, len(got), err, tt.msg, tt.err, tt.reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("Fields(%.40q): %v (%s)", tt.raw, err, tt.reason)
			continue
		}
		if diff := cmp.Diff(append(dst[:1:1], tt.want...), got); diff != "" {
			t.Errorf("Fields(%.40q) (-want +got) — %s:\n%s", tt.raw, tt.reason, diff)
		}
	}
}

// TestFieldsAllocs: the escaped keys and values of a query share one
// buffer, the others are slices of it.
func TestFieldsAllocs(t *testing.T) {
	tests := []struct {
		raw    string
		want   float64
		reason string
	}{
		{"event=incoming&title=Answered call (0:07)&id=230102104542_15-1", 0, "nothing to decode"},
		{"event=incoming&title=Missed+call+from+%2B420&did=DID%20Serbia&id=1", 1, "three values to decode: one buffer"},
	}
	dst := make([]field.Field, 0, 16)
	for _, tt := range tests {
		got := testing.AllocsPerRun(100, func() {
			if _, err := Fields("p", tt.raw, known, dst[:0]); err != nil {
				t.Fatal(err)
			}
		})
		if got != tt.want {
			t.Errorf("Fields(%.40q): %v allocations, want %v (%s)", tt.raw, got, tt.want, tt.reason)
		}
	}
}

// FuzzFieldsMatchesParse: Fields and Parse read every query alike.
func FuzzFieldsMatchesParse(f *testing.F) {
	for _, s := range []string{"event=ringing&id=1", "title=a b+c (0:07)&id=2", "url=https://h/?a=1&b=2&id=3", "x=%zz&y=+1%41",
		"a&b", "title=%FF&id=1", "?x=%C3%85&y=%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		pairs, perr := Parse(raw, known)
		fields, ferr := Fields("p", raw, known, nil)
		if (perr == nil) != (ferr == nil) {
			t.Fatalf("Parse error %v, Fields error %v", perr, ferr)
		}
		if perr != nil {
			var pe *Error
			if errors.As(perr, &pe) {
				perr = field.Error("p", pe.Key, pe.Value, pe.Err)
			} else {
				perr = field.Error("p", "", raw, perr)
			}
			if perr.Error() != ferr.Error() {
				t.Fatalf("Parse error %q, Fields error %q", perr, ferr)
			}
			return
		}
		want := make([]field.Field, len(pairs))
		for i, p := range pairs {
			want[i] = field.Field{Key: p.Key, Value: p.Value}
		}
		if diff := cmp.Diff(want, fields); diff != "" {
			t.Fatalf("(-Parse +Fields):\n%s", diff)
		}
	})
}
