package oncall

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/config"
	"github.com/telhook/telhook/internal/core"
)

// Callbacks are the functions a handler calls, one per kind of webhook.
// Each is optional; a webhook whose callback is nil is acknowledged with
// 200 and logged. Every callback gets the request's context. An error or a
// panic answers 500, so that Wavix may send the webhook again.
type Callbacks struct {
	// OnCallEvent receives every OnCallEvent webhook, of any event_type,
	// known or not.
	OnCallEvent func(context.Context, *CallEvent) error
	// OnPostCall receives the post-call webhook.
	OnPostCall func(context.Context, *PostCall) error
	// OnUnknown receives well-formed JSON objects that are neither.
	OnUnknown func(context.Context, *Unknown) error
}

// ack is the answer to every accepted webhook: Wavix asks for a 200 and
// reads no body. Calls are controlled through Wavix's REST API, never
// through this answer.
var ack = core.Answer{Status: http.StatusOK}

// NewHandler returns an http.Handler for Wavix's call webhooks: point both
// the "on-call" and the "post-call" webhook (or a call's callback_url) at
// it. It accepts POST only (405 otherwise), runs the verifier (401), reads
// at most the body limit (413), decodes (400 naming the field), drops
// webhooks it has already handled, calls the callback and answers 200.
//
// Wavix sends no event id. A webhook is identified by everything a resend
// of it repeats: every field, times as instants (a CallEvent's
// call_started aside: it is the same for the whole call), and the fields
// it has no place for. A second webhook with the same identity reaches no
// callback; one that differs in anything does. Unknown webhooks are never
// de-duplicated.
//
// Wavix documents no authentication: register the webhook URL with a
// secret in it (https://you.example/wavix?token=…) and verify it with
// telhook.WithVerifier(telhook.QueryToken("token", secret)), over HTTPS.
func NewHandler(cb Callbacks, opts ...telhook.Option) http.Handler {
	return core.New(core.Spec{
		Provider: provider,
		Methods:  []string{http.MethodPost},
		Ack:      ack,
		Decode: func(_ *http.Request, body []byte) (core.Delivery, error) {
			ev, err := Decode(body)
			if err != nil && !errors.Is(err, telhook.ErrUnknownEvent) {
				return core.Delivery{}, err
			}
			return cb.delivery(ev), nil
		},
	}, config.Build(opts))
}

// delivery binds a decoded event to its callback.
func (cb *Callbacks) delivery(ev Event) core.Delivery {
	switch ev := ev.(type) {
	case *CallEvent:
		return core.Acknowledge("call_event", callKey(ev), ev, cb.OnCallEvent)
	case *PostCall:
		return core.Acknowledge("post_call", postKey(ev), ev, cb.OnPostCall)
	case *Unknown:
		return core.Acknowledge("unknown", "", ev, cb.OnUnknown)
	}
	panic(fmt.Sprintf("oncall: no delivery for %T", ev)) // unreachable: Event is sealed
}

// callKey identifies a CallEvent by everything a resend repeats: the call,
// what happened and when, the payload, the rest of the snapshot (a tag
// changed by PATCH, say, makes another webhook) and Extra. Times count as
// instants, whatever zone they were sent in. CallStarted is left out: it
// is the same in every snapshot of a call (UUID), so it tells none apart.
func callKey(ev *CallEvent) string {
	p := ev.Payload
	return core.NewDigest("call", ev.UUID).Str(ev.EventType, ev.From, ev.To, ev.Tag, ev.Direction,
		p.Type, p.Status, p.PlaybackID, p.Digits, p.Reason).Time(ev.EventTime, ev.CallAnswered, ev.CallCompleted).
		Bool(ev.MachineDetected).Map(ev.Extra).Key()
}

// postKey identifies a PostCall by everything a resend repeats, Extra
// included: there is one per call, and one that differs in any field is
// a correction worth delivering.
func postKey(pc *PostCall) string {
	return core.NewDigest("post", pc.UUID).Str(pc.Direction, pc.Destination, pc.Disposition, pc.From, pc.To,
		pc.Charge, pc.PerMinute).Int(int64(pc.Duration)).Time(pc.Date).Map(pc.Extra).Key()
}
