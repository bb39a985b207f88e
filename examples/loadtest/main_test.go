package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The load tests are not parallel: allocations, GC cycles and CPU time are
// read for the whole process, so rounds run at the same time would count
// each other's. Their rounds are short and bounded in count (-max-requests)
// rather than by their -duration, which only bounds them in time: on a busy
// machine a round of a few milliseconds could see no response at all, and
// a fixed count keeps the per-round costs (a new server, transport and
// connections) a small, known share of each request's allocations.

// TestLoadEveryProvider runs two short rounds per handler (bare, sdk and
// floor) for each provider over loopback and checks each report: every
// request answered with the provider's 2xx, the callback run once per
// request, the ratios computed from the rounds.
func TestLoadEveryProvider(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"-provider", "all", "-rounds", "2", "-duration", "5s", "-max-requests", "80",
		"-warmup", "0", "-concurrency", "2", "-compare", "floor", "-json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	if errOut.Len() > 0 {
		t.Errorf("stderr: %s", errOut.String())
	}
	dec := json.NewDecoder(&out)
	for _, tg := range targets {
		var rep Report
		if err := dec.Decode(&rep); err != nil {
			t.Fatalf("%s: output is not one JSON report per provider: %v", tg.name, err)
		}
		t.Run(tg.name, func(t *testing.T) { checkReport(t, &rep, tg, 2, 80, "bare", "sdk", "floor") })
	}
	if dec.More() {
		t.Error("more JSON after one report per provider")
	}
}

