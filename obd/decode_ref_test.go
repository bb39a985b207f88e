package obd

// The Mobtexting decoder as it was before the field reader: jsonobj.Parse
// into a map of strings, wire.Form, query.Parse and mime/multipart merged
// into one map, then mapped onto a Report. It is the reference that
// FuzzDecodeMatchesReference and FuzzParseMatchesReference hold the decoder
// on internal/field to: the same event, or the same error, for every input,
// but for the few refusals documented at refDeviation.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/jsonobj"
	"github.com/telhook/telhook/internal/query"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/internal/tolerant"
	"github.com/telhook/telhook/internal/wire"
)

// refStandard is Mobtexting's own key for every field.
var refStandard = Fields{
	ID: "id", WebhookID: "webhook_id", Source: "source", Bridge: "bridge", From: "from", To: "to",
	MID: "mid", FlowID: "flow_id", StartAt: "start_at", EndAt: "end_at", Date: "date",
	UnixTime: "unixtime", Duration: "duration", Billing: "billing", Status: "status",
	Status1: "status1", Status2: "status2", HangupBy: "hangup_by", RecordingURL: "recording_url",
}

// refKeys returns f with the standard name in every empty entry.
func refKeys(f Fields) Fields {
	out, names := f, refStandard
	dst, src := refList(&out), refList(&names)
	for i, p := range dst {
		if *p == "" {
			*p = *src[i]
		}
	}
	return out
}

func refList(f *Fields) []*string {
	return []*string{&f.ID, &f.WebhookID, &f.Source, &f.Bridge, &f.From, &f.To, &f.MID, &f.FlowID,
		&f.StartAt, &f.EndAt, &f.Date, &f.UnixTime, &f.Duration, &f.Billing,
		&f.Status, &f.Status1, &f.Status2, &f.HangupBy, &f.RecordingURL}
}

// refDecode is the reference of Decoder.Decode. It reads a JSON body: strictly first, and only when that fails after
// repairing what Mobtexting's own examples get wrong (bare tokens such as
// 91806828XXXX, a trailing comma). Numbers keep every digit: a phone number
// sent as a JSON number is never read through float64.
func refDecode(d *Decoder, body []byte) (Event, error) {
	values, err := refJSONValues(body)
	if err != nil {
		return nil, err
	}
	return refDecodeValues(d, values)
}

// refRequest is the reference of Decoder.request: it decodes r whose body
// was already read.
func refRequest(d *Decoder, r *http.Request, body []byte) (Event, error) {
	values, err := refBodyValues(d, r.Header.Get("Content-Type"), body)
	if err != nil {
		return nil, err
	}
	if r.URL.RawQuery != "" {
		pairs, err := query.Parse(r.URL.RawQuery, nil)
		if err != nil {
			return nil, wire.QueryError(provider, "", err)
		}
		fromQuery := make(map[string]string, len(pairs))
		for _, p := range pairs {
			if prev, dup := fromQuery[p.Key]; dup && prev != p.Value {
				return nil, wire.Error(provider, p.Key, p.Value, wire.ErrRepeated)
			}
			fromQuery[p.Key] = p.Value
		}
		refRestorePlus(d, fromQuery)
		// The one change from the decoder as it was: it ranged over the
		// map, so of two keys in conflict either could be named. Sorted,
		// the smallest is, as the decoder names it now.
		for _, k := range slices.Sorted(maps.Keys(fromQuery)) {
			v := fromQuery[k]
			if prev, dup := values[k]; dup && prev != v {
				return nil, wire.Error(provider, k, v, errRefBodyAndQuery)
			}
			if values == nil {
				values = make(map[string]string, len(fromQuery))
			}
			values[k] = v
		}
	}
	if len(values) == 0 && len(bytes.TrimSpace(body)) == 0 {
		// Nothing was sent at all. A body without fields ("{}") goes on to
		// DecodeValues, which names the field a report cannot do without.
		if r.Method == http.MethodGet {
			return nil, wire.Error(provider, "", "", errRefNoQuery)
		}
		return nil, wire.Error(provider, "", "", errRefNothing)
	}
	return refDecodeValues(d, values)
}

var (
	errRefBodyAndQuery = errors.New("given in the query string and the body with different values")
	errRefNoQuery      = errors.New("no fields in the query string")
	errRefNothing      = fmt.Errorf("%w and no query string", wire.ErrEmpty)
	errRefNoFields     = fmt.Errorf("%w: the webhook has no fields at all", wire.ErrMissing)
)

