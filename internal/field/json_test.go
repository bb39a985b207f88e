package field

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/jsonfix"
	"github.com/telhook/telhook/internal/jsonobj"
	"github.com/telhook/telhook/internal/testfix"
)

// nest returns a member "a" holding n-1 arrays, so that the body nests n
// levels deep, the top-level object included.
func nest(n int) string {
	return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
}

// members returns an object of n distinct members.
func members(n int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteByte('}')
	return b.String()
}

func TestJSON(t *testing.T) {
	tests := []struct {
		body   string
		want   []Field
		err    string // the whole error text; "" for none
		is     error  // what the error must match, besides
		reason string
	}{
		// Accepted, strictly.
		{`{"bridge":"918068281234","duration":"23","recording_url":""}`,
			[]Field{{Key: "bridge", Value: "918068281234"}, {Key: "duration", Value: "23"}, {Key: "recording_url", Value: ""}}, "", nil,
			"strings, in the order sent"},
		{" \t\r\n{ \"a\" :\n\"x\" ,\t\"b\" : 1 \r\n}\n\n",
			[]Field{{Key: "a", Value: "x"}, {Key: "b", Value: "1", Kind: Number}}, "", nil,
			"whitespace as JSON defines it, everywhere it may be"},
		{`{"n":-0.5e+10,"big":12345678901234567890,"z":0,"f":1.25E-3,"neg":-0}`,
			[]Field{{Key: "n", Value: "-0.5e+10", Kind: Number}, {Key: "big", Value: "12345678901234567890", Kind: Number},
				{Key: "z", Value: "0", Kind: Number}, {Key: "f", Value: "1.25E-3", Kind: Number}, {Key: "neg", Value: "-0", Kind: Number}}, "", nil,
			"numbers as sent, a 20-digit one too (never through float64)"},
		{`{"t":true,"f":false,"n":null}`,
			[]Field{{Key: "t", Value: "true", Kind: Bool}, {Key: "f", Value: "false", Kind: Bool}, {Key: "n", Kind: Null}}, "", nil,
			"literals; null is empty"},
		{`{"o": { "a" : [1, {"b":"}"}] } , "arr":[ ],"e":{}}`,
			[]Field{{Key: "o", Value: `{ "a" : [1, {"b":"}"}] }`, Kind: Object}, {Key: "arr", Value: `[ ]`, Kind: Array}, {Key: "e", Value: `{}`, Kind: Object}}, "", nil,
			"objects and arrays are their JSON as sent, trimmed; a brace in a string is text"},
		{`{"k\u00e9y":"a\"b\\c\/d\b\f\n\r\t","plain\/":"é ☎"}`,
			[]Field{{Key: "kéy", Value: "a\"b\\c/d\b\f\n\r\t"}, {Key: "plain/", Value: "é ☎"}}, "", nil,
			"every escape undone, in keys too; UTF-8 kept"},
		{`{"pair":"\ud83d\ude00","upper":"\uD83D\uDE00","nul":"\u0000"}`,
			[]Field{{Key: "pair", Value: "😀"}, {Key: "upper", Value: "😀"}, {Key: "nul", Value: "\x00"}}, "", nil,
			"a surrogate pair is one rune, in either case of hex digit"},
		{`{"hi":"\ud800","lo":"\udc00x","hiA":"\ud800\u0041","hihi":"\ud800\ud800\udc00"}`,
			[]Field{{Key: "hi", Value: "\uFFFD"}, {Key: "lo", Value: "\uFFFDx"}, {Key: "hiA", Value: "\uFFFDA"}, {Key: "hihi", Value: "\uFFFD\U00010000"}}, "", nil,
			"a surrogate that is not half of a pair is U+FFFD, as encoding/json reads it"},
		{`{}`, nil, "", nil, "an object of no members"},
		{nest(MaxDepth), []Field{{Key: "a", Value: nest(MaxDepth)[5 : len(nest(MaxDepth))-1], Kind: Array}}, "", nil,
			"64 levels, the top-level object included, are allowed"},
		{`{"a":"x","b":1,"a":"x"}`, []Field{{Key: "a", Value: "x"}, {Key: "b", Value: "1", Kind: Number}}, "", nil,
			"a repeat with the same value is read once"},
		{`{"a":"x","a":"\u0078"}`, []Field{{Key: "a", Value: "x"}}, "", nil,
			"strings are compared unescaped"},
		{`{"o":{"a":[1, 2]},"o":{ "a" : [1,2] }}`, []Field{{Key: "o", Value: `{"a":[1, 2]}`, Kind: Object}}, "", nil,
			"objects are compared without their whitespace; the first is kept"},

		// Accepted, repaired.
		{`{"bridge": 91806828XXXX, "to": 918068281234}`,
			[]Field{{Key: "bridge", Value: "91806828XXXX"}, {Key: "to", Value: "918068281234", Kind: Number}}, "", nil,
			"a masked number is repaired into a string; a real one stays a number"},
		{"{event: “ringing”, \"n\": [1, 2,], }",
			[]Field{{Key: "event", Value: "ringing"}, {Key: "n", Value: "[1,2]", Kind: Array}}, "", nil,
			"bare key, typographic quotes, trailing commas: repaired, compact"},
		{`{"a": 05552221133}`, []Field{{Key: "a", Value: "05552221133"}}, "", nil, "a leading zero (a 3CX caller id): no JSON number or literal, so the repair makes it text"},
		{`{"a": -}`, []Field{{Key: "a", Value: "-"}}, "", nil, "a sign alone: no JSON number or literal, so the repair makes it text"},
		{`{"a": 1.}`, []Field{{Key: "a", Value: "1."}}, "", nil, "no digit after the point: no JSON number or literal, so the repair makes it text"},
		{`{"a": .5}`, []Field{{Key: "a", Value: ".5"}}, "", nil, "no digit before the point: no JSON number or literal, so the repair makes it text"},
		{`{"a": 1e}`, []Field{{Key: "a", Value: "1e"}}, "", nil, "no digit in the exponent: no JSON number or literal, so the repair makes it text"},
		{`{"a": 1e+}`, []Field{{Key: "a", Value: "1e+"}}, "", nil, "no digit after the exponent's sign: no JSON number or literal, so the repair makes it text"},
		{`{"a": +1}`, []Field{{Key: "a", Value: "+1"}}, "", nil, "a plus sign: no JSON number or literal, so the repair makes it text"},
		{`{"a": 0x1F}`, []Field{{Key: "a", Value: "0x1F"}}, "", nil, "hex: no JSON number or literal, so the repair makes it text"},
		{`{"a": --1}`, []Field{{Key: "a", Value: "--1"}}, "", nil, "two signs: no JSON number or literal, so the repair makes it text"},
		{`{"a": -01}`, []Field{{Key: "a", Value: "-01"}}, "", nil, "a signed leading zero: no JSON number or literal, so the repair makes it text"},
		{`{"a": True}`, []Field{{Key: "a", Value: "True"}}, "", nil, "a literal's capital: no JSON number or literal, so the repair makes it text"},
		{`{"a": tru}`, []Field{{Key: "a", Value: "tru"}}, "", nil, "a short literal: no JSON number or literal, so the repair makes it text"},
		{`{"a": nul}`, []Field{{Key: "a", Value: "nul"}}, "", nil, "a short null: no JSON number or literal, so the repair makes it text"},
		{`{"a": falsey}`, []Field{{Key: "a", Value: "falsey"}}, "", nil, "a literal with more after it: no JSON number or literal, so the repair makes it text"},
		{"\uFEFF{\"a\": 1}", []Field{{Key: "a", Value: "1", Kind: Number}}, "", nil,
			"a byte order mark is dropped by the repair, as jsonobj.Parse did"},
		{"\u00a0{\"a\": {\"b\" : 1}}\u2003", []Field{{Key: "a", Value: `{"b" : 1}`, Kind: Object}}, "", nil,
			"Unicode space around a valid object is trimmed, as jsonobj.Parse did"},

		// Refused.
		{"", nil, "p: empty body", ErrEmpty, "no body"},
		{" \r\n\t", nil, "p: empty body", ErrEmpty, "JSON whitespace only"},
		{"\u00a0\u2003", nil, "p: empty body", ErrEmpty, "Unicode space only, as oncall's readObject refused it"},
		{"\uFEFF", nil, "p: invalid JSON, and not repairable: jsonfix: empty input at byte 3", jsonfix.ErrUnrepairable,
			"a byte order mark alone"},
		{`[1,2]`, nil, "p: not a JSON object", ErrNotObject, "an array"},
		{`[1,2,]`, nil, "p: not a JSON object", ErrNotObject, "an array, repaired"},
		{` "x" `, nil, "p: not a JSON object", ErrNotObject, "a string"},
		{`null`, nil, "p: not a JSON object", ErrNotObject, "null"},
		{`12`, nil, "p: not a JSON object", ErrNotObject, "a number"},
		{`x`, nil, "p: invalid JSON, and not repairable: jsonfix: top-level value is not an object or array at byte 0", jsonfix.ErrUnrepairable,
			"not JSON at all"},
		{`{"a":"C:\path"}`, nil, "p: invalid JSON, and not repairable: jsonfix: invalid escape in string at byte 8", jsonfix.ErrUnrepairable,
			"a bad escape is not guessed at"},
		{`{"a":1} {"b":2}`, nil, "p: invalid JSON, and not repairable: jsonfix: data after the top-level value at byte 8", jsonfix.ErrUnrepairable,
			"two objects"},
		{"{\"a\":\"x\ty\"}", nil, "p: invalid JSON, and not repairable: jsonfix: control character in string at byte 7", jsonfix.ErrUnrepairable,
			"a raw control character in a string"},
		{`{"a":"\x"}`, nil, "p: invalid JSON, and not repairable: jsonfix: invalid escape in string at byte 6", jsonfix.ErrUnrepairable,
			"an escape JSON does not have"},
		{`{"a":"x}`, nil, "p: invalid JSON, and not repairable: jsonfix: unterminated string at byte 5", jsonfix.ErrUnrepairable,
			"an unterminated string"},
		{`{"a":"\ud8"}`, nil, "p: invalid JSON, and not repairable: jsonfix: invalid escape in string at byte 6", jsonfix.ErrUnrepairable,
			"a short \\u escape"},
		{`{"a":"x","b":"` + "\xff" + `"}`, nil, "p: field \"b\": value \"\uFFFD\": not valid UTF-8", ErrUTF8,
			"a bad byte, named by its member"},
		{`{"` + "\xffk" + `":1}`, nil, "p: field \"\uFFFDk\": value \"1\": not valid UTF-8", ErrUTF8,
			"a bad byte in a key"},
		{`{"a":"x","o":{"k":["` + "\xc3" + `"]},"z":"` + "\xff" + `"}`, nil, "p: field \"o\": not valid UTF-8", ErrUTF8,
			"the first member holding a bad byte, an object: no value"},
		{`{"a":"\n` + "\xff" + `"}`, nil, "p: field \"a\": value \"\\n\uFFFD\": not valid UTF-8", ErrUTF8,
			"the value is unescaped"},
		{"\u00a0{\"a\":\"\xff\"}", nil, "p: field \"a\": value \"\uFFFD\": not valid UTF-8", ErrUTF8,
			"named inside Unicode space too, as jsonobj.Parse did"},
		{`{a: "` + "\xff" + `"}`, nil, "p: not valid UTF-8", ErrUTF8,
			"before any repair: not JSON enough to name the member"},
		{`["` + "\xff" + `"]`, nil, "p: not valid UTF-8", ErrUTF8, "not an object: no member to name"},
		{"\xff", nil, "p: not valid UTF-8", ErrUTF8, "no JSON at all"},
		{nest(MaxDepth + 1), nil, `p: field "a": nested deeper than 64 levels`, ErrTooDeep, "65 levels"},
		{`{"ok":1,"deep":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`, nil,
			`p: field "deep": nested deeper than 64 levels`, ErrTooDeep, "10,000 levels, as deep as encoding/json reads"},
		{`{"ok":1,"deep":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, nil,
			"p: invalid JSON, and not repairable: jsonfix: nesting deeper than 64 at byte 78", jsonfix.ErrUnrepairable,
			"deeper than encoding/json reads: not JSON to jsonobj.Parse, and refused by the repair"},
		{`{"ok":1,"deep":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`, nil,
			"p: invalid JSON, and not repairable: jsonfix: nesting deeper than 64 at byte 78", jsonfix.ErrUnrepairable,
			"100,000 levels: no stack to blow"},
		{`{"deep":` + strings.Repeat(`{"a":[`, 4000) + `"` + "\xff" + `"` + strings.Repeat(`]}`, 4000) + `}`, nil,
			`p: field "deep": not valid UTF-8`, ErrUTF8, "UTF-8 before depth"},
		{`{"deep":` + strings.Repeat("[", 100000) + `}`, nil,
			"p: invalid JSON, and not repairable: jsonfix: nesting deeper than 64 at byte 71", jsonfix.ErrUnrepairable,
			"deep and not JSON: the repair refuses it"},
		{members(MaxFields + 1), nil, "p: more than 1000 fields", ErrTooMany, "one member too many"},
		{`{"a":"x","a":"y"}`, nil, `p: field "a": value "y": field is repeated with different values`, ErrRepeated, "a conflicting repeat"},
		{`{"a":"1","a":1}`, nil, `p: field "a": value "1": field is repeated with different values`, ErrRepeated, "a string and a number differ"},
		{`{"a":"","a":null}`, nil, `p: field "a": field is repeated with different values`, ErrRepeated, "an empty string and null differ"},
		{`{"o":{"a":1},"o":{ "a" : 2 }}`, nil, `p: field "o": value "{\"a\":2}": field is repeated with different values`, ErrRepeated,
			"objects that differ; the value compact"},
		{`{"bridge": 91806828XXXX, "bridge": "918068281234"}`, nil,
			`p: field "bridge": value "918068281234": field is repeated with different values`, ErrRepeated, "repeats are refused in repaired bodies too"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			got, err := JSON("p", []byte(tt.body), nil)
			if tt.err != "" {
				var de *telhook.DecodeError
				if err == nil || err.Error() != tt.err || !errors.As(err, &de) || !errors.Is(err, tt.is) {
					t.Fatalf("error %v, want %s matching %v (%s)", err, tt.err, tt.is, tt.reason)
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

func TestJSONAppends(t *testing.T) {
	tests := []struct {
		body   string
		want   []Field
		reason string
	}{
		{`{"a":"x","a":"x","b":"y"}`, []Field{{Key: "kept"}, {Key: "a", Value: "x"}, {Key: "b", Value: "y"}},
			"appended after what dst holds; the repeat dropped among the new fields only"},
		{`{"kept":""}`, []Field{{Key: "kept"}, {Key: "kept"}}, "a key dst holds already is not a repeat: dst is not JSON's"},
		{`{"a":1,"a":2}`, []Field{{Key: "kept"}}, "on error, dst as passed"},
		{`{"a":1,}`, []Field{{Key: "kept"}, {Key: "a", Value: "1", Kind: Number}}, "repaired, after what dst holds"},
		{`{"a":1,"a":2,}`, []Field{{Key: "kept"}}, "on error after a repair, dst as passed"},
	}
	for _, tt := range tests {
		dst := make([]Field, 1, 8)
		dst[0] = Field{Key: "kept"}
		got, _ := JSON("p", []byte(tt.body), dst)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("JSON(%s) (-want +got) %s:\n%s", tt.body, tt.reason, diff)
		}
	}
}

// TestJSONManyFields: past 32 fields repeats are found through an index,
// with the rule of the pairwise comparison.
func TestJSONManyFields(t *testing.T) {
	open := func(n int) string { return strings.TrimSuffix(members(n), "}") }
	tests := []struct {
		body   string
		want   int
		err    error
		reason string
	}{
		{members(MaxFields), MaxFields, nil, "every member, none repeated"},
		{open(MaxFields) + `,"k7":7}`, MaxFields, nil, "distinct keys are counted: a same-value repeat past MaxFields is no field more"},
		{open(MaxFields) + `,"k1000":1000}`, 0, ErrTooMany, "one distinct key too many"},
		{`{` + strings.Repeat(`"a":1,`, 10_000) + `"b":2}`, 2, nil, "a key repeated 10,000 times with one value is one field"},
		{`{` + strings.Repeat(`"a":1,`, 16*MaxFields) + `"b":2}`, 0, ErrTooMany, "but not without end: 16 times MaxFields members at most"},
		{open(500) + `,"k499":1}`, 0, ErrRepeated, "a conflicting repeat, last"},
		{open(40) + `,"k3":"3"}`, 0, ErrRepeated, "a string is not the number of the same text"},
		{open(40) + `,"k3":3,"k39":39}`, 40, nil, "two same-value repeats dropped"},
	}
	for _, tt := range tests {
		got, err := JSON("p", []byte(tt.body), nil)
		if !errors.Is(err, tt.err) || len(got) != tt.want {
			t.Errorf("%d fields, error %v; want %d, %v (%s)", len(got), err, tt.want, tt.err, tt.reason)
		}
	}
	if got, _ := JSON("p", []byte(members(MaxFields)), nil); got[MaxFields-1] != (Field{Key: "k999", Value: "999", Kind: Number}) {
		t.Errorf("last field %v, want k999 = 999", got[MaxFields-1])
	}
}

// TestJSONLinear: the time a body takes grows with its size, not faster,
// for the shapes a hostile body could take.
func TestJSONLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	shapes := []struct {
		name   string
		body   func(n int) string // n from 60 to 960
		reason string
	}{
		{"members", members, "distinct members: the repeat check is not quadratic"},
		{"repeats", func(n int) string { return "{" + strings.Repeat(`"a":1,`, n) + `"a":1}` }, "one key, again and again"},
		{"conflict", func(n int) string { return strings.TrimSuffix(members(n), "}") + `,"k0":"x"}` }, "a late conflicting repeat"},
		{"deep", func(n int) string { return `{"a":` + strings.Repeat("[", 8*n) + strings.Repeat("]", 8*n) + `}` }, "nesting, to 7680 levels"},
		{"escapes", func(n int) string { return `{"a":"` + strings.Repeat(`\ud800\u00e9`, 8*n) + `"}` }, "escapes"},
		{"past MaxFields", func(n int) string {
			return strings.TrimSuffix(members(MaxFields), "}") + strings.Repeat(`,"k0":0`, 8*n) + "}"
		}, "same-value repeats past MaxFields are read once (distinct members past it are bounded by 16 times MaxFields)"},
	}
	for _, sh := range shapes {
		small, large := []byte(sh.body(60)), []byte(sh.body(960))
		best := func(b []byte) time.Duration { // the fastest of a few runs: the least noise
			d := time.Duration(1<<63 - 1)
			for range 7 {
				start := time.Now()
				_, _ = JSON("p", b, nil)
				d = min(d, time.Since(start))
			}
			return d
		}
		// 16 times the size; 4 times that for noise. A slow machine (the
		// race detector, other packages' tests on the same cores) can
		// stretch one measurement; a quadratic cost stretches every one,
		// so the ratio is measured up to three times.
		var ratio float64
		for range 3 {
			if ratio = float64(best(large)) / float64(best(small)); ratio <= 16*4 {
				break
			}
		}
		if ratio > 16*4 {
			t.Errorf("%s: 16 times the body took %.0f times as long, want about 16 (%s)", sh.name, ratio, sh.reason)
		}
	}
}

func TestReaderObject(t *testing.T) {
	body := []byte(`{"id":"c1","payload":{"digits":"12","n":7,"inner":{"x":"y"},"dup":1,"dup":1},"s":"text","nul":null,"bad":{"a":1,"a":2}}`)
	tests := []struct {
		read   func(r *Reader) any
		want   any
		err    string
		reason string
	}{
		{func(r *Reader) any {
			p := r.Object("payload")
			return []any{p.Text("digits"), p.Int("n"), p.Object("inner").Text("x"), p.Extra()}
		}, []any{"12", 7, "y", map[string]string{"dup": "1"}}, "", "members read by their keys; nested objects nest"},
		{func(r *Reader) any { r.Object("payload"); return r.Extra() },
			map[string]string{"id": "c1", "s": "text", "nul": "", "bad": `{"a":1,"a":2}`}, "", "the object is used"},
		{func(r *Reader) any { return r.Object("payload").Int("digits") + r.Object("payload").Int("inner") }, nil, `p: field "payload.inner": not a string, number or boolean`,
			"a member's failure is named by its path, and is the Reader's"},
		{func(r *Reader) any { return r.Object("s").Text("x") }, "", `p: field "s": not a JSON object`, "a string is not an object"},
		{func(r *Reader) any { p := r.Object("absent"); return []any{p.Text("x"), p.Extra() == nil} }, []any{"", true}, "", "absent: no fields, no failure"},
		{func(r *Reader) any { return r.Object("nul").Has("x") }, false, "", "null: no fields, no failure"},
		{func(r *Reader) any { return r.Object("bad").Text("a") }, "", `p: field "bad.a": value "2": field is repeated with different values`,
			"a conflicting repeat in the object, named by its path"},
		{func(r *Reader) any { r.Fail("first", "", ErrMissing); return r.Object("payload").Text("digits") }, "", `p: field "first": required field is missing`,
			"the first failure is kept, whichever Reader sees it"},
		{func(r *Reader) any {
			p := r.Object("payload")
			p.Text("n")
			p.Fail("digits", "12", ErrEscape)
			r.Fail("id", "", ErrMissing)
			return nil
		}, nil, `p: field "payload.digits": value "12": invalid percent-encoding`, "the nested Reader's failure is the outer one's"},
	}
	for _, tt := range tests {
		fields, err := JSON("p", body, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader("p", fields)
		got := tt.read(r)
		if gotErr := fmt.Sprint(r.Err()); tt.err != "" && gotErr != tt.err || tt.err == "" && r.Err() != nil {
			t.Errorf("Err() = %v, want %q (%s)", r.Err(), tt.err, tt.reason)
			continue
		}
		if diff := cmp.Diff(tt.want, got); tt.err == "" && diff != "" {
			t.Errorf("(-want +got) %s:\n%s", tt.reason, diff)
		}
	}
}

func TestReaderObjectFold(t *testing.T) {
	fields, err := JSON("p", []byte(`{"Payload":{"Digits":"12"}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader("p", fields).Fold()
	if got := r.Object("payload").Text("digits"); got != "12" || r.Err() != nil {
		t.Errorf(`Object("payload").Text("digits") = %q, %v; want "12": a folding Reader's objects fold too`, got, r.Err())
	}
}

