package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// loadConfig is what one load run needs, from the flags.
type loadConfig struct {
	duration    time.Duration // measured time per round
	warmup      time.Duration // unmeasured time per handler before round 1
	rounds      int           // measured rounds per handler
	concurrency int           // client goroutines, each with its own keep-alive connection
	maxRequests int           // bound on the requests of one round
	compare     []string      // more handlers in the rounds: "floor"
	stderr      io.Writer
}

// Round is the outcome of one round against one handler.
type Round struct {
	Index      int               `json:"index"`   // 1-based; warm-up rounds are not reported
	Handler    string            `json:"handler"` // "bare", "sdk" or "floor"
	Requests   uint64            `json:"requests"`
	Errors     uint64            `json:"errors"`     // requests that got no response
	Unexpected uint64            `json:"unexpected"` // responses with another status than the provider's 2xx
	Statuses   map[string]uint64 `json:"statuses"`
	Callbacks  uint64            `json:"callbacks"` // all but bare: callback calls; equals Requests when every webhook was handled
	// Seconds is the round's window: -duration, or its wall time when
	// every client made its share of -max-requests sooner. RPS is the
	// responses that came within the window, per second. Overrun is how long after the round the last response came:
	// more than a few milliseconds means a request stalled (a busy machine,
	// a retransmission).
	Seconds float64 `json:"seconds"`
	Overrun float64 `json:"overrun_seconds"`
	RPS     float64 `json:"rps"`
	P50us   float64 `json:"p50_us"`
	P99us   float64 `json:"p99_us"`
	MaxUS   float64 `json:"max_us"`
	// PeakHeapBytes is the largest /memory/classes/heap/objects:bytes seen,
	// sampled every 50ms (and at the end), after a GC before the round.
	PeakHeapBytes uint64 `json:"peak_heap_bytes"`
	// AllocsPerReq and BytesPerReq are the heap allocations of the whole
	// process (client, server, handler) per request; the bare round's are
	// the floor, the difference is the handler's.
	AllocsPerReq float64 `json:"allocs_per_req"`
	BytesPerReq  float64 `json:"bytes_per_req"`
	GCCycles     uint64  `json:"gc_cycles"`
	// CPUPerReqUS is the process's CPU time (user+system, both sides of
	// the loopback) per request; CPUUtil that time over what GOMAXPROCS
	// cores could give in the round.
	CPUPerReqUS float64 `json:"cpu_per_req_us,omitempty"`
	CPUUtil     float64 `json:"cpu_util,omitempty"`
	// The runtime's own estimates (runtime/metrics /cpu/classes, brought up
	// to date at each GC): CPU time in the GC and in Go code per request,
	// and the share of GOMAXPROCS time no goroutine ran.
	GCCPUPerReqUS float64 `json:"gc_cpu_per_req_us"`
	GoCPUPerReqUS float64 `json:"go_cpu_per_req_us"`
	IdleShare     float64 `json:"idle_share"`
}

// metric names read around and during every round.
const (
	mHeapObjects = "/memory/classes/heap/objects:bytes"
	mAllocs      = "/gc/heap/allocs:objects"
	mTinyAllocs  = "/gc/heap/tiny/allocs:objects"
	mAllocBytes  = "/gc/heap/allocs:bytes"
	mGCCycles    = "/gc/cycles/total:gc-cycles"
	mGCCPU       = "/cpu/classes/gc/total:cpu-seconds"
	mUserCPU     = "/cpu/classes/user:cpu-seconds"
	mIdleCPU     = "/cpu/classes/idle:cpu-seconds"
)

type counters struct {
	allocs, bytes, cycles uint64
	gcCPU, userCPU, idle  float64 // seconds, as the runtime estimates them
}

func readCounters() counters {
	s := []metrics.Sample{{Name: mAllocs}, {Name: mTinyAllocs}, {Name: mAllocBytes}, {Name: mGCCycles},
		{Name: mGCCPU}, {Name: mUserCPU}, {Name: mIdleCPU}}
	metrics.Read(s)
	// Tiny allocations are counted apart by runtime/metrics; with them the
	// count is what testing's allocs/op (MemStats.Mallocs) counts.
	return counters{
		allocs: s[0].Value.Uint64() + s[1].Value.Uint64(), bytes: s[2].Value.Uint64(), cycles: s[3].Value.Uint64(),
		gcCPU: s[4].Value.Float64(), userCPU: s[5].Value.Float64(), idle: s[6].Value.Float64(),
	}
}

// flushAllocCounts brings the allocation counters up to date. The runtime
// counts a small object's allocation when its P's cache hands back the
// span it came from, so between GCs runtime/metrics lags by up to a span of
// each size class per P: hundreds of objects, a real error over a short
// round. runtime.ReadMemStats flushes every cache first; it stops the world,
// so it is called once at the end of a round, never during one. (The GC
// before each round flushes them too.)
func flushAllocCounts() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
}

// liveHeap returns the heap's object bytes right after a GC: what is live.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: mHeapObjects}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// heapSampler records the peak of the heap's object bytes until stopped.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func sampleHeap(every time.Duration, limit time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		s := []metrics.Sample{{Name: mHeapObjects}}
		read := func() uint64 { metrics.Read(s); return s[0].Value.Uint64() }
		peak := read()
		t := time.NewTicker(every)
		defer t.Stop()
		end := time.NewTimer(limit) // bounded even if never stopped
		defer end.Stop()
		for {
			select {
			case <-t.C:
				peak = max(peak, read())
				continue
			case <-h.stop:
			case <-end.C:
			}
			h.done <- max(peak, read())
			return
		}
	}()
	return h
}

func (h *heapSampler) peak() uint64 {
	close(h.stop)
	return <-h.done
}

