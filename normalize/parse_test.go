package normalize_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/replay"
	"github.com/telhook/telhook/normalize"
)

// TestParseRecognisesEveryFixture: Parse, given only the request, names the
// provider of every fixture that its own package decodes. It may give up
// (ErrUnknownEvent) only on composed Mobtexting webhooks, whose keys are the
// user's, and on fixtures that are malformed or nobody's on purpose; it
// must never name the wrong provider.
func TestParseRecognisesEveryFixture(t *testing.T) {
	reqs, err := replay.Load(filepath.Join("..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	recognised := 0
	for _, r := range reqs {
		hr, err := r.HTTP("http://telhook.test")
		if err != nil {
			t.Fatal(err)
		}
		ev, err := normalize.Parse(hr)
		base := filepath.Base(r.Fixture)
		mayFail := strings.HasPrefix(base, "bad-") || strings.HasPrefix(base, "unknown") || r.Path == "/obd/compose" ||
			strings.Contains(base, "challenge")
		switch {
		case err == nil:
			recognised++
			if string(ev.Provider) != r.Provider {
				t.Errorf("%s: Parse says %s, it is %s's", r.Fixture, ev.Provider, r.Provider)
			}
		case errors.Is(err, telhook.ErrUnknownEvent) && !mayFail:
			t.Errorf("%s: not recognised: %v", r.Fixture, err)
		case !errors.Is(err, telhook.ErrUnknownEvent) && !errors.Is(err, telhook.ErrMalformed) && !mayFail:
			t.Errorf("%s: %v", r.Fixture, err)
		}
	}
	if recognised < 100 {
		t.Errorf("only %d fixtures recognised", recognised)
	}
}
