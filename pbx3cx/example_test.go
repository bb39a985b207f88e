package pbx3cx_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/pbx3cx"
)

// Mount one handler for both schemes: the add-on's JSON POSTs and its
// legacy GET query strings. The secret in WEBHOOK_URL is checked and then
// removed, so it never shows up in an event.
func ExampleNewHandler() {
	mux := http.NewServeMux()
	mux.Handle("/3cx", pbx3cx.NewHandler(pbx3cx.Callbacks{
		OnEvent: func(ctx context.Context, ev *pbx3cx.Event) error {
			fmt.Printf("%s call %s segment %d: user %s, caller %s, extra %v\n",
				ev.Type, ev.CallID(), ev.Segment(), ev.User, ev.CallerID, ev.Extra)
			return nil
		},
	}, telhook.WithVerifier(telhook.QueryToken("key", "s3cret")), telhook.WithLogger(slog.New(slog.DiscardHandler))))

	// WEBHOOK_URL = https://you.example/3cx?key=s3cret, POST = 1
	post := httptest.NewRequest(http.MethodPost, "/3cx?key=s3cret", strings.NewReader(
		`{ "Event": "incomingcall_started", "Callerid": 05552221133", "User": "202", "Trtype": "NotDef", "Did": "", "Id": "230307114903_10-1" }`))
	// POST = 0: the legacy GET scheme, text unescaped
	get := httptest.NewRequest(http.MethodGet, "/3cx", nil)
	get.URL.RawQuery = "key=s3cret&event=hangupincoming&callerid=420774852629&user=102&did=DID-420222000320&trtype=NotDef&id=230102104542_15-1"

	for _, req := range []*http.Request{post, get} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println("->", rec.Code)
	}
	// Output:
	// incomingcall_started call 230307114903_10 segment 1: user 202, caller 05552221133, extra map[]
	// -> 200
	// incomingcall_started call 230102104542_15 segment 1: user 102, caller 420774852629, extra map[]
	// -> 200
}

// Decode reads every dialect; a title full of unescaped text stays whole.
func ExampleDecodeQuery() {
	ev, err := pbx3cx.DecodeQuery("event=incoming&callerid=420774852629&user=102&finishtype=Ok&transfer=False&did=DID-420222000320&title=DID-420222000320:Answered call from 420774852629 (0:07)&id=230102104542_15-1")
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.Type, ev.FinishType, ev.Title)
	// Output:
	// incoming Ok DID-420222000320:Answered call from 420774852629 (0:07)
}

func ExampleDecode() {
	for _, body := range []string{
		`{"Event":"incoming","Callerid":"05552221133","User":"117","Finishtype":"Ok","Transfer":"True","Did":"","Duration":"00:14","Id":"230307142318_40-1"}`,
		`{ “event”: “ringing”, “callerid”: “05552221133”, “user”: “820”, “usertype”: “ queue”, “id”: “230307114903_10-0” }`,
		`https://pbx:5001/webapi/recording/230102185935_18-1-1.mp3`,
	} {
		ev, err := pbx3cx.Decode([]byte(body))
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %s/%d user=%q type=%q transfer=%v talk=%v files=%d\n",
			ev.Type, ev.CallID(), ev.Segment(), ev.User, ev.UserType, ev.Transfer, ev.Duration, len(ev.RecordingURLs))
	}
	// Output:
	// incoming 230307142318_40/1 user="117" type="" transfer=true talk=14s files=0
	// ringing 230307114903_10/0 user="820" type="queue" transfer=false talk=0s files=0
	// recording 230102185935_18/1 user="" type="" transfer=false talk=0s files=1
}
