package elks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/tolerant"
)

const provider = "elks"

// Parse reads r's form body (bounded by telhook.DefaultMaxBodyBytes) and
// decodes it with Decode. It does not check the method or verify the
// sender: NewHandler does both.
func Parse(r *http.Request) (Event, error) {
	if err := checkContentType(r); err != nil {
		return nil, err
	}
	body, err := core.ReadBody(r, provider)
	if err != nil {
		return nil, err
	}
	return Decode(body)
}

// Decode decodes an application/x-www-form-urlencoded 46elks webhook body.
//
// The kind of webhook is told from its fields alone, so one URL can serve
// them all: a message with image fields (or an "m" id) is an MMS, any other
// message an SMS; a status makes a delivery report; state, legs, actions or
// start a call end; a wav without a result a recording; a callid (or an id
// with call fields) a call event. Anything else is returned as *Unknown with
// an error matching telhook.ErrUnknownEvent.
//
// Values are read tolerantly: a '+' that arrived unescaped (and so became a
// space) is restored in phone numbers, and every timestamp form 46elks has
// published is read as UTC. What cannot be read is a *telhook.DecodeError
// naming the field. Fields without a place in the event are kept in Extra.
func Decode(body []byte) (Event, error) {
	fields, err := field.Form(provider, body, make([]field.Field, 0, 16))
	if err != nil {
		return nil, err
	}
	return decode(fields)
}

// DecodeValues decodes a webhook whose form was already parsed, for
// example from a queue. It applies the same checks as Decode.
func DecodeValues(values url.Values) (Event, error) {
	fields, err := field.Values(provider, values)
	if err != nil {
		return nil, err
	}
	return decode(fields)
}

func decode(fields []field.Field) (Event, error) {
	r := field.NewReader(provider, fields)
	switch {
	case hasImages(fields) || (r.Has("message") && strings.HasPrefix(first(fields, "id"), "m")):
		return decodeMMS(r)
	case r.Has("message"):
		return decodeSMS(r)
	case r.Has("status"):
		return decodeDLR(r)
	case r.Has("state") || r.Has("legs") || r.Has("actions") || r.Has("start"):
		return decodeCallEnd(r)
	case r.Has("wav") && !r.Has("result"):
		return decodeRecording(r)
	case r.Has("callid") || (r.Has("id") && (r.Has("from") || r.Has("to") || r.Has("direction"))):
		return decodeCallEvent(r)
	}
	unknown := &Unknown{Fields: r.Extra()}
	if unknown.Fields == nil {
		unknown.Fields = map[string]string{} // a body of "&" alone
	}
	return unknown, fmt.Errorf("elks: no webhook has these fields: %w", telhook.ErrUnknownEvent)
}

