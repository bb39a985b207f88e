package pbx3cx

// The 3CX decoder as it was before the field reader: internal/jsonobj for
// JSON, query.Parse for the legacy GET scheme, both into a map of
// lowercased keys, and validator/v10 for the two required fields. It is
// the reference FuzzDecodeMatchesReference and
// FuzzDecodeQueryMatchesReference hold the field-reader decoder to: the
// same event, or the same error, for every input (but for the deliberate
// differences those targets name).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/jsonobj"
	"github.com/telhook/telhook/internal/query"
	"github.com/telhook/telhook/internal/tolerant"
	"github.com/telhook/telhook/internal/wire"
)

// refDecode reads one webhook body of any dialect. The body decides which:
//
//   - a JSON object, with keys in any case (K2M's "Callerid", Creomate's
//     "callerid"). It is read with encoding/json first; only when that
//     fails is it repaired (a missing opening quote, typographic quotes,
//     trailing commas, bare tokens) and read again. Repair never moves a
//     value to another key and never invents one.
//   - a bare recording URL (the legacy recording request): a Recording
//     event whose ID comes from the file name ("…/230102185935_18-1-1.mp3"
//     is segment "230102185935_18-1", recording 1).
//   - a query string, as refDecodeQuery reads it.
//
// Anything else is a *telhook.DecodeError: the dialect is never guessed.
// So is text that is not UTF-8, in a key or a value, raw or once its
// escapes are decoded, in every dialect: an event holds text only.
// An event of a type this package does not know is returned with an error
// matching telhook.ErrUnknownEvent.
func refDecode(body []byte) (*Event, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	switch {
	case len(b) == 0:
		return nil, wire.Error(provider, "", "", wire.ErrEmpty)
	case b[0] == '{':
		return refDecodeJSON(b)
	case bytes.HasPrefix(b, []byte("http://")) || bytes.HasPrefix(b, []byte("https://")):
		return refDecodeURL(string(b))
	case bytes.IndexByte(b, '=') > 0:
		return refDecodeQuery(string(b))
	}
	return nil, wire.Error(provider, "", string(b), errRefNotWebhook)
}

var errRefNotWebhook = errors.New("neither JSON, a query string nor a recording URL")

// refDecodeQuery reads the legacy GET scheme (lowercase keys, any case
// accepted), as the add-on writes it: values are often not percent-encoded
// and hold spaces, colons, parentheses, '+' and '&'
// ("title=DID-420222000320:Answered call from 420774852629 (0:07)"). A raw
// query that is only a recording URL is read as refDecode reads one.
func refDecodeQuery(raw string) (*Event, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://") {
		return refDecodeURL(raw)
	}
	pairs, err := query.Parse(raw, refKnownKey)
	if err != nil {
		return nil, wire.QueryError(provider, raw, err)
	}
	fields := make(map[string]string, len(pairs))
	names := make(map[string]string, len(pairs)) // lowercase key → key as sent
	for _, p := range pairs {
		k := strings.ToLower(p.Key)
		if prev, dup := fields[k]; dup && prev != p.Value {
			return nil, wire.Error(provider, p.Key, p.Value, wire.ErrRepeated)
		}
		fields[k], names[k] = p.Value, p.Key
	}
	if v, ok := fields["callerid"]; ok { // a raw '+' became a space
		fields["callerid"] = tolerant.Phone(strings.TrimRight(v, " "))
	}
	var urls []string
	for _, k := range []string{"fileurls", "files"} {
		if v, ok := fields[k]; ok && v != "" {
			urls = append(urls, strings.Split(v, ",")...)
			delete(fields, k)
		}
	}
	return refBuild(fields, names, urls)
}

// refKnownKey reports the keys of every dialect, lowercased.
func refKnownKey(k string) bool {
	switch k {
	case "event", "callerid", "user", "usertype", "did", "id", "trtype", "finishtype",
		"transfer", "duration", "title", "fileurls", "files":
		return true
	}
	return false
}