// runRound serves h on a new loopback server and drives it with
// cfg.concurrency keep-alive clients for d.
func runRound(ctx context.Context, cfg loadConfig, t *target, name string, h http.Handler, ids *atomic.Uint64, calls *atomic.Uint64, d time.Duration) (Round, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Round{}, err
	}
	mux := http.NewServeMux()
	mux.Handle(t.path, h)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		ErrorLog:          log.New(cfg.stderr, "loadtest server: ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	tr := &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        cfg.concurrency,
		MaxIdleConnsPerHost: cfg.concurrency,
		MaxConnsPerHost:     cfg.concurrency,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
	defer func() {
		tr.CloseIdleConnections()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close()
		}
		<-served
	}()

	url := "http://" + ln.Addr().String() + t.path
	// Requests in flight when the round ends finish within this bound, or
	// are cut off.
	rctx, cancel := context.WithTimeout(ctx, d+10*time.Second)
	defer cancel()
	workers := make([]*worker, cfg.concurrency)
	for i := range workers {
		req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, nil)
		if err != nil {
			return Round{}, err
		}
		req.Header.Set("Content-Type", t.contentType)
		req.Header.Set("User-Agent", "telhook-loadtest")
		workers[i] = &worker{t: t, tr: tr, tmpl: req, statuses: map[int]uint64{}}
	}
	perWorker := max(cfg.maxRequests/cfg.concurrency, 1)

	runtime.GC() // every round starts from the same live heap
	c0 := readCounters()
	cpu0, cpuOK := processCPU()
	calls0 := calls.Load()
	sampler := sampleHeap(50*time.Millisecond, d+20*time.Second)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.run(rctx, deadline, perWorker, ids) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak := sampler.peak()
	cpu1, _ := processCPU()
	flushAllocCounts()
	c1 := readCounters()

	// A round ends at its deadline or, sooner, when every worker has made
	// its share of -max-requests: then its window is its wall time.
	window := min(elapsed, d)
	r := Round{Handler: name, Statuses: map[string]uint64{}, Seconds: window.Seconds(), Overrun: max(elapsed-d, 0).Seconds(),
		PeakHeapBytes: peak, GCCycles: c1.cycles - c0.cycles}
	var hist histogram
	var inWindow uint64
	for _, w := range workers {
		hist.merge(&w.hist)
		inWindow += w.inWindow
		r.Errors += w.errors
		for code, n := range w.statuses {
			r.Statuses[strconv.Itoa(code)] += n
			if code != t.status {
				r.Unexpected += n
			}
		}
		if w.firstErr != nil && r.Errors > 0 {
			fmt.Fprintf(cfg.stderr, "loadtest: %s %s: %v\n", t.name, name, w.firstErr)
		}
	}
	r.Requests = hist.n
	r.Callbacks = calls.Load() - calls0
	if r.Requests > 0 {
		n := float64(r.Requests)
		r.RPS = float64(inWindow) / window.Seconds()
		r.P50us = us(hist.quantile(0.50))
		r.P99us = us(hist.quantile(0.99))
		r.MaxUS = us(time.Duration(hist.max))
		r.AllocsPerReq = float64(c1.allocs-c0.allocs) / n
		r.BytesPerReq = float64(c1.bytes-c0.bytes) / n
		r.GCCPUPerReqUS = (c1.gcCPU - c0.gcCPU) * 1e6 / n
		r.GoCPUPerReqUS = (c1.userCPU - c0.userCPU) * 1e6 / n
		r.IdleShare = (c1.idle - c0.idle) / (elapsed.Seconds() * float64(runtime.GOMAXPROCS(0)))
		if cpuOK {
			cpu := cpu1 - cpu0
			r.CPUPerReqUS = us(cpu) / n
			r.CPUUtil = cpu.Seconds() / (elapsed.Seconds() * float64(runtime.GOMAXPROCS(0)))
		}
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	if r.Requests == 0 {
		return r, fmt.Errorf("%s %s: no request completed (%d errors)", t.name, name, r.Errors)
	}
	return r, nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// worker is one client goroutine: one request at a time on its own
// keep-alive connection.
type worker struct {
	t        *target
	tr       *http.Transport
	tmpl     *http.Request // cloned per request; its Header is only read
	hist     histogram
	statuses map[int]uint64
	inWindow uint64 // responses that came before the deadline
	errors   uint64
	firstErr error
}

// maxConsecutiveErrors stops a worker whose requests keep failing.
const maxConsecutiveErrors = 100

func (w *worker) run(ctx context.Context, deadline time.Time, limit int, ids *atomic.Uint64) {
	failing := 0
	for range limit {
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			return
		}
		// The body and the request are made per request, before the clock
		// starts, the same way for both handlers.
		body := w.t.body(ids.Add(1))
		req := new(http.Request)
		*req = *w.tmpl
		req.Body = &bodyReader{b: body}
		req.ContentLength = int64(len(body))

		start := time.Now()
		resp, err := w.tr.RoundTrip(req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			if cerr := resp.Body.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			w.errors++
			if w.firstErr == nil && !errors.Is(err, context.Canceled) {
				w.firstErr = err
			}
			if failing++; failing >= maxConsecutiveErrors {
				return
			}
			continue
		}
		end := time.Now()
		w.hist.record(end.Sub(start))
		if !end.After(deadline) {
			w.inWindow++
		}
		w.statuses[resp.StatusCode]++
		failing = 0
	}
}

// bodyReader is a request body: a bytes.Reader would do, but this also
// closes, so it needs no io.NopCloser around it.
type bodyReader struct {
	b   []byte
	off int
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

func (r *bodyReader) Close() error { return nil }

// median returns the median of the values f takes on rs (the mean of the
// middle two for an even count).
func median(rs []Round, f func(Round) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}
