package normalize_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/replay"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/normalize"
	"github.com/telhook/telhook/obd"
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

// TestOBDEventWebhookIsNoCall: Mobtexting's other event webhooks (here
// voice:unsubscription) carry id and status but no call. obd decodes them
// as Unknown, the mux's /obd path hands no call on, and Parse agrees: no
// phantom outbound call.
func TestOBDEventWebhookIsNoCall(t *testing.T) {
	body := testfix.Read(t, "obd", "unknown-event-unsubscription", ".json")
	ev, err := obd.Decode(body)
	if _, ok := ev.(*obd.Unknown); !ok || !errors.Is(err, telhook.ErrUnknownEvent) {
		t.Fatalf("obd.Decode = %T, %v; want *obd.Unknown and ErrUnknownEvent", ev, err)
	}
	if _, err := normalize.From(ev); !errors.Is(err, telhook.ErrUnknownEvent) {
		t.Errorf("normalize.From of it: %v, want ErrUnknownEvent", err)
	}
	if _, err := normalize.Parse(httptest.NewRequest("POST", "/", bytes.NewReader(body))); !errors.Is(err, telhook.ErrUnknownEvent) {
		t.Errorf("normalize.Parse: %v, want ErrUnknownEvent", err)
	}
	var got []normalize.Event
	mux := normalize.NewMux(func(_ context.Context, ev normalize.Event) error { got = append(got, ev); return nil },
		normalize.WithSharedOptions(telhook.WithLogger(slog.New(slog.DiscardHandler))))
	for _, path := range []string{"/obd", "/auto"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("POST", path, bytes.NewReader(body)))
		if len(got) != 0 {
			t.Errorf("%s: %d events reached the callback, want none", path, len(got))
		}
		if path == "/obd" && rec.Code != 200 {
			t.Errorf("/obd answers %d, want Mobtexting's 200 for an acknowledged unknown webhook", rec.Code)
		}
	}
}
