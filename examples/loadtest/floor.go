package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

// floorHandler returns the handler -compare floor adds to the rounds: the
// SDK's job written by hand for this one body, with the public API and the
// standard library only, every stage at its floor and with no tolerance. It
// checks the method, reads the body bounded by telhook.DefaultMaxBodyBytes,
// decodes it with url.ParseQuery or json.Unmarshal into a plain struct,
// builds the provider's event, claims its key (the webhook's id, where the
// SDK's key covers every field) in the same in-memory
// deduplicator the SDK uses by default (telhook.NewMemoryDeduplicator),
// calls a callback, releases the key and answers the provider's status. What
// it reaches over the loopback is about the most a handler doing the SDK's
// job with the standard library reaches on this machine.
func (t *target) floorHandler(calls *atomic.Uint64) http.Handler {
	decode := floorDecoders[t.name]
	if decode == nil {
		panic("loadtest: no floor decoder for " + t.name)
	}
	// NewMemoryDeduplicator documents that it returns a Claimer; the SDK
	// uses it through Claim and Release, and so does the floor.
	dedup := telhook.NewMemoryDeduplicator(0, 0).(telhook.Claimer)
	callback := func(context.Context, any) error { calls.Add(1); return nil }
	status := t.status
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, telhook.DefaultMaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		key, ev, err := decode(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ctx := r.Context()
		claim, err := dedup.Claim(ctx, key)
		switch {
		case err != nil:
			// As the SDK does: handle the webhook anyway.
		case claim == telhook.Duplicate:
			w.WriteHeader(status)
			return
		case claim == telhook.InFlight:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		cerr := callback(ctx, ev)
		if err == nil {
			_ = dedup.Release(ctx, key, cerr == nil)
		}
		if cerr != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(status)
	})
}

// floorDecoders decode each target's body the plainest way the standard
// library allows, into the provider's public event type, and return its
// de-duplication key: the id the template gives every request.
var floorDecoders = map[string]func(body []byte) (key string, ev any, err error){
	"elks":   elksFloor,
	"obd":    obdFloor,
	"pbx3cx": pbx3cxFloor,
	"oncall": oncallFloor,
}

// elksTimeLayout is how 46elks writes "created": UTC, no zone, microseconds.
const elksTimeLayout = "2006-01-02T15:04:05.999999"

// elksFloor reads an incoming SMS with url.ParseQuery and a hand copy, one
// time layout and no checks.
func elksFloor(body []byte) (string, any, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return "", nil, err
	}
	created, err := time.Parse(elksTimeLayout, v.Get("created"))
	if err != nil {
		return "", nil, err
	}
	sms := &elks.SMS{ID: v.Get("id"), From: v.Get("from"), To: v.Get("to"), Message: v.Get("message"),
		Direction: v.Get("direction"), Created: created}
	if sms.ID == "" {
		return "", nil, errors.New("elks: no id")
	}
	return "elks:sms:" + sms.ID, sms, nil
}

// obdWire is a Mobtexting report as encoding/json reads it, with numbers
// kept as their text.
type obdWire struct {
	Bridge       json.Number `json:"bridge"`
	From         json.Number `json:"from"`
	To           json.Number `json:"to"`
	Source       string      `json:"source"`
	MID          string      `json:"mid"`
	FlowID       int         `json:"flow_id"`
	StartAt      string      `json:"start_at"`
	EndAt        string      `json:"end_at"`
	Duration     string      `json:"duration"`
	Status       string      `json:"status"`
	RecordingURL string      `json:"recording_url"`
	WebhookID    string      `json:"webhook_id"`
}

// obdTimeLayout is how Mobtexting writes its zone-less times.
const obdTimeLayout = "2006-01-02 15:04:05"

