package normalize_test

import (
	"context"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/replay"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/normalize"
	"github.com/telhook/telhook/pbx3cx"
)

var update = flag.Bool("update", false, "rewrite testdata/normalized")

type result struct {
	Request string            `json:"request"`
	Status  int               `json:"status"`
	Events  []normalize.Event `json:"events"`
}

// TestGoldenNormalized replays every fixture in testdata/ (in replay
// order, through one mux configured as examples/server is by default, so
// that provider retries are de-duplicated the same way) and compares the
// normalized events of each fixture file with testdata/normalized/<file>.json.
// A fixture without a golden file fails; -update writes them. The 3CX calls
// the tracker puts together go to testdata/normalized/tracked-calls.json.
func TestGoldenNormalized(t *testing.T) {
	reqs, err := replay.Load(filepath.Join("..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		current []normalize.Event
		calls   []normalize.Event
	)
	tracker := pbx3cx.NewTracker(func(c pbx3cx.Call) {
		c.FirstSeen, c.LastSeen = time.Time{}, time.Time{} // arrival times: not the call's
		ev, err := normalize.From(c)
		if err != nil {
			t.Error(err)
		}
		calls = append(calls, ev)
	})
	mux := normalize.NewMux(func(_ context.Context, ev normalize.Event) error {
		mu.Lock()
		defer mu.Unlock()
		current = append(current, ev)
		return nil
	},
		normalize.WithSharedOptions(telhook.WithLogger(slog.New(slog.DiscardHandler))),
		normalize.WithOptions(normalize.Elks, elks.WithFallback(elks.Hangup{Reason: "busy"})),
		normalize.WithElksCalls(func(context.Context, *elks.CallEvent) (elks.Action, error) { return elks.Hangup{Reason: "reject"}, nil }),
		normalize.WithTracker(tracker),
	)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	byFile := map[string][]result{}
	var files []string
	for _, r := range reqs {
		hr, err := r.HTTP(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		mu.Lock()
		res := result{Request: r.Fixture, Status: resp.StatusCode, Events: current}
		current = nil
		mu.Unlock()
		file, _, _ := strings.Cut(r.Fixture, "#")
		if _, seen := byFile[file]; !seen {
			files = append(files, file)
		}
		byFile[file] = append(byFile[file], res)
	}
	tracker.Flush()
	if len(files) < 100 {
		t.Fatalf("only %d fixture files", len(files))
	}
	dir := filepath.Join(testfix.Dir("normalized"))
	for _, file := range files {
		path := filepath.Join(dir, file+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		testfix.Golden(t, path, byFile[file], *update)
	}
	testfix.Golden(t, filepath.Join(dir, "tracked-calls.json"), calls, *update)
	if *update {
		return
	}
	// No golden file without its fixture either.
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(path) == "tracked-calls.json" {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if _, ok := byFile[strings.TrimSuffix(filepath.ToSlash(rel), ".json")]; !ok {
			t.Errorf("%s has no fixture", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
