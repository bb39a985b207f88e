package obd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/config"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/internal/secret"
)

// Callbacks are the functions a handler calls. Each is optional; a webhook
// whose callback is nil is acknowledged (200) and logged. An error or a
// panic answers 500, which Mobtexting counts as a failure.
type Callbacks struct {
	// OnReport receives call reports, standard or composed.
	OnReport func(context.Context, *Report) error
	// OnUnknown receives well-formed webhooks that are neither a report nor
	// a challenge.
	OnUnknown func(context.Context, *Unknown) error
}

var (
	fieldsKey    = config.NewKey[Fields]("obd.WithFields")
	locationKey  = config.NewKey[*time.Location]("obd.WithLocation")
	challengeKey = config.NewKey[string]("obd.WithChallengeKey")
)

// WithFields makes the handler read a composed webhook whose keys are f
// (empty entries keep Mobtexting's names). It also accepts GET and PUT, the
// methods a composed webhook may use; without it only POST is accepted.
//
// f is checked when the handler is built, with validator/v10, and
// NewHandler panics when two fields map to one key or a key holds '&',
// '=', '?' or '#' (a form, query or URL could not carry it).
func WithFields(f Fields) telhook.Option { return config.Public[telhook.Option](fieldsKey.Option(f)) }

// WithLocation sets the zone in which zone-less times are read (default
// India, +05:30; nil keeps the default).
func WithLocation(loc *time.Location) telhook.Option {
	return config.Public[telhook.Option](locationKey.Option(loc))
}

// WithChallengeKey sets the validation key you gave Mobtexting when
// creating the webhook. The handler then answers the one-time validation
// challenge itself, with 200 and {"challenge":"…"}, when its validation_key
// (and its ?token=, when sent) equal key; a challenge with another key is
// refused with 401. Without it a challenge is acknowledged but not echoed,
// so Mobtexting's validation fails, and a warning is logged.
//
// The challenge may arrive without the bearer secret of telhook.BearerToken;
// if your verifier refuses it, accept either:
//
//	telhook.AnyOf(telhook.BearerToken(secret), telhook.QueryToken("token", key))
//
// QueryToken removes the token parameter from every request, also from one
// that AnyOf accepts through the bearer token, so the key never reaches a
// Report's Extra fields or a log. A challenge accepted that way is then
// checked by its validation_key alone.
func WithChallengeKey(key string) telhook.Option {
	return config.Public[telhook.Option](challengeKey.Option(key))
}

// ok is Mobtexting's only success: "response codes other than 200 or 202
// are ... considered as failed", so 201 and 204 would be failures.
var ok = core.Answer{Status: http.StatusOK}

// NewHandler returns an http.Handler for Mobtexting's voice webhooks: OBD
// ("Reach") and Click2Call reports, standard or composed, and the
// validation challenge. It answers exactly 200 for every accepted webhook.
//
// Reports have no id of their own; a resend (the same report, every field
// and Extra alike) is acknowledged without calling OnReport again.
//
// Mobtexting sends the webhook's secret as a bearer token: check it with
// telhook.BearerToken.
func NewHandler(cb Callbacks, opts ...telhook.Option) http.Handler {
	cfg := config.Build(opts)
	d := &Decoder{}
	methods := []string{http.MethodPost}
	if f, set := fieldsKey.Get(cfg); set {
		if err := f.check(); err != nil {
			panic(err.Error())
		}
		d.Fields = f
		methods = []string{http.MethodGet, http.MethodPost, http.MethodPut}
	}
	d.Location, _ = locationKey.Get(cfg)
	key, hasKey := challengeKey.Get(cfg)
	if hasKey && key == "" {
		panic("obd.WithChallengeKey: empty key")
	}
	keyHash := secret.Of(key)
	return core.New(core.Spec{
		Provider: provider,
		Methods:  methods,
		Ack:      ok,
		Decode: func(r *http.Request, body []byte) (core.Delivery, error) {
			ev, err := d.request(r, body)
			if err != nil && !errors.Is(err, telhook.ErrUnknownEvent) {
				return core.Delivery{}, err
			}
			switch ev := ev.(type) {
			case *Report:
				return core.Acknowledge("report", reportKey(ev), ev, cb.OnReport), nil
			case *Challenge:
				if !hasKey {
					return core.Delivery{Kind: "challenge"}, nil
				}
				return core.Delivery{Kind: "challenge", Handle: func(context.Context) (core.Answer, error) {
					if keyHash.Match(ev.ValidationKey) != 1 || (ev.Token != "" && keyHash.Match(ev.Token) != 1) {
						return core.Answer{}, fmt.Errorf("%w: validation challenge with another key", telhook.ErrUnauthorized)
					}
					return challengeAnswer(ev.Challenge), nil
				}}, nil
			case *Unknown:
				return core.Acknowledge("unknown", "", ev, cb.OnUnknown), nil
			}
			panic(fmt.Sprintf("obd: no delivery for %T", ev)) // unreachable: Event is sealed
		},
	}, cfg)
}

// reportKey identifies a report by everything a resend of it repeats:
// Mobtexting sends no event id, so two reports of one campaign to the same
// number (or IVR flow) in the same second with the same status are told
// apart only by their callers, bridges, durations, legs or recordings.
// Extra counts too: a composed webhook's own fields are in it. Date and
// UnixTime are left out: they say when the report was sent, which a resend
// need not repeat, and two reports of different calls differ elsewhere.
func reportKey(r *Report) string {
	id := r.ID
	if id == "" {
		id = r.MID
	}
	return core.NewDigest("report", id).Str(r.Source, r.Bridge, r.From, r.To, r.MID, r.WebhookID, r.ID,
		r.Status, r.Status1, r.Status2, r.HangupBy, r.RecordingURL).Int(int64(r.FlowID), int64(r.Duration), int64(r.Billing)).
		Time(r.StartAt, r.EndAt).Map(r.Extra).Key()
}
