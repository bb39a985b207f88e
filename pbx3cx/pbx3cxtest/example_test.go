package pbx3cxtest_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/pbx3cx/pbx3cxtest"
)

var quiet = telhook.WithLogger(slog.New(slog.DiscardHandler))

// Replay one whole call, as K2M's add-on posts it, through a handler that
// checks the secret of its webhook URL.
func Example() {
	h := pbx3cx.NewHandler(pbx3cx.Callbacks{
		OnEvent: func(ctx context.Context, ev *pbx3cx.Event) error {
			if ev.IsEnd() {
				fmt.Printf("%s segment %d: %s with %s, %s\n", ev.CallID(), ev.Segment(), ev.FinishType, ev.User, ev.Duration)
			}
			return nil
		},
	}, quiet, telhook.WithVerifier(telhook.QueryToken("key", "s3cret")))

	for _, ev := range pbx3cxtest.AttendedTransfer() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, pbx3cxtest.WithQueryToken(pbx3cxtest.NewRequest(ev), "key", "s3cret"))
		if rec.Code != 200 {
			fmt.Println(rec.Code)
		}
	}
	// Output:
	// 230307142318_40 segment 1: Ok with 117, 14s
	// 230307142318_40 segment 2: Ok with 204, 6s
}

// The legacy GET scheme: the start of a talk under its legacy name, and
// an end event whose talk time is in its title.
func ExampleNewLegacyRequest() {
	h := pbx3cx.NewHandler(pbx3cx.Callbacks{
		OnEvent: func(ctx context.Context, ev *pbx3cx.Event) error {
			fmt.Printf("%s %s %s\n", ev.Type, ev.User, ev.Duration)
			return nil
		},
	}, quiet)

	start := &pbx3cx.Event{Type: pbx3cx.IncomingStarted, CallerID: "420774852629", User: "102", TransferType: pbx3cx.NotTransferred, ID: "230102104542_15-1"}
	end := &pbx3cx.Event{Type: pbx3cx.Incoming, CallerID: "420774852629", User: "102", FinishType: pbx3cx.FinishOk,
		Title: "Answered call from 420774852629 (0:07)", Duration: 7 * time.Second, ID: "230102104542_15-1"}
	for _, ev := range []*pbx3cx.Event{start, end} {
		req := pbx3cxtest.NewLegacyRequest(ev)
		fmt.Println(req.Method, req.URL)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	// Output:
	// GET /?event=hangupincoming&callerid=420774852629&user=102&did=&trtype=NotDef&id=230102104542_15-1
	// incomingcall_started 102 0s
	// GET /?event=incoming&callerid=420774852629&user=102&did=&finishtype=Ok&transfer=False&title=Answered+call+from+420774852629+%280%3A07%29&id=230102104542_15-1
	// incoming 102 7s
}

// The legacy recording request is the recording's URL alone.
func ExampleNewRecordingURLRequest() {
	ev, err := pbx3cx.Parse(pbx3cxtest.NewRecordingURLRequest("https://pbx.example.com:5001/webapi/recording/230102185935_18-1-1.mp3"))
	fmt.Println(ev.Type, ev.ID, ev.RecordingURLs, err)
	// Output:
	// recording 230102185935_18-1 [https://pbx.example.com:5001/webapi/recording/230102185935_18-1-1.mp3] <nil>
}