// refRestorePlus undoes a '+' that became a space in the phone numbers of a
// query string or form.
func refRestorePlus(d *Decoder, values map[string]string) {
	f := refKeys(d.Fields)
	for _, k := range []string{f.Bridge, f.From, f.To} {
		if v, ok := values[k]; ok {
			values[k] = tolerant.Phone(strings.TrimRight(v, " "))
		}
	}
}

// refBodyValues reads a JSON, multipart or form body into flat values, by the
// rules Parse documents.
func refBodyValues(d *Decoder, contentType string, body []byte) (map[string]string, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil, nil
	}
	mt, params, _ := mime.ParseMediaType(contentType)
	switch {
	case b[0] == '{' || mt == "application/json":
		return refJSONValues(b)
	case mt == "multipart/form-data":
		return refMultipartValues(b, params["boundary"])
	case mt != "application/x-www-form-urlencoded" && mt != "text/plain" && mt != "":
		return nil, wire.Error(provider, "Content-Type", contentType, errRefContentType)
	case !refIsForm(b):
		return nil, wire.Error(provider, "", string(b), errRefNotForm)
	}
	form, err := wire.Form(provider, b)
	if err != nil {
		return nil, err
	}
	values := make(map[string]string, len(form))
	for k, vs := range form {
		values[k] = vs[0]
	}
	refRestorePlus(d, values)
	return values, nil
}

var (
	errRefContentType = errors.New("not JSON, and labelled neither a form nor multipart form data")
	errRefNotForm     = errors.New("neither JSON nor a form of key=value pairs")
)

// refIsForm reports whether b is "key=value" pairs joined by '&' (empty pairs
// allowed), each key made of letters, digits, "-_.~%+*[]" or bytes past
// ASCII (checked for UTF-8 later). url.ParseQuery would read any text
// ("hello world", `<?xml version="1.0"?>`) as a form.
func refIsForm(b []byte) bool {
	pairs := 0
	for pair := range bytes.SplitSeq(b, []byte("&")) {
		if len(pair) == 0 {
			continue
		}
		key, _, ok := bytes.Cut(pair, []byte("="))
		if !ok || len(key) == 0 {
			return false
		}
		for _, c := range key {
			if !refFormKeyByte(c) {
				return false
			}
		}
		pairs++
	}
	return pairs > 0
}

func refFormKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80 ||
		strings.IndexByte("-_.~%+*[]", c) >= 0
}

func refMultipartValues(body []byte, boundary string) (map[string]string, error) {
	if boundary == "" {
		return nil, wire.Error(provider, "Content-Type", "", errors.New("multipart without a boundary"))
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	values := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return values, nil
		}
		if err != nil {
			return nil, wire.Error(provider, "", "", fmt.Errorf("multipart body: %w", err))
		}
		name := part.FormName()
		switch {
		case part.FileName() != "":
			return nil, wire.Error(provider, name, part.FileName(), errors.New("a file part, where only fields belong"))
		case name == "":
			return nil, wire.Error(provider, "", "", errors.New("a part without a form-data name"))
		}
		// Names and values that are not UTF-8 (name="\xff", or RFC 2231's
		// name*=utf-8''%ff once decoded) are refused by DecodeValues, with
		// those of every other front-end.
		v, err := io.ReadAll(part) // bounded: the body is already in memory
		if err != nil {
			return nil, wire.Error(provider, name, "", err)
		}
		if prev, dup := values[name]; dup && prev != string(v) {
			return nil, wire.Error(provider, name, string(v), wire.ErrRepeated)
		}
		values[name] = string(v)
		if len(values) > wire.MaxFields {
			return nil, wire.Error(provider, "", "", wire.ErrTooMany)
		}
	}
}

// refJSONValues reads a flat JSON object; scalars keep their text exactly. A
// key sent twice with different values is refused (a map would keep the
// last one, silently).
func refJSONValues(body []byte) (map[string]string, error) {
	members, err := jsonobj.Parse(body)
	if err != nil {
		return nil, wire.JSONError(provider, err)
	}
	values := make(map[string]string, len(members))
	for _, m := range members {
		key := string(m.Key)
		s, ok := jsonobj.Scalar(m.Value)
		if !ok {
			return nil, wire.Error(provider, key, string(m.Value), errRefNotScalar)
		}
		if prev, dup := values[key]; dup && prev != s {
			return nil, wire.Error(provider, key, s, wire.ErrRepeated)
		}
		values[key] = s
	}
	return values, nil
}