// first returns the value of key, "" when it was not sent.
func first(fields []field.Field, key string) string {
	for _, f := range fields {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// Every decoder reads all of its event's fields, then checks the reader's
// error once: the first failure names its field. Required fields are
// checked after the rest, so that a value that cannot be read is reported
// before a field that is missing.

// decodeSMS reads an incoming SMS, and the replies 46elks' Conversations
// posts to a reply_url: those carry the id as "sms_id" (46elks' own table
// says "id"; both are read) and may carry no "to", so that To is empty.
func decodeSMS(r *field.Reader) (Event, error) {
	ev := &SMS{ID: smsID(r), From: r.Phone("from"), To: r.Phone("to"), Message: r.Text("message"),
		Direction: r.Text("direction"), Created: r.Time("created", time.UTC)}
	r.Require("id", ev.ID, "from", ev.From)
	ev.Extra = r.Extra()
	return done(ev, r)
}

// smsID reads "id", or "sms_id" when "id" is absent or empty.
func smsID(r *field.Reader) string {
	id := r.Text("id")
	if id == "" && r.Err() == nil {
		id = r.Text("sms_id")
	}
	return id
}

func decodeMMS(r *field.Reader) (Event, error) {
	ev := &MMS{ID: r.Text("id"), From: r.Phone("from"), To: r.Phone("to"), Message: r.Text("message"),
		Direction: r.Text("direction"), Created: r.Time("created", time.UTC), Images: images(r)}
	r.Require("id", ev.ID, "from", ev.From, "to", ev.To)
	ev.Extra = r.Extra()
	return done(ev, r)
}

func decodeDLR(r *field.Reader) (Event, error) {
	id, status := r.Text("id"), r.Text("status")
	ev := &DeliveryReport{ID: id, Status: strings.TrimSpace(status), Delivered: r.Time("delivered", time.UTC)}
	r.Require("id", id, "status", status)
	ev.Extra = r.Extra()
	return done(ev, r)
}

// callID reads the call's id: 46elks names it "callid" in the hooks of a
// live call, but one documented example sends "id", which is taken when
// "callid" is absent or empty.
func callID(r *field.Reader) string {
	id := r.Text("callid")
	if id == "" && r.Err() == nil {
		id = r.Text("id")
	}
	return id
}

func decodeCallEvent(r *field.Reader) (Event, error) {
	ev := &CallEvent{From: r.Phone("from"), To: r.Phone("to"), Direction: r.Text("direction"),
		Result: r.Word("result"), WAV: r.Text("wav"), Created: r.Time("created", time.UTC)}
	ev.CallID = callID(r)
	r.Require("callid", ev.CallID)
	ev.Extra = r.Extra()
	return done(ev, r)
}

func decodeRecording(r *field.Reader) (Event, error) {
	ev := &Recording{Created: r.Time("created", time.UTC), Duration: r.Seconds("duration"),
		From: r.Phone("from"), To: r.Phone("to"), Direction: r.Text("direction"), WAV: r.Text("wav")}
	r.Require("wav", ev.WAV)
	ev.CallID = callID(r)
	r.Require("callid", ev.CallID)
	ev.Extra = r.Extra()
	return done(ev, r)
}

func decodeCallEnd(r *field.Reader) (Event, error) {
	// Values that may fail are read in key order, so that of two bad ones
	// the error names the first in the alphabet, as it always has.
	ev := &CallEnd{Cost: r.Int("cost"), Created: r.Time("created", time.UTC), Duration: r.Seconds("duration"),
		Start: r.Time("start", time.UTC)}
	ev.ID, ev.From, ev.To, ev.Direction = r.Text("id"), r.Phone("from"), r.Phone("to"), r.Text("direction")
	ev.State = r.Word("state")
	actions, legs := r.Text("actions"), r.Text("legs")
	r.Require("id", ev.ID)
	if r.Err() != nil {
		return nil, r.Err()
	}
	// actions and legs are JSON inside a form field. Text that is not
	// JSON is kept verbatim in Extra rather than failing the whole call
	// record: the call is over, and its cost and duration still count.
	ev.Extra = r.Extra()
	keep := func(key, text string) { // in Extra, as sent
		if ev.Extra == nil {
			ev.Extra = make(map[string]string, 2)
		}
		ev.Extra[key] = text
	}
	if actions != "" {
		if err := json.Unmarshal([]byte(actions), &ev.Actions); err != nil {
			ev.Actions = nil
			keep("actions", actions)
		}
		for _, a := range ev.Actions {
			restorePlus(a)
		}
	}
	if legs != "" {
		var wl []wireLeg
		if err := json.Unmarshal([]byte(legs), &wl); err != nil {
			keep("legs", legs)
		} else {
			for _, l := range wl {
				ev.Legs = append(ev.Legs, Leg{From: tolerant.Phone(l.From), To: tolerant.Phone(l.To), State: l.State, Duration: time.Duration(l.Duration)})
			}
		}
	}
	return ev, nil
}

// done returns ev, or no event and the reader's error.
func done(ev Event, r *field.Reader) (Event, error) {
	if err := r.Err(); err != nil {
		return nil, err
	}
	return ev, nil
}

type wireLeg struct {
	From     string  `json:"from"`
	To       string  `json:"to"`
	State    string  `json:"state"`
	Duration jsonSec `json:"duration"`
}

// restorePlus undoes an unescaped '+' inside the decoded actions, with the
// same rule as phone numbers (a space followed by digits only).
func restorePlus(m map[string]any) {
	for k, x := range m {
		switch x := x.(type) {
		case string:
			m[k] = tolerant.Phone(x)
		case map[string]any:
			restorePlus(x)
		}
	}
}

// hasImages reports whether any field is an MMS image.
func hasImages(fields []field.Field) bool {
	for _, f := range fields {
		if _, ok := imageIndex(f.Key); ok {
			return true
		}
	}
	return false
}

// imageIndex reads "image" as 1 and "imageN" as N.
func imageIndex(k string) (int, bool) {
	rest, ok := strings.CutPrefix(k, "image")
	if !ok {
		return 0, false
	}
	if rest == "" {
		return 1, true
	}
	if rest[0] < '0' || rest[0] > '9' {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// images returns the non-empty image URLs in numeric order of their keys,
// marking them read (empty ones stay in Extra).
func images(r *field.Reader) []string {
	type img struct {
		n        int
		key, url string
	}
	var found []img
	for _, f := range r.Fields() {
		if n, ok := imageIndex(f.Key); ok && f.Value != "" {
			found = append(found, img{n, f.Key, f.Value})
			r.Use(f.Key)
		}
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].n != found[j].n {
			return found[i].n < found[j].n
		}
		return found[i].key < found[j].key
	})
	urls := make([]string, len(found))
	for i, f := range found {
		urls[i] = f.url
	}
	return urls
}

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, _ := strings.Cut(ct, ";")
	if !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
		return field.Error(provider, "Content-Type", ct, errNotForm)
	}
	return nil
}

var errNotForm = fmt.Errorf("46elks sends application/x-www-form-urlencoded")

// jsonSec reads seconds in JSON as a number or a string.
type jsonSec time.Duration

// UnmarshalJSON reads 7, "7" or null.
func (d *jsonSec) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		return nil
	}
	v, err := tolerant.Seconds(s)
	*d = jsonSec(v)
	return err
}