func refDecodeJSON(b []byte) (*Event, error) {
	members, err := jsonobj.Parse(b)
	if err != nil {
		return nil, wire.JSONError(provider, err)
	}
	fields := make(map[string]string, len(members))
	names := make(map[string]string, len(members))
	var urls []string
	for _, m := range members { // in the order sent: errors name the first bad member
		key := string(m.Key)
		k := strings.ToLower(key)
		if k == "fileurls" || k == "files" {
			list, err := refJSONStrings(m.Value)
			if err != nil {
				return nil, wire.Error(provider, key, string(m.Value), err)
			}
			urls = append(urls, list...)
			continue
		}
		s, ok := jsonobj.Scalar(m.Value)
		if !ok {
			return nil, wire.Error(provider, key, string(m.Value), errRefNotScalar)
		}
		// The same key twice, in any case, must agree: a map would keep
		// the last one silently.
		if prev, dup := fields[k]; dup && prev != s {
			return nil, wire.Error(provider, key, s, wire.ErrRepeated)
		}
		fields[k], names[k] = s, key
	}
	return refBuild(fields, names, urls)
}

var errRefNotScalar = errors.New("not a string, number or boolean")

// refJSONStrings reads a list of URLs: an array of strings, or one string.
func refJSONStrings(v json.RawMessage) ([]string, error) {
	var list []string
	if err := json.Unmarshal(v, &list); err == nil {
		return list, nil
	}
	s, ok := jsonobj.Scalar(v)
	if !ok || s == "" {
		return nil, errors.New("not a list of URLs")
	}
	return []string{s}, nil
}

// refURLField names the recording URLs in errors, by K2M's key: a bare URL
// has no key of its own.
const refURLField = "FileUrls"

// refWireEvent holds the two fields every webhook must have.
type refWireEvent struct {
	Type string `json:"event" validate:"required"`
	ID   string `json:"id" validate:"required"`
}

// refBuild turns the fields of any dialect (lowercase keys) into an Event.
func refBuild(f map[string]string, names map[string]string, urls []string) (*Event, error) {
	take := func(k string) string {
		v := strings.TrimSpace(f[k])
		delete(f, k)
		return v
	}
	ev := &Event{
		Type:         refEventType(take("event")),
		CallerID:     take("callerid"),
		User:         take("user"),
		UserType:     take("usertype"),
		DID:          take("did"),
		ID:           take("id"),
		TransferType: refTransferType(take("trtype")),
		FinishType:   refFinishType(take("finishtype")),
		Title:        take("title"),
	}
	if err := wire.Validate(provider, &refWireEvent{Type: ev.Type, ID: ev.ID}); err != nil {
		return nil, err
	}
	if v, ok := f["transfer"]; ok {
		t, err := refParseBool(v)
		if err != nil {
			return nil, wire.Error(provider, names["transfer"], v, err)
		}
		ev.Transfer = t
		delete(f, "transfer")
	}
	v, durationSent := f["duration"]
	if durationSent {
		d, err := refParseDuration(v)
		if err != nil {
			return nil, wire.Error(provider, names["duration"], v, err)
		}
		ev.Duration = d
		delete(f, "duration")
	}
	if !durationSent && ev.IsEnd() {
		ev.Duration = refTitleDuration(ev.Title)
	}
	for _, u := range urls {
		if u = strings.TrimSpace(u); u != "" {
			ev.RecordingURLs = append(ev.RecordingURLs, u)
		}
	}
	if ev.Type == Recording && len(ev.RecordingURLs) == 0 {
		return nil, wire.Error(provider, refURLField, "", wire.ErrMissing)
	}
	for k, v := range f {
		if ev.Extra == nil {
			ev.Extra = make(map[string]string, len(f))
		}
		ev.Extra[names[k]] = v
	}
	if !refKnownType(ev.Type) {
		return ev, fmt.Errorf("pbx3cx: event %q: %w", ev.Type, telhook.ErrUnknownEvent)
	}
	return ev, nil
}

// refDecodeURL reads the legacy recording request: a bare URL. The URL and
// the file name its escapes decode to must be UTF-8, as every value of the
// other dialects must: "…/recording/%FF%FE_1-1-1.mp3" would put bytes that
// are no text into ID.
func refDecodeURL(s string) (*Event, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		return nil, wire.Error(provider, "", s, errors.New("not a recording URL"))
	}
	if !utf8.ValidString(s) || !utf8.ValidString(u.Path) {
		return nil, wire.Error(provider, refURLField, s, wire.ErrUTF8)
	}
	ev := &Event{Type: Recording, RecordingURLs: []string{s}}
	// ".../230102185935_18-1-1.mp3": the segment id, then the recording index.
	name := strings.TrimSuffix(path.Base(u.Path), path.Ext(u.Path))
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			if seg := name[:i]; strings.Contains(seg, "_") && strings.Contains(seg, "-") {
				ev.ID = seg
			}
		}
	}
	return ev, nil
}

