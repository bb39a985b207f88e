package pbx3cx

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/internal/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/pbx3cx")

func fixture(t testing.TB, name string) []byte { return testfix.Read(t, "pbx3cx", name, ".txt") }

func fixtureNames(t testing.TB) []string { return testfix.Names(t, "pbx3cx", ".txt") }

// flowLines returns the webhooks of one flow file, one per line.
func flowLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// TestGolden decodes every single-event fixture and compares it with its
// golden file; -update rewrites them, a fixture without one fails.
func TestGolden(t *testing.T) {
	for _, name := range fixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			testfix.Golden(t, filepath.Join(testfix.Dir("pbx3cx"), name+".json"), testfix.OutcomeOf(Decode(fixture(t, name))), *update)
		})
	}
}

// TestEveryFlowLineDecodes: every line of every spec flow is a known event.
func TestEveryFlowLineDecodes(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "pbx3cx", "flows", "*.txt"))
	if len(paths) != 16 {
		t.Fatalf("%d flow files, want the spec's 16", len(paths))
	}
	n := 0
	for _, p := range paths {
		for i, line := range flowLines(t, p) {
			ev, err := Decode([]byte(line))
			if err != nil || ev.Type == "" || (ev.ID == "" && ev.Type != Recording) {
				t.Errorf("%s line %d: %+v, %v", filepath.Base(p), i+1, ev, err)
			}
			n++
		}
	}
	if n != 74 {
		t.Errorf("decoded %d lines, want the spec's 74", n)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		fixture string
		want    *Event
		reason  string
	}{
		{"k2m-ringing-queue", &Event{Type: Ringing, CallerID: "05552221133", User: "820", UserType: "queue", ID: "230307114903_10-0"},
			"K2M PascalCase JSON, as documented"},
		{"k2m-missing-quote", &Event{Type: IncomingStarted, CallerID: "05552221133", User: "202", TransferType: NotTransferred, ID: "230307114903_10-1"},
			`"Callerid": 05552221133" — the missing opening quote is repaired; the leading zero kept`},
		{"k2m-dropped-digit", &Event{Type: Outgoing, CallerID: "05552221133", User: "117", FinishType: FinishOk, Duration: 5 * time.Second, ID: "30307135611_31-1"},
			"the id whose opening quote and first digit were dropped: repaired, never re-invented"},
		{"k2m-recording", &Event{Type: Recording, CallerID: "05552221133", User: "204", ID: "230307142318_40-2",
			RecordingURLs: []string{"https://FQDN:5001/webapi/recording/230307142318_40-2-1.mp3"}}, "FileUrls"},
		{"k2m-end-transfer", &Event{Type: Incoming, CallerID: "05552221133", User: "117", FinishType: FinishOk, Transfer: true, Duration: 14 * time.Second, ID: "230307142318_40-1"},
			`"Transfer": "True" is a bool, "00:14" 14 seconds`},
		{"creomate-lowercase", &Event{Type: Incoming, CallerID: "420774852629", User: "804", UserType: "other", FinishType: FinishOk,
			DID: "DID Serbia 021 3220 030", Duration: 6 * time.Second, ID: "230102104542_15-1",
			RecordingURLs: []string{"https://pbx.example.com:5001/webapi/recording/230102104542_15-1-1.mp3"},
			Extra: map[string]string{"chid": "00000000-01dc-7a3b-0000-000000000001", "inbound_did": "381213220030", "phonebook": "Smith, John",
				"call_id1": "abc@10.0.0.1;tag=x", "breakside": "Internal", "termination_reason_details": "by_did"}},
			`Creomate: lowercase keys, "OK" and "false", m:ss, FILES, newer fields kept in Extra`},
		{"creomate-typographic", &Event{Type: Ringing, CallerID: "05552221133", User: "820", UserType: "queue", DID: "empty", ID: "230307114903_10-0"},
			`typographic quotes repaired; " queue" trimmed; the literal "empty" DID kept as sent`},
		{"creomate-pickup-accomp", &Event{Type: IncomingStarted, CallerID: "420774852629", User: "102", TransferType: Attended, DID: "DID-420222000320", ID: "230102104542_15-2"},
			"newer Creomate pickupincoming is incomingcall_started; Accomp is an attended transfer"},
		{"creomate-trailing-comma", &Event{Type: OutgoingStarted, CallerID: "420774852629", User: "102", TransferType: NotTransferred, ID: "230102185935_18-1"},
			"trailing comma repaired; pickupoutgoing is outgoingcall_started"},
		{"get-end-title", &Event{Type: Incoming, CallerID: "420774852629", User: "102", FinishType: FinishOk, DID: "DID-420222000320",
			Title: "DID-420222000320:Answered call from 420774852629 (0:07)", ID: "230102104542_15-1", Duration: 7 * time.Second},
			"legacy GET, unescaped spaces, colon and parentheses in the title; its (0:07) is the talk time"},
		{"get-hangupincoming", &Event{Type: IncomingStarted, CallerID: "420774852629", User: "102", TransferType: NotTransferred, DID: "DID-420222000320", ID: "230102104542_15-1"},
			"legacy hangupincoming means answered"},
		{"get-encoded", &Event{Type: Incoming, CallerID: "+420774852629", User: "102", FinishType: FinishMissed, DID: "DID Serbia 021",
			Title: "Missed call by queue 804 from +420774852629", ID: "230102154720_16-0"},
			"a properly encoded query: '+' means space, %2B a plus"},
		{"get-raw-plus", &Event{Type: Ringing, CallerID: "+420774852629", User: "800", UserType: "other", ID: "230102104542_15-0"},
			"an unescaped '+' that became a space is restored in the caller id"},
		{"get-ampersand-title", &Event{Type: Incoming, CallerID: "420774852629", User: "102", FinishType: FinishOk, Title: "Tom & Jerry (0:07)", ID: "230102104542_15-1", Duration: 7 * time.Second},
			"an unescaped '&' inside a value does not split it"},
		{"get-uppercase-keys", &Event{Type: Dialing, CallerID: "420774852629", User: "102", ID: "230102184431_17-0"},
			"query keys in any case"},
		{"bare-url", &Event{Type: Recording, ID: "230102185935_18-1", RecordingURLs: []string{"https://3CXDQDN:5001/webapi/recording/230102185935_18-1-1.mp3"}},
			"the legacy recording request: the id comes from the file name"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := Decode(fixture(t, tt.fixture))
			if err != nil {
				t.Fatalf("Decode: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode (-want +got) — %s:\n%s", tt.reason, diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		fixture, field, reason string
	}{
		{"bad-not-webhook", "", "neither JSON, a query string nor a URL: refused, not guessed"},
		{"bad-unrepairable", "", "a missing value cannot be repaired"},
		{"bad-missing-id", "id", "every event has an id"},
		{"bad-missing-event", "event", "every event has a type"},
		{"bad-duration", "Duration", "a duration that is a word"},
		{"bad-transfer", "Transfer", "a bool that is neither"},
		{"bad-recording-no-url", "FileUrls", "a recording without a URL"},
		{"bad-nested-value", "Event", "an object where a string belongs"},
		{"bad-conflicting-case", "", "Event and event disagree: refused (field named in the error)"},
		{"bad-url-spaces", "", "a recording URL with spaces is no URL"},
		{"bad-get-utf8", "user", "bytes that are not text"},
		{"bad-json-utf8", "User", "bytes that are not text, in JSON: refused, not replaced"},
		{"bad-truncated", "", "a cut-off body"},
		{"bad-deep", "a", "100 levels of nesting: refused with the field named"},
		{"bad-empty", "", "nothing posted"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			ev, err := Decode(fixture(t, tt.fixture))
			var de *telhook.DecodeError
			if ev != nil || !errors.As(err, &de) || de.Provider != "pbx3cx" {
				t.Fatalf("Decode = %+v, %v; want a DecodeError from pbx3cx (%s)", ev, err, tt.reason)
			}
			if tt.field != "" && !strings.EqualFold(de.Field, tt.field) {
				t.Errorf("field %q, want %q (%s)", de.Field, tt.field, tt.reason)
			}
		})
	}
}

func TestUnknownType(t *testing.T) {
	ev, err := Decode(fixture(t, "unknown-type"))
	want := &Event{Type: "transferring", CallerID: "05552221133", User: "202", ID: "230307114903_10-1", Extra: map[string]string{"Extra1": "x"}}
	if !errors.Is(err, telhook.ErrUnknownEvent) {
		t.Errorf("error %v, want ErrUnknownEvent", err)
	}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("an unknown type comes back whole (-want +got):\n%s", diff)
	}
}

