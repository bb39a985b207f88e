package obd_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/obd"
)

var quiet = telhook.WithLogger(slog.New(slog.DiscardHandler))

// A standard report endpoint: Mobtexting's bearer secret, the validation
// challenge answered, exactly 200 for every report.
func ExampleNewHandler() {
	h := obd.NewHandler(obd.Callbacks{
		OnReport: func(ctx context.Context, r *obd.Report) error {
			fmt.Printf("%s call to %s: %s after %v (started %s)\n", r.Source, r.To, r.Status, r.Duration, r.StartAt.Format("15:04 MST"))
			return nil
		},
	}, telhook.WithVerifier(telhook.BearerToken("s3cret")), obd.WithChallengeKey("9012XXXX"), quiet)

	for _, body := range []string{
		`{"validation_key":"9012XXXX","challenge":"a234qwe",}`,
		`{"bridge": 91806828XXXX, "to": 91886713XXXX, "source": "OBD", "flow_id": 123, "start_at": "2021-04-09 16:27:39", "duration": "23", "status": "ANSWER",}`,
	} {
		req := httptest.NewRequest(http.MethodPost, "/mobtexting", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(strings.TrimSpace(fmt.Sprint("-> ", rec.Code, " ", rec.Body.String())))
	}
	// Output:
	// -> 200 {"challenge":"a234qwe"}
	// OBD call to 91886713XXXX: ANSWER after 23s (started 16:27 IST)
	// -> 200
}

// A composed GET endpoint: the template
// https://you.example/mt?call_id={{id}}&to={{to}}&message_status={{status}}
// read into the same Report.
func ExampleWithFields() {
	h := obd.NewHandler(obd.Callbacks{
		OnReport: func(ctx context.Context, r *obd.Report) error {
			fmt.Printf("call %s to %s: %s\n", r.ID, r.To, r.Status)
			return nil
		},
	}, obd.WithFields(obd.Fields{ID: "call_id", Status: "message_status"}), quiet)

	for _, target := range []string{
		"/mt?call_id=c-1001&to=918867131234&message_status=BUSY",
		"/mt?call_id={{id}}&to=918867131234&message_status=BUSY",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		fmt.Println(strings.TrimSpace(fmt.Sprint("-> ", rec.Code, " ", rec.Body.String())))
	}
	// Output:
	// call c-1001 to 918867131234: BUSY
	// -> 200
	// -> 400 obd: field "call_id": unrendered template placeholder: the composed webhook uses a variable Mobtexting did not fill
}

// Decode a standard report without a request.
func ExampleDecode() {
	ev, err := obd.Decode([]byte(`{"bridge": 918068281234, "to": 918867131234, "source": "C2C", "status": "COMPLETED", "status1": "RECEIVED", "status2": "ANSWER", "billing": "12", "hangup_by": "agent"}`))
	if err != nil {
		panic(err)
	}
	r := ev.(*obd.Report)
	fmt.Println(r.Bridge, r.To, r.Status, r.Status1, r.Status2, r.Billing, r.HangupBy)
	// Output:
	// 918068281234 918867131234 COMPLETED RECEIVED ANSWER 12s agent
}