// checkReport checks rep, a run of tg's handlers for rounds rounds of
// perRound requests each.
func checkReport(t *testing.T, rep *Report, tg *target, rounds int, perRound uint64, handlers ...string) {
	t.Helper()
	if rep.Provider != tg.name || rep.Concurrency < 1 || rep.Rounds != rounds {
		t.Errorf("header: provider %q, concurrency %d, rounds %d", rep.Provider, rep.Concurrency, rep.Rounds)
	}
	if len(rep.Results) != rounds*len(handlers) {
		t.Fatalf("%d results, want %d", len(rep.Results), rounds*len(handlers))
	}
	want := strconv.Itoa(tg.status)
	var bare, sdk []Round
	for i, r := range rep.Results {
		if r.Handler != handlers[i%len(handlers)] || r.Index != i/len(handlers)+1 {
			t.Errorf("result %d: handler %q round %d: not in alternating order", i, r.Handler, r.Index)
		}
		switch r.Handler {
		case "bare":
			bare = append(bare, r)
		case "sdk":
			sdk = append(sdk, r)
		}
		if r.Requests != perRound || r.RPS <= 0 || r.Seconds <= 0 || math.Abs(r.RPS*r.Seconds-float64(r.Requests)) > 0.5 {
			t.Errorf("%s: %d requests, want %d; %.0f req/s in %.3fs", r.Handler, r.Requests, perRound, r.RPS, r.Seconds)
		}
		if r.Errors != 0 || r.Unexpected != 0 || len(r.Statuses) != 1 || r.Statuses[want] != r.Requests {
			t.Errorf("%s: errors %d, statuses %v, want only %s×%d", r.Handler, r.Errors, r.Statuses, want, r.Requests)
		}
		if r.Handler != "bare" && r.Callbacks != r.Requests {
			t.Errorf("%s: callback ran %d times for %d requests", r.Handler, r.Callbacks, r.Requests)
		}
		if r.Handler == "bare" && r.Callbacks != 0 {
			t.Errorf("bare: %d callbacks counted while it ran", r.Callbacks)
		}
		if r.P50us <= 0 || r.P99us < r.P50us || r.MaxUS < r.P99us {
			t.Errorf("%s: latency p50 %.1f p99 %.1f max %.1f µs", r.Handler, r.P50us, r.P99us, r.MaxUS)
		}
		if r.PeakHeapBytes == 0 || r.AllocsPerReq <= 0 || r.BytesPerReq <= 0 {
			t.Errorf("%s: peak heap %d, allocs/req %.1f, bytes/req %.0f", r.Handler, r.PeakHeapBytes, r.AllocsPerReq, r.BytesPerReq)
		}
	}
	s := rep.Summary
	if s.Bare.RPS <= 0 || s.SDK.RPS <= 0 || math.Abs(s.Ratio-s.SDK.RPS/s.Bare.RPS) > 1e-9 {
		t.Errorf("summary: bare %.0f, sdk %.0f req/s, ratio %v", s.Bare.RPS, s.SDK.RPS, s.Ratio)
	}
	// The pair ratios, from the rounds as reported.
	var pairs []float64
	for i := range bare {
		pairs = append(pairs, sdk[i].RPS/bare[i].RPS)
	}
	slices.Sort(pairs)
	med := pairs[len(pairs)/2]
	if len(pairs)%2 == 0 {
		med = (pairs[len(pairs)/2-1] + med) / 2
	}
	if !near(s.PairRatio, med) || !near(s.PairMin, pairs[0]) || !near(s.PairMax, pairs[len(pairs)-1]) {
		t.Errorf("summary: pair ratio %v in %v–%v, want %v in %v–%v (%v)", s.PairRatio, s.PairMin, s.PairMax,
			med, pairs[0], pairs[len(pairs)-1], pairs)
	}
	if s.Target != targetRatio || (s.Verdict == "PASS") != (s.Ratio >= targetRatio) || (s.Verdict != "PASS" && s.Verdict != "BELOW") {
		t.Errorf("summary: target %v, verdict %q for ratio %.3f", s.Target, s.Verdict, s.Ratio)
	}
	if !s.CallbacksOK {
		t.Error("summary: callbacks not OK")
	}
	if slices.Contains(handlers, "floor") && (s.Floor == nil || s.Floor.RPS <= 0 || !near(s.FloorRatio, s.Floor.RPS/s.Bare.RPS)) {
		t.Errorf("summary: floor %+v, ratio %v", s.Floor, s.FloorRatio)
	}
	// The SDK decodes, so it allocates more than the bare handler.
	if s.SDK.AllocsPerReq <= s.Bare.AllocsPerReq {
		t.Errorf("summary: sdk allocs/req %.1f not above bare %.1f", s.SDK.AllocsPerReq, s.Bare.AllocsPerReq)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

// TestLoadTable checks one provider's text report, with the floor handler.
func TestLoadTable(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), []string{"-provider", "pbx3cx", "-rounds", "1", "-duration", "5s", "-max-requests", "40",
		"-warmup", "5s", "-concurrency", "2", "-compare", "floor"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"round hdlr", "\n1     bare ", "\n1     sdk ", "\n1     floor ", "200×40\n",
		"req/s", "p50 µs", "p99 µs", "heap MiB", "allocs/req", "ratio sdk/bare req/s: ", "min–max ", "target 0.85: ", "ratio floor/bare"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\nsummary, ") {
		t.Errorf("one provider, yet the table of all providers:\n%s", text)
	}
	if strings.Contains(text, "WARNING") {
		t.Errorf("callback count warned about:\n%s", text)
	}
}

// TestSummaryAll runs -provider all in text and checks the table it ends
// with: a line per provider, in order, whose figures agree with each other.
func TestSummaryAll(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), []string{"-provider", "all", "-rounds", "2", "-duration", "5s", "-max-requests", "40",
		"-warmup", "0", "-concurrency", "2"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	_, table, ok := strings.Cut(text, "\nsummary, 2 rounds per handler: ")
	if !ok {
		t.Fatalf("no final summary table:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 2+len(targets) {
		t.Fatalf("table of %d lines, want a title, a header and %d providers:\n%s", len(lines), len(targets), table)
	}
	if h := strings.Fields(lines[1]); !slices.Equal(h, []string{"provider", "sdk/bare", "min–max", "p50", "bare", "p50", "sdk", "p99", "bare", "p99", "sdk", "callbacks"}) {
		t.Errorf("header %q", lines[1])
	}
	for i, tg := range targets {
		f := strings.Fields(lines[2+i])
		if len(f) != 8 || f[0] != tg.name {
			t.Errorf("line %q: want 8 fields for %s", lines[2+i], tg.name)
			continue
		}
		lo, hi, ok := strings.Cut(f[2], "–")
		num := func(s string) float64 {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Errorf("%s: %q is not a number", tg.name, s)
			}
			return v
		}
		ratio, min, max := num(f[1]), num(lo), num(hi)
		if !ok || ratio <= 0 || min > ratio || ratio > max {
			t.Errorf("%s: ratio %s not within %s", tg.name, f[1], f[2])
		}
		p50b, p50s, p99b, p99s := num(f[3]), num(f[4]), num(f[5]), num(f[6])
		if p50b <= 0 || p50s <= 0 || p99b < p50b || p99s < p50s {
			t.Errorf("%s: p50 %v/%v, p99 %v/%v µs", tg.name, p50b, p50s, p99b, p99s)
		}
		if f[7] != "ok" {
			t.Errorf("%s: callbacks %q", tg.name, f[7])
		}
		if !strings.Contains(text, "\n"+tg.name+" summary, medians of 2 rounds:") {
			t.Errorf("no summary for %s before the table", tg.name)
		}
	}
}

// TestPrintOverall checks the final table's figures against given
// summaries, the missed-callback mark included.
func TestPrintOverall(t *testing.T) {
	reps := []*Report{
		{Provider: "elks", Rounds: 3, Summary: Summary{PairRatio: 0.8125, PairMin: 0.75, PairMax: 0.9, CallbacksOK: true,
			Bare: Stats{P50us: 100, P99us: 900}, SDK: Stats{P50us: 130.25, P99us: 1100}}},
		{Provider: "oncall", Rounds: 3, Summary: Summary{PairRatio: 0.5, PairMin: 0.5, PairMax: 0.5,
			Bare: Stats{P50us: 1, P99us: 2}, SDK: Stats{P50us: 3, P99us: 4}}},
	}
	var out bytes.Buffer
	printOverall(&out, reps)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := [][]string{
		{"elks", "0.812", "0.750–0.900", "100.0", "130.2", "900.0", "1100.0", "ok"},
		{"oncall", "0.500", "0.500–0.500", "1.0", "3.0", "2.0", "4.0", "MISSED"},
	}
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "summary, 3 rounds per handler: ") {
		t.Fatalf("table:\n%s", out.String())
	}
	for i, w := range want {
		if got := strings.Fields(lines[2+i]); !slices.Equal(got, w) {
			t.Errorf("line %d: %q, want %q", i, got, w)
		}
	}
}

