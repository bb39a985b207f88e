package pbx3cx

import (
	"context"
	"errors"
	"net/http"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/config"
	"github.com/telhook/telhook/internal/core"
)

// Callbacks are the functions a handler calls. Each is optional; an event
// whose callback is nil is acknowledged and logged. An error or a panic
// answers 500.
type Callbacks struct {
	// OnEvent receives every event of a known type. Feed it to a Tracker
	// to get whole calls.
	OnEvent func(context.Context, *Event) error
	// OnUnknown receives well-formed events of a type this package does
	// not know (a newer add-on version, say), with every field kept.
	OnUnknown func(context.Context, *Event) error
}

// ack is the answer to every accepted webhook: the add-on documents none,
// any 2xx is safe.
var ack = core.Answer{Status: http.StatusOK}

// NewHandler returns an http.Handler for the add-on's webhooks: JSON POSTs
// (WEBHOOK_URL with POST=1), the legacy GET scheme (POST=0) and the legacy
// recording request (WEBHOOK_POST_URL). Other methods get 405.
//
// The add-on sends no event id and documents no retries; a request that
// repeats an event already handled (same type, id, user, finish type,
// duration and recordings) is acknowledged without calling OnEvent again.
//
// The add-on has no authentication of its own: put a secret in WEBHOOK_URL
// and check it with telhook.QueryToken, and allow only the PBX's address
// with telhook.SourceIP.
func NewHandler(cb Callbacks, opts ...telhook.Option) http.Handler {
	return core.New(core.Spec{
		Provider: provider,
		Methods:  []string{http.MethodGet, http.MethodPost},
		Ack:      ack,
		Decode: func(r *http.Request, body []byte) (core.Delivery, error) {
			var ev *Event
			var err error
			if r.Method == http.MethodGet {
				ev, err = DecodeQuery(r.URL.RawQuery)
			} else {
				ev, err = Decode(body)
			}
			unknown := errors.Is(err, telhook.ErrUnknownEvent)
			if err != nil && !unknown {
				return core.Delivery{}, err
			}
			fn, kind := cb.OnEvent, ev.Type
			if unknown {
				fn, kind = cb.OnUnknown, "unknown"
			}
			return core.Acknowledge(kind, dedupKey(ev), ev, fn), nil
		},
	}, config.Build(opts))
}

// dedupKey identifies an event by everything a resend of it repeats,
// RecordingURLs and Extra included: the add-on sends no event id, and the
// Tracker too takes two events that differ in any field as two.
func dedupKey(ev *Event) string {
	return core.NewDigest("event", ev.ID).Str(ev.Type, ev.CallerID, ev.User, ev.UserType, ev.DID, ev.TransferType,
		ev.FinishType, ev.Title).Bool(ev.Transfer).Int(int64(ev.Duration), int64(len(ev.RecordingURLs))).
		Str(ev.RecordingURLs...).Map(ev.Extra).Key()
}