func refEventType(s string) string {
	switch t := strings.ToLower(s); t {
	case "hangupincoming", "pickupincoming":
		return IncomingStarted
	case "hangupoutgoing", "pickupoutgoing":
		return OutgoingStarted
	case Ringing, Dialing, IncomingStarted, OutgoingStarted, Incoming, Outgoing, Recording:
		return t
	}
	return s
}

func refKnownType(t string) bool {
	switch t {
	case Ringing, Dialing, IncomingStarted, OutgoingStarted, Incoming, Outgoing, Recording:
		return true
	}
	return false
}

func refTransferType(s string) string {
	switch strings.ToLower(s) {
	case "notdef":
		return NotTransferred
	case "blind":
		return Blind
	case "attended", "accomp":
		return Attended
	}
	return s
}

func refFinishType(s string) string {
	switch strings.ToLower(s) {
	case "ok":
		return FinishOk
	case "missed":
		return FinishMissed
	}
	return s
}

var errRefBool = errors.New(`not a boolean ("True", "False", true, false, 1, 0)`)

func refParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no", "":
		return false, nil
	}
	return false, errRefBool
}

// refTitleDuration reads the talk time the legacy GET scheme puts only in its
// title: "DID-420222000320:Answered call from 420774852629 (0:07)" is 7s.
// Anything else is zero: nothing is guessed from a title of another shape.
func refTitleDuration(title string) time.Duration {
	open := strings.LastIndexByte(title, '(')
	if open < 0 || !strings.HasSuffix(title, ")") {
		return 0
	}
	inner := title[open+1 : len(title)-1]
	if !strings.Contains(inner, ":") {
		return 0
	}
	d, err := refParseDuration(inner)
	if err != nil {
		return 0
	}
	return d
}

var errRefDuration = errors.New(`not a duration ("mm:ss", "m:ss", "h:mm:ss" or seconds)`)

// refParseDuration reads "00:14", "0:07", "1:02:03", "14" and "" (zero).
func refParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, errRefDuration
	}
	var total int64
	for i, p := range parts {
		n, err := tolerant.Int(p)
		if err != nil || n < 0 || (i > 0 && (n > 59 || len(p) != 2)) || n > 1<<31 {
			return 0, errRefDuration
		}
		total = total*60 + n
	}
	return time.Duration(total) * time.Second, nil
}

// FuzzDecodeMatchesReference holds Decode to the decoder it replaced: for
// every body, the same event (go-cmp), or the same error text. Where the
// field reader decides otherwise on purpose, deliberate names the reason
// and the case is skipped.
func FuzzDecodeMatchesReference(f *testing.F) {
	for _, name := range fixtureNames(f) {
		f.Add(fixture(f, name))
	}
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "pbx3cx", "flows", "*.txt"))
	for _, p := range paths {
		for _, line := range flowLines(f, p) {
			f.Add([]byte(line))
		}
	}
	for _, s := range []string{
		`{"Event":"incoming","Id":"1_1-1","Transfer":"x","Duration":"y","Title":"t (0:07)"}`,
		`{"event":"recording","id":"1_1-1","FILES":"u","FileUrls":["a"," ",null]}`,
		`{"Event":"ringing","Id":"1_1-0","Extra":"x","EXTRA":"x","User":null,"Did":5}`,
		`{"Event":"ringing","Id":"1_1-0","a":{"b":1},"Event":"ringing"}`,
		`{"Event":"ringing","Id":"1_1-0","FileUrls":""}`,
		`{"event":"ringing","id":"1_1-0","ſtatus":"x","status":"x"}`,
		"event=recording&id=1_1-1&fileurls=&files=a,b",
		"event=incoming&id=1_1-1&callerid= 420774852629 &duration=",
		"https://pbx:5001/webapi/recording/%20230102185935_18-1-1.mp3",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := Decode(body)
		want, wantErr := refDecode(body)
		if why := deliberate(body, err, wantErr); why != "" {
			t.Skip(why)
		}
		compare(t, got, err, want, wantErr)
	})
}

