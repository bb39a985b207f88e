// Package elkstest builds the requests 46elks sends, for testing the code
// that receives them, as net/http/httptest does for handlers in general.
//
// [NewRequest] returns the webhook 46elks sends for an event: a POST to "/"
// with an application/x-www-form-urlencoded body in 46elks' own keys, ready
// for handler.ServeHTTP or elks.Parse:
//
//	event                 form keys
//	*elks.SMS             id from to message direction created
//	*elks.MMS             id from to message direction created image image2 image3 …
//	*elks.DeliveryReport  id status delivered
//	*elks.CallEvent       callid from to direction result wav created
//	*elks.Recording       callid from to direction wav created duration
//	*elks.CallEnd         id from to direction state created start duration cost actions legs
//
// The rules, in the order they are applied:
//
//  1. The event is checked as 46elks would have sent it, and NewRequest
//     panics with an error naming the field when it could not have been
//     (see NewRequest).
//  2. Empty strings, zero times and zero numbers are left out, as 46elks
//     leaves out what it does not know; message (SMS and MMS) and state
//     (CallEnd) are always sent, since they tell the webhooks apart.
//  3. Times are written as 46elks writes them, "2018-07-13 13:57:23.741000":
//     in UTC, to the microsecond. Durations are whole seconds. Anything finer
//     is dropped.
//  4. Actions and Legs are JSON inside their form field, as 46elks sends them.
//  5. Every Extra field is sent under its own key.
//
// elks.Parse of the request gives back an event equal to the one given,
// provided its values are ones 46elks sends and elks.Parse keeps as they
// are:
//
//   - times at microsecond precision and durations in whole seconds (rule 3);
//   - Status, Result and State without surrounding spaces (they are trimmed);
//   - phone numbers (From, To, and those of Legs and Actions) not of the
//     form " 4670…", a space then digits, which is read as a '+' lost in
//     transit;
//   - Actions holding what JSON decodes to (float64 numbers, string, bool,
//     nil, []any, map[string]any), and Images, Actions, Legs and Extra nil
//     when empty, except MMS.Images, which elks.Parse returns as an empty
//     list when there is no image;
//   - text that is valid UTF-8.
//
// [SMS], [MMS], [DeliveryReport], [CallEvent], [Recording] and [CallEnd]
// return the examples of 46elks' documentation, decoded: ready-made events to
// send or to compare with. [WithBasicAuth] and [WithQueryToken] add the
// credentials that telhook.BasicAuth and telhook.QueryToken check.
package elkstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/kit"
)

// layout is 46elks' timestamp, always in UTC.
const layout = "2006-01-02 15:04:05.000000"

var (
	encoder = kit.NewEncoder(layout, time.UTC)
	checker = kit.NewChecker(
		kit.Rules{Type: elks.SMS{}, Fields: map[string]string{"ID": "required,startsnotwith=m", "From": "required"}}, // no "to" in a Conversations reply
		kit.Rules{Type: elks.MMS{}, Fields: map[string]string{"ID": "required", "From": "required", "To": "required", "Images": "dive,required"}},
		kit.Rules{Type: elks.DeliveryReport{}, Fields: map[string]string{"ID": "required", "Status": "required"}},
		kit.Rules{Type: elks.CallEvent{}, Fields: map[string]string{"CallID": "required", "Result": "required_with=WAV"}},
		kit.Rules{Type: elks.Recording{}, Fields: map[string]string{"CallID": "required", "WAV": "required", "Duration": "gte=0"}},
		kit.Rules{Type: elks.CallEnd{}, Fields: map[string]string{"ID": "required", "Duration": "gte=0", "Legs": "dive"}},
		kit.Rules{Type: elks.Leg{}, Fields: map[string]string{"Duration": "gte=0"}},
	)
)

// order is the order of 46elks' keys in a request; images and Extra
// fields follow.
var order = []string{"id", "callid", "from", "to", "direction", "created", "message", "status", "delivered",
	"result", "wav", "state", "start", "duration", "cost", "actions", "legs"}

// Wire forms: the keys 46elks sends for each event.

type smsForm struct {
	ID        string    `schema:"id"`
	From      string    `schema:"from"`
	To        string    `schema:"to,omitempty"` // none in a Conversations reply
	Message   string    `schema:"message"`      // always sent: it makes the webhook a message
	Direction string    `schema:"direction,omitempty"`
	Created   time.Time `schema:"created,omitempty"`
}

type dlrForm struct {
	ID        string    `schema:"id"`
	Status    string    `schema:"status"`
	Delivered time.Time `schema:"delivered,omitempty"`
}

