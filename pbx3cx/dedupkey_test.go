package pbx3cx

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

// Issue 10 item 6: the key left out CallerID, UserType, DID, Title,
// Transfer and Extra, so events differing only in those were dropped as
// duplicates. Every field counts, unless it is listed here with the reason
// it is left out.
func TestDedupKeyCoversEveryField(t *testing.T) {
	tests := []struct {
		event    string
		excluded map[string]string
		reason   string
	}{
		{"Event", nil, "no event id is sent, and the Tracker too tells events apart by every field"},
	}
	for _, tt := range tests {
		t.Run(tt.event+": "+tt.reason, func(t *testing.T) {
			testfix.CheckKeyFields(t, dedupKey, tt.excluded)
		})
	}
}

// Issue 10 item 6, through the handler: events of one call that differ
// only in the caller, the DID or an undocumented field all reach OnEvent;
// a resend does not.
func TestHandlerDeliversEventsDifferingOnlyInCaller(t *testing.T) {
	const ev = `{"Event":"ringing","Callerid":"%s","User":"820","Usertype":"queue","Did":"%s","Id":"230307114903_10-0"%s}`
	var mu sync.Mutex
	var got []string
	h := NewHandler(Callbacks{OnEvent: func(_ context.Context, ev *Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.CallerID+" "+ev.DID+" "+ev.Extra["chid"])
		return nil
	}}, telhook.WithLogger(slog.New(slog.DiscardHandler)))
	for _, body := range []string{
		fmt.Sprintf(ev, "05552221133", "", ""),
		fmt.Sprintf(ev, "05552221134", "", ""),
		fmt.Sprintf(ev, "05552221134", "", ""),
		fmt.Sprintf(ev, "05552221134", "DID-420222000320", ""),
		fmt.Sprintf(ev, "05552221134", "DID-420222000320", `,"chid":"00000000-01dc"`),
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/3cx", bytes.NewReader([]byte(body))))
		if w.Code != http.StatusOK {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
	}
	want := []string{"05552221133  ", "05552221134  ", "05552221134 DID-420222000320 ", "05552221134 DID-420222000320 00000000-01dc"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events that reached OnEvent (-want +got):\n%s", diff)
	}
}