// FuzzDecodeQueryMatchesReference holds DecodeQuery to the decoder it
// replaced, for every raw query: the same event, or the same error text.
// The legacy GET scheme has no deliberate difference: its keys are ASCII
// and its values all text.
func FuzzDecodeQueryMatchesReference(f *testing.F) {
	for _, name := range fixtureNames(f) {
		if b := fixture(f, name); !bytes.HasPrefix(b, []byte("{")) {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		"event=ringing&ID=1_1-0&id=1_1-0&Id=2",
		"event=recording&id=1_1-1&FileUrls=a,,b&files=c",
		"event=recording&id=1_1-1&fileurls=&FILES=",
		"event=incoming&id=1_1-1&title=x (0:07)&Duration=&transfer=1",
		"event=ringing&id=1_1-0&url=https://h/a?x=1&y=2&user=3",
		"event=ringing&id=1_1-0&title=100%+sure&callerid=+420",
		"?event=dialing&id=1_1-0&x=%FF",
		"event=ringing&id=1_1-0&" + strings.Repeat("a=1&", 999),
		"hello",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := DecodeQuery(raw)
		want, wantErr := refDecodeQuery(raw)
		compare(t, got, err, want, wantErr)
	})
}

// compare fails t unless the two decoders agree: the same error text, and
// the same event when there is one.
func compare(t *testing.T, got *Event, err error, want *Event, wantErr error) {
	t.Helper()
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("error %v, reference %v", err, wantErr)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("event (-reference +new):\n%s", diff)
	}
}

// deliberate returns why the decoder differs from the reference on body on
// purpose, or "" when it must not. Only JSON bodies differ, and only in
// these ways:
//
//   - keys match in any case as strings.EqualFold matches them, as
//     field.Reader.Fold does, where the reference lowercased them
//     (strings.ToLower): the two differ for a few letters only ('ſ' is
//     's' to EqualFold, "İ" lowercases to two runes);
//   - a key sent twice (in any case) with one text as two kinds (the string
//     "1" and the number 1) is a repeat with different values, as it is to
//     field.JSON and field.Reader, where the reference compared the text;
//   - a list of recording URLs sent twice (in any case) is read once when
//     the two are the same and refused when they differ, as every repeated
//     key is, where the reference joined them;
//   - more than field.MaxFields distinct keys are refused
//     (field.ErrTooMany), as forms and query strings always were, where
//     the reference read them;
//   - of two faults, the front-end's (a key repeated exactly, a member
//     nested too deep) is reported before the reader's (a value that is
//     not a string, a repeat in another case), whichever comes first in
//     the body: field.JSON refuses what no decoder should see first.
func deliberate(body []byte, err, refErr error) string {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(b) == 0 || b[0] != '{' {
		return ""
	}
	members, perr := jsonobj.Parse(b)
	if perr != nil {
		return ""
	}
	if len(members) > field.MaxFields && errors.Is(err, field.ErrTooMany) {
		return "more than field.MaxFields keys"
	}
	known := []string{"event", "callerid", "user", "usertype", "did", "id", "trtype", "finishtype",
		"transfer", "duration", "title", "fileurls", "files"}
	for i, m := range members {
		k := string(m.Key)
		for _, w := range known {
			if strings.EqualFold(k, w) != (strings.ToLower(k) == w) {
				return "keys fold by strings.EqualFold"
			}
		}
		for _, o := range members[:i] {
			ok := string(o.Key)
			//lint:ignore SA6005 this compares the reference's ToLower rule with EqualFold on purpose
			if strings.EqualFold(k, ok) != (strings.ToLower(k) == strings.ToLower(ok)) {
				return "keys fold by strings.EqualFold"
			}
			if !strings.EqualFold(k, ok) {
				continue
			}
			if isURLKey(k) {
				return "a list of recording URLs repeated"
			}
			s1, ok1 := jsonobj.Scalar(m.Value)
			s2, ok2 := jsonobj.Scalar(o.Value)
			if ok1 && ok2 && s1 == s2 && jsonKind(m.Value) != jsonKind(o.Value) {
				return "one text as two kinds"
			}
		}
	}
	var de, refDE *telhook.DecodeError
	if !errors.As(err, &de) || !errors.As(refErr, &refDE) || err.Error() == refErr.Error() {
		return ""
	}
	exact, deep := 0, false
	for _, m := range members {
		if strings.ToValidUTF8(string(m.Key), "\uFFFD") == de.Field {
			exact++
			deep = deep || m.Depth >= field.MaxDepth
		}
	}
	frontEnd := errors.Is(err, field.ErrRepeated) && exact > 1 || deep
	refMember := errors.Is(refErr, errRefNotScalar) || errors.Is(refErr, wire.ErrRepeated) || strings.HasSuffix(refErr.Error(), "not a list of URLs")
	if frontEnd && refMember && firstIndex(members, refDE.Field) < lastIndex(members, de.Field) {
		return "the front-end's fault first"
	}
	return ""
}