type callForm struct {
	CallID    string    `schema:"callid"`
	From      string    `schema:"from,omitempty"`
	To        string    `schema:"to,omitempty"`
	Direction string    `schema:"direction,omitempty"`
	Result    string    `schema:"result,omitempty"`
	WAV       string    `schema:"wav,omitempty"`
	Created   time.Time `schema:"created,omitempty"`
}

type recordingForm struct {
	CallID    string        `schema:"callid"`
	From      string        `schema:"from,omitempty"`
	To        string        `schema:"to,omitempty"`
	Direction string        `schema:"direction,omitempty"`
	WAV       string        `schema:"wav"`
	Created   time.Time     `schema:"created,omitempty"`
	Duration  time.Duration `schema:"duration,omitempty"`
}

type callEndForm struct {
	ID        string        `schema:"id"`
	From      string        `schema:"from,omitempty"`
	To        string        `schema:"to,omitempty"`
	Direction string        `schema:"direction,omitempty"`
	State     string        `schema:"state"` // always sent: it makes the webhook a call end
	Created   time.Time     `schema:"created,omitempty"`
	Start     time.Time     `schema:"start,omitempty"`
	Duration  time.Duration `schema:"duration,omitempty"`
	Cost      int           `schema:"cost,omitempty"`
	Actions   string        `schema:"actions,omitempty"`
	Legs      string        `schema:"legs,omitempty"`
}

// jsonLeg is a leg as 46elks writes it inside the legs field.
type jsonLeg struct {
	Duration int64  `json:"duration"`
	To       string `json:"to"`
	State    string `json:"state"`
	From     string `json:"from"`
}

// The keys an event's Extra may not use: its own, and those that would
// make elks.Parse read another kind of webhook.
var (
	ownSMS       = kit.Set("id", "from", "to", "message", "direction", "created")
	ownDLR       = kit.Set("id", "status", "delivered", "message")
	ownCallEnd   = kit.Set("id", "from", "to", "direction", "state", "created", "start", "duration", "cost", "actions", "legs", "message", "status")
	ownRecording = kit.Set("callid", "from", "to", "direction", "wav", "created", "duration", "result", "message", "status", "state", "start", "legs", "actions")
	ownCallEvent = kit.Set("callid", "from", "to", "direction", "result", "wav", "created", "message", "status", "state", "start", "legs", "actions")
)

// NewRequest returns the request 46elks sends for ev (see the package
// documentation for its shape). It panics, as httptest.NewRequest does on
// a bad target, when ev is not a webhook 46elks sends or could not be read
// back as the same kind:
//
//   - a nil event or an *elks.Unknown;
//   - a missing ID, From or To (SMS, MMS), ID or Status (DeliveryReport),
//     CallID (CallEvent, Recording), WAV (Recording) or ID (CallEnd);
//   - an SMS whose ID starts with "m", or an MMS without Images whose ID
//     does not (46elks' ids tell the two apart that way); an empty image URL;
//   - a CallEvent with a WAV but no Result (that is a Recording);
//   - a negative duration;
//   - an Extra key that is a key of the form above or an image key, or one
//     that would make the webhook another kind (a "message" or "status" on
//     a call webhook, say). A CallEnd may carry Extra["actions"] or
//     Extra["legs"] only when the matching field is nil and the text is not
//     JSON, as elks.Parse keeps text it cannot read.
func NewRequest(ev elks.Event) *http.Request {
	const fn = "elkstest.NewRequest"
	var (
		v     url.Values
		own   map[string]bool   // Extra keys refused
		allow map[string]bool   // of those, the ones this event may use
		extra map[string]string // the event's Extra
	)
	first := slices.Clip(order)
	switch e := ev.(type) {
	case *elks.SMS:
		checker.Check(fn, e)
		v, own, extra = kit.Encode(encoder, &smsForm{e.ID, e.From, e.To, e.Message, e.Direction, e.Created}), ownSMS, e.Extra
	case *elks.MMS:
		checker.Check(fn, e)
		if len(e.Images) == 0 && !strings.HasPrefix(e.ID, "m") {
			kit.Fail(fn, e, "no Images, and ID %q does not start with \"m\": 46elks' webhook would be an SMS", e.ID)
		}
		v, own, extra = kit.Encode(encoder, &smsForm{e.ID, e.From, e.To, e.Message, e.Direction, e.Created}), ownSMS, e.Extra
		for i, u := range e.Images {
			v[imageKey(i)] = []string{u}
			first = append(first, imageKey(i))
		}
	case *elks.DeliveryReport:
		checker.Check(fn, e)
		v, own, extra = kit.Encode(encoder, &dlrForm{e.ID, e.Status, e.Delivered}), ownDLR, e.Extra
	case *elks.CallEvent:
		checker.Check(fn, e)
		v, own, extra = kit.Encode(encoder, &callForm{e.CallID, e.From, e.To, e.Direction, e.Result, e.WAV, e.Created}), ownCallEvent, e.Extra
	case *elks.Recording:
		checker.Check(fn, e)
		v, own, extra = kit.Encode(encoder, &recordingForm{e.CallID, e.From, e.To, e.Direction, e.WAV, e.Created, e.Duration}), ownRecording, e.Extra
	case *elks.CallEnd:
		checker.Check(fn, e)
		f := &callEndForm{ID: e.ID, From: e.From, To: e.To, Direction: e.Direction, State: e.State,
			Created: e.Created, Start: e.Start, Duration: e.Duration, Cost: e.Cost}
		f.Actions, f.Legs = callEndJSON(fn, e)
		v, own, extra = kit.Encode(encoder, f), ownCallEnd, e.Extra
		allow = verbatim(fn, e, f)
	case nil:
		kit.Fail(fn, ev, "no event")
	default:
		kit.Fail(fn, ev, "46elks sends no such webhook; build it with httptest.NewRequest")
	}
	for _, k := range kit.SortedKeys(extra) {
		if (own[k] || isImageKey(k)) && !allow[k] {
			kit.Fail(fn, ev, "Extra key %q is one 46elks uses for a field", k)
		}
		v[k] = []string{extra[k]}
	}
	return kit.NewRequest(http.MethodPost, "/", "application/x-www-form-urlencoded", []byte(kit.Query(v, first...)))
}

