// Package obdtest builds the requests Mobtexting sends, for testing the
// code that receives them, as net/http/httptest does for handlers in
// general.
//
// [NewRequest] returns the webhook Mobtexting sends for an event, ready for
// handler.ServeHTTP or obd.Parse:
//
//	event           request
//	*obd.Report     POST /            application/json, the standard report
//	*obd.Challenge  POST /?token=…    application/json, {"validation_key":…,"challenge":…}
//
// [NewComposedRequest] returns the webhook Mobtexting sends for a report
// when you composed the webhook yourself: your method and your key names
// (an obd.Fields, as given to obd.WithFields), every value as text.
//
// The rules, in the order they are applied:
//
//  1. The event is checked as Mobtexting would have sent it, and the
//     builder panics with an error naming the field when it could not have
//     been (see NewRequest).
//  2. A report's keys are Mobtexting's (or yours, composed), in the order of
//     Mobtexting's example: bridge, from, to, source, mid, flow_id,
//     start_at, end_at, date, unixtime, duration, billing, status, status1,
//     status2, recording_url, hangup_by, webhook_id, id; then Extra, sorted.
//     Empty strings, zero times and zero numbers are left out, except
//     duration, which Mobtexting always sends.
//  3. Every value is a JSON string, as in Mobtexting's examples, except
//     flow_id, a JSON number in the standard report.
//  4. Times are written as Mobtexting writes them, "2021-04-09 16:27:39":
//     in India's zone (obd.India()), to the second, with no zone; unixtime is
//     whole seconds since 1970; durations are whole seconds. Anything finer
//     is dropped. A handler configured with obd.WithLocation reads those
//     times in its own zone, not India's.
//
// obd.Parse of the request (or an obd.Decoder with the same Fields, for a
// composed one) gives back an event equal to the one given, provided its
// values are ones Mobtexting sends and obd keeps as they are: times at
// second precision, durations in whole seconds, strings of the report
// without surrounding spaces (obd trims them; Extra values are kept
// exactly), Extra nil when empty, and text that is valid UTF-8.
//
// [Report], [C2CReport] and [Challenge] return the examples of
// Mobtexting's documentation, decoded: ready-made events to send or to
// compare with. [WithBearerToken] adds the webhook secret that
// telhook.BearerToken checks.
package obdtest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/telhook/telhook/internal/kit"
	"github.com/telhook/telhook/obd"
)

// layout is Mobtexting's timestamp, zone-less, in India's zone.
const layout = "2006-01-02 15:04:05"

var checker = kit.NewChecker(
	kit.Rules{Type: obd.Report{}, Fields: map[string]string{
		"Status": "required", "Bridge": "max=64", "From": "max=64", "To": "max=64",
		"Duration": "gte=0", "Billing": "gte=0",
	}},
	kit.Rules{Type: obd.Challenge{}, Fields: map[string]string{"ValidationKey": "required", "Challenge": "required"}},
)

// standard is Mobtexting's key for every field of a report.
var standard = obd.Fields{
	ID: "id", WebhookID: "webhook_id", Source: "source", Bridge: "bridge", From: "from", To: "to",
	MID: "mid", FlowID: "flow_id", StartAt: "start_at", EndAt: "end_at", Date: "date",
	UnixTime: "unixtime", Duration: "duration", Billing: "billing", Status: "status",
	Status1: "status1", Status2: "status2", HangupBy: "hangup_by", RecordingURL: "recording_url",
}

// member is one key of a report and its value: a string, or an int for
// flow_id.
type member struct {
	field string // the obd.Fields entry, for errors
	key   string
	value any
}