func obdFloor(body []byte) (string, any, error) {
	var p obdWire
	if err := json.Unmarshal(body, &p); err != nil {
		return "", nil, err
	}
	r := &obd.Report{Source: p.Source, Bridge: p.Bridge.String(), From: p.From.String(), To: p.To.String(),
		MID: p.MID, Status: p.Status, RecordingURL: p.RecordingURL, WebhookID: p.WebhookID, FlowID: p.FlowID}
	var err error
	if r.StartAt, err = time.ParseInLocation(obdTimeLayout, p.StartAt, obd.India()); err != nil {
		return "", nil, err
	}
	if r.EndAt, err = time.ParseInLocation(obdTimeLayout, p.EndAt, obd.India()); err != nil {
		return "", nil, err
	}
	secs, err := time.ParseDuration(p.Duration + "s")
	if err != nil {
		return "", nil, fmt.Errorf("obd: duration %q: %w", p.Duration, err)
	}
	r.Duration = secs
	if r.MID == "" {
		return "", nil, errors.New("obd: no mid")
	}
	return "obd:" + r.MID, r, nil
}

// pbx3cxWire is a 3CX K2M event as encoding/json reads it: every value is
// a string.
type pbx3cxWire struct {
	Event, Callerid, User, Finishtype, Transfer, Did, Duration, Id string
}

func pbx3cxFloor(body []byte) (string, any, error) {
	var p pbx3cxWire
	if err := json.Unmarshal(body, &p); err != nil {
		return "", nil, err
	}
	ev := &pbx3cx.Event{Type: p.Event, CallerID: p.Callerid, User: p.User, FinishType: p.Finishtype,
		DID: p.Did, ID: p.Id, Transfer: p.Transfer == "True"}
	if ev.Type == "" || ev.ID == "" {
		return "", nil, errors.New("pbx3cx: no event or id")
	}
	return "pbx3cx:" + ev.Type + "|" + ev.ID, ev, nil
}

// oncallWire is Wavix's OnCallEvent as encoding/json reads it.
type oncallWire struct {
	UUID         string    `json:"uuid"`
	EventType    string    `json:"event_type"`
	EventTime    time.Time `json:"event_time"`
	EventPayload *struct {
		Type    string `json:"type"`
		Payload struct {
			Status     string `json:"status"`
			PlaybackID string `json:"playback_id"`
			Digits     string `json:"digits"`
			Reason     string `json:"reason"`
		} `json:"payload"`
	} `json:"event_payload"`
	From            string     `json:"from"`
	To              string     `json:"to"`
	CallStarted     time.Time  `json:"call_started"`
	CallAnswered    *time.Time `json:"call_answered"`
	CallCompleted   *time.Time `json:"call_completed"`
	MachineDetected bool       `json:"machine_detected"`
	Tag             string     `json:"tag"`
	Direction       string     `json:"direction"`
}

func oncallFloor(body []byte) (string, any, error) {
	var p oncallWire
	if err := json.Unmarshal(body, &p); err != nil {
		return "", nil, err
	}
	ev := &oncall.CallEvent{UUID: p.UUID, EventType: p.EventType, EventTime: p.EventTime, From: p.From, To: p.To,
		Tag: p.Tag, Direction: p.Direction, CallStarted: p.CallStarted, MachineDetected: p.MachineDetected}
	if p.CallAnswered != nil {
		ev.CallAnswered = *p.CallAnswered
	}
	if p.CallCompleted != nil {
		ev.CallCompleted = *p.CallCompleted
	}
	if pl := p.EventPayload; pl != nil {
		ev.Payload = oncall.Payload{Type: pl.Type, Status: pl.Payload.Status, PlaybackID: pl.Payload.PlaybackID,
			Digits: pl.Payload.Digits, Reason: pl.Payload.Reason}
	}
	if ev.UUID == "" || ev.EventType == "" {
		return "", nil, errors.New("oncall: no uuid or event_type")
	}
	return "oncall:" + ev.UUID + "|" + ev.EventType, ev, nil
}
