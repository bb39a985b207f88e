package obdtest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/obd/obdtest"
)

var quiet = telhook.WithLogger(slog.New(slog.DiscardHandler))

// Test a report callback with the report of Mobtexting's documentation,
// sent with the webhook's secret.
func Example() {
	h := obd.NewHandler(obd.Callbacks{
		OnReport: func(ctx context.Context, r *obd.Report) error {
			fmt.Printf("%s call to %s: %s after %s, started %s\n", r.Source, r.To, r.Status, r.Duration, r.StartAt.Format("15:04 -07:00"))
			return nil
		},
	}, quiet, telhook.WithVerifier(telhook.BearerToken("s3cret")))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, obdtest.WithBearerToken(obdtest.NewRequest(obdtest.Report()), "s3cret"))
	fmt.Println(rec.Code)
	// Output:
	// OBD call to 91886713XXXX: ANSWER after 23s, started 16:27 +05:30
	// 200
}

// The validation challenge, answered by a handler that knows the key.
func ExampleNewRequest_challenge() {
	h := obd.NewHandler(obd.Callbacks{}, quiet, obd.WithChallengeKey("9012XXXX"))

	ch := obdtest.Challenge()
	ch.Token = ch.ValidationKey // Mobtexting adds ?token=<key> to the URL
	req := obdtest.NewRequest(ch)
	body, _ := io.ReadAll(req.Body)
	fmt.Println(req.Method, req.URL, string(body))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, obdtest.NewRequest(ch))
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// POST /?token=9012XXXX {"validation_key":"9012XXXX","challenge":"a234qwe"}
	// 200 {"challenge":"a234qwe"}
}

// A composed GET webhook with keys of your own, read by a handler given
// the same Fields.
func ExampleNewComposedRequest() {
	fields := obd.Fields{ID: "call_id", Status: "message_status"}
	h := obd.NewHandler(obd.Callbacks{
		OnReport: func(ctx context.Context, r *obd.Report) error {
			fmt.Printf("call %s to %s: %s\n", r.ID, r.To, r.Status)
			return nil
		},
	}, quiet, obd.WithFields(fields))

	req := obdtest.NewComposedRequest("GET", fields, &obd.Report{ID: "c-1001", To: "918867131234", Status: "NOANSWER"})
	fmt.Println(req.Method, req.URL)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// GET /?to=918867131234&duration=0&message_status=NOANSWER&call_id=c-1001
	// call c-1001 to 918867131234: NOANSWER
	// 200
}
