// Package pbx3cxtest builds the requests the 3CX webhook add-on sends, for
// testing the code that receives them, as net/http/httptest does for
// handlers in general.
//
// The add-on has three dialects; each has its builder, and each request is
// ready for handler.ServeHTTP or pbx3cx.Parse:
//
//	builder                 request
//	NewRequest              POST /  application/json, K2M's PascalCase keys (POST = 1)
//	NewLegacyRequest        GET /?event=…&callerid=…  the legacy query string (POST = 0)
//	NewRecordingURLRequest  POST /  text/plain, the bare recording URL of the legacy scheme
//
// The rules of NewRequest, in the order they are applied:
//
//  1. The event is checked as the add-on would have sent it, and
//     NewRequest panics with an error naming the field when it could not
//     have been (see NewRequest).
//  2. Keys are K2M's, in this order: Event, FileUrls, Callerid, User,
//     Usertype, Trtype, Finishtype, Transfer, Did, Duration, Title, Id; then
//     Extra, sorted. Empty strings are left out, except Did (sent on every
//     event but a recording, as K2M does).
//  3. End events (incoming, outgoing) always carry Transfer ("True" or
//     "False") and Duration ("mm:ss", or "" for zero, as for a missed call);
//     other events carry them only when set. Durations are whole seconds.
//  4. Every value is a JSON string; FileUrls is a list of them.
//
// pbx3cx.Parse of the request gives back an event equal to the one given,
// provided its values are ones the add-on sends and pbx3cx keeps as they
// are: strings without surrounding spaces (pbx3cx trims them; Extra values
// are kept exactly); Type, TransferType and FinishType as pbx3cx's
// constants spell them (pbx3cx maps "hangupincoming", "OK", "Accomp", … onto
// them) or words it does not know; durations in whole seconds;
// RecordingURLs and Extra nil when empty; text that is valid UTF-8. An
// event of a type pbx3cx does not know comes back with an error matching
// telhook.ErrUnknownEvent, as the add-on's would.
//
// [Ringing], [Ended], [Recording] and [AttendedTransfer] return the
// examples of K2M's documentation, decoded: ready-made events to send or to
// compare with (AttendedTransfer is every event of one call, for a
// pbx3cx.Tracker). [WithQueryToken] adds the secret of a webhook URL that
// telhook.QueryToken checks.
package pbx3cxtest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/telhook/telhook/internal/kit"
	"github.com/telhook/telhook/pbx3cx"
)

var (
	encoder = kit.NewEncoder("", nil) // the legacy scheme has no times
	checker = kit.NewChecker(kit.Rules{Type: pbx3cx.Event{}, Fields: map[string]string{
		"Type": "required", "ID": "required", "Duration": "gte=0",
		"RecordingURLs": "required_if=Type recording,dive,required",
	}})
)

// known are the keys pbx3cx reads, in any case: an Extra key may be none
// of them.
var known = map[string]bool{
	"event": true, "callerid": true, "user": true, "usertype": true, "did": true, "id": true, "trtype": true,
	"finishtype": true, "transfer": true, "duration": true, "title": true, "fileurls": true, "files": true,
}

// NewRequest returns the JSON POST the add-on (K2M's WebhooksApi) sends
// for ev; see the package documentation for its shape. It panics, as
// httptest.NewRequest does on a bad target, when ev is not a webhook the
// add-on sends or could not be read back as the same event:
//
//   - a nil event;
//   - a missing Type or ID, or a recording without RecordingURLs;
//   - an empty recording URL or a negative Duration;
//   - an Extra key that is one of the add-on's keys in any case
//     ("callerid", "FILES", …), or two Extra keys that differ only in case
//     (pbx3cx matches keys in any case).
func NewRequest(ev *pbx3cx.Event) *http.Request {
	const fn = "pbx3cxtest.NewRequest"
	check(fn, ev)
	var o kit.Object
	set := func(key, v string) {
		if v != "" {
			o.Set(key, v)
		}
	}
	o.Set("Event", ev.Type)
	if len(ev.RecordingURLs) > 0 {
		o.Set("FileUrls", ev.RecordingURLs)
	}
	set("Callerid", ev.CallerID)
	set("User", ev.User)
	set("Usertype", ev.UserType)
	set("Trtype", ev.TransferType)
	set("Finishtype", ev.FinishType)
	if ev.IsEnd() || ev.Transfer {
		o.Set("Transfer", flag(ev.Transfer))
	}
	if ev.Type != pbx3cx.Recording || ev.DID != "" {
		o.Set("Did", ev.DID)
	}
	if ev.IsEnd() || ev.Duration != 0 {
		o.Set("Duration", minutes(ev.Duration))
	}
	set("Title", ev.Title)
	o.Set("Id", ev.ID)
	for _, k := range kit.SortedKeys(ev.Extra) {
		o.Set(k, ev.Extra[k])
	}
	return kit.NewRequest(http.MethodPost, "/", "application/json", o.Bytes())
}

// legacyForm is the legacy GET scheme: lowercase keys, no duration (the
// talk time is at the end of the title) and no recordings.
type legacyForm struct {
	Event        string `schema:"event"`
	CallerID     string `schema:"callerid,omitempty"`
	User         string `schema:"user,omitempty"`
	UserType     string `schema:"usertype,omitempty"`
	DID          string `schema:"did"`
	TransferType string `schema:"trtype,omitempty"`
	FinishType   string `schema:"finishtype,omitempty"`
	Transfer     string `schema:"transfer,omitempty"`
	Title        string `schema:"title,omitempty"`
	ID           string `schema:"id"`
}