func TestCallIDAndSegment(t *testing.T) {
	tests := []struct {
		id     string
		call   string
		seg    int
		reason string
	}{
		{"230307142318_40-2", "230307142318_40", 2, "a transfer segment"},
		{"230307114903_10-0", "230307114903_10", 0, "ringing"},
		{"30307135611_31-1", "30307135611_31", 1, "the dropped-digit id is read as sent"},
		{"230307142318_40", "230307142318_40", -1, "no segment"},
		{"230307142318_40-x", "230307142318_40-x", -1, "a segment that is no number"},
		{"230307142318_40-+1", "230307142318_40-+1", -1, "a signed segment is no segment"},
		{"", "", -1, "empty"},
	}
	for _, tt := range tests {
		ev := &Event{ID: tt.id}
		if ev.CallID() != tt.call || ev.Segment() != tt.seg {
			t.Errorf("%q: CallID %q Segment %d, want %q %d (%s)", tt.id, ev.CallID(), ev.Segment(), tt.call, tt.seg, tt.reason)
		}
	}
}

func TestTitleDuration(t *testing.T) {
	tests := []struct {
		title string
		want  time.Duration
	}{
		{"DID-420222000320:Answered call from 420774852629 (0:07)", 7 * time.Second},
		{"Successful call to 420774852629 (0:06)", 6 * time.Second},
		{"Unanswered call to 420774852629", 0},
		{"Missed call by queue 804 from 420774852629", 0},
		{"Call (queue 804)", 0},
		{"Call (0:99)", 0},
		{"(1:02:03)", time.Hour + 2*time.Minute + 3*time.Second},
		{"", 0},
	}
	for _, tt := range tests {
		if got := titleDuration(tt.title); got != tt.want {
			t.Errorf("titleDuration(%q) = %v, want %v", tt.title, got, tt.want)
		}
	}
	ev, _ := Decode([]byte(`{"Event":"incoming","Id":"1_1-1","Duration":"00:03","Title":"x (0:07)"}`))
	if ev.Duration != 3*time.Second {
		t.Errorf("a Duration field wins over the title: %v", ev.Duration)
	}
}

