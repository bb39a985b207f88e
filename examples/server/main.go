// Command server is a runnable webhook receiver: every provider telhook
// supports, mounted with normalize.NewMux, each event printed as one JSON
// line (the normalized event, with the provider's own under "source") on
// standard output. Logs go to standard error.
//
//	go -C examples/server run .                 # listens on :8080, or $PORT
//	go -C examples/server run . -region SE -elks-key s3cret -obd-secret t0ken
//	go -C examples/server run . -redis 127.0.0.1:6379   # one of many instances
//
// Paths: /elks (46elks), /obd and /obd/compose (Mobtexting), /pbx3cx (the
// 3CX add-on), /oncall (Wavix), /auto (any of them, recognised), /healthz.
// 3CX calls put together by pbx3cx.Tracker are printed too, once over.
//
// With no flags it accepts every request (and warns that nothing is
// verified), hangs up 46elks calls unless -elks-connect names a number, and
// de-duplicates provider retries in memory.
//
// With -redis it keeps its state in Redis (github.com/telhook/telhook/redisstore),
// so that it can run as many instances behind a load balancer: a retry
// that reaches another instance than the first delivery is recognised, and
// the events of one 3CX call, wherever they arrive, make one call, printed
// once by one of the instances. Give every instance the same -redis and
// -redis-prefix. An instance that stops prints the 3CX calls it holds
// in memory only; with -redis the open calls stay in Redis, for the
// other instances (or the next to start) to print. The receiver does not
// start when Redis does not answer;
// once running, it de-duplicates "open" (a webhook is handled, and the
// failure logged, when Redis fails) and answers 500 to a 3CX event it
// cannot record, so that the PBX retries it.
//
// It is a module of its own (github.com/telhook/telhook/examples/server),
// so that telhook does not depend on go-redis; hence go -C.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/normalize"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/redisstore"
)

func main() {
	// go-redis reports what it retries (a failed dial) through a logger of
	// its own, a process-wide one: set once, here, it writes into the same
	// log as the receiver.
	redis.SetLogger(redisLog{slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

type settings struct {
	addr, region, zone                            string
	elksUser, elksPass, elksKey, elksConnect      string
	elksSourceIP                                  bool
	obdSecret, obdChallengeKey, pbxKey, oncallKey string
	redis, redisPrefix                            string
	quiet                                         time.Duration
}

// run serves until ctx is done or a signal arrives. ready, when not nil,
// gets the address it listens on.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s settings
	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	// Flags read from the environment take it after parsing, not as their
	// default, so that -h never prints a secret.
	fromEnv := map[*string]string{}
	str := func(p *string, name, env, usage string) {
		fs.StringVar(p, name, "", usage+" ($"+env+")")
		fromEnv[p] = env
	}
	fs.StringVar(&s.addr, "addr", addr, "listen address ($PORT sets the port)")
	str(&s.region, "region", "REGION", "region national numbers are read in, e.g. SE or TR")
	str(&s.zone, "pbx3cx-zone", "PBX3CX_ZONE", "the 3CX PBX's time zone, e.g. Europe/Istanbul; UTC when unset")
	str(&s.elksUser, "elks-user", "ELKS_USER", "46elks: Basic auth user in the webhook URL")
	str(&s.elksPass, "elks-pass", "ELKS_PASS", "46elks: Basic auth password")
	str(&s.elksKey, "elks-key", "ELKS_KEY", "46elks: secret ?key= query parameter")
	fs.BoolVar(&s.elksSourceIP, "elks-source-ip", false, "46elks: accept only 46elks' published addresses")
	fs.StringVar(&s.elksConnect, "elks-connect", "", "46elks: connect incoming calls to this E.164 number; hang up when unset")
	str(&s.obdSecret, "obd-secret", "OBD_SECRET", "Mobtexting: the webhook's bearer secret")
	str(&s.obdChallengeKey, "obd-challenge-key", "OBD_CHALLENGE_KEY", "Mobtexting: validation key to answer the challenge with")
	str(&s.pbxKey, "pbx3cx-key", "PBX3CX_KEY", "3CX: secret ?key= in WEBHOOK_URL")
	str(&s.oncallKey, "oncall-token", "ONCALL_TOKEN", "Wavix: secret ?token= in the callback URL")
	fs.DurationVar(&s.quiet, "pbx3cx-quiet", 0, "3CX: how long a call that never ends waits for more events before it is printed as it is; 10m when 0")
	str(&s.redis, "redis", "REDIS_URL", "keep de-duplication and open 3CX calls in this Redis, shared by every instance: host:port or a redis:// URL; in memory when unset")
	fs.StringVar(&s.redisPrefix, "redis-prefix", "", "with -redis: the prefix of every key, the same on every instance; "+redisstore.DefaultPrefix+" when unset")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h asked for the usage, which is printed: not a failure
		}
		return err
	}
	for p, env := range fromEnv {
		if *p == "" {
			*p = os.Getenv(env)
		}
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := &printer{w: stdout}
	var shared *stores
	if s.redis != "" {
		var err error
		if shared, err = openRedis(ctx, s.redis, s.redisPrefix, logger); err != nil {
			return err
		}
		defer shared.client.Close()
	}
	handler, tracker, err := newHandler(s, shared, out, logger)
	if err != nil {
		return err
	}
	trackerDone := make(chan struct{})
	go func() {
		tracker.Run(ctx) // flushes open calls when ctx is done
		close(trackerDone)
	}()

	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second, // slow clients are cut off
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "paths", []string{"/elks", "/obd", "/obd/compose", "/pbx3cx", "/oncall", "/auto", "/healthz"})
	if ready != nil {
		ready(ln.Addr().String())
	}
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
	<-trackerDone
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// stores are the receiver's state kept in Redis, shared with every
// instance on the same Redis and prefix.
type stores struct {
	client *redis.Client
	dedup  *redisstore.Deduplicator
	calls  *redisstore.CallStore
}

// openRedis connects to the Redis at addr (host:port or a redis://,
// rediss:// or unix:// URL) and checks that it answers.
func openRedis(ctx context.Context, addr, prefix string, logger *slog.Logger) (*stores, error) {
	opt := &redis.Options{Addr: addr}
	if strings.Contains(addr, "://") {
		var err error
		if opt, err = redis.ParseURL(addr); err != nil {
			return nil, fmt.Errorf("-redis: %w", err) // the error does not repeat the URL, nor its password
		}
	}
	// Without it go-redis waits out its ReadTimeout on a hung server
	// whatever the request's deadline (see redisstore's package doc).
	opt.ContextTimeoutEnabled = true
	c := redis.NewClient(opt)
	ping, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(ping).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("-redis: Redis at %s does not answer: %w", opt.Addr, err)
	}
	prefix = cmp.Or(prefix, redisstore.DefaultPrefix)
	logger.Info("state in Redis", "addr", opt.Addr, "prefix", prefix)
	opts := []redisstore.Option{redisstore.WithLogger(logger), redisstore.WithPrefix(prefix)}
	return &stores{client: c, dedup: redisstore.NewDeduplicator(c, opts...), calls: redisstore.NewCallStore(c, opts...)}, nil
}

