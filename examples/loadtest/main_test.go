package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLoadEveryProvider runs one short round per handler for each provider
// over loopback and checks the report: requests made, every answer the
// provider's 2xx, the callback run once per request, the ratio computed.
func TestLoadEveryProvider(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := run(t.Context(), []string{"-provider", tg.name, "-rounds", "1", "-duration", "200ms",
				"-warmup", "0", "-concurrency", "2", "-json"}, &out, &errOut)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, errOut.String())
			}
			var rep Report
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("output is not one JSON report: %v\n%s", err, out.String())
			}
			checkReport(t, &rep, tg, 1, "bare", "sdk")
			if errOut.Len() > 0 {
				t.Errorf("stderr: %s", errOut.String())
			}
		})
	}
}

func checkReport(t *testing.T, rep *Report, tg *target, rounds int, handlers ...string) {
	t.Helper()
	if rep.Provider != tg.name || rep.Concurrency < 1 || rep.Rounds != rounds {
		t.Errorf("header: provider %q, concurrency %d, rounds %d", rep.Provider, rep.Concurrency, rep.Rounds)
	}
	if len(rep.Results) != rounds*len(handlers) {
		t.Fatalf("%d results, want %d", len(rep.Results), rounds*len(handlers))
	}
	want := strconv.Itoa(tg.status)
	for i, r := range rep.Results {
		if r.Handler != handlers[i%len(handlers)] || r.Index != i/len(handlers)+1 {
			t.Errorf("result %d: handler %q round %d: not in alternating order", i, r.Handler, r.Index)
		}
		if r.Requests == 0 || r.RPS <= 0 || r.Seconds <= 0 {
			t.Errorf("%s: %d requests, %.0f req/s in %.3fs", r.Handler, r.Requests, r.RPS, r.Seconds)
		}
		if r.Errors != 0 || r.Unexpected != 0 || len(r.Statuses) != 1 || r.Statuses[want] != r.Requests {
			t.Errorf("%s: errors %d, statuses %v, want only %s×%d", r.Handler, r.Errors, r.Statuses, want, r.Requests)
		}
		if r.Handler != "bare" && r.Callbacks != r.Requests {
			t.Errorf("%s: callback ran %d times for %d requests", r.Handler, r.Callbacks, r.Requests)
		}
		if r.P50us <= 0 || r.P99us < r.P50us || r.MaxUS < r.P99us {
			t.Errorf("%s: latency p50 %.1f p99 %.1f max %.1f µs", r.Handler, r.P50us, r.P99us, r.MaxUS)
		}
		if r.PeakHeapBytes == 0 || r.AllocsPerReq <= 0 || r.BytesPerReq <= 0 {
			t.Errorf("%s: peak heap %d, allocs/req %.1f, bytes/req %.0f", r.Handler, r.PeakHeapBytes, r.AllocsPerReq, r.BytesPerReq)
		}
	}
	s := rep.Summary
	if s.Bare.RPS <= 0 || s.SDK.RPS <= 0 || math.Abs(s.Ratio-s.SDK.RPS/s.Bare.RPS) > 1e-9 || s.PairRatio <= 0 {
		t.Errorf("summary: bare %.0f, sdk %.0f req/s, ratio %v, pair ratio %v", s.Bare.RPS, s.SDK.RPS, s.Ratio, s.PairRatio)
	}
	if s.Target != targetRatio || (s.Verdict == "PASS") != (s.Ratio >= targetRatio) || (s.Verdict != "PASS" && s.Verdict != "BELOW") {
		t.Errorf("summary: target %v, verdict %q for ratio %.3f", s.Target, s.Verdict, s.Ratio)
	}
	if !s.CallbacksOK {
		t.Error("summary: callbacks not OK")
	}
	// The SDK decodes, so it allocates more than the bare handler.
	if s.SDK.AllocsPerReq <= s.Bare.AllocsPerReq {
		t.Errorf("summary: sdk allocs/req %.1f not above bare %.1f", s.SDK.AllocsPerReq, s.Bare.AllocsPerReq)
	}
}