// TestWhereTheTimeGoes checks that a summary below the target points to the
// provider's in-package benchmarks, and one that passes does not.
func TestWhereTheTimeGoes(t *testing.T) {
	for _, verdict := range []string{"BELOW", "PASS"} {
		var out bytes.Buffer
		printSummary(&out, &Report{Provider: "obd", Rounds: 1, Summary: Summary{Verdict: verdict, CallbacksOK: true}})
		hint := "where the time goes: go test -run '^$' -bench . -benchmem ./obd\n"
		if got := strings.Contains(out.String(), hint); got != (verdict == "BELOW") {
			t.Errorf("%s: hint printed %v:\n%s", verdict, got, out.String())
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-provider", "twilio"},
		{"-duration", "0"},
		{"-duration", "11m"},
		{"-rounds", "0"},
		{"-rounds", "101"},
		{"-concurrency", "0"},
		{"-warmup", "-1s"},
		{"-max-requests", "0"},
		{"-compare", "fast"},
		{"-compare", "core"},
		{"-compare", "floor,core"},
		{"-stages"},
		{"-n", "10"},
		{"-json", "-bench"},
		{"-nosuchflag"},
		{"-rounds", "two"},
		{"extra"},
	} {
		var errOut bytes.Buffer
		start := time.Now()
		if err := run(t.Context(), args, io.Discard, &errOut); err == nil {
			t.Errorf("%q: no error", args)
		}
		if time.Since(start) > time.Second {
			t.Errorf("%q: took %v: it ran instead of refusing", args, time.Since(start))
		}
	}
}

// TestBench checks the benchstat format: one line per round and handler.
func TestBench(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-provider", "obd", "-rounds", "2", "-duration", "5s", "-max-requests", "20",
		"-warmup", "0", "-concurrency", "2", "-bench"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	loop := regexp.MustCompile(`^BenchmarkLoopback/obd/(bare|sdk)-\d+ 20 \d+ req/s \d+ p50-ns \d+ p99-ns \d+ peak-heap-B [\d.]+ allocs/req \d+ B/req`)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Errorf("%d lines, want 4:\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		if !loop.MatchString(l) {
			t.Errorf("not a benchmark line: %q", l)
		}
	}
}

// TestFloorDecoders checks that each floor decoder reads its target's body
// into the provider's event with the id the template put in it, and refuses
// a body that is not one.
func TestFloorDecoders(t *testing.T) {
	for _, tg := range targets {
		decode := floorDecoders[tg.name]
		if decode == nil {
			t.Errorf("%s: no floor decoder", tg.name)
			continue
		}
		key, ev, err := decode(tg.body(42))
		if err != nil || ev == nil || !strings.Contains(key, "000000000042") {
			t.Errorf("%s: key %q, event %T, error %v", tg.name, key, ev, err)
		}
		if _, _, err := decode([]byte("{}")); err == nil {
			t.Errorf("%s: an empty object decoded", tg.name)
		}
	}
}

// TestHistogram checks the buckets and quantiles against exact values.
func TestHistogram(t *testing.T) {
	for v := uint64(0); v < 1<<20; v = v*5/4 + 1 {
		i := bucketOf(v)
		low, width := bucketRange(i)
		if v < low || v >= low+width {
			t.Fatalf("%d in bucket %d [%d, %d)", v, i, low, low+width)
		}
		if width > 1 && float64(width)/float64(low) > 1.0/subCount+1e-12 {
			t.Fatalf("bucket %d: width %d at %d is over 1/%d", i, width, low, subCount)
		}
	}
	if bucketOf(math.MaxUint64) != numBuckets-1 {
		t.Errorf("the largest value is in bucket %d of %d", bucketOf(math.MaxUint64), numBuckets)
	}
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, 1000 * time.Microsecond}} {
		got := h.quantile(c.q)
		if math.Abs(float64(got-c.want)) > float64(c.want)/subCount {
			t.Errorf("quantile %v = %v, want %v within 1/%d", c.q, got, c.want, subCount)
		}
	}
}
