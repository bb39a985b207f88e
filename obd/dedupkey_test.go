package obd

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

// Issue 10 item 6: the report key left out From, Bridge and Duration, so
// two Click2Call reports to one IVR flow in the same second with the same
// status delivered only one. Every field counts, unless it is listed here
// with the reason it is left out.
func TestDedupKeyCoversEveryField(t *testing.T) {
	tests := []struct {
		event    string
		excluded map[string]string
		reason   string
	}{
		{"Report", map[string]string{
			"Date":     "when the report was sent: a resend need not repeat it, and reports of different calls differ elsewhere",
			"UnixTime": "Date again, as a Unix time",
		}, "no event id is sent: a report is what it says"},
	}
	for _, tt := range tests {
		t.Run(tt.event+": "+tt.reason, func(t *testing.T) {
			testfix.CheckKeyFields(t, reportKey, tt.excluded)
		})
	}
}

// Issue 10 item 6, through the handler: two Click2Call reports to flow:220
// in the same second with the same status but different callers both
// reach OnReport; a resend does not.
func TestHandlerDeliversC2CReportsFromDifferentCallers(t *testing.T) {
	const report = `{"bridge": "918068281234", "from": "%s", "to": "flow:220", "source": "C2C", "start_at": "2021-04-09 16:27:39", "end_at": "2021-04-09 16:27:55", "date": "2021-04-09 16:27:56", "unixtime": "1617965876", "duration": "23", "billing": "16", "status": "COMPLETED", "status1": "RECEIVED", "status2": "ANSWER", "recording_url": "", "hangup_by": "caller"}`
	var mu sync.Mutex
	var got []string
	h := NewHandler(Callbacks{OnReport: func(_ context.Context, r *Report) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.From)
		return nil
	}}, telhook.WithLogger(slog.New(slog.DiscardHandler)))
	for _, from := range []string{"918919521234", "918919525678", "918919525678"} {
		req := httptest.NewRequest(http.MethodPost, "/mobtexting", bytes.NewReader(fmt.Appendf(nil, report, from)))
		req.Header.Set("content-type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
	}
	if diff := cmp.Diff([]string{"918919521234", "918919525678"}, got); diff != "" {
		t.Errorf("reports that reached OnReport (-want +got):\n%s", diff)
	}
}
