package obd

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
	"time"
	"unicode/utf8"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/query"
	"github.com/telhook/telhook/internal/tolerant"
)

const provider = "obd"

// India returns Mobtexting's zone, in which zone-less times ("2021-04-09
// 16:27:39") are read unless WithLocation or Decoder.Location says
// otherwise: India Standard Time, +05:30, which has no daylight saving.
func India() *time.Location { return india }

var india = time.FixedZone("IST", 5*3600+30*60)

// Fields names the keys of a composed webhook: for each Report field, the
// key your template uses for it ("call_id" for {{id}}, say). An empty entry
// means Mobtexting's own name, so the zero Fields reads the standard report.
type Fields struct {
	ID, WebhookID, Source, Bridge, From, To, MID, FlowID string
	StartAt, EndAt, Date, UnixTime, Duration, Billing    string
	Status, Status1, Status2, HangupBy, RecordingURL     string
}

// standard is Mobtexting's own key for every field.
var standard = Fields{
	ID: "id", WebhookID: "webhook_id", Source: "source", Bridge: "bridge", From: "from", To: "to",
	MID: "mid", FlowID: "flow_id", StartAt: "start_at", EndAt: "end_at", Date: "date",
	UnixTime: "unixtime", Duration: "duration", Billing: "billing", Status: "status",
	Status1: "status1", Status2: "status2", HangupBy: "hangup_by", RecordingURL: "recording_url",
}

// keys returns f with the standard name in every empty entry.
func (f Fields) keys() Fields {
	if f == (Fields{}) {
		return standard
	}
	names := standard.names()
	for i, p := range f.list() {
		if *p == "" {
			*p = names[i]
		}
	}
	return f
}

// list points at every entry of f, in a fixed order, so that code over all
// of them is written once.
func (f *Fields) list() [19]*string {
	return [...]*string{&f.ID, &f.WebhookID, &f.Source, &f.Bridge, &f.From, &f.To, &f.MID, &f.FlowID,
		&f.StartAt, &f.EndAt, &f.Date, &f.UnixTime, &f.Duration, &f.Billing,
		&f.Status, &f.Status1, &f.Status2, &f.HangupBy, &f.RecordingURL}
}

// names returns every entry of f, in the order of list.
func (f *Fields) names() [19]string {
	return [...]string{f.ID, f.WebhookID, f.Source, f.Bridge, f.From, f.To, f.MID, f.FlowID,
		f.StartAt, f.EndAt, f.Date, f.UnixTime, f.Duration, f.Billing,
		f.Status, f.Status1, f.Status2, f.HangupBy, f.RecordingURL}
}

// Decoder reads Mobtexting webhooks: the standard JSON report, composed
// webhooks (GET, POST or PUT; query string, JSON or form body, keys of your
// choosing), and the validation challenge. Configure it once; it is safe
// for concurrent use. The zero Decoder reads the standard report in India's
// zone.
type Decoder struct {
	Fields   Fields         // key names of a composed webhook
	Location *time.Location // zone of zone-less times; nil means India
}

var std Decoder

// Decode reads a standard JSON report or challenge with the zero Decoder.
func Decode(body []byte) (Event, error) { return std.Decode(body) }

// Parse reads a request with the zero Decoder; see Decoder.Parse.
func Parse(r *http.Request) (Event, error) { return std.Parse(r) }

// Decode reads a JSON body: strictly first, and only when that fails after
// repairing what Mobtexting's own examples get wrong (bare tokens such as
// 91806828XXXX, a trailing comma). Numbers keep every digit: a phone number
// sent as a JSON number is never read through float64.
func (d *Decoder) Decode(body []byte) (Event, error) {
	fields, err := jsonFields(body, make([]field.Field, 0, 24))
	if err != nil {
		return nil, err
	}
	return d.decode(fields)
}

// DecodeValues maps flat values (from any transport) onto a Report with
// the Decoder's Fields, or reads them as a Challenge. Keys and values that
// are not UTF-8, values that still hold template text ("{{to}}",
// "@{{to}}") and an empty map (which names the status key a report needs)
// are refused.
func (d *Decoder) DecodeValues(values map[string]string) (Event, error) {
	fields := make([]field.Field, 0, len(values))
	for _, k := range slices.Sorted(maps.Keys(values)) {
		fields = append(fields, field.Field{Key: k, Value: values[k]})
	}
	if err := checkUTF8(fields); err != nil {
		return nil, err
	}
	return d.decode(fields)
}