// TestBareRecordingURLInvalidUTF8 is issue 10 item 4: a bare recording URL
// whose file name is not UTF-8, raw or percent-encoded, as a POST body or
// a raw GET query, put those bytes in ID and RecordingURLs. It is refused,
// naming FileUrls (the key of the URLs in the JSON dialect), with the
// shared UTF-8 sentinel; the same URL in valid UTF-8 is still read.
func TestBareRecordingURLInvalidUTF8(t *testing.T) {
	const base = "https://pbx:5001/webapi/recording/"
	tests := []struct {
		name   string
		decode func(string) (*Event, error)
		in     string
		want   *Event // nil: refused with ErrUTF8
		reason string
	}{
		{"post raw", decodeBody, base + "\xff\xfe230102185935_18-1-1.mp3", nil,
			"raw bytes that are no text in the body: they would be in ID and RecordingURLs"},
		{"post escaped", decodeBody, base + "%FF%FE230102185935_18-1-1.mp3", nil,
			"escapes that decode to no text: the URL is ASCII, but the file name read into ID is not"},
		{"get raw", DecodeQuery, base + "\xff\xfe230102185935_18-1-1.mp3", nil,
			"the legacy GET whose raw query is the URL takes the same path"},
		{"get escaped", DecodeQuery, base + "%FF%FE230102185935_18-1-1.mp3", nil,
			"and refuses the escaped form too"},
		{"post raw in the host", decodeBody, "https://p\xffbx:5001/webapi/recording/230102185935_18-1-1.mp3", nil,
			"not only the file name: no byte of the URL may be other than text"},
		{"post valid UTF-8", decodeBody, base + "%C3%A9230102185935_18-1-1.mp3",
			&Event{Type: Recording, ID: "é230102185935_18-1", RecordingURLs: []string{base + "%C3%A9230102185935_18-1-1.mp3"}},
			"the control: an escaped é is text, and the URL is kept exactly as sent"},
		{"get raw valid UTF-8", DecodeQuery, base + "é230102185935_18-1-1.mp3",
			&Event{Type: Recording, ID: "é230102185935_18-1", RecordingURLs: []string{base + "é230102185935_18-1-1.mp3"}},
			"the control on the GET path: raw UTF-8 is text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := tt.decode(tt.in)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("error %v, want the event (%s)", err, tt.reason)
				}
				if diff := cmp.Diff(tt.want, ev); diff != "" {
					t.Errorf("(-want +got) %s:\n%s", tt.reason, diff)
				}
				return
			}
			var de *telhook.DecodeError
			if ev != nil || !errors.As(err, &de) || !errors.Is(err, wire.ErrUTF8) {
				t.Fatalf("got %+v, %v; want a DecodeError matching ErrUTF8 (%s)", ev, err, tt.reason)
			}
			got := [3]string{de.Provider, de.Field, strings.ToValidUTF8(de.Value, "?")}
			if diff := cmp.Diff([3]string{"pbx3cx", "FileUrls", de.Value}, got); diff != "" {
				t.Errorf("provider, field, value (-want +got) %s:\n%s", tt.reason, diff)
			}
			if where := testfix.InvalidUTF8(de); where != "" {
				t.Errorf("the error itself carries the bytes on to logs: %s", where)
			}
		})
	}
}