// NewRequest returns the request Mobtexting sends for ev (see the package
// documentation for its shape). It panics, as httptest.NewRequest does on
// a bad target, when ev is not a webhook Mobtexting sends or could not be
// read back as the same event:
//
//   - a nil event or an *obd.Unknown;
//   - a Report without a Status, with a negative duration, a UnixTime
//     before 1970, or a Bridge, From or To longer than 64 characters (no
//     phone number is);
//   - a Challenge without its ValidationKey or Challenge;
//   - a value holding template text, "{{" and "}}" (Mobtexting fills its
//     templates; obd refuses what it left unfilled);
//   - an Extra key that is one of the report's keys, "challenge" or
//     "validation_key".
func NewRequest(ev obd.Event) *http.Request {
	const fn = "obdtest.NewRequest"
	switch e := ev.(type) {
	case *obd.Report:
		o := object(fn, e, standard, false)
		return kit.NewRequest(http.MethodPost, "/", "application/json", o.Bytes())
	case *obd.Challenge:
		checker.Check(fn, e)
		for _, v := range []string{e.ValidationKey, e.Challenge, e.Token} {
			template(fn, e, v)
		}
		var o kit.Object
		o.Set("validation_key", e.ValidationKey)
		o.Set("challenge", e.Challenge)
		r := kit.NewRequest(http.MethodPost, "/", "application/json", o.Bytes())
		if e.Token != "" {
			kit.SetQueryToken(r, "token", e.Token, false)
		}
		return r
	case nil:
		kit.Fail(fn, ev, "no event")
	default:
		kit.Fail(fn, ev, "Mobtexting sends no such webhook; build it with httptest.NewRequest")
	}
	return nil
}

// NewComposedRequest returns the request Mobtexting sends for r through a
// webhook you composed, with method (GET, POST or PUT) and your key names,
// f: every entry of f that is empty keeps Mobtexting's name, as with
// obd.WithFields(f). A GET carries the fields in its query string; a POST
// or PUT carries them as a JSON object (a composed form body decodes to
// the same report). Every value is text, as a template renders it.
//
// An obd.Decoder{Fields: f}, or a handler built with obd.WithFields(f),
// reads back r. NewComposedRequest panics when NewRequest would, and when
// method is another, when f gives two fields one key, or, for a GET, when a
// key (of f or of Extra) has characters other than letters, digits, '_',
// '-' and '.', which a query string Mobtexting renders cannot carry
// unambiguously.
func NewComposedRequest(method string, f obd.Fields, r *obd.Report) *http.Request {
	const fn = "obdtest.NewComposedRequest"
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPut:
	default:
		kit.Fail(fn, r, "method %q: a composed webhook is a GET, POST or PUT", method)
	}
	keys := withDefaults(fn, r, f)
	if method != http.MethodGet {
		o := object(fn, r, keys, true)
		return kit.NewRequest(method, "/", "application/json", o.Bytes())
	}
	ms := members(fn, r, keys, true)
	q := url.Values{}
	order := make([]string, 0, len(ms))
	for _, m := range ms {
		if !kit.QueryKey(m.key) {
			kit.Fail(fn, r, "%s key %q cannot be a key of a GET's query string", m.field, m.key)
		}
		q[m.key] = []string{m.value.(string)}
		order = append(order, m.key)
	}
	return kit.NewRequest(http.MethodGet, "/?"+kit.Query(q, order...), "", nil)
}

// withDefaults returns f with Mobtexting's name in every empty entry, and
// panics when two entries name one key.
func withDefaults(fn string, r *obd.Report, f obd.Fields) obd.Fields {
	names := []string{"ID", "WebhookID", "Source", "Bridge", "From", "To", "MID", "FlowID", "StartAt", "EndAt",
		"Date", "UnixTime", "Duration", "Billing", "Status", "Status1", "Status2", "HangupBy", "RecordingURL"}
	out, def := f, standard
	dst, src := entries(&out), entries(&def)
	seen := make(map[string]string, len(dst))
	for i, p := range dst {
		if *p == "" {
			*p = *src[i]
		}
		if other, dup := seen[*p]; dup {
			kit.Fail(fn, r, "Fields gives %s and %s the same key %q", other, names[i], *p)
		}
		seen[*p] = names[i]
	}
	return out
}

