package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/config"
	"github.com/telhook/telhook/internal/core"
)

// stage is one step of the SDK handler's request path, measured against
// its floor: the least that step could cost.
type stage struct {
	name  string // "body read", "decode · validation", ...
	impl  string // what the SDK does; a leading ≈ marks a mirror of unexported code
	fn    func(i int)
	floor string
	// floorFn is nil when the floor is doing nothing at all (0 ns, 0 allocs).
	floorFn func(i int)
	// sub marks a part of the stage above it (decode's sub-stages): not
	// added to the sum of the stages.
	sub bool
	// whole marks the end-to-end ServeHTTP rows: compared with the sum.
	whole bool
	note  string
}

// StageResult is one measured stage; -stages -json prints one per line.
type StageResult struct {
	Provider    string  `json:"provider"`
	Stage       string  `json:"stage"`
	Impl        string  `json:"impl"`
	NsOp        float64 `json:"ns_op"`
	AllocsOp    float64 `json:"allocs_op"`
	BytesOp     float64 `json:"bytes_op"`
	Floor       string  `json:"floor"`
	FloorNsOp   float64 `json:"floor_ns_op"`
	FloorAllocs float64 `json:"floor_allocs_op"`
	FloorBytes  float64 `json:"floor_bytes_op"`
	Sub         bool    `json:"sub,omitempty"`
	Whole       bool    `json:"whole,omitempty"`
	Note        string  `json:"note,omitempty"`
}

// stageReps is how often each stage and its floor are measured, taking
// turns so that both see the same machine; the median is reported.
const stageReps = 7

// stageBudget bounds one repetition of one stage in time, whatever -n is.
const stageBudget = 2 * time.Second

// cost is what one call of a measured function takes.
type cost struct{ ns, allocs, bytes float64 }

// measure runs fn and floor (either may be nil) n times each (fewer if that
// takes over stageBudget), in turns, stageReps times, and returns the
// medians per call. next numbers the calls across repetitions, so that ids
// and keys that must be new are new.
func measure(fn, floor func(int), n int, next *int) (impl, base cost) {
	fns := []func(int){fn, floor}
	samples := make([][]cost, len(fns))
	for _, f := range fns {
		for range min(n, 100) { // warm caches and pools
			if f != nil {
				f(*next)
				*next++
			}
		}
	}
	var m0, m1 runtime.MemStats
	for range stageReps {
		for k, f := range fns {
			if f == nil {
				continue
			}
			runtime.GC()
			runtime.ReadMemStats(&m0)
			start := time.Now()
			done := 0
			for done < n {
				f(*next)
				*next++
				done++
				if done%64 == 0 && time.Since(start) > stageBudget {
					break
				}
			}
			el := time.Since(start)
			runtime.ReadMemStats(&m1)
			d := float64(done)
			samples[k] = append(samples[k], cost{
				ns:     float64(el.Nanoseconds()) / d,
				allocs: float64(m1.Mallocs-m0.Mallocs) / d,
				bytes:  float64(m1.TotalAlloc-m0.TotalAlloc) / d,
			})
		}
	}
	return medianCost(samples[0]), medianCost(samples[1])
}

func medianCost(cs []cost) cost {
	if len(cs) == 0 {
		return cost{}
	}
	pick := func(f func(cost) float64) float64 {
		v := make([]float64, len(cs))
		for i, c := range cs {
			v[i] = f(c)
		}
		return mid(v)
	}
	return cost{
		ns:     pick(func(c cost) float64 { return c.ns }),
		allocs: pick(func(c cost) float64 { return c.allocs }),
		bytes:  pick(func(c cost) float64 { return c.bytes }),
	}
}

