package elks

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
// Each is optional; a webhook whose callback is nil is acknowledged and
// logged. Every callback gets the request's context. An error (or a panic)
// answers 500, so that 46elks retries; on a call hook, where 46elks does
// not retry but ends the call, the WithFallback action is answered instead
// when one is set.
type Callbacks struct {
	// OnSMS answers an incoming SMS. The zero Reply sends nothing back.
	OnSMS func(context.Context, *SMS) (Reply, error)
	// OnMMS receives an incoming MMS.
	OnMMS func(context.Context, *MMS) error
	// OnDeliveryReport receives the delivery reports of sent SMS.
	OnDeliveryReport func(context.Context, *DeliveryReport) error
	// OnCall decides what a live call does next: at voice_start and at
	// every "next" URL (IVR digits, connect and play results). A nil Action
	// answers 204 with no action, which ends the call.
	OnCall func(context.Context, *CallEvent) (Action, error)
	// OnRecording receives finished recordings (record and recordcall).
	OnRecording func(context.Context, *Recording) error
	// OnCallEnd receives the whenhangup webhook.
	OnCallEnd func(context.Context, *CallEnd) error
	// OnUnknown receives well-formed webhooks of no known kind.
	OnUnknown func(context.Context, *Unknown) error
}

var fallbackKey = config.NewKey[Action]("elks.WithFallback")

// WithFallback sets the action a call hook answers when OnCall fails,
// panics, returns an invalid action, or is not set. Without it such a call
// hook gets a 500, and 46elks ends the call. The action is validated when
// the handler is built: NewHandler panics on an invalid one.
func WithFallback(a Action) telhook.Option {
	return config.Public[telhook.Option](fallbackKey.Option(a))
}

// SourceIPs returns the addresses 46elks sends webhooks from, as published
// on 46elks.com/docs/ip-addresses, for telhook.SourceIP:
//
//	v, err := telhook.SourceIP(elks.SourceIPs(), nil)
//
// Each call returns a new slice.
func SourceIPs() []string {
	return []string{"176.10.154.199", "85.24.146.132", "185.39.146.243", "2001:9b0:2:902::199"}
}

// ack is how 46elks is told "received": any 200-204; 204 carries no body,
// so on an SMS hook it also means "no reply".
var ack = core.Answer{Status: http.StatusNoContent}

// NewHandler returns an http.Handler for every 46elks webhook: mount it on
// one URL and point sms_url, mms_url, voice_start, whendelivered, next,
// whenhangup and the record URLs at it, or on several URLs. It accepts POST
// only, verifies, reads at most the body limit, decodes, de-duplicates
// (each webhook by all of its fields, so that only a resend is dropped;
// never the steps of a live call, where the same digits may rightly come
// twice), calls the callback and answers as 46elks expects.
func NewHandler(cb Callbacks, opts ...telhook.Option) http.Handler {
	cfg := config.Build(opts)
	var fallback *core.Answer
	if a, ok := fallbackKey.Get(cfg); ok {
		body, err := encodeAction(a)
		if err != nil {
			panic(fmt.Sprintf("elks.WithFallback: %v", err))
		}
		fallback = &core.Answer{Status: http.StatusOK, ContentType: jsonType, Body: body}
	}
	return core.New(core.Spec{
		Provider: provider,
		Methods:  []string{http.MethodPost},
		Ack:      ack,
		Decode: func(r *http.Request, body []byte) (core.Delivery, error) {
			if err := checkContentType(r); err != nil {
				return core.Delivery{}, err
			}
			ev, err := Decode(body)
			if err != nil && !errors.Is(err, telhook.ErrUnknownEvent) {
				return core.Delivery{}, err
			}
			return cb.delivery(ev, fallback), nil
		},
	}, cfg)
}

const jsonType = "application/json"

// delivery binds a decoded event to its callback.
func (cb *Callbacks) delivery(ev Event, fallback *core.Answer) core.Delivery {
	switch ev := ev.(type) {
	case *SMS:
		d := core.Delivery{Kind: "sms", Key: smsKey(ev)}
		if cb.OnSMS != nil {
			d.Handle = func(ctx context.Context) (core.Answer, error) {
				reply, err := cb.OnSMS(ctx, ev)
				if err != nil {
					return core.Answer{}, err
				}
				status, ct, body, err := encodeReply(reply)
				return core.Answer{Status: status, ContentType: ct, Body: body}, err
			}
		}
		return d
	case *MMS:
		return core.Acknowledge("mms", mmsKey(ev), ev, cb.OnMMS)
	case *DeliveryReport:
		return core.Acknowledge("delivery_report", dlrKey(ev), ev, cb.OnDeliveryReport)
	case *Recording:
		return core.Acknowledge("recording", recordingKey(ev), ev, cb.OnRecording)
	case *CallEnd:
		return core.Acknowledge("call_end", callEndKey(ev), ev, cb.OnCallEnd)
	case *CallEvent:
		d := core.Delivery{Kind: "call", Fallback: fallback}
		if cb.OnCall != nil {
			d.Handle = func(ctx context.Context) (core.Answer, error) {
				a, err := cb.OnCall(ctx, ev)
				if err != nil || a == nil {
					return core.Answer{}, err
				}
				body, err := encodeAction(a)
				return core.Answer{Status: http.StatusOK, ContentType: jsonType, Body: body}, err
			}
		} else if fallback != nil {
			d.Handle = func(context.Context) (core.Answer, error) { return *fallback, nil }
		}
		return d
	case *Unknown:
		return core.Acknowledge("unknown", "", ev, cb.OnUnknown)
	}
	panic(fmt.Sprintf("elks: no delivery for %T", ev)) // unreachable: Event is sealed
}

// The keys below identify a webhook by everything a resend of it repeats:
// every field, Extra included. A resend is the same form body, so it gets
// the same key; two webhooks that differ in anything are both delivered,
// even where 46elks' ids alone would tell them apart, so that an id reused
// (by a test tool, a proxy, or 46elks' own examples) drops nothing.

func smsKey(ev *SMS) string {
	return core.NewDigest("sms", ev.ID).Str(ev.From, ev.To, ev.Message, ev.Direction).Time(ev.Created).Map(ev.Extra).Key()
}

func mmsKey(ev *MMS) string {
	return core.NewDigest("mms", ev.ID).Str(ev.From, ev.To, ev.Message, ev.Direction).Time(ev.Created).
		Int(int64(len(ev.Images))).Str(ev.Images...).Map(ev.Extra).Key()
}

func dlrKey(ev *DeliveryReport) string {
	return core.NewDigest("dlr", ev.ID).Str(ev.Status).Time(ev.Delivered).Map(ev.Extra).Key()
}

func recordingKey(ev *Recording) string {
	return core.NewDigest("rec", ev.CallID).Str(ev.From, ev.To, ev.Direction, ev.WAV).
		Int(int64(ev.Duration)).Time(ev.Created).Map(ev.Extra).Key()
}

// callEndKey writes Actions in Go syntax: map keys sorted, strings quoted.
func callEndKey(ev *CallEnd) string {
	d := core.NewDigest("end", ev.ID).Str(ev.From, ev.To, ev.Direction, ev.State).Time(ev.Created, ev.Start).
		Int(int64(ev.Duration), int64(ev.Cost)).Str(fmt.Sprintf("%#v", ev.Actions)).Int(int64(len(ev.Legs)))
	for _, l := range ev.Legs {
		d.Str(l.From, l.To, l.State).Int(int64(l.Duration))
	}
	return d.Map(ev.Extra).Key()
}
