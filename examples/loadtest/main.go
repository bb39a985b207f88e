// Command loadtest measures what a telhook handler costs next to a bare
// net/http handler, over loopback, in one run on one machine: the check of
// DESIGN.md's quality bar "a handler mounted with default options keeps at
// least 85% of the requests per second of a bare net/http handler that reads
// the body and answers". It uses telhook's public API and the standard
// library only, as any user of the module could.
//
//	go run ./examples/loadtest                           # 46elks: 5 rounds of 5s per handler
//	go run ./examples/loadtest -provider oncall -rounds 7 -duration 10s
//	go run ./examples/loadtest -provider all -json       # every provider, one JSON object each
//	go run ./examples/loadtest -compare floor            # one more handler to measure against
//
// # What it does
//
// For the chosen provider (-provider elks, obd, pbx3cx, oncall or all) it
// builds two handlers: the SDK handler, <provider>.NewHandler with callbacks
// that only count their calls, telhook.WithLogger (discarding) and otherwise
// default options, the in-memory deduplicator included; and a bare handler
// that reads the body with io.Copy(io.Discard, r.Body) and answers the
// provider's status (204 for 46elks, 200 for the others). Each is mounted on
// an http.ServeMux at /<provider> and served by an http.Server listening on
// 127.0.0.1:0, a new server per round. No other address is ever contacted.
//
// A round drives one handler for -duration with -concurrency client
// goroutines in the same process, each sending one request at a time on its
// own keep-alive connection (http.Transport, MaxIdleConnsPerHost =
// concurrency). Rounds alternate bare, sdk, bare, sdk, ... so that both see
// the same machine; an unmeasured -warmup round per handler comes first.
// The SDK handler is built once and lives through all its rounds, as in a
// server: after the warm-up its deduplicator holds its 10,000 keys, its
// steady state. Every body is a realistic webhook (a 46elks SMS form, a
// Mobtexting OBD report, a 3CX K2M end-of-call event, a Wavix OnCallEvent)
// made from a template with a run-wide counter in its id, so no request is
// a duplicate and the SDK runs every stage for every request; the report
// checks that the callback ran once per request. Body and request are made
// before a request's clock starts, the same way for every handler. Every
// loop is bounded in count and in time: a round ends after -duration or,
// sooner, once -max-requests requests are made (its requests per second
// are then over its own wall time).
//
// -concurrency defaults to 2×GOMAXPROCS. Client and server share the cores
// of one process: with one request in flight per core the cores idle while
// requests cross the loopback, and beyond two or so per core more clients
// add little: requests per second rise slowly while p99 latency grows with
// the queue, and the SDK/bare ratio stays about the same.
//
// -compare floor adds a third handler to the rotation, one that bounds what
// the SDK could reach: the SDK's job written by hand for this one body with
// the public API and the standard library, every stage at its floor: the
// method check, a bounded read, url.ParseQuery or json.Unmarshal into a
// plain struct, the provider's event, the same in-memory deduplicator
// (telhook.NewMemoryDeduplicator, through Claim and Release), the callback,
// the answer. What it reaches is about the most a handler doing the same job
// reaches on this machine.
//
// # Reading the result
//
// Each round prints the requests, requests per second (responses within
// the round, per second), p50, p99 and maximum latency (a fixed-size
// log-linear histogram, within 3%), the peak heap, heap allocations and
// bytes per request, GC cycles, CPU time per request and the statuses. All
// are for the whole process, client included: the bare rounds are the
// floor, and what the SDK rounds add is the handler's.
//
//   - peak heap is the largest /memory/classes/heap/objects:bytes
//     (runtime/metrics), sampled every 50ms and at the end of the round,
//     after a GC before it: the bytes of heap objects, live or not yet
//     swept, which the GC's heap goal bounds. runtime/metrics reads it
//     without stopping the world, where runtime.ReadMemStats would, every
//     50ms, in the middle of the measurement; HeapInuse would also count the
//     free space of spans in use. The handlers live through the whole run,
//     so every round's peak includes what every handler keeps; the summary's
//     retained line is that part, per handler (the SDK's: its deduplicator),
//     measured at the end as the live heap with the handler less without it.
//   - allocs/req is /gc/heap/allocs:objects plus /gc/heap/tiny/allocs:objects
//     over the round, over its requests: the count testing's allocs/op
//     makes. The round starts after a GC and ends with one
//     runtime.ReadMemStats, both of which bring the counts up to date.
//   - cpu µs/req is the process's user and system CPU time (getrusage) per
//     request, util that time over GOMAXPROCS × the round's wall time; gc
//     cpu µs/req is the runtime's own estimate of its GC's share
//     (/cpu/classes/gc/total:cpu-seconds).
//
// Each provider's summary gives the medians of the rounds, the ratio of the
// medians of requests per second (SDK over bare) and PASS or BELOW against
// 0.85; beside it, the median of the ratios of rounds run one after the
// other (round i's SDK over round i's bare), and their minimum and maximum.
// It also puts the ratio in CPU time: a handler reaches 0.85 when it adds
// at most 1/0.85 - 1 (17.6%) of the bare round's CPU time per request, and
// the summary prints that budget next to what the SDK adds. The callback
// count is checked in every round: a WARNING line says when the callback
// did not run once per request.
//
// With -provider all the run ends with one table, a line per provider: the
// median over the rounds of the per-round-pair SDK/bare ratio, the min–max
// spread of those ratios, and the median p50 and p99 latencies of both
// handlers.
//
// # Reproducing the figures
//
// The figures quoted for telhook come from
//
//	go run ./examples/loadtest -provider all -rounds 7 -duration 3s
//
// (a one-second warm-up per handler, concurrency 2×GOMAXPROCS), quoted from
// the final table: for each provider the median ratio of the seven round
// pairs with its min–max spread, and p50/p99 of both handlers, along with
// the machine (GOMAXPROCS, Go version) the header prints. The machine is
// shared: other work lowers both handlers' numbers, and unevenly. The load
// average is printed before each run; a run on a busy machine, a spread
// wider than about 0.05 or rounds flagged as stalled are worth repeating,
// and the median of several such runs is the figure.
//
// # Where the time goes
//
// Each provider's package benchmarks its decoder and its handler in
// process, each beside a baseline doing the same with the standard library
// (BenchmarkDecode and BenchmarkDecodeBaseline, BenchmarkHandler and
// BenchmarkHandlerBaseline):
//
//	go test -run '^$' -bench . -benchmem ./elks
//
// A summary BELOW the target prints that line for its provider.
// -cpuprofile writes a CPU profile of the run; for the SDK handler's share:
//
//	go run ./examples/loadtest -cpuprofile cpu.out
//	go tool pprof -top -cum -focus 'telhook/(elks|obd|pbx3cx|oncall|internal)' cpu.out
//
// # Comparing runs with benchstat
//
// To compare two versions of the code, run the packages' benchmarks before
// and after a change and compare with benchstat:
//
//	go install golang.org/x/perf/cmd/benchstat@latest
//	go test -run '^$' -bench . -benchmem -count 10 ./... > old.txt
//	# change the code
//	go test -run '^$' -bench . -benchmem -count 10 ./... > new.txt
//	~/go/bin/benchstat old.txt new.txt
//
// benchstat prints each benchmark's median with its 95% confidence interval
// and the change with a p-value; "~" means no significant difference at
// that count (it needs about 6 runs or more to call one). The load test
// prints the same format with -bench, one line per round and handler, so
// its runs compare the same way:
//
//	go run ./examples/loadtest -provider all -rounds 10 -bench > old.txt
//	go run ./examples/loadtest -provider all -rounds 10 -bench > new.txt
//	~/go/bin/benchstat old.txt new.txt
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// targetRatio is the quality bar: the SDK's requests per second over the bare
// handler's.
const targetRatio = 0.85