// Parse reads a request: its query string and its body, merged, so that a
// composed webhook may put fields in either. A field given in both with
// different values is refused. The body is read bounded by
// telhook.DefaultMaxBodyBytes.
//
// A body is read as one of the three formats a composed webhook may use:
//
//   - JSON when it starts with '{', whatever its Content-Type says, or
//     when it is labelled application/json;
//   - multipart form data when labelled multipart/form-data;
//   - a form when labelled application/x-www-form-urlencoded, text/plain,
//     or not at all, and only when it is one: "key=value" pairs joined by
//     '&', each key made of letters, digits and "-_.~%+*[]".
//
// Anything else is refused as malformed, never acknowledged as an unknown
// webhook: a body that is not JSON under another label (image/png,
// application/xml) names the Content-Type; text that is no form ("hello",
// XML under text/plain) names the body. An unknown webhook is one whose
// fields this package does not know, not a body that has no fields.
func (d *Decoder) Parse(r *http.Request) (Event, error) {
	body, err := core.ReadBody(r, provider)
	if err != nil {
		return nil, err
	}
	return d.request(r, body)
}

// request decodes r whose body was already read.
func (d *Decoder) request(r *http.Request, body []byte) (Event, error) {
	f := d.Fields.keys()
	fields, checked, err := bodyFields(&f, r.Header.Get("Content-Type"), body)
	if err != nil {
		return nil, err
	}
	if r.URL.RawQuery != "" {
		if fields, err = withQuery(&f, fields, r.URL.RawQuery); err != nil {
			return nil, err
		}
	}
	if len(fields) == 0 && len(bytes.TrimSpace(body)) == 0 {
		// Nothing was sent at all. A body without fields ("{}") goes on to
		// decode, which names the field a report cannot do without.
		if r.Method == http.MethodGet {
			return nil, field.Error(provider, "", "", errNoQuery)
		}
		return nil, field.Error(provider, "", "", errNothing)
	}
	if !checked {
		if err := checkUTF8(fields); err != nil {
			return nil, err
		}
	}
	return d.decode(fields)
}

var (
	errBodyAndQuery = errors.New("given in the query string and the body with different values")
	errNoQuery      = errors.New("no fields in the query string")
	errNothing      = fmt.Errorf("%w and no query string", field.ErrEmpty)
	errNoFields     = fmt.Errorf("%w: the webhook has no fields at all", field.ErrMissing)
)

// withQuery adds the fields of a query string to those of the body: a
// key sent twice in the query with different values is refused, and so is
// one the body has with another value (of several, the smallest key is
// named); a key the body has with the same value is read once.
func withQuery(f *Fields, fields []field.Field, raw string) ([]field.Field, error) {
	q, err := queryFields(raw)
	if err != nil {
		return nil, err
	}
	restorePlus(f, q)
	inBody := make(map[string]string, len(fields))
	for _, b := range fields {
		inBody[b.Key] = b.Value
	}
	conflict := -1
	for i, p := range q {
		if v, ok := inBody[p.Key]; ok && v != p.Value && (conflict < 0 || p.Key < q[conflict].Key) {
			conflict = i
		}
	}
	if conflict >= 0 {
		return nil, field.Error(provider, q[conflict].Key, q[conflict].Value, errBodyAndQuery)
	}
	for _, p := range q {
		if _, ok := inBody[p.Key]; !ok {
			fields = append(fields, p)
		}
	}
	return fields, nil
}

// queryFields reads a query string with query.Parse, the loose reader of
// unencoded values: a key sent twice with different values is refused (the
// first repeat in the order sent is named), a same-value repeat read once.
func queryFields(raw string) ([]field.Field, error) {
	pairs, err := query.Parse(raw, nil)
	if err != nil {
		key, value := "", ""
		var qe *query.Error
		if errors.As(err, &qe) {
			key, value, err = qe.Key, qe.Value, qe.Err
		}
		if errors.Is(err, query.ErrUTF8) {
			err = field.ErrUTF8
		}
		return nil, field.Error(provider, key, value, err)
	}
	fields := make([]field.Field, 0, len(pairs))
	seen := make(map[string]string, len(pairs))
	for _, p := range pairs {
		if prev, dup := seen[p.Key]; dup {
			if prev != p.Value {
				return nil, field.Error(provider, p.Key, p.Value, field.ErrRepeated)
			}
			continue
		}
		seen[p.Key] = p.Value
		fields = append(fields, field.Field{Key: p.Key, Value: p.Value})
	}
	return fields, nil
}

// restorePlus undoes a '+' that became a space in the phone numbers of a
// query string or form.
func restorePlus(f *Fields, fields []field.Field) {
	for i := range fields {
		if k := fields[i].Key; k == f.Bridge || k == f.From || k == f.To {
			fields[i].Value = tolerant.Phone(strings.TrimRight(fields[i].Value, " "))
		}
	}
}

