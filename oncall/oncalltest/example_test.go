package oncalltest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/oncall/oncalltest"
)

var quiet = telhook.WithLogger(slog.New(slog.DiscardHandler))

// Test the callbacks of a Wavix handler with a call event and the
// post-call record, sent with the secret of the callback URL.
func Example() {
	h := oncall.NewHandler(oncall.Callbacks{
		OnCallEvent: func(ctx context.Context, ev *oncall.CallEvent) error {
			fmt.Printf("call %s: %s, %s keyed %s\n", ev.UUID[:8], ev.EventType, ev.To, ev.Payload.Digits)
			return nil
		},
		OnPostCall: func(ctx context.Context, pc *oncall.PostCall) error {
			fmt.Printf("call %s: %s, %s, $%s\n", pc.UUID[:8], pc.Disposition, pc.Duration, pc.Charge)
			return nil
		},
	}, quiet, telhook.WithVerifier(telhook.QueryToken("key", "s3cret")))

	for _, ev := range []oncall.Event{oncalltest.CallEvent(), oncalltest.PostCall()} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, oncalltest.WithQueryToken(oncalltest.NewRequest(ev), "key", "s3cret"))
		fmt.Println(rec.Code)
	}
	// Output:
	// call a6f1b2c3: on_call_event, 12125550198 keyed 1234
	// 200
	// call 99df5ffd: answered, 6s, $0.822
	// 200
}

// The body is Wavix's JSON: RFC 3339 times in UTC, nulls for what is not
// known yet.
func ExampleNewRequest() {
	req := oncalltest.NewRequest(&oncall.CallEvent{
		UUID:      "5dccb6b0-f35c-488c-867b-86fb012c4415",
		EventType: oncall.Ringing,
		EventTime: time.Date(2025, 9, 22, 12, 56, 38, 547e6, time.UTC),
		From:      "+18045961058",
		To:        "17653889567",
	})
	body, _ := io.ReadAll(req.Body)
	fmt.Println(req.Method, req.URL, req.Header.Get("Content-Type"))
	fmt.Println(string(body))
	// Output:
	// POST / application/json
	// {"uuid":"5dccb6b0-f35c-488c-867b-86fb012c4415","event_type":"ringing","event_time":"2025-09-22T12:56:38.547Z","event_payload":null,"from":"+18045961058","to":"17653889567","call_started":null,"call_answered":null,"call_completed":null,"machine_detected":false,"tag":""}
}