// Bounds of the flags: every loop of the program ends in count and in time.
const (
	maxDuration    = 10 * time.Minute
	maxRounds      = 100
	maxConcurrency = 1024
	maxIterations  = 10_000_000
)

// run parses args and runs the load test until done or until ctx is
// cancelled.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	provider := fs.String("provider", "elks", "provider: elks, obd, pbx3cx, oncall, or all")
	duration := fs.Duration("duration", 5*time.Second, "measured time of each round")
	warmup := fs.Duration("warmup", time.Second, "unmeasured warm-up round per handler before the first round (0: none)")
	rounds := fs.Int("rounds", 5, "measured rounds per handler (bare and sdk alternate)")
	concurrency := fs.Int("concurrency", 2*runtime.GOMAXPROCS(0), "client goroutines, one keep-alive connection each")
	maxReq := fs.Int("max-requests", maxIterations, "bound on the requests of one round")
	jsonOut := fs.Bool("json", false, "print JSON instead of tables: one object per provider")
	benchOut := fs.Bool("bench", false, "print Go benchmark lines instead of tables, one per round and handler, for benchstat")
	compare := fs.String("compare", "", "another handler in the rounds: floor (the SDK's job written by hand with the standard library, every stage at its floor)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *jsonOut && *benchOut {
		return errors.New("-json and -bench: choose one")
	}
	format := "text"
	switch {
	case *jsonOut:
		format = "json"
	case *benchOut:
		format = "bench"
	}
	var extra []string
	if *compare != "" {
		for _, name := range strings.Split(*compare, ",") {
			if name != "floor" {
				return fmt.Errorf("-compare %q: want floor", name)
			}
			if !slices.Contains(extra, name) {
				extra = append(extra, name)
			}
		}
	}
	var ts []*target
	if *provider == "all" {
		ts = targets
	} else {
		t, err := lookupTarget(*provider)
		if err != nil {
			return err
		}
		ts = []*target{t}
	}
	switch {
	case *duration <= 0 || *duration > maxDuration:
		return fmt.Errorf("-duration %v: want more than 0 and at most %v", *duration, maxDuration)
	case *warmup < 0 || *warmup > maxDuration:
		return fmt.Errorf("-warmup %v: want 0 to %v", *warmup, maxDuration)
	case *rounds < 1 || *rounds > maxRounds:
		return fmt.Errorf("-rounds %d: want 1 to %d", *rounds, maxRounds)
	case *concurrency < 1 || *concurrency > maxConcurrency:
		return fmt.Errorf("-concurrency %d: want 1 to %d", *concurrency, maxConcurrency)
	case *maxReq < 1 || *maxReq > maxIterations:
		return fmt.Errorf("-max-requests %d: want 1 to %d", *maxReq, maxIterations)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg := loadConfig{
		duration: *duration, warmup: *warmup, rounds: *rounds,
		concurrency: *concurrency, maxRequests: *maxReq, compare: extra, stderr: stderr,
	}
	var reps []*Report
	for _, t := range ts {
		rep, err := runLoad(ctx, cfg, t, format, stdout)
		if err != nil {
			return err
		}
		reps = append(reps, rep)
		if format == "json" {
			if err := json.NewEncoder(stdout).Encode(rep); err != nil {
				return err
			}
		}
	}
	if format == "text" && len(reps) > 1 {
		printOverall(stdout, reps)
	}
	return nil
}