func entries(f *obd.Fields) []*string {
	return []*string{&f.ID, &f.WebhookID, &f.Source, &f.Bridge, &f.From, &f.To, &f.MID, &f.FlowID,
		&f.StartAt, &f.EndAt, &f.Date, &f.UnixTime, &f.Duration, &f.Billing,
		&f.Status, &f.Status1, &f.Status2, &f.HangupBy, &f.RecordingURL}
}

// object writes r as a JSON object with keys k.
func object(fn string, r *obd.Report, k obd.Fields, composed bool) *kit.Object {
	var o kit.Object
	for _, m := range members(fn, r, k, composed) {
		o.Set(m.key, m.value)
	}
	return &o
}

// members returns the keys and values of r, checked, in Mobtexting's
// order, then Extra sorted.
func members(fn string, r *obd.Report, k obd.Fields, composed bool) []member {
	checker.Check(fn, r)
	if !r.UnixTime.IsZero() && (r.UnixTime.Unix() < 0 || r.UnixTime.Unix() > 1<<40) {
		kit.Fail(fn, r, "UnixTime %s is not a time Mobtexting's unixtime can carry (1970 to 36812)", r.UnixTime)
	}
	var ms []member
	text := func(field, key, v string) {
		template(fn, r, v)
		if v != "" {
			ms = append(ms, member{field, key, v})
		}
	}
	stamp := func(field, key string, t time.Time) {
		if !t.IsZero() {
			ms = append(ms, member{field, key, t.In(obd.India()).Format(layout)})
		}
	}
	seconds := func(field, key string, d time.Duration) {
		ms = append(ms, member{field, key, strconv.FormatInt(int64(d/time.Second), 10)})
	}
	text("Bridge", k.Bridge, r.Bridge)
	text("From", k.From, r.From)
	text("To", k.To, r.To)
	text("Source", k.Source, r.Source)
	text("MID", k.MID, r.MID)
	if r.FlowID != 0 {
		if composed {
			ms = append(ms, member{"FlowID", k.FlowID, strconv.Itoa(r.FlowID)})
		} else {
			ms = append(ms, member{"FlowID", k.FlowID, r.FlowID})
		}
	}
	stamp("StartAt", k.StartAt, r.StartAt)
	stamp("EndAt", k.EndAt, r.EndAt)
	stamp("Date", k.Date, r.Date)
	if !r.UnixTime.IsZero() {
		ms = append(ms, member{"UnixTime", k.UnixTime, strconv.FormatInt(r.UnixTime.Unix(), 10)})
	}
	seconds("Duration", k.Duration, r.Duration)
	if r.Billing != 0 {
		seconds("Billing", k.Billing, r.Billing)
	}
	text("Status", k.Status, r.Status)
	text("Status1", k.Status1, r.Status1)
	text("Status2", k.Status2, r.Status2)
	text("RecordingURL", k.RecordingURL, r.RecordingURL)
	text("HangupBy", k.HangupBy, r.HangupBy)
	text("WebhookID", k.WebhookID, r.WebhookID)
	text("ID", k.ID, r.ID)
	taken := make(map[string]bool, len(ms)+2)
	for _, key := range entries(&k) {
		taken[*key] = true
	}
	taken["challenge"], taken["validation_key"] = true, true
	for _, key := range kit.SortedKeys(r.Extra) {
		if taken[key] {
			kit.Fail(fn, r, "Extra key %q is one the webhook uses for a field", key)
		}
		template(fn, r, r.Extra[key])
		ms = append(ms, member{"Extra[" + strconv.Quote(key) + "]", key, r.Extra[key]})
	}
	return ms
}

// template panics when v holds template text, which obd refuses.
func template(fn string, ev any, v string) {
	if strings.Contains(v, "{{") && strings.Contains(v, "}}") {
		kit.Fail(fn, ev, "%q holds template text, which Mobtexting fills and obd refuses unfilled", v)
	}
}

// WithBearerToken sets "Authorization: Bearer <token>" on r, as Mobtexting
// sends a webhook's secret, and returns r. telhook.BearerToken(token)
// accepts the request.
func WithBearerToken(r *http.Request, token string) *http.Request {
	return kit.SetBearerToken(r, token)
}
