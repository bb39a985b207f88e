package elkstest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/elks/elkstest"
)

var quiet = telhook.WithLogger(slog.New(slog.DiscardHandler))

// Test an SMS callback with the SMS of 46elks' documentation.
func Example() {
	h := elks.NewHandler(elks.Callbacks{
		OnSMS: func(ctx context.Context, sms *elks.SMS) (elks.Reply, error) {
			fmt.Printf("SMS %s from %s at %s: %q\n", sms.ID, sms.From, sms.Created.Format("15:04:05"), sms.Message)
			return elks.Reply{Text: "Fine, thanks!"}, nil
		},
	}, quiet)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, elkstest.NewRequest(elkstest.SMS()))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	// Output:
	// SMS sf8425555e5d8db61dda7a7b3f1b91bdb from +46706861004 at 13:57:23: "Hello how are you?"
	// 200 text/plain; charset=utf-8 Fine, thanks!
}

// Send the digits a caller pressed in an IVR, and see the action the
// handler answers with.
func ExampleNewRequest() {
	h := elks.NewHandler(elks.Callbacks{
		OnCall: func(ctx context.Context, call *elks.CallEvent) (elks.Action, error) {
			if call.Result == "1" {
				return elks.Connect{To: "+46704508449"}, nil
			}
			return elks.Hangup{Reason: "reject"}, nil
		},
	}, quiet)

	for _, digits := range []string{"1", "9"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, elkstest.NewRequest(&elks.CallEvent{
			CallID: "c445e8467d340c73489b61508c1b772b6",
			From:   "+46723175800",
			To:     "+46101994214",
			Result: digits,
		}))
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 {"connect":"+46704508449"}
	// 200 {"hangup":"reject"}
}

// The request is the form 46elks posts, with its keys and time layout.
func ExampleNewRequest_form() {
	req := elkstest.NewRequest(&elks.DeliveryReport{
		ID:        "s70df59406a1b4643b96f3f91e0bfb7b0",
		Status:    "delivered",
		Delivered: elkstest.SMS().Created,
	})
	body, _ := io.ReadAll(req.Body)
	fmt.Println(req.Method, req.URL, req.Header.Get("Content-Type"))
	fmt.Println(string(body))
	// Output:
	// POST / application/x-www-form-urlencoded
	// id=s70df59406a1b4643b96f3f91e0bfb7b0&status=delivered&delivered=2018-07-13+13%3A57%3A23.741000
}

// A handler that checks the credentials of its webhook URL accepts the
// request only with them.
func ExampleWithBasicAuth() {
	h := elks.NewHandler(elks.Callbacks{
		OnDeliveryReport: func(ctx context.Context, dlr *elks.DeliveryReport) error {
			fmt.Println("report:", dlr.Status)
			return nil
		},
	}, quiet, telhook.WithVerifier(telhook.BasicAuth("elks", "s3cret")))

	for _, pass := range []string{"guess", "s3cret"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, elkstest.WithBasicAuth(elkstest.NewRequest(elkstest.DeliveryReport()), "elks", pass))
		fmt.Println(pass, "->", rec.Code)
	}
	// Output:
	// guess -> 401
	// report: delivered
	// s3cret -> 204
}

// A secret in the webhook URL's query string, as telhook.QueryToken
// checks it.
func ExampleWithQueryToken() {
	h := elks.NewHandler(elks.Callbacks{
		OnCallEnd: func(ctx context.Context, end *elks.CallEnd) error {
			fmt.Printf("call %s: %s, %s, cost %d\n", end.ID, end.State, end.Duration, end.Cost)
			return nil
		},
	}, quiet, telhook.WithVerifier(telhook.QueryToken("key", "s3cret")))

	req := elkstest.WithQueryToken(elkstest.NewRequest(elkstest.CallEnd()), "key", "s3cret")
	fmt.Println(req.URL)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// /?key=s3cret
	// call ca63e279d8a343b7da49f87569a108f82: success, 8s, cost 1500
	// 204
}