var errRefNotScalar = errors.New("not a string, number or boolean")

// refMaxNumber bounds bridge, from and to: E.164 has at most 15 digits, and
// masks ("91806828XXXX") or IVR flows ("flow:220") are short too.
const refMaxNumber = 64

var errRefLongNumber = fmt.Errorf("longer than %d characters: no phone number", refMaxNumber)

var errRefTemplate = errors.New("unrendered template placeholder: the composed webhook uses a variable Mobtexting did not fill")

// refDecodeValues is the reference of Decoder.DecodeValues. It maps flat values (from any transport) onto a Report with
// the Decoder's Fields, or reads them as a Challenge. Keys and values that
// are not UTF-8, values that still hold template text ("{{to}}",
// "@{{to}}") and an empty map (which names the status key a report needs)
// are refused.
func refDecodeValues(d *Decoder, values map[string]string) (Event, error) {
	f := refKeys(d.Fields)
	if len(values) == 0 {
		return nil, wire.Error(provider, f.Status, "", errRefNoFields)
	}
	// Every front-end (JSON, form, query string, multipart) ends here: the
	// one place where text that is not UTF-8 is refused, keys included, so
	// that none reaches a field or an Extra key. It is looked for in the
	// one pass over values; CheckFields builds the error only when needed.
	bad, invalid := "", false
	for k, v := range values {
		invalid = invalid || !utf8.ValidString(k) || !utf8.ValidString(v)
		if strings.Contains(v, "{{") && strings.Contains(v, "}}") && (bad == "" || k < bad) {
			bad = k // the smallest such key, so the error does not depend on map order
		}
	}
	if invalid {
		return nil, wire.CheckFields(provider, values)
	}
	if bad != "" {
		return nil, wire.Error(provider, bad, values[bad], errRefTemplate)
	}
	if _, ok := values["challenge"]; ok {
		if _, ok := values["validation_key"]; ok {
			return &Challenge{ValidationKey: values["validation_key"], Challenge: values["challenge"], Token: values["token"]}, nil
		}
	}
	mapped := refList(&f)
	isReport := false
	for _, p := range mapped {
		if _, ok := values[*p]; ok {
			isReport = true
			break
		}
	}
	if !isReport {
		return &Unknown{Fields: values}, fmt.Errorf("obd: neither a report nor a challenge: %w", telhook.ErrUnknownEvent)
	}
	r, err := refReport(d, f, mapped, values)
	if err != nil {
		return nil, err // not a nil *Report inside a non-nil Event
	}
	return r, nil
}

func refReport(d *Decoder, f Fields, mapped []*string, values map[string]string) (*Report, error) {
	loc := d.Location
	if loc == nil {
		loc = India()
	}
	get := func(k string) string { return strings.TrimSpace(values[k]) }
	r := &Report{
		ID: get(f.ID), WebhookID: get(f.WebhookID), Source: get(f.Source), Bridge: get(f.Bridge),
		From: get(f.From), To: get(f.To), MID: get(f.MID), Status: get(f.Status), Status1: get(f.Status1),
		Status2: get(f.Status2), HangupBy: get(f.HangupBy), RecordingURL: get(f.RecordingURL),
	}
	if r.Status == "" {
		return nil, wire.Error(provider, f.Status, "", wire.ErrMissing)
	}
	for _, n := range []struct{ key, v string }{{f.Bridge, r.Bridge}, {f.From, r.From}, {f.To, r.To}} {
		if len(n.v) > refMaxNumber {
			return nil, wire.Error(provider, n.key, n.v, errRefLongNumber)
		}
	}
	var err error
	convert := func(key string, fn func(string) error) {
		if s := get(key); err == nil && s != "" {
			if e := fn(s); e != nil {
				err = wire.Error(provider, key, s, e)
			}
		}
	}
	convert(f.FlowID, func(s string) error {
		n, e := tolerant.Int(s)
		if e == nil && int64(int(n)) != n {
			e = tolerant.ErrRange
		}
		r.FlowID = int(n)
		return e
	})
	for _, t := range []struct {
		key string
		dst *time.Time
	}{{f.StartAt, &r.StartAt}, {f.EndAt, &r.EndAt}, {f.Date, &r.Date}} {
		convert(t.key, func(s string) (e error) { *t.dst, e = tolerant.ParseTime(s, loc); return e })
	}
	convert(f.UnixTime, func(s string) error {
		n, e := tolerant.Int(s)
		if e == nil && (n < 0 || n > 1<<40) {
			e = tolerant.ErrRange
		}
		r.UnixTime = time.Unix(n, 0).UTC()
		return e
	})
	convert(f.Duration, func(s string) (e error) { r.Duration, e = tolerant.Seconds(s); return e })
	convert(f.Billing, func(s string) (e error) { r.Billing, e = tolerant.Seconds(s); return e })
	if err != nil {
		return nil, err
	}
	for k, v := range values {
		if !slices.ContainsFunc(mapped, func(p *string) bool { return *p == k }) {
			if r.Extra == nil {
				r.Extra = make(map[string]string)
			}
			r.Extra[k] = v
		}
	}
	return r, nil
}

