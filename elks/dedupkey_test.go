package elks

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
)

// Issue 10 item 6: a key of only some fields drops a webhook that differs
// in another as a duplicate. Every field of every event type counts,
// unless it is listed here with the reason it is left out.
func TestDedupKeyCoversEveryField(t *testing.T) {
	key := func(ev Event) string { return (&Callbacks{}).delivery(ev, nil).Key }
	tests := []struct {
		event  string
		check  func(*testing.T)
		reason string
	}{
		{"SMS", func(t *testing.T) { testfix.CheckKeyFields(t, func(ev *SMS) string { return key(ev) }, nil) },
			"46elks resends the same form body"},
		{"MMS", func(t *testing.T) { testfix.CheckKeyFields(t, func(ev *MMS) string { return key(ev) }, nil) },
			"the images are part of the message"},
		{"DeliveryReport", func(t *testing.T) { testfix.CheckKeyFields(t, func(ev *DeliveryReport) string { return key(ev) }, nil) },
			"sent, then delivered or failed: one key each"},
		{"Recording", func(t *testing.T) { testfix.CheckKeyFields(t, func(ev *Recording) string { return key(ev) }, nil) },
			"record and recordcall may both report on one call"},
		{"CallEnd", func(t *testing.T) { testfix.CheckKeyFields(t, func(ev *CallEnd) string { return key(ev) }, nil) },
			"Actions and Legs count element by element"},
		{"CallEvent", func(t *testing.T) {
			for _, ev := range testfix.EventVariants[CallEvent]() {
				if k := key(ev); k != "" {
					t.Fatalf("a step of a live call has the key %q", k)
				}
			}
		}, "never de-duplicated: the same digits may rightly come twice, and a duplicate's 204 would end the call"},
	}
	for _, tt := range tests {
		t.Run(tt.event+": "+tt.reason, tt.check)
	}
}

// Issue 10 item 6, through the handler: two SMS under one id (a test tool
// replaying one fixture with another text, say) that differ in their text
// or an undocumented field both reach OnSMS; a resend does not.
func TestHandlerDeliversSMSDifferingOnlyInText(t *testing.T) {
	var mu sync.Mutex
	var got []string
	h := NewHandler(Callbacks{OnSMS: func(_ context.Context, ev *SMS) (Reply, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.Message+" "+ev.Extra["owner"])
		return Reply{}, nil
	}}, telhook.WithLogger(slog.New(slog.DiscardHandler)))
	for _, extra := range []string{"message=Hello", "message=Bye", "message=Bye", "message=Bye&owner=u2"} {
		body := "direction=incoming&id=sf8425555e5d8db61dda7a7b3f1b91bdb&from=%2B46706861004&to=%2B46706860000&created=2018-07-13T13%3A57%3A23.741000&" + extra
		req := httptest.NewRequest(http.MethodPost, "/sms", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
	}
	if diff := cmp.Diff([]string{"Hello ", "Bye ", "Bye u2"}, got); diff != "" {
		t.Errorf("SMS that reached OnSMS (-want +got):\n%s", diff)
	}
}