// TestQueryInvalidUTF8SharedSentinel: the legacy GET refused a value that
// is not UTF-8 with the query reader's own sentinel, so errors.Is with the
// one every other front-end uses did not match.
func TestQueryInvalidUTF8SharedSentinel(t *testing.T) {
	tests := []struct{ raw, field, reason string }{
		{"event=ringing&user=%FF&id=1_1-0", "user", "an escaped byte that is no text in a value"},
		{"event=ringing&user=8\xff21&id=1_1-0", "user", "a raw byte that is no text"},
	}
	for _, tt := range tests {
		ev, err := DecodeQuery(tt.raw)
		var de *telhook.DecodeError
		if ev != nil || !errors.As(err, &de) || !errors.Is(err, wire.ErrUTF8) || de.Field != tt.field {
			t.Errorf("DecodeQuery(%q) = %+v, %v; want a DecodeError for %q matching ErrUTF8 (%s)", tt.raw, ev, err, tt.field, tt.reason)
		}
	}
}

func decodeBody(s string) (*Event, error) { return Decode([]byte(s)) }

// TestDecodeRefusalWording: refusals that the field reader's front-end
// words its own way are worded as this decoder always worded them.
func TestDecodeRefusalWording(t *testing.T) {
	deep := strings.Repeat("[", 70) + strings.Repeat("]", 70)
	var many strings.Builder
	for i := range 40 {
		fmt.Fprintf(&many, `"x%d":"%d",`, i, i)
	}
	tests := []struct {
		body, want, reason string
	}{
		{`{"Event":"recording","Id":"1_1-1","FileUrls":` + deep + `}`,
			`pbx3cx: field "FileUrls": value "` + strings.Repeat("[", 64) + `…": not a list of URLs`,
			"a list of URLs nested too deep is no list of URLs, quoting its start"},
		{`{"Event":"ringing","Id":"1_1-0","Did":{"a":` + deep + `}}`,
			`pbx3cx: field "Did": value "{\"a\":` + strings.Repeat("[", 59) + `…": not a string, number or boolean`,
			"a value nested too deep is a value that is not a string"},
		{`{"Event":"recording","Id":"1_1-1","FILES":""}`, `pbx3cx: field "FILES": value "\"\"": not a list of URLs`,
			"an empty string is no list, quoted as JSON"},
		{`{"Event":"recording","Id":"1_1-1","FILES":{"a":1}}`, `pbx3cx: field "FILES": value "{\"a\":1}": not a list of URLs`,
			"an object is no list"},
		{`{` + many.String() + `"Event":"ringing","Id":"1_1-0","EVENT":"dialing"}`,
			`pbx3cx: field "EVENT": value "dialing": field is repeated with different values`,
			"past 32 fields, repeats in another case are found by an index"},
		{`{` + many.String() + `"Event":"ringing","Id":"1_1-0","ID":"1_1-0","x1":"1"}`, "",
			"past 32 fields, a repeat with the same value is read once"},
		{"event=ringing&id=1_1-0&user=1&User=2", `pbx3cx: field "User": value "2": field is repeated with different values`,
			"the GET scheme: keys in any case are one key"},
		{"", "pbx3cx: empty body", "nothing"},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.body))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Decode(%.50q) error %q, want %q (%s)", tt.body, got, tt.want, tt.reason)
		}
	}
}