// callEndJSON writes Actions and Legs as 46elks does: JSON lists inside
// form fields. Nil and empty lists are not sent.
func callEndJSON(fn string, e *elks.CallEnd) (actions, legs string) {
	if len(e.Actions) > 0 {
		b, err := json.Marshal(e.Actions)
		if err != nil {
			kit.Fail(fn, e, "Actions is not JSON: %v", err)
		}
		actions = string(b)
	}
	if len(e.Legs) > 0 {
		list := make([]jsonLeg, len(e.Legs))
		for i, l := range e.Legs {
			list[i] = jsonLeg{Duration: int64(l.Duration / time.Second), To: l.To, State: l.State, From: l.From}
		}
		b, _ := json.Marshal(list) // strings and an int: cannot fail
		legs = string(b)
	}
	return actions, legs
}

// verbatim returns the Extra keys "actions" and "legs" when e may send
// them in place of its lists: elks.Parse keeps text it cannot read as JSON
// (46elks' own example is cut short) in Extra, and nothing else.
func verbatim(fn string, e *elks.CallEnd, f *callEndForm) map[string]bool {
	var allow map[string]bool
	for _, kf := range [...]struct{ key, field string }{{"actions", f.Actions}, {"legs", f.Legs}} {
		key, field := kf.key, kf.field
		text, ok := e.Extra[key]
		if !ok {
			continue
		}
		if field != "" || text == "" || json.Valid([]byte(text)) {
			kit.Fail(fn, e, "Extra[%q] is only for text that is not JSON, in place of an empty list", key)
		}
		if allow == nil {
			allow = map[string]bool{}
		}
		allow[key] = true
	}
	return allow
}

// imageKey returns the key of the i-th image (0-based): "image", "image2", …
// 46elks sends no "image1".
func imageKey(i int) string {
	if i == 0 {
		return "image"
	}
	return "image" + strconv.Itoa(i+1)
}

// isImageKey reports the keys elks.Parse reads as MMS images: "image" and
// "image" followed by digits.
func isImageKey(k string) bool {
	rest, ok := strings.CutPrefix(k, "image")
	if !ok {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}

// WithBasicAuth sets r's HTTP Basic credentials, as 46elks sends them for
// a webhook URL such as https://user:pass@example.com/elks, and returns r.
// telhook.BasicAuth(user, pass) accepts the request.
func WithBasicAuth(r *http.Request, user, pass string) *http.Request {
	return kit.SetBasicAuth(r, user, pass)
}

// WithQueryToken sets the query parameter param of r's URL to token, as
// 46elks calls a webhook URL such as https://example.com/elks?key=s3cret,
// and returns r. telhook.QueryToken(param, token) accepts the request.
func WithQueryToken(r *http.Request, param, token string) *http.Request {
	return kit.SetQueryToken(r, param, token, false)
}
