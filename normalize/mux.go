package normalize

import (
	"context"
	"fmt"
	"net/http"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/config"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

// Auto names the auto-detecting path in WithOptions.
const Auto Provider = "auto"

// MuxOption configures NewMux. Options apply in order.
type MuxOption struct{ apply func(*muxConfig) }

type muxConfig struct {
	normalizer Normalizer
	shared     []telhook.Option
	per        map[Provider][]telhook.Option
	elksCall   func(context.Context, *elks.CallEvent) (elks.Action, error)
	tracker    *pbx3cx.Tracker
	tracking   *tracking // WithTracking
}

// WithNormalizer sets the Normalizer events are mapped with (region for
// national numbers, the 3CX zone).
func WithNormalizer(n Normalizer) MuxOption {
	return MuxOption{func(c *muxConfig) { c.normalizer = n }}
}

// WithSharedOptions applies opts to every path (a logger, a body limit). A
// verifier among them guards every provider's path, and /auto through the
// provider it recognises, once.
// Options given with WithOptions for one provider come after them, so they
// win.
func WithSharedOptions(opts ...telhook.Option) MuxOption {
	return MuxOption{func(c *muxConfig) { c.shared = append(c.shared, opts...) }}
}

// WithOptions applies opts to one provider's path (its verifier above all:
// every provider proves itself differently), or with Auto to the
// auto-detecting path.
func WithOptions(p Provider, opts ...telhook.Option) MuxOption {
	return MuxOption{func(c *muxConfig) { c.per[p] = append(c.per[p], opts...) }}
}

// WithElksCalls answers 46elks call hooks. fn runs after the mux's
// callback has handled the normalized event; without it a call hook is
// answered with 204 (the call ends) unless elks.WithFallback is among the
// 46elks options.
func WithElksCalls(fn func(context.Context, *elks.CallEvent) (elks.Action, error)) MuxOption {
	return MuxOption{func(c *muxConfig) { c.elksCall = fn }}
}

// WithTracker feeds every 3CX event to t as well, a Tracker you built
// and run yourself, whose calls go where its emit function sends them.
// WithTracking is the same with the calls handed to the mux's callback.
func WithTracker(t *pbx3cx.Tracker) MuxOption { return MuxOption{func(c *muxConfig) { c.tracker = t }} }

// WithTracking puts 3CX calls together and hands them to the mux's
// callback like every other event: the mux builds a pbx3cx.Tracker with
// opts, feeds it every 3CX event it accepts, and hands each whole call
// the tracker emits, normalized with the mux's Normalizer (Kind "call",
// Source the *pbx3cx.Call), to the callback, with context.Background(). A
// callback error for a tracked call is logged: no provider is waiting to
// retry it. start is called once, when the mux is built, with the
// tracker, which nothing runs until you do:
//
//	normalize.WithTracking(func(t *pbx3cx.Tracker) { go t.Run(ctx) })
//
// Run flushes the open calls when ctx is done; a server that wants them
// printed before it exits runs it in a goroutine it waits for. With a
// store shared by several instances (pbx3cx.WithCallStore), Run leaves
// the open calls to the other instances instead.
func WithTracking(start func(*pbx3cx.Tracker), opts ...pbx3cx.TrackerOption) MuxOption {
	return MuxOption{func(c *muxConfig) { c.tracking = &tracking{start: start, opts: opts} }}
}

type tracking struct {
	start func(*pbx3cx.Tracker)
	opts  []pbx3cx.TrackerOption
}

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
//	/auto            any of /elks, /obd, /pbx3cx and /oncall, recognised as Parse does
//
// The /auto path is no weaker than the path it stands for. It accepts the
// methods those providers use (others get 405), runs its own verifier
// (WithOptions(Auto, …)), if any, before it reads anything, reads the body
// bounded by the largest of the providers' limits, and recognises the
// provider. From there the request is served by that provider's own
// handler, exactly as on its own path: its verifier, its body limit, its
// de-duplication state (a webhook delivered to /elks and again to /auto is
// a duplicate), its callback and its answer. A request /auto cannot
// attribute gets 400.
//
// fn's error answers 500 (on 46elks call hooks: the fallback action, when
// set), so the provider retries. When it is built, the mux logs a warning
// for each path that runs without a verifier. Mount the mux under a prefix
// with http.StripPrefix.
func NewMux(fn func(context.Context, Event) error, opts ...MuxOption) http.Handler {
	c := &muxConfig{per: map[Provider][]telhook.Option{}}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(c)
		}
	}
	n := c.normalizer
	// deliver normalizes a provider's event and hands it to fn.
	deliver := func(ctx context.Context, src any) error {
		ev, err := n.Normalize(src)
		if err != nil {
			return err
		}
		return fn(ctx, ev)
	}
	if c.tracking != nil {
		log := config.Build(c.options(PBX3CX)).Logger
		c.tracker = pbx3cx.NewTracker(func(call pbx3cx.Call) {
			if err := deliver(context.Background(), call); err != nil {
				log.Error("telhook: a tracked 3CX call could not be handed on", "call", call.ID, "error", err)
			}
		}, c.tracking.opts...)
		if c.tracking.start != nil {
			c.tracking.start(c.tracker)
		}
	}
	hs := c.handlers(deliver)
	compose := c.obdCompose(deliver)
	mux := http.NewServeMux()
	mux.Handle("/elks", hs[Elks])
	mux.Handle("/elks/", hs[Elks])
	mux.Handle("/obd", hs[OBD])
	mux.Handle("/obd/compose", compose)
	mux.Handle("/pbx3cx", hs[PBX3CX])
	mux.Handle("/oncall", hs[OnCall])

	// /auto's own verifier is the one WithOptions(Auto, …) gives: a shared
	// verifier guards every provider, and so /auto through them, once (a
	// QueryToken run twice would strip its secret, then refuse).
	autoOpts := append(append([]telhook.Option(nil), c.shared...),
		config.Public[telhook.Option](config.New(func(c *config.Config) { c.Verifier = nil })))
	autoCfg := config.Build(append(autoOpts, c.per[Auto]...))
	auto := core.Dispatch(string(Auto), autoCfg, func(r *http.Request, body []byte) (*core.Handler, error) {
		p, ok := detect(r.Method, r.URL.RawQuery, body)
		if !ok {
			return nil, errUndetected
		}
		return hs[p], nil
	}, hs[Elks], hs[OBD], hs[PBX3CX], hs[OnCall])
	mux.Handle("/auto", auto)

	var open []string
	for _, p := range []struct {
		path string
		h    *core.Handler
	}{{"/elks", hs[Elks]}, {"/obd", hs[OBD]}, {"/obd/compose", compose}, {"/pbx3cx", hs[PBX3CX]}, {"/oncall", hs[OnCall]}} {
		if !p.h.Verified() {
			open = append(open, p.h.Provider())
			autoCfg.Logger.Warn("telhook: path has no verifier: anyone who can reach it can post to it", "path", p.path)
		}
	}
	if !auto.Verified() && len(open) > 0 {
		autoCfg.Logger.Warn("telhook: path has no verifier of its own, and some of its providers none either", "path", "/auto", "providers", open)
	}
	return mux
}

