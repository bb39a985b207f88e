package normalize_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/normalize"
	"github.com/telhook/telhook/pbx3cx"
)

func ExampleNumber() {
	for _, c := range []struct{ raw, region string }{
		{"46723175800", ""}, {"05552221133", "TR"}, {"+46723175800", ""},
		{"202", "TR"}, {"91806828XXXX", "IN"}, {"TestElk", "SE"}, {"0701234567", ""},
	} {
		fmt.Printf("%-14s %-3s → %s\n", c.raw, c.region, normalize.Number(c.raw, c.region))
	}
	// Output:
	// 46723175800        → +46723175800
	// 05552221133    TR  → +905552221133
	// +46723175800       → +46723175800
	// 202            TR  → 202
	// 91806828XXXX   IN  → 91806828XXXX
	// TestElk        SE  → TestElk
	// 0701234567         → 0701234567
}

func ExampleFrom() {
	sms, _ := elks.Decode([]byte("id=s1&from=%2B46706861004&to=%2B46706860000&message=Hej&direction=incoming"))
	end, _ := pbx3cx.Decode([]byte(`{"Event":"incoming","Callerid":"420774852629","User":"102","Finishtype":"Ok","Duration":"00:07","Id":"230102104542_15-1"}`))
	for _, src := range []any{sms, end} {
		ev, err := normalize.From(src)
		if err != nil {
			panic(err)
		}
		switch ev.Kind {
		case normalize.KindMessage:
			fmt.Println(ev.Provider, ev.Kind, ev.Message.From, ev.Message.State, ev.Message.Body)
		case normalize.KindCall:
			fmt.Println(ev.Provider, ev.Kind, ev.Call.From, ev.Call.State, ev.Call.Agent, ev.Call.Duration)
		}
	}
	// Output:
	// elks message +46706861004 received Hej
	// pbx3cx call +420774852629 completed 102 7s
}

// One handler for every provider; each keeps its own verifier and answer.
func ExampleNewMux() {
	mux := normalize.NewMux(func(ctx context.Context, ev normalize.Event) error {
		fmt.Println("event:", ev.Provider, ev.Kind)
		return nil
	},
		normalize.WithSharedOptions(telhook.WithLogger(slog.New(slog.DiscardHandler))),
		normalize.WithOptions(normalize.Elks, telhook.WithVerifier(telhook.QueryToken("key", "elks-secret"))),
		normalize.WithOptions(normalize.OBD, telhook.WithVerifier(telhook.BearerToken("mt-secret"))),
	)
	for _, r := range []*http.Request{
		httptest.NewRequest("POST", "/elks?key=elks-secret", strings.NewReader("id=s1&from=%2B46706861004&to=%2B46706860000&message=Hej")),
		httptest.NewRequest("POST", "/obd", strings.NewReader(`{"to": 91886713XXXX, "status": "ANSWER",}`)),
		httptest.NewRequest("GET", "/pbx3cx?event=ringing&callerid=420774852629&user=800&id=230102104542_15-0", nil),
		httptest.NewRequest("POST", "/auto", strings.NewReader(`{"uuid":"u1","event_type":"answered","event_time":"2025-09-22T12:56:38Z"}`)),
	} {
		if r.URL.Path == "/obd" {
			r.Header.Set("Authorization", "Bearer mt-secret")
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		fmt.Println(r.Method, r.URL.Path, "->", rec.Code)
	}
	// Output:
	// event: elks message
	// POST /elks -> 204
	// event: obd call
	// POST /obd -> 200
	// event: pbx3cx call
	// GET /pbx3cx -> 200
	// event: oncall call
	// POST /auto -> 200
}
