package obd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/internal/jsonobj"
	"github.com/telhook/telhook/internal/query"
	"github.com/telhook/telhook/internal/tolerant"
	"github.com/telhook/telhook/internal/wire"
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

// keys returns f with the standard name in every empty entry, as pointers
// in a fixed order so that the mapping code below is written once.
func (f Fields) keys() Fields {
	out, names := f, standard
	dst, src := out.list(), names.list()
	for i, p := range dst {
		if *p == "" {
			*p = *src[i]
		}
	}
	return out
}

func (f *Fields) list() []*string {
	return []*string{&f.ID, &f.WebhookID, &f.Source, &f.Bridge, &f.From, &f.To, &f.MID, &f.FlowID,
		&f.StartAt, &f.EndAt, &f.Date, &f.UnixTime, &f.Duration, &f.Billing,
		&f.Status, &f.Status1, &f.Status2, &f.HangupBy, &f.RecordingURL}
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
	values, err := jsonValues(body)
	if err != nil {
		return nil, err
	}
	return d.DecodeValues(values)
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
	values, err := d.bodyValues(r.Header.Get("Content-Type"), body)
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
		d.restorePlus(fromQuery)
		for k, v := range fromQuery {
			if prev, dup := values[k]; dup && prev != v {
				return nil, wire.Error(provider, k, v, errBodyAndQuery)
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
			return nil, wire.Error(provider, "", "", errNoQuery)
		}
		return nil, wire.Error(provider, "", "", errNothing)
	}
	return d.DecodeValues(values)
}

var (
	errBodyAndQuery = errors.New("given in the query string and the body with different values")
	errNoQuery      = errors.New("no fields in the query string")
	errNothing      = fmt.Errorf("%w and no query string", wire.ErrEmpty)
	errNoFields     = fmt.Errorf("%w: the webhook has no fields at all", wire.ErrMissing)
)

// restorePlus undoes a '+' that became a space in the phone numbers of a
// query string or form.
func (d *Decoder) restorePlus(values map[string]string) {
	f := d.Fields.keys()
	for _, k := range []string{f.Bridge, f.From, f.To} {
		if v, ok := values[k]; ok {
			values[k] = tolerant.Phone(strings.TrimRight(v, " "))
		}
	}
}

// bodyValues reads a JSON, multipart or form body into flat values, by the
// rules Parse documents.
func (d *Decoder) bodyValues(contentType string, body []byte) (map[string]string, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil, nil
	}
	mt, params, _ := mime.ParseMediaType(contentType)
	switch {
	case b[0] == '{' || mt == "application/json":
		return jsonValues(b)
	case mt == "multipart/form-data":
		return multipartValues(b, params["boundary"])
	case mt != "application/x-www-form-urlencoded" && mt != "text/plain" && mt != "":
		return nil, wire.Error(provider, "Content-Type", contentType, errContentType)
	case !isForm(b):
		return nil, wire.Error(provider, "", string(b), errNotForm)
	}
	form, err := wire.Form(provider, b)
	if err != nil {
		return nil, err
	}
	values := make(map[string]string, len(form))
	for k, vs := range form {
		values[k] = vs[0]
	}
	d.restorePlus(values)
	return values, nil
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

func multipartValues(body []byte, boundary string) (map[string]string, error) {
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

// jsonValues reads a flat JSON object; scalars keep their text exactly. A
// key sent twice with different values is refused (a map would keep the
// last one, silently).
func jsonValues(body []byte) (map[string]string, error) {
	members, err := jsonobj.Parse(body)
	if err != nil {
		return nil, wire.JSONError(provider, err)
	}
	values := make(map[string]string, len(members))
	for _, m := range members {
		key := string(m.Key)
		s, ok := jsonobj.Scalar(m.Value)
		if !ok {
			return nil, wire.Error(provider, key, string(m.Value), errNotScalar)
		}
		if prev, dup := values[key]; dup && prev != s {
			return nil, wire.Error(provider, key, s, wire.ErrRepeated)
		}
		values[key] = s
	}
	return values, nil
}

var errNotScalar = errors.New("not a string, number or boolean")

// maxNumber bounds bridge, from and to: E.164 has at most 15 digits, and
// masks ("91806828XXXX") or IVR flows ("flow:220") are short too.
const maxNumber = 64

var errLongNumber = fmt.Errorf("longer than %d characters: no phone number", maxNumber)

var errTemplate = errors.New("unrendered template placeholder: the composed webhook uses a variable Mobtexting did not fill")

// DecodeValues maps flat values (from any transport) onto a Report with
// the Decoder's Fields, or reads them as a Challenge. Keys and values that
// are not UTF-8, values that still hold template text ("{{to}}",
// "@{{to}}") and an empty map (which names the status key a report needs)
// are refused.
func (d *Decoder) DecodeValues(values map[string]string) (Event, error) {
	f := d.Fields.keys()
	if len(values) == 0 {
		return nil, wire.Error(provider, f.Status, "", errNoFields)
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
		return nil, wire.Error(provider, bad, values[bad], errTemplate)
	}
	if _, ok := values["challenge"]; ok {
		if _, ok := values["validation_key"]; ok {
			return &Challenge{ValidationKey: values["validation_key"], Challenge: values["challenge"], Token: values["token"]}, nil
		}
	}
	mapped := f.list()
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
	r, err := d.report(f, mapped, values)
	if err != nil {
		return nil, err // not a nil *Report inside a non-nil Event
	}
	return r, nil
}

func (d *Decoder) report(f Fields, mapped []*string, values map[string]string) (*Report, error) {
	loc := d.Location
	if loc == nil {
		loc = india
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
		if len(n.v) > maxNumber {
			return nil, wire.Error(provider, n.key, n.v, errLongNumber)
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