func mid(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// stageErr keeps the first failure inside a measured function (a stage that
// fails measures the wrong thing, so the run reports it) and the sinks that
// keep the compiler from dropping measured work: one per run, so that runs
// may go on side by side.
type stageErr struct {
	err        error
	sinkAny    any
	sinkString string
	sinkBool   bool
	sinkInt    int
	sinkMap    map[string]string
}

func (s *stageErr) check(err error) {
	if err != nil && s.err == nil {
		s.err = err
	}
}

func runStages(ctx context.Context, ts []*target, n int, format string, stdout io.Writer) error {
	for _, t := range ts {
		var errs stageErr
		list, err := stagesFor(t, n, &errs)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		var results []StageResult
		next := 0
		if format == "text" {
			fmt.Fprintf(stdout, "%s: stages in process, median of %d × %d iterations, GOMAXPROCS %d, %s",
				t.name, stageReps, n, runtime.GOMAXPROCS(0), runtime.Version())
			if la := loadAvg(); la != "" {
				fmt.Fprintf(stdout, ", load average %s", la)
			}
			fmt.Fprintf(stdout, "\n(≈: a mirror of unexported code; excess = SDK - floor)\n\n%-22s %-58s %9s %7s | %-50s %9s %7s | %9s %7s\n",
				"stage", "SDK", "ns/op", "allocs", "floor", "ns/op", "allocs", "excess ns", "allocs")
		}
		for _, s := range list {
			if err := ctx.Err(); err != nil {
				return err
			}
			r := StageResult{Provider: t.name, Stage: s.name, Impl: s.impl, Floor: s.floor, Sub: s.sub, Whole: s.whole, Note: s.note}
			if s.fn != nil {
				impl, base := measure(s.fn, s.floorFn, n, &next)
				r.NsOp, r.AllocsOp, r.BytesOp = impl.ns, impl.allocs, impl.bytes
				r.FloorNsOp, r.FloorAllocs, r.FloorBytes = base.ns, base.allocs, base.bytes
			}
			if errs.err != nil {
				return fmt.Errorf("%s: stage %q: %w", t.name, s.name, errs.err)
			}
			results = append(results, r)
			switch format {
			case "json":
				if err := json.NewEncoder(stdout).Encode(r); err != nil {
					return err
				}
				continue
			case "bench":
				printBenchStage(stdout, r, s.fn != nil, s.floorFn != nil)
				continue
			}
			name := s.name
			if s.sub {
				name = "  " + name
			}
			if s.fn == nil {
				fmt.Fprintf(stdout, "%-22s %-58s %9s %7s | %-50s\n", name, s.impl, "-", "-", s.floor)
				continue
			}
			fmt.Fprintf(stdout, "%-22s %-58s %9.0f %7.1f | %-50s %9.0f %7.1f | %+9.0f %+7.1f\n",
				name, s.impl, r.NsOp, r.AllocsOp, s.floor, r.FloorNsOp, r.FloorAllocs,
				r.NsOp-r.FloorNsOp, r.AllocsOp-r.FloorAllocs)
		}
		if format == "text" {
			printStageSum(stdout, results)
			for _, s := range list {
				if s.note != "" {
					fmt.Fprintf(stdout, "  %s: %s\n", s.name, s.note)
				}
			}
			fmt.Fprintln(stdout)
		}
	}
	return nil
}

// printBenchStage prints a stage and its floor as Go benchmark result
// lines, named after the stage ("BenchmarkStage/elks/decode/sdk").
func printBenchStage(w io.Writer, r StageResult, impl, floor bool) {
	name := strings.NewReplacer(" ", "_", ",", "").Replace(r.Stage)
	line := func(which string, ns, allocs, bytes float64) {
		fmt.Fprintf(w, "BenchmarkStage/%s/%s/%s-%d 1 %.1f ns/op %.0f B/op %.1f allocs/op\n",
			r.Provider, name, which, runtime.GOMAXPROCS(0), ns, bytes, allocs)
	}
	if impl {
		line("sdk", r.NsOp, r.AllocsOp, r.BytesOp)
	}
	if floor {
		line("floor", r.FloorNsOp, r.FloorAllocs, r.FloorBytes)
	}
}

// printStageSum adds up the top-level stages, SDK and floor, and sets the
// SDK's sum beside what the whole ServeHTTP costs over the bare handler: the
// stages should account for most of it (the rest is the work of several
// stages together: GC, cache misses, interface calls between them).
func printStageSum(w io.Writer, rs []StageResult) {
	var ns, allocs, fns, fallocs, whole, wholeAllocs float64
	for _, r := range rs {
		switch {
		case r.Whole && whole == 0:
			whole, wholeAllocs = r.NsOp-r.FloorNsOp, r.AllocsOp-r.FloorAllocs
		case !r.Sub && !r.Whole:
			ns, allocs = ns+r.NsOp, allocs+r.AllocsOp
			fns, fallocs = fns+r.FloorNsOp, fallocs+r.FloorAllocs
		}
	}
	fmt.Fprintf(w, "%-22s %-58s %9.0f %7.1f | %-50s %9.0f %7.1f | %+9.0f %+7.1f\n",
		"sum of the stages", "(top-level rows above)", ns, allocs, "(their floors)", fns, fallocs, ns-fns, allocs-fallocs)
	if whole != 0 {
		fmt.Fprintf(w, "ServeHTTP with defaults costs %.0f ns and %.1f allocs more than the bare handler; the stages' sum is %.0f%% of that\n\n",
			whole, wholeAllocs, 100*ns/whole)
	}
}

// The pieces every provider's stages share.

// nopWriter is a ResponseWriter that keeps nothing: the answer stage
// measures the handler's code, not a recorder's.
type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(code int)        { w.code = code }

// answer mirrors core.Answer.
type answer struct {
	Status      int
	ContentType string
	Body        []byte
}

// delivery mirrors the part of core.Delivery the callback stage uses.
type delivery struct {
	Kind   string
	Event  any
	Key    string
	Handle func(context.Context) (answer, error)
}

// bodyReadStages measures the core's read (mirrored: a pooled buffer, grown
// to Content-Length, filled through http.MaxBytesReader) against
// io.ReadAll.
func bodyReadStage(t *target, errs *stageErr) stage {
	body := t.body(1)
	rd := bytes.NewReader(body)
	req := httptest.NewRequest(http.MethodPost, t.path, nil)
	req.Body = io.NopCloser(rd)
	req.ContentLength = int64(len(body))
	w := &nopWriter{h: http.Header{}}
	limit := int64(config.DefaultMaxBodyBytes)
	return stage{
		name: "body read",
		impl: "≈ core: pooled bytes.Buffer + http.MaxBytesReader",
		fn: func(int) {
			rd.Reset(body)
			buf := readPool.Get().(*bytes.Buffer)
			if req.ContentLength > 0 {
				buf.Grow(int(req.ContentLength))
			}
			_, err := buf.ReadFrom(http.MaxBytesReader(w, req.Body, limit))
			errs.check(err)
			errs.sinkInt = buf.Len()
			buf.Reset()
			readPool.Put(buf)
		},
		floor: "io.ReadAll(r.Body)",
		floorFn: func(int) {
			rd.Reset(body)
			b, err := io.ReadAll(req.Body)
			errs.check(err)
			errs.sinkInt = len(b)
		},
	}
}

var readPool = newBufPool()

// dedupStages measures the deduplicator, full (its 10,000 keys, the steady
// state of a server) against one that does nothing; both get the same new
// key, made the same way.
func dedupStage(provider string, errs *stageErr) stage {
	d := telhook.NewMemoryDeduplicator(0, 0)
	ctx := context.Background()
	prefix := provider + ":x:"
	key := func(i int) string { return string(strconv.AppendInt([]byte(prefix), int64(i)+1<<40, 10)) }
	for i := range config.DefaultDedupSize {
		_, _ = d.Seen(ctx, key(-i-1))
	}
	var nop nopDedup
	var nd telhook.Deduplicator = nop
	return stage{
		name:    "dedupe Seen",
		impl:    "NewMemoryDeduplicator (full) Seen, a new key",
		fn:      func(i int) { errs.sinkBool, _ = d.Seen(ctx, key(i)) },
		floor:   "a Deduplicator that does nothing, same key",
		floorFn: func(i int) { errs.sinkBool, _ = nd.Seen(ctx, key(i)) },
		note:    "hash (maphash), mutex, map insert, list move; the key string is made in both",
	}
}

type nopDedup struct{}

func (nopDedup) Seen(context.Context, string) (bool, error) { return false, nil }

// callbackStage measures what the core wraps around the user's callback
// (mirrored): the Handle closure made when the delivery is built, the clock
// started for the debug log, the panic-safe call, the log-level check; the
// callback itself does nothing. Floor: calling it directly.
func callbackStage(ev any, status int, errs *stageErr) stage {
	user := func(context.Context, any) error { return nil }
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler).With("provider", "x")
	ack := answer{Status: status}
	return stage{
		name: "callback",
		impl: "≈ core: Handle closure, time.Now, recover, log check",
		fn: func(int) {
			d := newDelivery(ev, user, ack)
			start := time.Now()
			ans, err := callSafe(ctx, d.Handle)
			if err == nil && ans.Status == 0 {
				ans = ack
			}
			if log.Enabled(ctx, slog.LevelDebug) {
				log.LogAttrs(ctx, slog.LevelDebug, "handled", slog.Duration("callback", time.Since(start)))
			}
			errs.sinkInt = ans.Status
		},
		floor:   "calling the empty callback directly",
		floorFn: func(int) { errs.sinkAny = user(ctx, ev) },
	}
}