var legacyOrder = []string{"event", "callerid", "user", "usertype", "did", "trtype", "finishtype", "transfer", "title", "id"}

// legacyTypes are the names the legacy scheme gives the start of a talk.
var legacyTypes = map[string]string{pbx3cx.IncomingStarted: "hangupincoming", pbx3cx.OutgoingStarted: "hangupoutgoing"}

// NewLegacyRequest returns the GET the add-on sends for ev in its legacy
// scheme (Creomate's, POST = 0): ev's fields as a query string with
// lowercase keys (event, callerid, user, usertype, did, trtype, finishtype,
// transfer, title, id; then Extra, sorted), every value percent-encoded.
// The start of a talk is named as that scheme names it, "hangupincoming" or
// "hangupoutgoing"; pbx3cx reads either as IncomingStarted or
// OutgoingStarted. End events always carry transfer, "True" or "False".
//
// The scheme has no duration: an end event's talk time is read from the
// end of its title, "DID-420222000320:Answered call from 420774852629
// (0:07)". NewLegacyRequest panics when NewRequest would; when ev's
// Duration is not what its Title says (zero unless it is an end event whose
// title ends so); for a recording or RecordingURLs, which the scheme sends
// as a bare URL (see NewRecordingURLRequest); and when an Extra key has
// characters other than letters, digits, '_', '-' and '.', which the
// add-on's loosely encoded query strings cannot carry unambiguously.
func NewLegacyRequest(ev *pbx3cx.Event) *http.Request {
	const fn = "pbx3cxtest.NewLegacyRequest"
	check(fn, ev)
	if ev.Type == pbx3cx.Recording || len(ev.RecordingURLs) > 0 {
		kit.Fail(fn, ev, "the legacy scheme sends a recording as a bare URL: use NewRecordingURLRequest")
	}
	f := &legacyForm{Event: ev.Type, CallerID: ev.CallerID, User: ev.User, UserType: ev.UserType, DID: ev.DID,
		TransferType: ev.TransferType, FinishType: ev.FinishType, Title: ev.Title, ID: ev.ID}
	if t, ok := legacyTypes[ev.Type]; ok {
		f.Event = t
	}
	if ev.IsEnd() || ev.Transfer {
		f.Transfer = flag(ev.Transfer)
	}
	v := kit.Encode(encoder, f)
	for _, k := range kit.SortedKeys(ev.Extra) {
		if !kit.QueryKey(k) {
			kit.Fail(fn, ev, "Extra key %q cannot be a key of the legacy query string", k)
		}
		v[k] = []string{ev.Extra[k]}
	}
	q := kit.Query(v, legacyOrder...)
	// The talk time travels in the title only: read it back the way
	// pbx3cx does rather than guess at its rules here.
	if got, _ := pbx3cx.DecodeQuery(q); got != nil && got.Duration != ev.Duration {
		kit.Fail(fn, ev, "Duration is %s but Title %q says %s: the legacy scheme carries the talk time of an end event only at the end of its title, as \"… (0:07)\"",
			ev.Duration, ev.Title, got.Duration)
	}
	return kit.NewRequest(http.MethodGet, "/?"+q, "", nil)
}

// NewRecordingURLRequest returns the request of the legacy scheme that
// announces a recording (RECORDING_FULL_INFO = 1, sent to
// WEBHOOK_POST_URL): a POST whose text/plain body is the recording's URL
// and nothing else. pbx3cx.Parse reads it as a recording event with that
// one URL, and with the segment id the file name holds
// (".../230102185935_18-1-1.mp3" is "230102185935_18-1", recording 1) when
// it holds one.
//
// It panics when rawURL is not an http or https URL with a host, or has
// white space or text that is not UTF-8.
func NewRecordingURLRequest(rawURL string) *http.Request {
	const fn = "pbx3cxtest.NewRecordingURLRequest"
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
	case !utf8.ValidString(rawURL):
		err = errors.New("not UTF-8")
	case u.Scheme != "http" && u.Scheme != "https":
		err = errors.New("not http or https")
	case u.Host == "":
		err = errors.New("no host")
	case strings.ContainsAny(rawURL, " \t\r\n"):
		err = errors.New("white space")
	}
	if err != nil {
		panic(fmt.Errorf("%s: %q is not a recording URL: %w", fn, rawURL, err))
	}
	return kit.NewRequest(http.MethodPost, "/", "text/plain", []byte(rawURL))
}

// check applies the rules every dialect shares.
func check(fn string, ev *pbx3cx.Event) {
	checker.Check(fn, ev)
	lower := make(map[string]string, len(ev.Extra))
	for _, k := range kit.SortedKeys(ev.Extra) {
		l := strings.ToLower(k)
		if known[l] {
			kit.Fail(fn, ev, "Extra key %q is one the add-on uses for a field", k)
		}
		if other, dup := lower[l]; dup {
			kit.Fail(fn, ev, "Extra keys %q and %q differ only in case, and pbx3cx matches keys in any case", other, k)
		}
		lower[l] = k
	}
}

// flag writes a boolean as the add-on does.
func flag(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// minutes writes a duration as the add-on does, "00:14", or "" for zero.
func minutes(d time.Duration) string {
	if d < time.Second {
		return ""
	}
	s := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// WithQueryToken sets the query parameter param of r's URL to token, as a
// secret put in the add-on's WEBHOOK_URL (https://example.com/3cx?key=…)
// arrives: first, before the parameters of the legacy GET scheme. It
// returns r. telhook.QueryToken(param, token) accepts the
// request, and removes the parameter before pbx3cx reads a legacy query
// string.
func WithQueryToken(r *http.Request, param, token string) *http.Request {
	return kit.SetQueryToken(r, param, token, true)
}