// legacy reads body the way the providers did before this package: with
// jsonobj.Parse, oncall's depth check and a repeat check with the rule of
// JSON (strings compared unescaped, objects with jsonobj.Same), its
// members turned into Fields with jsonobj.Scalar.
func legacy(provider string, body []byte) ([]Field, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, Error(provider, "", "", ErrEmpty)
	}
	ms, err := jsonobj.Parse(body)
	if err != nil {
		var me *jsonobj.MemberError
		switch {
		case errors.As(err, &me):
			return nil, Error(provider, me.Key, me.Value, ErrUTF8)
		case errors.Is(err, jsonobj.ErrUTF8):
			return nil, Error(provider, "", "", ErrUTF8)
		}
		return nil, Error(provider, "", "", err)
	}
	for _, m := range ms {
		if m.Depth >= MaxDepth {
			return nil, Error(provider, string(m.Key), "", ErrTooDeep)
		}
	}
	var out []Field
	for j, m := range ms {
		f := legacyField(m)
		dup := false
		for _, p := range ms[:j] {
			if string(p.Key) == f.Key {
				g := legacyField(p)
				same := g.Kind == f.Kind && (f.Kind.Scalar() && g.Value == f.Value || !f.Kind.Scalar() && jsonobj.Same(p.Value, m.Value))
				if !same {
					v := f.Value
					if !f.Kind.Scalar() {
						var b bytes.Buffer
						_ = json.Compact(&b, m.Value)
						v = b.String()
					}
					return nil, Error(provider, f.Key, v, ErrRepeated)
				}
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out, nil
}

func legacyField(m jsonobj.Member) Field {
	f := Field{Key: string(m.Key), Value: string(m.Value)}
	switch m.Value[0] {
	case '{':
		f.Kind = Object
	case '[':
		f.Kind = Array
	case 'n':
		f.Kind = Null
	case 't', 'f':
		f.Kind = Bool
	case '"':
		f.Kind = Text
	default:
		f.Kind = Number
	}
	if f.Kind.Scalar() {
		f.Value, _ = jsonobj.Scalar(m.Value)
	}
	return f
}

// TestJSONLikeJsonobj: every JSON fixture of every provider is read as the
// providers read it before, fields and refusals alike.
func TestJSONLikeJsonobj(t *testing.T) {
	for _, provider := range []string{"obd", "oncall", "pbx3cx"} {
		for _, name := range testfix.Names(t, provider, ".json") {
			body := testfix.Read(t, provider, name, ".json")
			want, wantErr := legacy(provider, body)
			got, err := JSON(provider, body, nil)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Errorf("%s/%s: error %v, want %v", provider, name, err, wantErr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s/%s (-jsonobj +JSON):\n%s", provider, name, diff)
			}
		}
	}
}

// member is one member of an object as encoding/json reads it: its value
// decoded (a string unescaped, an object or array compact) and how deeply
// it nests.
type member struct {
	Field
	depth int
}

// decodeMembers reads the members of b, a valid JSON object, with
// encoding/json's tokenizer: every member, repeats included, in order.
func decodeMembers(t *testing.T, b []byte) []member {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %v %v", tok, err)
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		m := member{Field: Field{Key: tok.(string)}, depth: rawDepth(raw)}
		switch raw[0] {
		case '"':
			m.Kind = Text
			if err := json.Unmarshal(raw, &m.Value); err != nil {
				t.Fatal(err)
			}
		case 'n':
			m.Kind = Null
		case 't', 'f':
			m.Kind, m.Value = Bool, string(raw)
		case '{', '[':
			m.Kind, m.Value = Array, compact(t, string(raw))
			if raw[0] == '{' {
				m.Kind = Object
			}
		default:
			m.Kind, m.Value = Number, string(raw)
		}
		out = append(out, m)
	}
	return out
}

// rawDepth is how deeply a valid JSON value nests (0 for a scalar).
func rawDepth(raw []byte) int {
	depth, deepest, str, esc := 0, 0, false, false
	for _, c := range raw {
		switch {
		case esc:
			esc = false
		case str:
			str, esc = c != '"', c == '\\'
		case c == '"':
			str = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func compact(t testing.TB, s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("compact %q: %v", s, err)
	}
	return b.String()
}

// FuzzJSON checks JSON against encoding/json and against the way providers
// read JSON before it (legacy):
//
//   - the strict pass accepts exactly what json.Valid and utf8.Valid do;
//   - on a valid object, the fields are encoding/json's, in order, after
//     the rules for depth, MaxFields and repeats, and agree with
//     json.Unmarshal into a map when no key repeats;
//   - whatever is accepted, strictly or repaired, holds only UTF-8;
//   - bytes that are not UTF-8 are refused with ErrUTF8;
//   - fields and refusals are legacy's (but for MaxFields, which legacy
//     does not have).
func FuzzJSON(f *testing.F) {
	for _, provider := range []string{"obd", "oncall", "pbx3cx"} {
		for _, name := range testfix.Names(f, provider, ".json") {
			f.Add(testfix.Read(f, provider, name, ".json"))
		}
	}
	for _, s := range []string{
		`{"a":"\ud800\udc00\ud800","b":[1,{"c":null}],"a":"\ud800\udc00\ufffd"}`,
		`{"bridge": 91806828XXXX, "x": “y”,}`, "\uFEFF{\"a\":1}", "\u00a0{\"a\":\"\xff\"}",
		`{"a":-0.0e-0,"b":1E+2,"c":[],"d":{},"d":{ }}`, nest(MaxDepth + 1),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := JSON("fuzz", b, nil)
		var de *telhook.DecodeError
		switch {
		case err == nil:
			testfix.CheckUTF8(t, got)
			if !utf8.Valid(b) {
				t.Fatalf("accepted bytes that are not UTF-8: %q", got)
			}
		case !errors.As(err, &de) || de.Provider != "fuzz":
			t.Fatalf("error %#v, want a *telhook.DecodeError of the provider", err)
		case !utf8.Valid(b) && !errors.Is(err, ErrUTF8):
			t.Fatalf("bytes that are not UTF-8 refused with %v, want ErrUTF8", err)
		}

		_, st := scanJSON(string(b), nil)
		strict, valid := !st.syntax && !st.badUTF8, json.Valid(b) && utf8.Valid(b)
		if strict != valid {
			t.Fatalf("strict pass accepts: %v; json.Valid and utf8.Valid: %v", strict, valid)
		}
		if valid && bytes.TrimLeft(b, " \t\r\n")[0] == '{' {
			checkDecoded(t, b, got, err)
		}

		want, wantErr := legacy("fuzz", b)
		if errors.Is(err, ErrTooMany) {
			return // legacy has no bound
		}
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("error %v, legacy %v", err, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("(-legacy +JSON):\n%s", diff)
		}
	})
}

// checkDecoded compares what JSON read of b, a valid object, with what
// encoding/json reads.
func checkDecoded(t *testing.T, b []byte, got []Field, err error) {
	ms := decodeMembers(t, b)
	var (
		want    []Field
		wantErr error
		key     string
	)
	for _, m := range ms {
		if m.depth >= MaxDepth {
			wantErr, key = ErrTooDeep, m.Key
			break
		}
	}
	if wantErr == nil && len(ms) > MaxFields {
		wantErr = ErrTooMany
	}
	if wantErr == nil {
	members:
		for _, m := range ms {
			for _, w := range want {
				if w.Key == m.Key {
					if w.Kind != m.Kind || w.Value != m.Value {
						wantErr, key = ErrRepeated, m.Key
						break members
					}
					continue members
				}
			}
			want = append(want, m.Field)
		}
	}
	if wantErr != nil {
		var de *telhook.DecodeError
		if !errors.Is(err, wantErr) || !errors.As(err, &de) || de.Field != key {
			t.Fatalf("error %v, want %v for field %q", err, wantErr, key)
		}
		return
	}
	if err != nil {
		t.Fatalf("valid object refused: %v", err)
	}
	var gotCompact []Field
	for _, f := range got {
		if !f.Kind.Scalar() {
			f.Value = compact(t, f.Value)
		}
		gotCompact = append(gotCompact, f)
	}
	if diff := cmp.Diff(want, gotCompact); diff != "" {
		t.Fatalf("(-encoding/json +JSON):\n%s", diff)
	}
	if len(ms) != len(want) {
		return // repeats: a map keeps the last
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != len(got) {
		t.Fatalf("%d fields, json.Unmarshal %d", len(got), len(m))
	}
	for _, f := range got {
		raw, ok := m[f.Key]
		if !ok {
			t.Fatalf("field %q, not in json.Unmarshal's map", f.Key)
		}
		var v string
		switch f.Kind {
		case Text:
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
		case Null:
		case Object, Array:
			v = compact(t, string(raw))
			f.Value = compact(t, f.Value)
		default:
			v = string(raw)
		}
		if v != f.Value {
			t.Fatalf("field %q = %q, json.Unmarshal %q", f.Key, f.Value, v)
		}
	}
}

// Benchmarks: JSON against the ways a provider can read the same body
// otherwise. Mobtexting's report (obd/c2c) is flat text; Wavix's call
// event (oncall/event-completed) has a null, a boolean and more keys.
var benchBodies = []struct{ provider, name string }{{"obd", "c2c"}, {"oncall", "event-completed"}}

func BenchmarkJSON(b *testing.B) {
	for _, bb := range benchBodies {
		body := testfix.Read(b, bb.provider, bb.name, ".json")
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			dst := make([]Field, 0, 32) // as a caller's pooled slice
			for b.Loop() {
				var err error
				if dst, err = JSON(bb.provider, body, dst[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type c2cReport struct {
	Bridge       string `json:"bridge"`
	From         string `json:"from"`
	To           string `json:"to"`
	Source       string `json:"source"`
	StartAt      string `json:"start_at"`
	EndAt        string `json:"end_at"`
	Date         string `json:"date"`
	Unixtime     string `json:"unixtime"`
	Duration     string `json:"duration"`
	Billing      string `json:"billing"`
	Status       string `json:"status"`
	Status1      string `json:"status1"`
	Status2      string `json:"status2"`
	RecordingURL string `json:"recording_url"`
	HangupBy     string `json:"hangup_by"`
	FlowID       string `json:"flow_id"`
}

type wavixEvent struct {
	UUID            string          `json:"uuid"`
	EventType       string          `json:"event_type"`
	EventTime       string          `json:"event_time"`
	EventPayload    json.RawMessage `json:"event_payload"`
	From            string          `json:"from"`
	To              string          `json:"to"`
	CallStarted     string          `json:"call_started"`
	CallAnswered    string          `json:"call_answered"`
	CallCompleted   string          `json:"call_completed"`
	MachineDetected bool            `json:"machine_detected"`
	Tag             string          `json:"tag"`
	Direction       string          `json:"direction"`
}

func BenchmarkJSONBaseline_Unmarshal(b *testing.B) {
	for _, bb := range benchBodies {
		body := testfix.Read(b, bb.provider, bb.name, ".json")
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var v any = &c2cReport{}
				if bb.provider == "oncall" {
					v = &wavixEvent{}
				}
				if err := json.Unmarshal(body, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJSONBaseline_jsonobj(b *testing.B) {
	for _, bb := range benchBodies {
		body := testfix.Read(b, bb.provider, bb.name, ".json")
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				members, err := jsonobj.Parse(body)
				if err != nil {
					b.Fatal(err)
				}
				values := make(map[string]string, len(members))
				for _, m := range members {
					s, ok := jsonobj.Scalar(m.Value)
					if !ok {
						s = string(m.Value)
					}
					values[string(m.Key)] = s
				}
			}
		})
	}
}
