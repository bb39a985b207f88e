package oncall

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
)

// Issue 10 item 6: webhooks that differ were dropped as duplicates when the
// key left out the field they differ in. Every field of every event type
// counts, unless it is listed here with the reason it is left out.
func TestDedupKeyCoversEveryField(t *testing.T) {
	key := func(ev Event) string { return (&Callbacks{}).delivery(ev).Key }
	tests := []struct {
		event  string
		check  func(*testing.T)
		reason string
	}{
		{"CallEvent", func(t *testing.T) {
			testfix.CheckKeyFields(t, func(ev *CallEvent) string { return key(ev) }, map[string]string{
				"CallStarted": "the same in every snapshot of one call (UUID): it tells no two apart",
			})
		}, "each snapshot of a call that differs in anything is another webhook"},
		{"PostCall", func(t *testing.T) {
			testfix.CheckKeyFields(t, func(ev *PostCall) string { return key(ev) }, nil)
		}, "one per call: one that differs is a correction worth delivering"},
	}
	for _, tt := range tests {
		t.Run(tt.event+": "+tt.reason, tt.check)
	}
}

// Issue 10 item 6, through the handler: two snapshots of one call at the
// same instant, differing only in the caller (or only in an undocumented
// field), both reach the callback; a resend does not.
func TestHandlerDeliversEventsDifferingOnlyInCaller(t *testing.T) {
	const ev = `{"uuid":"5dccb6b0-f35c-488c-867b-86fb012c4415","event_type":"call_setup","event_time":"2025-09-22T12:56:38.547Z","event_payload":null,"from":"%s","to":"17653889567","call_started":"2025-09-22T12:56:38.547Z","call_answered":null,"call_completed":null,"machine_detected":false,"tag":""%s}`
	var mu sync.Mutex
	var got []string
	h := NewHandler(Callbacks{OnCallEvent: func(_ context.Context, ev *CallEvent) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.From+" "+ev.Extra["trunk"])
		return nil
	}}, telhook.WithLogger(slog.New(slog.DiscardHandler)))
	for _, body := range []string{
		fmt.Sprintf(ev, "+18045961058", ""),
		fmt.Sprintf(ev, "+18045961059", ""),
		fmt.Sprintf(ev, "+18045961059", ""),
		fmt.Sprintf(ev, "+18045961059", `,"trunk":"b"`),
	} {
		req := httptest.NewRequest(http.MethodPost, "/wavix", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
	}
	want := []string{"+18045961058 ", "+18045961059 ", "+18045961059 b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events that reached OnCallEvent (-want +got):\n%s", diff)
	}
}