// jsonKind tells apart a JSON string, number, boolean and null.
func jsonKind(v []byte) byte {
	v = bytes.TrimSpace(v)
	switch c := v[0]; c {
	case '"', 't', 'f', 'n':
		if c == 'f' {
			return 't'
		}
		return c
	}
	return '0'
}

func firstIndex(members []jsonobj.Member, key string) int {
	for i, m := range members {
		if strings.ToValidUTF8(string(m.Key), "\uFFFD") == key {
			return i
		}
	}
	return len(members)
}

func lastIndex(members []jsonobj.Member, key string) int {
	for i := len(members) - 1; i >= 0; i-- {
		if strings.ToValidUTF8(string(members[i].Key), "\uFFFD") == key {
			return i
		}
	}
	return -1
}

// TestDeliberateDifferences shows each difference deliberate names on a
// body that has it: what the reference did, what Decode does, and that
// deliberate recognises it (so the fuzz target skips that case, and only
// that case).
func TestDeliberateDifferences(t *testing.T) {
	many := `{"Event":"ringing","Id":"1_1-0"`
	for i := range field.MaxFields {
		many += fmt.Sprintf(`,"x%d":"v"`, i)
	}
	many += "}"
	tests := []struct {
		body    string
		want    string // Decode's error, "" for an event
		refWant string // the reference's error, "" for an event
		why     string // what deliberate returns
		reason  string
	}{
		{`{"Event":"ringing","Id":"1_1-0","uſer":"7"}`, "", "",
			"keys fold by strings.EqualFold", "'ſ' folds to 's': uſer is User now, and in Extra before"},
		{`{"Event":"ringing","Id":"1","id":1}`, `pbx3cx: field "id": value "1": field is repeated with different values`, "",
			"one text as two kinds", "the string and the number 1 are two values"},
		{`{"Event":"ringing","Id":"1_1-0","Transfer":true,"transfer":"true"}`, `pbx3cx: field "transfer": value "true": field is repeated with different values`, "",
			"one text as two kinds", "true and \"true\", in two cases of one key"},
		{`{"Event":"recording","Id":"1_1-1","FileUrls":["a"],"fileurls":["b"]}`, `pbx3cx: field "fileurls": value "[\"b\"]": field is repeated with different values`, "",
			"a list of recording URLs repeated", "two lists under one key are refused, not joined"},
		{`{"Event":"recording","Id":"1_1-1","FileUrls":["a"],"FileUrls":["a"]}`, "", "",
			"a list of recording URLs repeated", "one list sent twice is read once, not twice"},
		{many, `pbx3cx: more than 1000 fields`, "",
			"more than field.MaxFields keys", "a bound on keys, as on form fields"},
		{`{"Event":{},"x":"1","x":"2"}`, `pbx3cx: field "x": value "2": field is repeated with different values`,
			`pbx3cx: field "Event": value "{}": not a string, number or boolean`,
			"the front-end's fault first", "an exact repeat, after an object where text belongs"},
		{`{"User":[1],"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
			`pbx3cx: field "a": value "` + strings.Repeat("[", 64) + `…": not a string, number or boolean`,
			`pbx3cx: field "User": value "[1]": not a string, number or boolean`,
			"the front-end's fault first", "a member nested too deep, after an array where text belongs"},
	}
	for _, tt := range tests {
		ev, err := Decode([]byte(tt.body))
		refEv, refErr := refDecode([]byte(tt.body))
		got := [4]string{errText(err), errText(refErr), deliberate([]byte(tt.body), err, refErr)}
		if d := cmp.Diff(ev, refEv); d != "" {
			got[3] = "events differ"
		}
		wantEvents := "events differ" // the difference, or an event and an error
		if tt.want != "" && tt.refWant != "" {
			wantEvents = ""
		}
		if diff := cmp.Diff([4]string{tt.want, tt.refWant, tt.why, wantEvents}, got); diff != "" {
			t.Errorf("%.60s: error, reference error, deliberate, events (-want +got) — %s:\n%s", tt.body, tt.reason, diff)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// BenchmarkDecodeReference is the decoder Decode replaced, on the body of
// BenchmarkDecode.
func BenchmarkDecodeReference(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(strictBody)))
	for b.Loop() {
		if _, err := refDecode(strictBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeQueryReference is the decoder DecodeQuery replaced, on
// the query of BenchmarkDecodeQuery.
func BenchmarkDecodeQueryReference(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(getQuery)))
	for b.Loop() {
		if _, err := refDecodeQuery(getQuery); err != nil {
			b.Fatal(err)
		}
	}
}