// TestLoadTable checks the text report, with the handlers -compare adds.
func TestLoadTable(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(t.Context(), []string{"-provider", "pbx3cx", "-rounds", "1", "-duration", "100ms", "-warmup", "50ms",
		"-concurrency", "2", "-compare", "floor,core"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"round hdlr", "\n1     bare ", "\n1     sdk ", "\n1     floor ", "\n1     core ", "200×",
		"req/s", "p50 µs", "p99 µs", "heap MiB", "allocs/req", "ratio sdk/bare req/s: ", "target 0.85: ", "ratio floor/bare", "ratio core/bare"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-provider", "twilio"},
		{"-duration", "0"},
		{"-duration", "11m"},
		{"-rounds", "0"},
		{"-concurrency", "0"},
		{"-warmup", "-1s"},
		{"-max-requests", "0"},
		{"-n", "0"},
		{"-compare", "fast"},
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

// TestBench checks the benchstat format: one line per round, and per stage
// and floor with -stages.
func TestBench(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-provider", "obd", "-rounds", "2", "-duration", "100ms", "-warmup", "0",
		"-concurrency", "2", "-bench"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	loop := regexp.MustCompile(`^BenchmarkLoopback/obd/(bare|sdk)-\d+ [1-9]\d* \d+ req/s \d+ p50-ns \d+ p99-ns \d+ peak-heap-B [\d.]+ allocs/req \d+ B/req`)
	checkLines(t, out.String(), loop, 4)
	out.Reset()
	if err := run(t.Context(), []string{"-stages", "-provider", "elks", "-n", "10", "-bench"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	stage := regexp.MustCompile(`^BenchmarkStage/elks/\S+/(sdk|floor)-\d+ 1 [\d.]+ ns/op \d+ B/op [\d.]+ allocs/op$`)
	checkLines(t, out.String(), stage, 2*len(stageNames)-2)
}

func checkLines(t *testing.T, out string, re *regexp.Regexp, atLeast int) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < atLeast {
		t.Errorf("%d lines, want at least %d:\n%s", len(lines), atLeast, out)
	}
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("not a benchmark line: %q", l)
		}
	}
}

// stageNames are the stages every provider reports.
var stageNames = []string{"body read", "detection", "decode", "validation", "dedupe key", "dedupe Seen",
	"callback", "answer", "ServeHTTP, defaults", "ServeHTTP, no dedupe"}

func TestStages(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-stages", "-provider", "all", "-n", "20"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(out.String(), "stages in process")
	if len(sections) != len(targets)+1 {
		t.Fatalf("%d sections, want one per provider:\n%s", len(sections)-1, out.String())
	}
	for i, tg := range targets {
		sec := sections[i+1]
		if !strings.HasSuffix(strings.TrimSpace(sections[i]), tg.name+":") {
			t.Errorf("section %d is not %s", i+1, tg.name)
		}
		for _, name := range append(stageNames, "sum of the stages") {
			if !strings.Contains(sec, "\n"+name+" ") && !strings.Contains(sec, "\n  "+name+" ") {
				t.Errorf("%s: no stage %q:\n%s", tg.name, name, sec)
			}
		}
	}
}

// TestStagesJSON checks the -json form of -stages, for one provider (TestStages
// covers them all).
func TestStagesJSON(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-stages", "-json", "-provider", "oncall", "-n", "20"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]StageResult{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var r StageResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if got[r.Provider] == nil {
			got[r.Provider] = map[string]StageResult{}
		}
		got[r.Provider][r.Stage] = r
	}
	for _, tg := range []*target{targets[3]} {
		for _, name := range stageNames {
			r, ok := got[tg.name][name]
			switch {
			case !ok:
				t.Errorf("%s: no stage %q", tg.name, name)
			case r.Impl == "" || r.Floor == "":
				t.Errorf("%s %s: impl %q, floor %q", tg.name, name, r.Impl, r.Floor)
			case name != "validation" && r.NsOp <= 0:
				t.Errorf("%s %s: %v ns/op", tg.name, name, r.NsOp)
			}
		}
		if r := got[tg.name]["ServeHTTP, defaults"]; r.AllocsOp <= r.FloorAllocs {
			t.Errorf("%s: ServeHTTP allocs %.1f, bare %.1f", tg.name, r.AllocsOp, r.FloorAllocs)
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
