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
// Wavix sends no event id. A CallEvent is identified by its uuid,
// event_type, event_time and payload (type, status, reason, playback id and
// digits), a PostCall by its uuid and date: a second webhook with the same
// identity reaches no callback. Unknown webhooks are never de-duplicated.
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
		return acknowledge("call_event", ev, callKey(ev), cb.OnCallEvent)
	case *PostCall:
		return acknowledge("post_call", ev, postKey(ev), cb.OnPostCall)
	case *Unknown:
		return acknowledge("unknown", ev, "", cb.OnUnknown)
	}
	panic(fmt.Sprintf("oncall: no delivery for %T", ev)) // unreachable: Event is sealed
}

// acknowledge binds an event whose answer is a plain 200.
func acknowledge[E any](kind string, ev E, key string, fn func(context.Context, E) error) core.Delivery {
	d := core.Delivery{Kind: kind, Event: ev, Key: key}
	if fn != nil {
		d.Handle = func(ctx context.Context) (core.Answer, error) { return ack, fn(ctx, ev) }
	}
	return d
}

// callKey identifies a CallEvent by what a resend repeats: the call, what
// happened, when, and the payload. Each part is length-prefixed, so no
// value can be read as two.
func callKey(ev *CallEvent) string {
	p := ev.Payload
	return core.Key("call", ev.UUID, ev.EventType, p.Type, p.Status, p.Reason, p.PlaybackID, p.Digits, core.Instant(ev.EventTime))
}

// postKey identifies a PostCall: there is one per call.
func postKey(pc *PostCall) string { return core.Key("post", pc.UUID, core.Instant(pc.Date)) }