// Report is the result of one provider's load run; -json prints it.
type Report struct {
	Provider    string  `json:"provider"`
	GoVersion   string  `json:"go_version"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
	NumCPU      int     `json:"num_cpu"`
	Concurrency int     `json:"concurrency"`
	RoundSec    float64 `json:"round_seconds"`
	WarmupSec   float64 `json:"warmup_seconds"`
	Rounds      int     `json:"rounds"`
	// LoadAvg is /proc/loadavg before and after the run, where there is one:
	// the machine is shared, and a busy one lowers both handlers' numbers.
	LoadAvgBefore string  `json:"loadavg_before,omitempty"`
	LoadAvgAfter  string  `json:"loadavg_after,omitempty"`
	Results       []Round `json:"results"`
	Summary       Summary `json:"summary"`
}

// Stats are the medians of one handler's rounds.
type Stats struct {
	RPS           float64 `json:"rps"`
	P50us         float64 `json:"p50_us"`
	P99us         float64 `json:"p99_us"`
	PeakHeapBytes float64 `json:"peak_heap_bytes"`
	AllocsPerReq  float64 `json:"allocs_per_req"`
	BytesPerReq   float64 `json:"bytes_per_req"`
	CPUPerReqUS   float64 `json:"cpu_per_req_us,omitempty"`
	GCCPUPerReqUS float64 `json:"gc_cpu_per_req_us"`
	// RetainedBytes is the heap the handler keeps between requests, at the
	// end of the run: for the SDK its deduplicator's keys. Every round's peak
	// heap includes it, the bare rounds' too, as the handlers live through
	// the run.
	RetainedBytes uint64 `json:"retained_bytes"`
}

// Summary compares the two handlers.
type Summary struct {
	Bare Stats `json:"bare"`
	SDK  Stats `json:"sdk"`
	// Ratio is the SDK's median requests per second over the bare
	// handler's. PairRatio is the median of the ratios of rounds run one
	// after the other (round i's SDK over round i's bare), PairMin and
	// PairMax the smallest and the largest of them: the spread.
	Ratio     float64 `json:"ratio"`
	PairRatio float64 `json:"pair_ratio"`
	PairMin   float64 `json:"pair_ratio_min"`
	PairMax   float64 `json:"pair_ratio_max"`
	Target    float64 `json:"target"`
	Verdict   string  `json:"verdict"` // "PASS" or "BELOW"
	// AddedCPUus is the CPU time per request the SDK adds; BudgetCPUus what
	// it may add and still reach the target: bare × (1/target - 1).
	AddedCPUus  float64 `json:"added_cpu_us,omitempty"`
	BudgetCPUus float64 `json:"budget_cpu_us,omitempty"`
	// Floor is there with -compare floor: the hand-written handler doing
	// the SDK's job with every stage at its floor; FloorRatio is its median
	// requests per second over the bare handler's.
	Floor      *Stats  `json:"floor,omitempty"`
	FloorRatio float64 `json:"floor_ratio,omitempty"`
	// CallbacksOK is true when the callback ran once per request in every
	// round of every handler but bare: no request was refused, decoded as
	// unknown or taken for a duplicate.
	CallbacksOK bool `json:"callbacks_ok"`
}

func runLoad(ctx context.Context, cfg loadConfig, t *target, format string, stdout io.Writer) (*Report, error) {
	quiet := format != "text"
	rep := &Report{
		Provider: t.name, GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
		Concurrency: cfg.concurrency, RoundSec: cfg.duration.Seconds(), WarmupSec: cfg.warmup.Seconds(), Rounds: cfg.rounds,
		LoadAvgBefore: loadAvg(),
	}
	var calls, ids atomic.Uint64
	type named struct {
		name string
		h    http.Handler
	}
	handlers := []named{{"bare", t.bare()}, {"sdk", t.sdk(&calls)}}
	for _, name := range cfg.compare {
		if name == "floor" {
			handlers = append(handlers, named{name, t.floorHandler(&calls)})
		}
	}
	if !quiet {
		fmt.Fprintf(stdout, "%s: %d rounds of %v per handler (%d handlers alternating, %v warm-up each), concurrency %d, GOMAXPROCS %d, %s",
			t.name, cfg.rounds, cfg.duration, len(handlers), cfg.warmup, cfg.concurrency, rep.GOMAXPROCS, rep.GoVersion)
		if rep.LoadAvgBefore != "" {
			fmt.Fprintf(stdout, ", load average %s", rep.LoadAvgBefore)
		}
		fmt.Fprintf(stdout, "\n\n%-5s %-5s %9s %9s %8s %8s %8s %9s %10s %9s %6s %8s %5s  %s\n",
			"round", "hdlr", "requests", "req/s", "p50 µs", "p99 µs", "max ms", "peak heap", "allocs/req", "bytes/req", "GCs", "cpu µs", "util", "statuses")
	}
	if cfg.warmup > 0 {
		for _, h := range handlers {
			if _, err := runRound(ctx, cfg, t, h.name, h.h, &ids, &calls, cfg.warmup); err != nil {
				return nil, fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	byName := map[string][]Round{}
	callbacksOK := true
	for i := 1; i <= cfg.rounds; i++ {
		for _, h := range handlers {
			r, err := runRound(ctx, cfg, t, h.name, h.h, &ids, &calls, cfg.duration)
			if err != nil {
				return nil, err
			}
			r.Index = i
			rep.Results = append(rep.Results, r)
			byName[h.name] = append(byName[h.name], r)
			if h.name != "bare" {
				callbacksOK = callbacksOK && r.Callbacks == r.Requests
			}
			switch format {
			case "text":
				printRound(stdout, r)
			case "bench":
				printBenchRound(stdout, t.name, r)
			}
		}
	}
	bareRounds, sdkRounds := byName["bare"], byName["sdk"]
	// What each handler keeps between requests (the deduplicator's keys):
	// the live heap with it, less the live heap once it is gone.
	retained := map[string]uint64{}
	live := liveHeap()
	for i := len(handlers) - 1; i >= 0; i-- {
		handlers[i].h = nil
		now := liveHeap()
		if live > now {
			retained[handlers[i].name] = live - now
		}
		live = now
	}
	rep.LoadAvgAfter = loadAvg()
	s := &rep.Summary
	s.Bare, s.SDK = stats(bareRounds), stats(sdkRounds)
	s.Bare.RetainedBytes, s.SDK.RetainedBytes = retained["bare"], retained["sdk"]
	s.Target = targetRatio
	s.CallbacksOK = callbacksOK
	if s.Bare.RPS > 0 {
		s.Ratio = s.SDK.RPS / s.Bare.RPS
	}
	s.PairRatio, s.PairMin, s.PairMax = pairRatios(bareRounds, sdkRounds)
	s.Verdict = "BELOW"
	if s.Ratio >= targetRatio {
		s.Verdict = "PASS"
	}
	for _, name := range cfg.compare {
		st := stats(byName[name])
		st.RetainedBytes = retained[name]
		ratio := 0.0
		if s.Bare.RPS > 0 {
			ratio = st.RPS / s.Bare.RPS
		}
		if name == "floor" {
			s.Floor, s.FloorRatio = &st, ratio
		}
	}
	if s.Bare.CPUPerReqUS > 0 {
		s.AddedCPUus = s.SDK.CPUPerReqUS - s.Bare.CPUPerReqUS
		s.BudgetCPUus = s.Bare.CPUPerReqUS * (1/targetRatio - 1)
	}
	if !quiet {
		printSummary(stdout, rep)
	}
	return rep, nil
}

// pairRatios returns the median, the minimum and the maximum of the ratios
// sdk[i].RPS / bare[i].RPS: the rounds run one after the other, so that each
// ratio compares the two handlers on the same state of the machine. Pairs
// whose bare round made no request are left out.
func pairRatios(bare, sdk []Round) (med, lo, hi float64) {
	var pairs []Round
	for i := range min(len(bare), len(sdk)) {
		if bare[i].RPS > 0 {
			pairs = append(pairs, Round{RPS: sdk[i].RPS / bare[i].RPS})
		}
	}
	if len(pairs) == 0 {
		return 0, 0, 0
	}
	lo, hi = pairs[0].RPS, pairs[0].RPS
	for _, p := range pairs[1:] {
		lo, hi = min(lo, p.RPS), max(hi, p.RPS)
	}
	return median(pairs, func(r Round) float64 { return r.RPS }), lo, hi
}

// stats returns the medians of rs.
func stats(rs []Round) Stats {
	return Stats{
		RPS:           median(rs, func(r Round) float64 { return r.RPS }),
		P50us:         median(rs, func(r Round) float64 { return r.P50us }),
		P99us:         median(rs, func(r Round) float64 { return r.P99us }),
		PeakHeapBytes: median(rs, func(r Round) float64 { return float64(r.PeakHeapBytes) }),
		AllocsPerReq:  median(rs, func(r Round) float64 { return r.AllocsPerReq }),
		BytesPerReq:   median(rs, func(r Round) float64 { return r.BytesPerReq }),
		CPUPerReqUS:   median(rs, func(r Round) float64 { return r.CPUPerReqUS }),
		GCCPUPerReqUS: median(rs, func(r Round) float64 { return r.GCCPUPerReqUS }),
	}
}

// loadAvg returns the first three fields of /proc/loadavg, or "".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func printRound(w io.Writer, r Round) {
	codes := make([]string, 0, len(r.Statuses))
	for code, n := range r.Statuses {
		codes = append(codes, fmt.Sprintf("%s×%d", code, n))
	}
	if r.Errors > 0 {
		codes = append(codes, fmt.Sprintf("errors×%d", r.Errors))
	}
	if r.Overrun > 0.05 {
		codes = append(codes, fmt.Sprintf("(a request stalled: the last came %.2fs after the round)", r.Overrun))
	}
	fmt.Fprintf(w, "%-5d %-5s %9d %9.0f %8.1f %8.1f %8.1f %9s %10.1f %9.0f %6d %8.2f %4.0f%%  %s\n",
		r.Index, r.Handler, r.Requests, r.RPS, r.P50us, r.P99us, r.MaxUS/1e3, mib(float64(r.PeakHeapBytes)),
		r.AllocsPerReq, r.BytesPerReq, r.GCCycles, r.CPUPerReqUS, 100*r.CPUUtil, strings.Join(codes, " "))
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

func printSummary(w io.Writer, rep *Report) {
	s := rep.Summary
	fmt.Fprintf(w, "\n%s summary, medians of %d rounds:\n", rep.Provider, rep.Rounds)
	type column struct {
		name string
		st   *Stats
	}
	var extra []column
	if s.Floor != nil {
		extra = append(extra, column{"floor", s.Floor})
	}
	head := fmt.Sprintf("  %-13s %10s %10s %10s", "", "bare", "sdk", "sdk-bare")
	for _, c := range extra {
		head += fmt.Sprintf(" %10s", c.name)
	}
	fmt.Fprintln(w, head)
	row := func(name, format string, f func(*Stats) float64) {
		b, k := f(&s.Bare), f(&s.SDK)
		line := fmt.Sprintf("  %-13s %10s %10s %10s", name, fmt.Sprintf(format, b), fmt.Sprintf(format, k), fmt.Sprintf("%+"+format[1:], k-b))
		for _, c := range extra {
			line += fmt.Sprintf(" %10s", fmt.Sprintf(format, f(c.st)))
		}
		fmt.Fprintln(w, line)
	}
	row("req/s", "%.0f", func(s *Stats) float64 { return s.RPS })
	row("p50 µs", "%.1f", func(s *Stats) float64 { return s.P50us })
	row("p99 µs", "%.1f", func(s *Stats) float64 { return s.P99us })
	row("heap MiB", "%.2f", func(s *Stats) float64 { return s.PeakHeapBytes / (1 << 20) })
	row("retained KiB", "%.0f", func(s *Stats) float64 { return float64(s.RetainedBytes) / 1024 })
	row("allocs/req", "%.1f", func(s *Stats) float64 { return s.AllocsPerReq })
	row("bytes/req", "%.0f", func(s *Stats) float64 { return s.BytesPerReq })
	if s.Bare.CPUPerReqUS > 0 {
		row("cpu µs/req", "%.2f", func(s *Stats) float64 { return s.CPUPerReqUS })
	}
	row("gc cpu µs/req", "%.2f", func(s *Stats) float64 { return s.GCCPUPerReqUS })
	fmt.Fprintf(w, "  ratio sdk/bare req/s: %.3f (median of per-round pairs %.3f, min–max %.3f–%.3f); target %.2f: %s\n",
		s.Ratio, s.PairRatio, s.PairMin, s.PairMax, s.Target, s.Verdict)
	if s.BudgetCPUus > 0 {
		fmt.Fprintf(w, "  CPU per request: the SDK adds %.2f µs; %.2f µs is the most it may add for %.2f\n",
			s.AddedCPUus, s.BudgetCPUus, s.Target)
	}
	if s.Floor != nil {
		fmt.Fprintf(w, "  ratio floor/bare req/s: %.3f (the SDK's job written by hand, every stage at its floor)\n", s.FloorRatio)
	}
	if !s.CallbacksOK {
		fmt.Fprintln(w, "  WARNING: the callback did not run once per request: some requests were not handled")
	}
	if s.Verdict == "BELOW" {
		fmt.Fprintf(w, "  where the time goes: %s\n", benchCommand(rep.Provider))
	}
	fmt.Fprintln(w)
}

// benchCommand is the command line of provider's in-package benchmarks:
// its decoder and its handler, each beside its standard-library baseline.
func benchCommand(provider string) string {
	return "go test -run '^$' -bench . -benchmem ./" + provider
}

// printOverall prints the table -provider all ends with: a line per
// provider with the median and the min–max of its per-round-pair SDK/bare
// ratios, the median p50 and p99 latencies of both handlers, and whether
// the callback ran once per request.
func printOverall(w io.Writer, reps []*Report) {
	rounds := 0
	if len(reps) > 0 {
		rounds = reps[0].Rounds
	}
	fmt.Fprintf(w, "summary, %d rounds per handler: sdk/bare req/s, median and min–max of the round pairs; latency medians in µs\n", rounds)
	fmt.Fprintf(w, "%-8s %8s %13s %9s %9s %9s %9s  %s\n",
		"provider", "sdk/bare", "min–max", "p50 bare", "p50 sdk", "p99 bare", "p99 sdk", "callbacks")
	for _, rep := range reps {
		s := rep.Summary
		cb := "ok"
		if !s.CallbacksOK {
			cb = "MISSED"
		}
		fmt.Fprintf(w, "%-8s %8.3f %13s %9.1f %9.1f %9.1f %9.1f  %s\n",
			rep.Provider, s.PairRatio, fmt.Sprintf("%.3f–%.3f", s.PairMin, s.PairMax),
			s.Bare.P50us, s.SDK.P50us, s.Bare.P99us, s.SDK.P99us, cb)
	}
}

// printBenchRound prints r as a Go benchmark result line: one per round, so
// that benchstat sees each round as one run.
func printBenchRound(w io.Writer, provider string, r Round) {
	fmt.Fprintf(w, "BenchmarkLoopback/%s/%s-%d %d %.0f req/s %.0f p50-ns %.0f p99-ns %.0f peak-heap-B %.1f allocs/req %.0f B/req",
		provider, r.Handler, runtime.GOMAXPROCS(0), r.Requests, r.RPS, r.P50us*1e3, r.P99us*1e3,
		float64(r.PeakHeapBytes), r.AllocsPerReq, r.BytesPerReq)
	if r.CPUPerReqUS > 0 {
		fmt.Fprintf(w, " %.0f cpu-ns/req", r.CPUPerReqUS*1e3)
	}
	fmt.Fprintln(w)
}
