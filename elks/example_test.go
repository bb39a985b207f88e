package elks_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
)

// send posts a form to h as 46elks would and prints the answer.
func send(h http.Handler, form url.Values) {
	req := httptest.NewRequest(http.MethodPost, "/elks", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(strings.TrimSpace(fmt.Sprintf("-> %d %s", rec.Code, rec.Body.String())))
}

var quiet = telhook.WithLogger(slog.New(slog.DiscardHandler))

// Mount one handler for every 46elks webhook on your own mux.
func ExampleNewHandler() {
	mux := http.NewServeMux()
	mux.Handle("POST /elks", elks.NewHandler(elks.Callbacks{
		OnSMS: func(ctx context.Context, sms *elks.SMS) (elks.Reply, error) {
			fmt.Printf("SMS from %s: %q\n", sms.From, sms.Message)
			return elks.Reply{}, nil
		},
		OnDeliveryReport: func(ctx context.Context, dlr *elks.DeliveryReport) error {
			fmt.Printf("SMS %s: %s\n", dlr.ID, dlr.Status)
			return nil
		},
	}, quiet))

	send(mux, url.Values{"id": {"s1"}, "from": {"+46706861004"}, "to": {"+46706860000"}, "message": {"Hello"}})
	send(mux, url.Values{"id": {"s1"}, "status": {"delivered"}, "delivered": {"2018-07-13T13:57:23.741000"}})
	// Output:
	// SMS from +46706861004: "Hello"
	// -> 204
	// SMS s1: delivered
	// -> 204
}

// An IVR: the first call hook plays a menu, the next one gets the digits.
func ExampleNewHandler_ivr() {
	h := elks.NewHandler(elks.Callbacks{
		OnCall: func(ctx context.Context, call *elks.CallEvent) (elks.Action, error) {
			switch call.Result {
			case "newincoming":
				return elks.IVR{
					Prompt:  "https://example.com/menu.mp3",
					Options: map[string]elks.Action{"1": elks.Connect{To: "+46704508449"}},
					Next:    elks.URL("https://example.com/elks"),
				}, nil
			case "1":
				return elks.Connect{To: "+46704508449"}, nil
			}
			return elks.Hangup{Reason: "reject"}, nil
		},
	}, quiet, elks.WithFallback(elks.Play{Sound: "https://example.com/sorry.mp3"}))

	send(h, url.Values{"callid": {"c1"}, "from": {"+46723175800"}, "to": {"+46101994214"}, "direction": {"incoming"}, "result": {"newincoming"}})
	send(h, url.Values{"callid": {"c1"}, "result": {"1"}})
	send(h, url.Values{"callid": {"c1"}, "result": {"9"}})
	// Output:
	// -> 200 {"ivr":"https://example.com/menu.mp3","1":{"connect":"+46704508449"},"next":"https://example.com/elks"}
	// -> 200 {"connect":"+46704508449"}
	// -> 200 {"hangup":"reject"}
}

// Reply to an incoming SMS with a text; 46elks sends it back to the sender.
func ExampleReply() {
	h := elks.NewHandler(elks.Callbacks{
		OnSMS: func(ctx context.Context, sms *elks.SMS) (elks.Reply, error) {
			if strings.EqualFold(sms.Message, "time") {
				return elks.Reply{Text: "The current time is 08:14."}, nil
			}
			return elks.Reply{Forward: "+46704508449"}, nil
		},
	}, quiet)

	send(h, url.Values{"id": {"s1"}, "from": {"+46706861004"}, "to": {"+46706860000"}, "message": {"time"}})
	send(h, url.Values{"id": {"s2"}, "from": {"+46706861004"}, "to": {"+46706860000"}, "message": {"call me"}})
	// Output:
	// -> 200 The current time is 08:14.
	// -> 200 {"forward":"+46704508449"}
}

// Accept webhooks only from 46elks' published addresses. Behind a reverse
// proxy, name the proxy so that its X-Forwarded-For is believed.
func ExampleSourceIPs() {
	verifier, err := telhook.SourceIP(elks.SourceIPs(), []string{"10.0.0.0/8"})
	if err != nil {
		panic(err)
	}
	h := elks.NewHandler(elks.Callbacks{}, quiet, telhook.WithVerifier(verifier))

	for _, hop := range []struct{ peer, forwarded string }{
		{"176.10.154.199:40000", ""},             // 46elks directly
		{"10.1.2.3:5000", "176.10.154.199"},      // 46elks through your proxy
		{"203.0.113.9:5000", "176.10.154.199"},   // a stranger claiming to be 46elks
		{"10.1.2.3:5000", "203.0.113.9"},         // a stranger through your proxy
		{"[2001:9b0:2:902::199]:443", ""},        // 46elks over IPv6
		{"85.24.146.132:1", "203.0.113.9, x, y"}, // 46elks peer: X-Forwarded-For ignored
	} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("id=s1&status=sent"))
		req.RemoteAddr = hop.peer
		if hop.forwarded != "" {
			req.Header.Set("X-Forwarded-For", hop.forwarded)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(hop.peer, rec.Code)
	}
	// Output:
	// 176.10.154.199:40000 204
	// 10.1.2.3:5000 204
	// 203.0.113.9:5000 401
	// 10.1.2.3:5000 401
	// [2001:9b0:2:902::199]:443 204
	// 85.24.146.132:1 204
}

// Decode a body taken from a queue or a log, without an HTTP request.
func ExampleDecode() {
	body := []byte("callid=c1&duration=15&wav=https://api.46elks.com/a1/Recordings/c1-r0.wav&from=+46723175800&created=2016-10-01T12:00:00:00.11")
	ev, err := elks.Decode(body)
	if err != nil {
		panic(err)
	}
	rec := ev.(*elks.Recording)
	fmt.Println(rec.From, rec.Duration, rec.Created)

	_, err = elks.Decode([]byte("id=s1&from=%2B46706861004&to=%2B46706860000&message=hi&created=yesterday"))
	var de *telhook.DecodeError
	fmt.Println(errors.Is(err, telhook.ErrMalformed), errors.As(err, &de), de.Field)
	// Output:
	// +46723175800 15s 2016-10-01 12:00:00.11 +0000 UTC
	// true true created
}

// Parse a request yourself when you need more control than NewHandler.
func ExampleParse() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := elks.Parse(r)
		switch ev := ev.(type) {
		case *elks.SMS:
			fmt.Println("SMS", ev.ID, ev.Message)
		case *elks.Unknown:
			fmt.Println("unknown", ev.Fields, errors.Is(err, telhook.ErrUnknownEvent))
		}
		w.WriteHeader(http.StatusNoContent)
	})
	send(h, url.Values{"id": {"s1"}, "from": {"+46706861004"}, "to": {"+46706860000"}, "message": {"hi"}})
	send(h, url.Values{"hello": {"world"}})
	// Output:
	// SMS s1 hi
	// -> 204
	// unknown map[hello:world] true
	// -> 204
}