// TestDecodeAllocs: the strict JSON path and the GET scheme build no map
// (there is no Extra here): the JSON path copies the body once, and
// allocates the fields and the Event; the GET scheme the fields and the
// Event.
func TestDecodeAllocs(t *testing.T) {
	tests := []struct {
		name   string
		decode func()
		most   float64
		reason string
	}{
		{"strict JSON", func() { _, _ = Decode(strictBody) }, 3, "one copy of the body, the fields, the Event"},
		{"GET scheme", func() { _, _ = DecodeQuery(getQuery) }, 2, "the fields (the values are slices of the query), the Event"},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.decode); got > tt.most {
			t.Errorf("%s: %v allocations, want at most %v (%s)", tt.name, got, tt.most, tt.reason)
		}
	}
}

// TestFoldKey: two keys are one for checkFields (by foldBit and by the
// index past 32 fields) exactly when strings.EqualFold, which
// field.Reader.Fold matches with, says they are.
func TestFoldKey(t *testing.T) {
	tests := []struct {
		a, b   string
		same   bool
		reason string
	}{
		{"Event", "event", true, "ASCII case"},
		{"uſer", "USER", true, "'ſ' (long s) folds to 's'"},
		{"\u212Aey", "key", true, "the Kelvin sign folds to 'k'"},
		{"İd", "id", false, "a dotted capital I is no 'i' to simple folding"},
		{"ΣΑΣ", "σας", true, "final sigma"},
		{"files", "fileurls", false, "different keys"},
		{"", "", true, "empty"},
	}
	for _, tt := range tests {
		got := [3]bool{strings.EqualFold(tt.a, tt.b), strings.Map(foldRune, tt.a) == strings.Map(foldRune, tt.b), foldBit(tt.a) == foldBit(tt.b)}
		want := [3]bool{tt.same, tt.same, tt.same || got[2]}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q, %q: EqualFold, folded keys, bits (-want +got) — %s:\n%s", tt.a, tt.b, tt.reason, diff)
		}
	}
}

// FuzzFoldKey: for any two keys of text, the folded keys are equal
// exactly when strings.EqualFold matches them, and then so are their bits.
func FuzzFoldKey(f *testing.F) {
	f.Add("Event", "event")
	f.Add("uſer", "USER")
	f.Add("\u212A", "k")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		fold := strings.EqualFold(a, b)
		if same := strings.Map(foldRune, a) == strings.Map(foldRune, b); same != fold {
			t.Fatalf("%q, %q: folded keys equal %v, EqualFold %v", a, b, same, fold)
		}
		if fold && foldBit(a) != foldBit(b) {
			t.Fatalf("%q, %q: EqualFold, but bits differ", a, b)
		}
	})
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:14", 14 * time.Second, true}, {"0:07", 7 * time.Second, true}, {"1:02:03", time.Hour + 2*time.Minute + 3*time.Second, true},
		{"", 0, true}, {"14", 14 * time.Second, true}, {"00:60", 0, false}, {"0:7", 0, false}, {"a:bc", 0, false}, {"1:2:3:4", 0, false}, {"-1:00", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// FuzzDecode: no input panics; every failure is a DecodeError from pbx3cx
// or an unknown event; every event returned holds only valid UTF-8; a
// result is never bigger than its input allows.
func FuzzDecode(f *testing.F) {
	for _, name := range fixtureNames(f) {
		f.Add(fixture(f, name))
	}
	f.Add([]byte("https://pbx:5001/webapi/recording/\xff\xfe230102185935_18-1-1.mp3"))
	f.Add([]byte("https://pbx:5001/webapi/recording/%FF%FE230102185935_18-1-1.mp3"))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode(body)
		switch {
		case err == nil && ev == nil:
			t.Fatal("nil event without error")
		case errors.Is(err, telhook.ErrUnknownEvent):
			if ev == nil {
				t.Fatal("unknown event without the event")
			}
		case err != nil:
			var de *telhook.DecodeError
			if ev != nil || !errors.As(err, &de) || de.Provider != "pbx3cx" || len(de.Value) > 70 {
				t.Fatalf("error %v (%T) with event %v", err, err, ev)
			}
			return
		}
		testfix.CheckUTF8(t, ev)
		// Type is canonical, not copied ("hangupincoming" becomes
		// "incomingcall_started", a bare URL "recording"): everything else is
		// text the body held, never more of it.
		size := len(ev.CallerID) + len(ev.User) + len(ev.ID) + len(ev.Title) + len(ev.DID)
		if size > len(body) {
			t.Fatalf("decoded %d bytes of text from a %d-byte body", size, len(body))
		}
	})
}