//go:noinline
func newDelivery(ev any, fn func(context.Context, any) error, ack answer) delivery {
	d := delivery{Kind: "x"}
	d.Handle = func(ctx context.Context) (answer, error) { return ack, fn(ctx, ev) }
	return d
}

//go:noinline
func callSafe(ctx context.Context, handle func(context.Context) (answer, error)) (ans answer, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("callback panicked: %v", p)
		}
	}()
	ans, err = handle(ctx)
	if err != nil {
		err = fmt.Errorf("callback: %w", err)
	}
	return ans, err
}

// answerStage measures the core's write (mirrored) against WriteHeader.
func answerStage(status int) stage {
	w := &nopWriter{h: http.Header{}}
	a := answer{Status: status}
	return stage{
		name: "answer",
		impl: "≈ core.write: Content-Type?, WriteHeader, body?",
		fn: func(int) {
			if a.ContentType != "" {
				w.Header().Set("Content-Type", a.ContentType)
			}
			w.WriteHeader(a.Status)
			if len(a.Body) > 0 {
				_, _ = w.Write(a.Body)
			}
		},
		floor:   "w.WriteHeader(status)",
		floorFn: func(int) { w.WriteHeader(status) },
		note:    "the same bytes on the wire as the bare handler's: free",
	}
}

