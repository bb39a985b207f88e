package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/config"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

// floorHandler returns the handler -floor adds to the rounds: the SDK's job
// with every stage at its floor, written by hand for this one body and with
// no tolerance. It reads the body bounded, decodes it with the standard
// library (url.ParseQuery and a hand copy, or json.Unmarshal into a plain
// struct), builds the provider's event, de-duplicates it with the same
// in-memory deduplicator the SDK uses, calls a callback and answers. What it
// reaches over the loopback is the most any handler doing the SDK's job
// could; the distance between it and the SDK is what the stages' excess
// costs.
func (t *target) floorHandler(calls *atomic.Uint64) http.Handler {
	dedup := telhook.NewMemoryDeduplicator(0, 0)
	var decode func([]byte) (key string, ev any, err error)
	switch t.name {
	case "elks":
		decode = func(b []byte) (string, any, error) {
			sms, err := elksFloor(b)
			if err != nil {
				return "", nil, err
			}
			return "elks:sms:" + sms.ID, sms, nil
		}
	case "obd":
		decode = func(b []byte) (string, any, error) {
			var p obdPlain
			if err := json.Unmarshal(b, &p); err != nil {
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
			return "obd:" + r.MID, r, nil
		}
	case "pbx3cx":
		decode = func(b []byte) (string, any, error) {
			var p pbxPlain
			if err := json.Unmarshal(b, &p); err != nil {
				return "", nil, err
			}
			ev := &pbx3cx.Event{Type: p.Event, CallerID: p.Callerid, User: p.User, FinishType: p.Finishtype,
				DID: p.Did, ID: p.Id, Transfer: p.Transfer == "True"}
			return "pbx3cx:" + ev.Type + "|" + ev.ID, ev, nil
		}
	case "oncall":
		decode = func(b []byte) (string, any, error) {
			var p oncallPlain
			if err := json.Unmarshal(b, &p); err != nil {
				return "", nil, err
			}
			ev := &oncall.CallEvent{UUID: p.UUID, EventType: p.EventType, EventTime: p.EventTime, From: p.From, To: p.To,
				Tag: p.Tag, Direction: p.Direction, CallStarted: p.CallStarted, MachineDetected: p.MachineDetected}
			if p.EventPayload != nil {
				ev.Payload = oncall.Payload{Type: p.EventPayload.Type, Status: p.EventPayload.Payload.Status,
					PlaybackID: p.EventPayload.Payload.PlaybackID}
			}
			return "oncall:" + ev.UUID + "|" + ev.EventType, ev, nil
		}
	}
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
		if seen, _ := dedup.Seen(r.Context(), key); seen {
			w.WriteHeader(status)
			return
		}
		if err := callback(r.Context(), ev); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(status)
	})
}

// coreHandler returns the handler -compare core adds to the rounds: the
// SDK's own core (method check, pooled bounded read, de-duplication, the
// panic-safe callback, the answer), with default options, around a decoder
// that costs nothing: it takes the request's id from where the template put
// it. What it reaches over the loopback is the ceiling the core leaves for
// decoding.
func (t *target) coreHandler(calls *atomic.Uint64) http.Handler {
	ack := core.Answer{Status: t.status}
	at := t.idAt[0]
	callback := func(context.Context, any) error { calls.Add(1); return nil }
	return core.New(core.Spec{
		Provider: t.name,
		Methods:  []string{http.MethodPost},
		Ack:      ack,
		Decode: func(_ *http.Request, body []byte) (core.Delivery, error) {
			if len(body) < at+idWidth {
				return core.Delivery{}, errors.New("short body")
			}
			id := string(body[at : at+idWidth])
			return core.Delivery{Kind: "x", Key: core.Key("x", id),
				Handle: func(ctx context.Context) (core.Answer, error) { return ack, callback(ctx, &id) }}, nil
		},
	}, config.Build([]telhook.Option{telhook.WithLogger(discard)}))
}