// newHandler builds the mux the flags ask for, and the 3CX tracker that
// prints whole calls. With shared stores, de-duplication and the open 3CX
// calls are kept in them.
func newHandler(s settings, shared *stores, out *printer, logger *slog.Logger) (http.Handler, *pbx3cx.Tracker, error) {
	n := normalize.Normalizer{Region: s.region}
	if s.zone != "" {
		loc, err := time.LoadLocation(s.zone)
		if err != nil {
			return nil, nil, fmt.Errorf("-pbx3cx-zone: %w", err)
		}
		n.Location = loc
	}
	var answer elks.Action = elks.Hangup{Reason: "reject"}
	if s.elksConnect != "" {
		answer = elks.Connect{To: s.elksConnect}
		if _, err := json.Marshal(answer); err != nil {
			return nil, nil, fmt.Errorf("-elks-connect: %w", err)
		}
	}
	var elksVerifiers []telhook.Verifier
	if s.elksUser != "" || s.elksPass != "" {
		elksVerifiers = append(elksVerifiers, telhook.BasicAuth(s.elksUser, s.elksPass))
	}
	if s.elksKey != "" {
		elksVerifiers = append(elksVerifiers, telhook.QueryToken("key", s.elksKey))
	}
	if s.elksSourceIP {
		v, err := telhook.SourceIP(elks.SourceIPs(), nil)
		if err != nil {
			return nil, nil, err
		}
		elksVerifiers = append(elksVerifiers, v)
	}
	opts := []normalize.MuxOption{
		normalize.WithNormalizer(n),
		normalize.WithSharedOptions(telhook.WithLogger(logger)),
		normalize.WithOptions(normalize.Elks, elks.WithFallback(elks.Hangup{Reason: "busy"})),
		normalize.WithElksCalls(func(context.Context, *elks.CallEvent) (elks.Action, error) { return answer, nil }),
	}
	if len(elksVerifiers) > 0 {
		opts = append(opts, normalize.WithOptions(normalize.Elks, telhook.WithVerifier(telhook.AllOf(elksVerifiers...))))
	}
	if s.obdSecret != "" {
		opts = append(opts, normalize.WithOptions(normalize.OBD, telhook.WithVerifier(telhook.BearerToken(s.obdSecret))))
	}
	if s.obdChallengeKey != "" {
		opts = append(opts, normalize.WithOptions(normalize.OBD, obd.WithChallengeKey(s.obdChallengeKey)))
	}
	if s.pbxKey != "" {
		opts = append(opts, normalize.WithOptions(normalize.PBX3CX, telhook.WithVerifier(telhook.QueryToken("key", s.pbxKey))))
	}
	if s.oncallKey != "" {
		opts = append(opts, normalize.WithOptions(normalize.OnCall, telhook.WithVerifier(telhook.QueryToken("token", s.oncallKey))))
	}
	// The mux hands the calls the tracker puts together to the same
	// callback as every event; the server runs the tracker itself, so that
	// it can wait for the last calls to be printed when it stops.
	var tracker *pbx3cx.Tracker
	trackerOpts := []pbx3cx.TrackerOption{pbx3cx.WithQuietPeriod(s.quiet)}
	if shared != nil {
		opts = append(opts, normalize.WithSharedOptions(telhook.WithDeduplicator(shared.dedup)))
		trackerOpts = append(trackerOpts, pbx3cx.WithCallStore(shared.calls))
	}
	opts = append(opts, normalize.WithTracking(func(t *pbx3cx.Tracker) { tracker = t }, trackerOpts...))

	mux := http.NewServeMux()
	mux.Handle("/", normalize.NewMux(func(_ context.Context, ev normalize.Event) error { return out.print(ev) }, opts...))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux, tracker, nil
}

// printer writes one JSON line per event; lines from concurrent requests
// never interleave.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) print(ev normalize.Event) error {
	line, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err = p.w.Write(append(line, '\n'))
	return err
}

// redisLog passes go-redis' own log lines to l, as warnings.
type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)), "from", "go-redis")
}