// bodyFields reads a JSON, multipart or form body into fields, by the
// rules Parse documents. checked is false for multipart data, whose
// fields are not yet checked for UTF-8.
func bodyFields(f *Fields, contentType string, body []byte) (fields []field.Field, checked bool, err error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil, true, nil
	}
	mt, params, _ := mime.ParseMediaType(contentType)
	switch {
	case b[0] == '{' || mt == "application/json":
		fields, err = jsonFields(b, make([]field.Field, 0, 24))
		return fields, true, err
	case mt == "multipart/form-data":
		fields, err = multipartFields(b, params["boundary"])
		return fields, false, err
	case mt != "application/x-www-form-urlencoded" && mt != "text/plain" && mt != "":
		return nil, true, field.Error(provider, "Content-Type", contentType, errContentType)
	case !isForm(b):
		return nil, true, field.Error(provider, "", string(b), errNotForm)
	}
	fields, err = field.Form(provider, b, make([]field.Field, 0, 24))
	if err != nil {
		return nil, true, err
	}
	restorePlus(f, fields)
	return fields, true, nil
}

var (
	errContentType = errors.New("not JSON, and labelled neither a form nor multipart form data")
	errNotForm     = errors.New("neither JSON nor a form of key=value pairs")
)

// isForm reports whether b is "key=value" pairs joined by '&' (empty pairs
// allowed), each key made of letters, digits, "-_.~%+*[]" or bytes past
// ASCII (checked for UTF-8 later). url.ParseQuery would read any text
// ("hello world", `<?xml version="1.0"?>`) as a form.
func isForm(b []byte) bool {
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
			if !formKeyByte(c) {
				return false
			}
		}
		pairs++
	}
	return pairs > 0
}

func formKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80 ||
		strings.IndexByte("-_.~%+*[]", c) >= 0
}

// multipartFields reads multipart form data: one field per part, in the
// order sent. A name sent twice with different values is refused, a
// same-value repeat read once. Names and values that are not UTF-8 (a
// raw name="\xff", or the byte 0xff RFC 2231 encodes as %ff in name*=)
// are left to checkUTF8, which refuses them with those of every other
// front-end.
func multipartFields(body []byte, boundary string) ([]field.Field, error) {
	if boundary == "" {
		return nil, field.Error(provider, "Content-Type", "", errors.New("multipart without a boundary"))
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var fields []field.Field
	index := map[string]int{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fields, nil
		}
		if err != nil {
			return nil, field.Error(provider, "", "", fmt.Errorf("multipart body: %w", err))
		}
		name := part.FormName()
		switch {
		case part.FileName() != "":
			return nil, field.Error(provider, name, part.FileName(), errors.New("a file part, where only fields belong"))
		case name == "":
			return nil, field.Error(provider, "", "", errors.New("a part without a form-data name"))
		}
		v, err := io.ReadAll(part) // bounded: the body is already in memory
		if err != nil {
			return nil, field.Error(provider, name, "", err)
		}
		if i, dup := index[name]; dup {
			if fields[i].Value != string(v) {
				return nil, field.Error(provider, name, string(v), field.ErrRepeated)
			}
			continue
		}
		index[name] = len(fields)
		fields = append(fields, field.Field{Key: name, Value: string(v)})
		if len(fields) > field.MaxFields {
			return nil, field.Error(provider, "", "", field.ErrTooMany)
		}
	}
}

// jsonFields reads a flat JSON object with field.JSON: every member must
// be a string, number, boolean or null (the first that is not is named,
// with its JSON).
func jsonFields(body []byte, dst []field.Field) ([]field.Field, error) {
	fields, err := field.JSON(provider, body, dst)
	if err != nil {
		return nil, err
	}
	for _, m := range fields {
		if !m.Kind.Scalar() {
			return nil, field.Error(provider, m.Key, m.Value, field.ErrNotScalar)
		}
	}
	return fields, nil
}

// checkUTF8 refuses keys and values that are not UTF-8, naming the
// smallest such key (with no value when the key is the offence), so that
// the error does not depend on the order of the fields.
func checkUTF8(fields []field.Field) error {
	bad := -1
	for i, f := range fields {
		if (!utf8.ValidString(f.Key) || !utf8.ValidString(f.Value)) && (bad < 0 || f.Key < fields[bad].Key) {
			bad = i
		}
	}
	if bad < 0 {
		return nil
	}
	key, value := fields[bad].Key, fields[bad].Value
	if !utf8.ValidString(key) {
		value = "" // the key is the offence; its value may be fine
	}
	return field.Error(provider, key, value, field.ErrUTF8)
}

// maxNumber bounds bridge, from and to: E.164 has at most 15 digits, and
// masks ("91806828XXXX") or IVR flows ("flow:220") are short too.
const maxNumber = 64

