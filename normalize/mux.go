package normalize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/config"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

// Auto names the auto-detecting path in WithOptions.
const Auto Provider = "auto"

// MuxOption configures NewMux.
type MuxOption func(*muxConfig)

type muxConfig struct {
	normalizer Normalizer
	shared     []telhook.Option
	per        map[Provider][]telhook.Option
	elksCall   func(context.Context, *elks.CallEvent) (elks.Action, error)
	tracker    *pbx3cx.Tracker
}

// WithNormalizer sets the Normalizer events are mapped with (region for
// national numbers, the 3CX zone).
func WithNormalizer(n Normalizer) MuxOption { return func(c *muxConfig) { c.normalizer = n } }

// WithSharedOptions applies opts to every path (a logger, a body limit).
// Options given with WithOptions for one provider come after them, so they
// win.
func WithSharedOptions(opts ...telhook.Option) MuxOption {
	return func(c *muxConfig) { c.shared = append(c.shared, opts...) }
}

// WithOptions applies opts to one provider's path (its verifier above all:
// every provider proves itself differently), or with Auto to the
// auto-detecting path.
func WithOptions(p Provider, opts ...telhook.Option) MuxOption {
	return func(c *muxConfig) { c.per[p] = append(c.per[p], opts...) }
}

// WithElksCalls answers 46elks call hooks. fn runs after the mux's
// callback has handled the normalized event; without it a call hook is
// answered with 204 (the call ends) unless elks.WithFallback is among the
// 46elks options.
func WithElksCalls(fn func(context.Context, *elks.CallEvent) (elks.Action, error)) MuxOption {
	return func(c *muxConfig) { c.elksCall = fn }
}

// WithTracker feeds every 3CX event to t as well, whose emitted calls the
// caller can hand to Normalizer.Normalize. The mux does not run t: call
// t.Run yourself.
func WithTracker(t *pbx3cx.Tracker) MuxOption { return func(c *muxConfig) { c.tracker = t } }

// NewMux returns one http.Handler that serves every provider, each at its
// own path and with its own handler (verification, limits,
// de-duplication and the answer that provider expects), and hands every
// event, normalized, to fn:
//
//	/elks, /elks/…   46elks: SMS, MMS, delivery reports, calls (answered by WithElksCalls), recordings
//	/obd             Mobtexting reports and the validation challenge (obd.WithChallengeKey); exactly 200
//	/obd/compose     Mobtexting composed webhooks (obd.WithFields; GET, POST, PUT)
//	/pbx3cx          the 3CX add-on, JSON POSTs and legacy GETs
//	/oncall          Wavix call webhooks
//	/auto            any of them, recognised as Parse does
//
// The /auto path runs its own verifier (WithOptions(Auto, …)) before it reads
// the body, then hands the request to the provider's handler. A request it
// cannot attribute gets 400. fn's error answers 500 (on 46elks call hooks:
// the fallback action, when set), so the provider retries. Mount the mux
// under a prefix with http.StripPrefix.
func NewMux(fn func(context.Context, Event) error, opts ...MuxOption) http.Handler {
	c := &muxConfig{per: map[Provider][]telhook.Option{}}
	for _, o := range opts {
		o(c)
	}
	mux := http.NewServeMux()
	direct := c.handlers(fn, func(p Provider) []telhook.Option { return c.options(p) })
	mux.Handle("/elks", direct[Elks])
	mux.Handle("/elks/", direct[Elks])
	mux.Handle("/obd", direct[OBD])
	mux.Handle("/obd/compose", c.obdCompose(fn))
	mux.Handle("/pbx3cx", direct[PBX3CX])
	mux.Handle("/oncall", direct[OnCall])

	autoCfg := config.Build(c.options(Auto))
	viaAuto := c.handlers(fn, func(p Provider) []telhook.Option {
		// The /auto path has verified already: the provider's handler must
		// not verify again (its secret is not the auto path's).
		return append(c.options(p), telhook.WithVerifier(verified{}))
	})
	mux.Handle("/auto", &autoHandler{cfg: autoCfg, handlers: viaAuto})
	return mux
}

func (c *muxConfig) options(p Provider) []telhook.Option {
	return append(append([]telhook.Option(nil), c.shared...), c.per[p]...)
}

