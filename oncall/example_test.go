package oncall_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/oncall"
)

// Mount one handler for both Wavix webhooks. Wavix signs nothing, so the
// webhook URL registered with Wavix carries a secret,
// https://you.example/wavix?token=s3cret, which telhook.QueryToken checks
// (in constant time) and then removes from the request. Serve it over HTTPS
// only, so the token is never sent in the clear.
func ExampleNewHandler() {
	secret := "s3cret" // in production: os.Getenv("WAVIX_HOOK_TOKEN")
	mux := http.NewServeMux()
	mux.Handle("POST /wavix", oncall.NewHandler(oncall.Callbacks{
		OnCallEvent: func(ctx context.Context, ev *oncall.CallEvent) error {
			fmt.Printf("call %s: %s at %s, %s → %s, payload %s/%s\n", ev.UUID[:8], ev.EventType,
				ev.EventTime.Format("15:04:05.000"), ev.From, ev.To, ev.Payload.Type, ev.Payload.Status)
			return nil
		},
		OnPostCall: func(ctx context.Context, pc *oncall.PostCall) error {
			fmt.Printf("call %s: %s, %v, charged $%s ($%s/min)\n", pc.UUID[:8], pc.Disposition, pc.Duration, pc.Charge, pc.PerMinute)
			return nil
		},
	}, telhook.WithVerifier(telhook.QueryToken("token", secret)), telhook.WithLogger(slog.New(slog.DiscardHandler))))

	for _, body := range []string{
		// The QA-docs example of OnCallEvent.
		`{"uuid":"5dccb6b0-f35c-488c-867b-86fb012c4415","event_type":"call_setup","event_time":"2025-09-22T12:56:38.547Z","event_payload":{"type":"audio","payload":{"status":"completed","playback_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}},"from":"+18045961058","to":"17653889567","call_started":"2025-09-22T12:56:38.547Z","call_answered":"2023-11-07T05:31:56Z","call_completed":"2023-11-07T05:31:56Z","machine_detected":false,"tag":"marketing-campaign","direction":"inbound"}`,
		// The post-call example, with the amounts sent as numbers.
		`{"direction":"outbound","uuid":"99df5ffd-962a-410f-bcce-d08f1f7f328c","destination":"France","duration":6,"charge":0.822,"date":"2023-08-21T06:43:36.000Z","disposition":"answered","from":"14302287001","to":"33170363950","per_minute":0.0270}`,
	} {
		for _, target := range []string{"/wavix?token=s3cret", "/wavix"} {
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			fmt.Println("->", rec.Code)
		}
	}
	// Output:
	// call 5dccb6b0: call_setup at 12:56:38.547, +18045961058 → 17653889567, payload audio/completed
	// -> 200
	// -> 401
	// call 99df5ffd: answered, 6s, charged $0.822 ($0.0270/min)
	// -> 200
	// -> 401
}

// Every generation of event_payload Wavix has published lands in the one
// Payload: the current {type, payload} form, the intermediate one with a
// reason, and the 2024 in_call_event form, as well as null and {}.
func ExampleDecode() {
	for _, payload := range []string{
		`{"type":"collect","payload":{"digits":"1234","status":"completed"}}`,
		`{"type":"collect_completed","payload":{"digits":"1234","reason":"collected"}}`,
		`{"in_call_event":"collect_completed","in_call_event_data":{"digits":"1234","reason":"timeout"}}`,
		`{"type":"audio","payload":{"playback_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","status":"started"}}`,
		`{"in_call_event":"playback_completed","in_call_event_data":{"playback_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}}`,
		`null`,
		`{}`,
	} {
		ev, err := oncall.Decode([]byte(`{"uuid":"5dccb6b0-f35c-488c-867b-86fb012c4415","event_type":"on_call_event",` +
			`"event_time":"2025-09-22T12:56:38Z","event_payload":` + payload + `}`))
		if err != nil {
			panic(err)
		}
		fmt.Printf("%+v\n", ev.(*oncall.CallEvent).Payload)
	}
	// Output:
	// {Type:collect Status:completed PlaybackID: Digits:1234 Reason:}
	// {Type:collect_completed Status: PlaybackID: Digits:1234 Reason:collected}
	// {Type:collect_completed Status: PlaybackID: Digits:1234 Reason:timeout}
	// {Type:audio Status:started PlaybackID:3fa85f64-5717-4562-b3fc-2c963f66afa6 Digits: Reason:}
	// {Type:playback_completed Status: PlaybackID:3fa85f64-5717-4562-b3fc-2c963f66afa6 Digits: Reason:}
	// {Type: Status: PlaybackID: Digits: Reason:}
	// {Type: Status: PlaybackID: Digits: Reason:}
}

// Decode tells the two webhooks apart by their keys, and returns anything
// else whole, with an error matching telhook.ErrUnknownEvent.
func ExampleDecode_kinds() {
	for _, body := range []string{
		`{"uuid":"5dccb6b0-f35c-488c-867b-86fb012c4415","event_type":"transfer","event_time":"2025-09-22T12:56:38Z"}`,
		`{"uuid":"99df5ffd-962a-410f-bcce-d08f1f7f328c","disposition":"noanswer","charge":"0","answered_by":"machine"}`,
		`{"hello":"world"}`,
		`{"uuid":"5dccb6b0-f35c-488c-867b-86fb012c4415","event_type":"ringing","event_time":5}`,
	} {
		switch ev, err := oncall.Decode([]byte(body)); ev := ev.(type) {
		case *oncall.CallEvent:
			fmt.Println("call event:", ev.EventType)
		case *oncall.PostCall:
			fmt.Println("post-call:", ev.Disposition, ev.Extra)
		case *oncall.Unknown:
			fmt.Println("unknown:", ev.Fields, err)
		default:
			fmt.Println("error:", err)
		}
	}
	// Output:
	// call event: transfer
	// post-call: noanswer map[answered_by:machine]
	// unknown: map[hello:world] oncall: neither a call event nor a post-call webhook: telhook: unknown event
	// error: oncall: field "event_time": value "5": not a timestamp string
}
