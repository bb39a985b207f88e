// Command server is a runnable webhook receiver: it mounts every provider
// telhook supports so far (46elks at /elks, Mobtexting at /obd and, for
// composed webhooks with Mobtexting's key names, /obd/compose, the 3CX
// add-on at /pbx3cx) and
// prints each decoded event as one JSON line on standard output, and each
// 3CX call the tracker has put together from its events ("kind":"call")
// once it is over. Logs go to standard error.
//
//	go run ./examples/server                 # listens on :8080, or $PORT
//	go run ./examples/server -addr :9000 -elks-user elks -elks-pass s3cret
//
// With no flags it accepts every request (and warns that nothing is
// verified), answers 46elks call hooks by hanging up unless -elks-connect
// names a number to connect, and sends no SMS replies.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/pbx3cx"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

type settings struct {
	addr, elksUser, elksPass, elksKey, elksConnect string
	pbxKey, obdSecret, obdChallengeKey             string
	elksSourceIP                                   bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s settings
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	fs.StringVar(&s.addr, "addr", ":"+port, "listen address (default :$PORT, or :8080)")
	fs.StringVar(&s.elksUser, "elks-user", os.Getenv("ELKS_USER"), "46elks: Basic auth user in the webhook URL ($ELKS_USER)")
	fs.StringVar(&s.elksPass, "elks-pass", os.Getenv("ELKS_PASS"), "46elks: Basic auth password ($ELKS_PASS)")
	fs.StringVar(&s.elksKey, "elks-key", os.Getenv("ELKS_KEY"), "46elks: secret ?key= query parameter ($ELKS_KEY)")
	fs.BoolVar(&s.elksSourceIP, "elks-source-ip", false, "46elks: accept only 46elks' published addresses")
	fs.StringVar(&s.elksConnect, "elks-connect", "", "46elks: connect incoming calls to this E.164 number (default: hang up)")
	fs.StringVar(&s.obdSecret, "obd-secret", os.Getenv("OBD_SECRET"), "Mobtexting: the webhook's bearer secret ($OBD_SECRET)")
	fs.StringVar(&s.obdChallengeKey, "obd-challenge-key", os.Getenv("OBD_CHALLENGE_KEY"), "Mobtexting: validation key to answer the challenge with ($OBD_CHALLENGE_KEY)")
	fs.StringVar(&s.pbxKey, "pbx3cx-key", os.Getenv("PBX3CX_KEY"), "3CX: secret ?key= in WEBHOOK_URL ($PBX3CX_KEY)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	trackerDone := make(chan struct{})
	handler, err := newMux(ctx, s, &printer{w: stdout}, logger, trackerDone)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              s.addr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second, // slow clients are cut off
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("listening", "addr", s.addr, "providers", []string{"elks", "obd", "pbx3cx"})
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	<-trackerDone // open 3CX calls are flushed
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newMux mounts every provider with the options the flags ask for. The 3CX
// call tracker runs until ctx is done, then flushes and closes done.
func newMux(ctx context.Context, s settings, out *printer, logger *slog.Logger, done chan<- struct{}) (http.Handler, error) {
	opts := []telhook.Option{telhook.WithLogger(logger)}
	var verifiers []telhook.Verifier
	if s.elksUser != "" || s.elksPass != "" {
		verifiers = append(verifiers, telhook.BasicAuth(s.elksUser, s.elksPass))
	}
	if s.elksKey != "" {
		verifiers = append(verifiers, telhook.QueryToken("key", s.elksKey))
	}
	if s.elksSourceIP {
		v, err := telhook.SourceIP(elks.SourceIPs(), nil)
		if err != nil {
			return nil, err
		}
		verifiers = append(verifiers, v)
	}
	if len(verifiers) > 0 {
		opts = append(opts, telhook.WithVerifier(telhook.AllOf(verifiers...)))
	}
	var answer elks.Action = elks.Hangup{Reason: "reject"}
	if s.elksConnect != "" {
		answer = elks.Connect{To: s.elksConnect}
		if _, err := json.Marshal(answer); err != nil {
			return nil, fmt.Errorf("-elks-connect: %w", err)
		}
	}
	opts = append(opts, elks.WithFallback(elks.Hangup{Reason: "busy"}))

	mux := http.NewServeMux()
	mount(mux, "/elks", elks.NewHandler(elks.Callbacks{
		OnSMS: func(_ context.Context, ev *elks.SMS) (elks.Reply, error) {
			return elks.Reply{}, out.print("elks", "sms", ev)
		},
		OnMMS: func(_ context.Context, ev *elks.MMS) error { return out.print("elks", "mms", ev) },
		OnDeliveryReport: func(_ context.Context, ev *elks.DeliveryReport) error {
			return out.print("elks", "delivery_report", ev)
		},
		OnCall: func(_ context.Context, ev *elks.CallEvent) (elks.Action, error) {
			return answer, out.print("elks", "call", ev)
		},
		OnRecording: func(_ context.Context, ev *elks.Recording) error { return out.print("elks", "recording", ev) },
		OnCallEnd:   func(_ context.Context, ev *elks.CallEnd) error { return out.print("elks", "call_end", ev) },
		OnUnknown:   func(_ context.Context, ev *elks.Unknown) error { return out.print("elks", "unknown", ev) },
	}, opts...))
	var pbxOpts []telhook.Option
	if s.pbxKey != "" {
		pbxOpts = append(pbxOpts, telhook.WithVerifier(telhook.QueryToken("key", s.pbxKey)))
	}
	tracker := pbx3cx.NewTracker(func(c pbx3cx.Call) { _ = out.print("pbx3cx", "call", c) })
	go func() {
		tracker.Run(ctx)
		close(done)
	}()
	mount(mux, "/pbx3cx", pbx3cx.NewHandler(pbx3cx.Callbacks{
		OnEvent: func(_ context.Context, ev *pbx3cx.Event) error {
			tracker.Add(ev)
			return out.print("pbx3cx", "event", ev)
		},
		OnUnknown: func(_ context.Context, ev *pbx3cx.Event) error { return out.print("pbx3cx", "unknown", ev) },
	}, append([]telhook.Option{telhook.WithLogger(logger)}, pbxOpts...)...))
	obdOpts := []telhook.Option{telhook.WithLogger(logger)}
	if s.obdSecret != "" {
		obdOpts = append(obdOpts, telhook.WithVerifier(telhook.BearerToken(s.obdSecret)))
	}
	if s.obdChallengeKey != "" {
		obdOpts = append(obdOpts, obd.WithChallengeKey(s.obdChallengeKey))
	}
	obdCallbacks := obd.Callbacks{
		OnReport:  func(_ context.Context, r *obd.Report) error { return out.print("obd", "report", r) },
		OnUnknown: func(_ context.Context, u *obd.Unknown) error { return out.print("obd", "unknown", u) },
	}
	mux.Handle("/obd", obd.NewHandler(obdCallbacks, obdOpts...))
	mux.Handle("/obd/compose", obd.NewHandler(obdCallbacks, append(obdOpts, obd.WithFields(obd.Fields{}))...))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux, nil
}

// mount serves h at prefix and below it. Both patterns are registered so
// that ServeMux never answers a POST to the bare prefix with a redirect.
func mount(mux *http.ServeMux, prefix string, h http.Handler) {
	mux.Handle(prefix, h)
	mux.Handle(prefix+"/", h)
}

// printer writes one JSON line per event; lines from concurrent requests
// never interleave.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) print(provider, kind string, ev any) error {
	line, err := json.Marshal(struct {
		Provider string `json:"provider"`
		Kind     string `json:"kind"`
		Event    any    `json:"event"`
	}{provider, kind, ev})
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err = p.w.Write(append(line, '\n'))
	return err
}