// FuzzDecodeQuery drives the GET path with any raw query: every failure is
// a DecodeError, every event returned holds only valid UTF-8.
func FuzzDecodeQuery(f *testing.F) {
	for _, name := range fixtureNames(f) {
		if b := fixture(f, name); !bytes.HasPrefix(b, []byte("{")) {
			f.Add(string(b))
		}
	}
	f.Add("https://pbx:5001/webapi/recording/%FF%FE230102185935_18-1-1.mp3")
	f.Add("event=ringing&id=1_1-0&%FF=1")
	f.Fuzz(func(t *testing.T, raw string) {
		ev, err := DecodeQuery(raw)
		if err != nil && !errors.Is(err, telhook.ErrUnknownEvent) {
			var de *telhook.DecodeError
			if ev != nil || !errors.As(err, &de) {
				t.Fatalf("error %v (%T) with event %v", err, err, ev)
			}
			return
		}
		if ev == nil {
			t.Fatal("nil event without error")
		}
		testfix.CheckUTF8(t, ev)
	})
}

var (
	strictBody = []byte(`{ "Event": "incomingcall_started", "Callerid": "05552221133", "User": "202", "Trtype": "NotDef", "Did": "", "Id": "230307114903_10-1" }`)
	brokenBody = []byte(`{ "Event": "incomingcall_started", "Callerid": 05552221133", "User": "202", "Trtype": "NotDef", "Did": "", "Id": "230307114903_10-1" }`)
	getQuery   = "event=incoming&callerid=420774852629&user=102&finishtype=Ok&transfer=False&did=DID-420222000320&title=DID-420222000320:Answered call from 420774852629 (0:07)&id=230102104542_15-1"
)

// BenchmarkDecode is valid JSON: the fast path, one strict pass of
// field.JSON and a field.Reader. The target is at most twice
// BenchmarkDecodeBaseline.
func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(strictBody)))
	for b.Loop() {
		if _, err := Decode(strictBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRepair is the same event with its opening quote missing:
// the strict attempt fails, the repair runs, the repaired bytes decode.
// The target is at most three times BenchmarkDecode.
func BenchmarkDecodeRepair(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(brokenBody)))
	for b.Loop() {
		if _, err := Decode(brokenBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBaseline is the floor: encoding/json decoding the valid
// bytes into an equivalent struct, with no tolerance at all.
func BenchmarkDecodeBaseline(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(strictBody)))
	for b.Loop() {
		var v struct{ Event, Callerid, User, Trtype, Did, Id string }
		if err := json.Unmarshal(strictBody, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeQuery is the legacy GET scheme: query.Fields and a
// field.Reader.
func BenchmarkDecodeQuery(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(getQuery)))
	for b.Loop() {
		if _, err := DecodeQuery(getQuery); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeQueryBaseline: url.ParseQuery on the same (unescaped)
// string, which splits nothing wrongly here, and a copy of its values into
// an Event, with none of the checks.
func BenchmarkDecodeQueryBaseline(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(getQuery)))
	for b.Loop() {
		v, err := url.ParseQuery(getQuery)
		if err != nil {
			b.Fatal(err)
		}
		_ = &Event{Type: v.Get("event"), CallerID: v.Get("callerid"), User: v.Get("user"), FinishType: v.Get("finishtype"),
			DID: v.Get("did"), Title: v.Get("title"), ID: v.Get("id"), Transfer: v.Get("transfer") == "True"}
	}
}