// refDeviation returns why the decoder deliberately differs from the
// reference, "" when it does not. It is asked only when the two differ;
// jsonBody is the body when it was read as JSON, else nil, and err the
// decoder's error. Every deviation is a refusal of field.JSON, the JSON
// front-end every provider shares, where the reference had its own rule.
func refDeviation(jsonBody []byte, err, wantErr error) string {
	// The first two hold for every front-end (JSON, form, query, multipart).
	if errors.Is(err, telhook.ErrUnknownEvent) && !errors.Is(wantErr, telhook.ErrUnknownEvent) {
		return "a standard report needs evidence of a call (a call field besides id and status); " +
			"Mobtexting's other event webhooks carry id and status too, and are Unknown, not reports (or reports missing a status, " +
			"or bodies with template text)"
	}
	var de *telhook.DecodeError
	if !errors.As(err, &de) {
		return ""
	}
	if de.Err == errTemplate && wantErr != nil {
		return "template text is looked for in reports and challenges only, before the rest of the report is read " +
			"(the reference looked in any body, standard or not, and not always first)"
	}
	if jsonBody == nil {
		return ""
	}
	if errors.Is(de, field.ErrUTF8) && errors.Is(wantErr, field.ErrUTF8) {
		return "bytes that are not UTF-8 are refused by both; field.JSON names the member holding them where it can"
	}
	switch {
	case de.Err == field.ErrEmpty && len(bytes.TrimSpace(jsonBody)) == 0 &&
		wantErr != nil && strings.Contains(wantErr.Error(), "jsonfix: empty input"):
		return "an empty body is refused as empty, in the words of every provider, not as JSON that cannot be repaired"
	case de.Err == field.ErrRepeated && refRepeatedAsJSON(jsonBody, de.Field):
		return "a key sent twice is judged as field.JSON judges it for every provider: as JSON " +
			`(null and "", 1 and "1" differ), and before a member that is no scalar`
	case de.Err == field.ErrTooDeep && errors.Is(wantErr, errRefNotScalar):
		return "a member nested deeper than field.MaxDepth is refused for its depth, as by every provider"
	case de.Err == field.ErrTooMany && refDistinctKeys(jsonBody) > field.MaxFields:
		return "more than field.MaxFields distinct members are refused, as by every provider"
	}
	return ""
}

// refRepeatedAsJSON reports whether key is sent twice in body with values
// that differ as JSON: of another kind, other text, or, for objects and
// arrays, other JSON once compacted.
func refRepeatedAsJSON(body []byte, key string) bool {
	members, err := jsonobj.Parse(body)
	if err != nil {
		return false
	}
	var first []byte
	for _, m := range members {
		switch {
		case string(m.Key) != key:
		case first == nil:
			first = m.Value
		case refKind(first) != refKind(m.Value):
			return true
		default:
			a, scalar := jsonobj.Scalar(first)
			b, _ := jsonobj.Scalar(m.Value)
			if scalar && a != b || !scalar && !jsonobj.Same(first, m.Value) {
				return true
			}
		}
	}
	return false
}

// refKind is the kind of a JSON value, told by its first byte.
func refKind(v []byte) field.Kind {
	switch v[0] {
	case '"':
		return field.Text
	case 't', 'f':
		return field.Bool
	case 'n':
		return field.Null
	case '{':
		return field.Object
	case '[':
		return field.Array
	}
	return field.Number
}

// refDistinctKeys counts the distinct keys of body, a JSON object.
func refDistinctKeys(body []byte) int {
	members, _ := jsonobj.Parse(body)
	keys := make(map[string]bool, len(members))
	for _, m := range members {
		keys[string(m.Key)] = true
	}
	return len(keys)
}