// handlers builds one handler per provider, with the options opts returns.
func (c *muxConfig) handlers(fn func(context.Context, Event) error, opts func(Provider) []telhook.Option) map[Provider]http.Handler {
	n := c.normalizer
	deliver := func(ctx context.Context, src any) error {
		ev, err := n.Normalize(src)
		if err != nil {
			return err
		}
		return fn(ctx, ev)
	}
	return map[Provider]http.Handler{
		Elks: elks.NewHandler(elks.Callbacks{
			OnSMS:            func(ctx context.Context, e *elks.SMS) (elks.Reply, error) { return elks.Reply{}, deliver(ctx, e) },
			OnMMS:            func(ctx context.Context, e *elks.MMS) error { return deliver(ctx, e) },
			OnDeliveryReport: func(ctx context.Context, e *elks.DeliveryReport) error { return deliver(ctx, e) },
			OnRecording:      func(ctx context.Context, e *elks.Recording) error { return deliver(ctx, e) },
			OnCallEnd:        func(ctx context.Context, e *elks.CallEnd) error { return deliver(ctx, e) },
			OnCall: func(ctx context.Context, e *elks.CallEvent) (elks.Action, error) {
				if err := deliver(ctx, e); err != nil || c.elksCall == nil {
					return nil, err
				}
				return c.elksCall(ctx, e)
			},
		}, opts(Elks)...),
		OBD: obd.NewHandler(obd.Callbacks{
			OnReport: func(ctx context.Context, r *obd.Report) error { return deliver(ctx, r) },
		}, opts(OBD)...),
		PBX3CX: pbx3cx.NewHandler(pbx3cx.Callbacks{
			OnEvent: func(ctx context.Context, e *pbx3cx.Event) error {
				if c.tracker != nil {
					c.tracker.Add(e)
				}
				return deliver(ctx, e)
			},
		}, opts(PBX3CX)...),
		OnCall: oncall.NewHandler(oncall.Callbacks{
			OnCallEvent: func(ctx context.Context, e *oncall.CallEvent) error { return deliver(ctx, e) },
			OnPostCall:  func(ctx context.Context, e *oncall.PostCall) error { return deliver(ctx, e) },
		}, opts(OnCall)...),
	}
}

// obdCompose serves composed Mobtexting webhooks: Mobtexting's key names
// unless the OBD options set obd.WithFields (which, coming later, wins).
func (c *muxConfig) obdCompose(fn func(context.Context, Event) error) http.Handler {
	n := c.normalizer
	return obd.NewHandler(obd.Callbacks{
		OnReport: func(ctx context.Context, r *obd.Report) error {
			ev, err := n.Normalize(r)
			if err != nil {
				return err
			}
			return fn(ctx, ev)
		},
	}, append([]telhook.Option{obd.WithFields(obd.Fields{})}, c.options(OBD)...)...)
}

// verified accepts every request: the /auto path verified it already.
type verified struct{}

// Verify accepts: the /auto path has verified the request already.
func (verified) Verify(*http.Request) error { return nil }

// autoHandler verifies, recognises the provider and hands the request on.
type autoHandler struct {
	cfg      *config.Config
	handlers map[Provider]http.Handler
}

// ServeHTTP verifies, recognises the provider and hands the request on.
func (a *autoHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	onErr := a.cfg.ErrorHandler
	if onErr == nil {
		onErr = telhook.DefaultErrorHandler
	}
	if a.cfg.Verifier != nil {
		if err := a.cfg.Verifier.Verify(r); err != nil {
			if !errors.Is(err, telhook.ErrUnauthorized) {
				err = fmt.Errorf("%w: %w", telhook.ErrUnauthorized, err)
			}
			a.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "telhook: webhook refused", slog.String("provider", string(Auto)), slog.Any("error", err))
			onErr(w, r, err)
			return
		}
	}
	if r.ContentLength > a.cfg.MaxBodyBytes {
		onErr(w, r, fmt.Errorf("%w: %w", telhook.ErrTooLarge, &http.MaxBytesError{Limit: a.cfg.MaxBodyBytes}))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes)
	p, err := sniff(r, string(Auto))
	if err != nil {
		if errors.Is(err, telhook.ErrUnknownEvent) {
			err = &telhook.DecodeError{Provider: string(Auto), Err: err}
		}
		a.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "telhook: webhook refused", slog.String("provider", string(Auto)), slog.Any("error", err))
		onErr(w, r, err)
		return
	}
	a.handlers[p].ServeHTTP(w, r)
}