// wholeStages measure ServeHTTP end to end, in process, with the
// recorder: the SDK handler with default options (its deduplicator full)
// and with de-duplication off, each against the bare handler. Every
// request has a new id, made the same way for all three.
func wholeStages(t *target, n int, errs *stageErr) []stage {
	var calls atomic.Uint64
	sdk := t.sdk(&calls)
	off := t.sdkNoDedup(&calls)
	bare := t.bare()
	ids := uint64(1 << 32)
	serve := func(h http.Handler) func(int) {
		return func(int) {
			ids++
			req := httptest.NewRequest(http.MethodPost, t.path, bytes.NewReader(t.body(ids)))
			req.Header.Set("Content-Type", t.contentType)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != t.status {
				errs.check(fmt.Errorf("status %d, want %d: %s", rec.Code, t.status, rec.Body))
			}
		}
	}
	// Fill the deduplicator, the steady state of a server (only in part
	// for a short run: the fill costs 10,000 requests).
	fill := serve(sdk)
	for i := range min(config.DefaultDedupSize, 10*n) {
		fill(i)
	}
	// The real core around a decoder that costs nothing: every stage but
	// decoding, as the handler runs them.
	ack := core.Answer{Status: t.status}
	user := func(context.Context, any) error { return nil }
	var seq int
	coreOnly := core.New(core.Spec{
		Provider: t.name,
		Methods:  []string{http.MethodPost},
		Ack:      ack,
		Decode: func(_ *http.Request, body []byte) (core.Delivery, error) {
			seq++
			ev := &seq
			return core.Delivery{Kind: "x", Key: core.Key("x", strconv.Itoa(seq)),
				Handle: func(ctx context.Context) (core.Answer, error) { return ack, user(ctx, ev) }}, nil
		},
	}, config.Build([]telhook.Option{telhook.WithLogger(discard)}))
	fillCore := serve(coreOnly)
	for i := range min(config.DefaultDedupSize, 10*n) {
		fillCore(i)
	}
	return []stage{
		{name: "ServeHTTP, defaults", impl: "NewHandler(cb, WithLogger), httptest", fn: serve(sdk),
			floor: "bare: io.Copy(io.Discard, r.Body), WriteHeader", floorFn: serve(bare), whole: true},
		{name: "ServeHTTP, no dedupe", impl: "… + WithDeduplicator(nil)", fn: serve(off),
			floor: "bare", floorFn: serve(bare), whole: true},
		{name: "core, no decoding", impl: "core.New, a Decode that returns a delivery", fn: serve(coreOnly),
			floor: "bare", floorFn: serve(bare), whole: true,
			note: "the real core (method, read, dedupe, callback, answer) around a decoder that costs nothing"},
	}
}