var errUndetected = fmt.Errorf("normalize: cannot tell which provider sent this request: %w", telhook.ErrUnknownEvent)

// options are the options of provider p's path: the shared ones, then p's
// own, then a mark that the mux reports the path's verifier itself.
func (c *muxConfig) options(p Provider) []telhook.Option {
	o := append(append([]telhook.Option(nil), c.shared...), c.per[p]...)
	return append(o, config.Public[telhook.Option](config.New(func(c *config.Config) { c.Mounted = true })))
}

// handlers builds one handler per provider, each handing its events to
// deliver.
func (c *muxConfig) handlers(deliver func(context.Context, any) error) map[Provider]*core.Handler {
	return map[Provider]*core.Handler{
		Elks: coreOf(elks.NewHandler(elks.Callbacks{
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
		}, c.options(Elks)...)),
		OBD: coreOf(obd.NewHandler(obd.Callbacks{
			OnReport: func(ctx context.Context, r *obd.Report) error { return deliver(ctx, r) },
		}, c.options(OBD)...)),
		PBX3CX: coreOf(pbx3cx.NewHandler(pbx3cx.Callbacks{
			OnEvent: func(ctx context.Context, e *pbx3cx.Event) error {
				if c.tracker != nil {
					// A store that cannot record the event answers 500,
					// so the add-on's resend is recorded: never half a call.
					if err := c.tracker.AddContext(ctx, e); err != nil {
						return err
					}
				}
				return deliver(ctx, e)
			},
		}, c.options(PBX3CX)...)),
		OnCall: coreOf(oncall.NewHandler(oncall.Callbacks{
			OnCallEvent: func(ctx context.Context, e *oncall.CallEvent) error { return deliver(ctx, e) },
			OnPostCall:  func(ctx context.Context, e *oncall.PostCall) error { return deliver(ctx, e) },
		}, c.options(OnCall)...)),
	}
}

// coreOf returns the core handler every provider's NewHandler is made of.
func coreOf(h http.Handler) *core.Handler { return h.(*core.Handler) }

// obdCompose serves composed Mobtexting webhooks: Mobtexting's key names
// unless the OBD options set obd.WithFields (which, coming later, wins).
func (c *muxConfig) obdCompose(deliver func(context.Context, any) error) *core.Handler {
	return coreOf(obd.NewHandler(obd.Callbacks{
		OnReport: func(ctx context.Context, r *obd.Report) error { return deliver(ctx, r) },
	}, append([]telhook.Option{obd.WithFields(obd.Fields{})}, c.options(OBD)...)...))
}