var errLongNumber = fmt.Errorf("longer than %d characters: no phone number", maxNumber)

var errTemplate = errors.New("unrendered template placeholder: the composed webhook uses a variable Mobtexting did not fill")

// decode reads fields, checked for UTF-8 and with no key twice, as a
// Challenge, a Report with the Decoder's Fields, or an Unknown webhook.
func (d *Decoder) decode(fields []field.Field) (Event, error) {
	f := d.Fields.keys()
	if len(fields) == 0 {
		return nil, field.Error(provider, f.Status, "", errNoFields)
	}
	r := field.NewReader(provider, fields)
	challenge := r.Has("challenge") && r.Has("validation_key")
	if !challenge && !d.isReport(r, &f) {
		return &Unknown{Fields: r.Extra()}, fmt.Errorf("obd: neither a report nor a challenge: %w", telhook.ErrUnknownEvent)
	}
	bad := -1 // the smallest key whose value holds template text
	for i, x := range fields {
		if strings.Contains(x.Value, "{{") && strings.Contains(x.Value, "}}") && (bad < 0 || x.Key < fields[bad].Key) {
			bad = i
		}
	}
	if bad >= 0 {
		return nil, field.Error(provider, fields[bad].Key, fields[bad].Value, errTemplate)
	}
	if challenge {
		return &Challenge{ValidationKey: r.Text("validation_key"), Challenge: r.Text("challenge"), Token: r.Text("token")}, nil
	}
	loc := d.Location
	if loc == nil {
		loc = india
	}
	rep, err := report(r.Trim(), &f, loc)
	if err != nil {
		return nil, err // not a nil *Report inside a non-nil Event
	}
	return rep, nil
}

// isReport tells a call report from Mobtexting's other webhooks. A
// standard report (no Fields) needs evidence of a call: one of its call
// fields, not only "id" and "status", which other event webhooks carry too
// (voice:unsubscription sends id, receiver, type, value, created_at and a
// status that is a sentence). A composed webhook needs one of the keys its
// Fields map: the user chose them.
func (d *Decoder) isReport(r *field.Reader, f *Fields) bool {
	if d.Fields != (Fields{}) {
		names := f.names()
		return slices.ContainsFunc(names[:], r.Has)
	}
	for _, k := range [...]string{f.Source, f.Bridge, f.From, f.To, f.MID, f.FlowID, f.StartAt, f.EndAt,
		f.Duration, f.Billing, f.Status1, f.Status2, f.HangupBy, f.RecordingURL, f.WebhookID, f.Date, f.UnixTime} {
		if r.Has(k) {
			return true
		}
	}
	return false
}

// report reads a Report. Failures are checked in a fixed order, the first
// one named: the status, the length of the numbers, then the values that
// are converted, in the order of the Report's fields.
func report(r *field.Reader, f *Fields, loc *time.Location) (*Report, error) {
	rep := &Report{
		ID: r.Text(f.ID), WebhookID: r.Text(f.WebhookID), Source: r.Text(f.Source), Bridge: r.Text(f.Bridge),
		From: r.Text(f.From), To: r.Text(f.To), MID: r.Text(f.MID), Status: r.Text(f.Status), Status1: r.Text(f.Status1),
		Status2: r.Text(f.Status2), HangupBy: r.Text(f.HangupBy), RecordingURL: r.Text(f.RecordingURL),
	}
	if rep.Status == "" {
		r.Fail(f.Status, "", field.ErrMissing)
	}
	for _, n := range [...]struct{ key, v string }{{f.Bridge, rep.Bridge}, {f.From, rep.From}, {f.To, rep.To}} {
		if len(n.v) > maxNumber {
			r.Fail(n.key, n.v, errLongNumber)
		}
	}
	rep.FlowID = r.Int(f.FlowID)
	rep.StartAt = r.Time(f.StartAt, loc)
	rep.EndAt = r.Time(f.EndAt, loc)
	rep.Date = r.Time(f.Date, loc)
	rep.UnixTime = unix(r, f.UnixTime)
	rep.Duration = r.Seconds(f.Duration)
	rep.Billing = r.Seconds(f.Billing)
	if err := r.Err(); err != nil {
		return nil, err
	}
	rep.Extra = r.Extra()
	return rep, nil
}

// unix returns key's value, seconds since 1970 up to 2^40, in UTC; empty
// is the zero Time.
func unix(r *field.Reader, key string) time.Time {
	s := r.Text(key)
	if s == "" {
		return time.Time{}
	}
	n, err := tolerant.Int(s)
	if err == nil && (n < 0 || n > 1<<40) {
		err = tolerant.ErrRange
	}
	if err != nil {
		r.Fail(key, s, err)
	}
	return time.Unix(n, 0).UTC()
}