// sameOutcome returns how the decoder's outcome differs from the
// reference's: the error text, or the event; "" when it does not.
func sameOutcome(got Event, err error, want Event, wantErr error) string {
	switch {
	case (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error():
		return fmt.Sprintf("error %v, reference %v", err, wantErr)
	case err != nil && !errors.Is(err, telhook.ErrUnknownEvent):
		return ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		return "event (-reference +decoder):\n" + diff
	}
	return ""
}

// compare fails t when the decoder and the reference differ, and skips
// the input when the difference is a deviation refDeviation explains.
func compare(t *testing.T, jsonBody []byte, got Event, err error, want Event, wantErr error) {
	t.Helper()
	diff := sameOutcome(got, err, want, wantErr)
	if diff == "" {
		return
	}
	if reason := refDeviation(jsonBody, err, wantErr); reason != "" {
		t.Skip(reason)
	}
	t.Fatal(diff)
}

// FuzzDecodeMatchesReference holds Decode to the reference for every body.
func FuzzDecodeMatchesReference(f *testing.F) {
	for _, name := range testfix.Names(f, "obd", ".json") {
		f.Add(testfix.Read(f, "obd", name, ".json"))
	}
	for _, name := range testfix.Names(f, "obd", ".http") {
		f.Add(httpParts(f, name).body)
	}
	f.Add([]byte(`{"status":" ANSWER ","to":" 918867131234","flow_id":" 7 ","start_at":" 2021-04-09 16:27:39 ","unixtime":"  "}`))
	f.Add([]byte(`{"status":"A","unixtime":"-1","duration":"1e3","flow_id":9223372036854775808}`))
	f.Add([]byte(`{"challenge":"c","validation_key":null,"token":1}`))
	f.Add([]byte(`{"status":"A","to":"","to":null,"x":{}}`)) // deviations: see refDeviation
	f.Add([]byte(`{"status":"A","x":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + "}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := Decode(body)
		want, wantErr := refDecode(&std, body)
		compare(t, body, got, err, want, wantErr)
	})
}

// httpRequest is the parts of a request FuzzParseMatchesReference varies.
type httpRequest struct {
	method, query, contentType string
	body                       []byte
}

// httpParts reads testdata/obd/<name>.http into its parts.
func httpParts(t testing.TB, name string) httpRequest {
	r := request(t, name)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpRequest{r.Method, r.URL.RawQuery, r.Header.Get("Content-Type"), body}
}

// FuzzParseMatchesReference holds the composed path to the reference: any
// method, query string, Content-Type and body, read with Mobtexting's
// names or with renamed ones.
func FuzzParseMatchesReference(f *testing.F) {
	for _, name := range testfix.Names(f, "obd", ".http") {
		p := httpParts(f, name)
		f.Add(p.method, p.query, p.contentType, p.body, composeFields[name] != (Fields{}))
	}
	for _, name := range testfix.Names(f, "obd", ".json") {
		f.Add(http.MethodPost, "", "application/json", testfix.Read(f, "obd", name, ".json"), false)
	}
	f.Add(http.MethodGet, "to=+9188&to=%2B9188&status=A", "", []byte(nil), false)
	f.Add(http.MethodPut, "b=2&a=1", "text/plain", []byte("a=2&b=1&status=A"), false)
	f.Add(http.MethodPost, "", "multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n x\xff\r\n--b--\r\n"), true)
	renamed := &Decoder{Fields: Fields{ID: "call_id", Status: "message_status", From: "to", StartAt: "start"}}
	f.Fuzz(func(t *testing.T, method, rawQuery, contentType string, body []byte, rename bool) {
		r, err := http.NewRequest(method, "http://h/ack", nil)
		if err != nil {
			return
		}
		r.URL.RawQuery = rawQuery
		r.Header.Set("Content-Type", contentType)
		d := &std
		if rename {
			d = renamed
		}
		got, err := d.request(r, body)
		want, wantErr := refRequest(d, r, body)
		var jsonBody []byte // the body when read as JSON
		mt, _, _ := mime.ParseMediaType(contentType)
		if b := bytes.TrimSpace(body); len(b) > 0 && (b[0] == '{' || mt == "application/json") {
			jsonBody = b
		}
		compare(t, jsonBody, got, err, want, wantErr)
	})
}

// BenchmarkDecodeReference is BenchmarkDecode with the decoder Decode
// replaced.
func BenchmarkDecodeReference(b *testing.B) {
	body := testfix.Read(b, "obd", "c2c", ".json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := refDecode(&Decoder{}, body); err != nil {
			b.Fatal(err)
		}
	}
}
