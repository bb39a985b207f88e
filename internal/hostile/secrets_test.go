package hostile_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/pbx3cx"
)

// bearerSecret is the bearer token of the Mobtexting configurations below:
// the request is accepted through it, while its URL carries hostileSecret.
const bearerSecret = "b34rer-hostile-9c"

// urlSeen records what an error handler could log of a refused request:
// its URL and its error.
type urlSeen struct {
	mu   sync.Mutex
	list []string
}

func (u *urlSeen) handle(w http.ResponseWriter, r *http.Request, err error) {
	u.mu.Lock()
	u.list = append(u.list, r.URL.String(), err.Error())
	u.mu.Unlock()
	telhook.DefaultErrorHandler(w, r, err)
}

func (u *urlSeen) all() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.list...)
}

// TestQuerySecretNeverReachesEvents is the end-to-end regression test of
// "a query-string secret reaches events": AnyOf stopped at the first
// verifier that accepted, so a QueryToken behind it never removed its
// parameter, and the secret reached pbx3cx.Event.Extra["key"] (with
// AnyOf(SourceIP, QueryToken("key", …))) and obd.Report.Extra["token"]
// (with AnyOf(BearerToken, QueryToken("token", …)), the configuration
// obd.WithChallengeKey recommends). Whatever the configuration and
// whichever member decides, accepted or refused, the secret must appear
// in no event, no log line (at debug level), no error handed to the error
// handler, no URL the error handler sees, and no response.
func TestQuerySecretNeverReachesEvents(t *testing.T) {
	const (
		pbxAddr  = "192.0.2.7:5060"
		stranger = "203.0.113.9:40000"
		legacy   = "event=ringing&callerid=420774852629&user=800&usertype=other&did=DID-420222000320&id=230102104542_15-0"
		composed = "id=c-1001&to=918867131234&status=ANSWER"
	)
	pbxIP := must(telhook.SourceIP([]string{"192.0.2.0/24"}, nil))(t)
	obdHandler := func(c *calls, opts ...telhook.Option) http.Handler { return obd.NewHandler(obdCallbacks(c), opts...) }
	obdFields := func(c *calls, opts ...telhook.Option) http.Handler {
		return obd.NewHandler(obdCallbacks(c), append([]telhook.Option{obd.WithFields(obd.Fields{})}, opts...)...)
	}
	bearer := http.Header{"Authorization": {"Bearer " + bearerSecret}}
	pbxBody := fixture(t, "pbx3cx", "k2m-ringing-queue.txt")
	obdBody := fixture(t, "obd", "spec-obd.json")

	viaIP := telhook.AnyOf(pbxIP, telhook.QueryToken("key", hostileSecret))
	viaBearer := telhook.AnyOf(telhook.BearerToken(bearerSecret), telhook.QueryToken("token", hostileSecret))
	tests := []struct {
		reason   string
		build    func(c *calls, opts ...telhook.Option) http.Handler
		verifier telhook.Verifier
		method   string
		rawQuery string // set as is: unescaped text allowed
		remote   string
		header   http.Header
		ctype    string
		body     string
		status   int
		callback string // "": none reached
	}{
		{reason: "3CX GET scheme accepted by SourceIP, the secret last",
			build: pbx3cxHandler, verifier: viaIP, method: http.MethodGet, remote: pbxAddr,
			rawQuery: legacy + "&key=" + hostileSecret, status: 200, callback: "OnEvent"},
		{reason: "3CX GET scheme accepted by SourceIP, the secret first and repeated, unescaped text",
			build: pbx3cxHandler, verifier: viaIP, method: http.MethodGet, remote: pbxAddr,
			rawQuery: "key=" + hostileSecret + "&" + legacy + "&title=DID-420222000320:Answered call from 420774852629 (0:07)&key=" + hostileSecret,
			status:   200, callback: "OnEvent"},
		{reason: "3CX GET scheme accepted by SourceIP, the secret beside another value",
			build: pbx3cxHandler, verifier: viaIP, method: http.MethodGet, remote: pbxAddr,
			rawQuery: legacy + "&key=" + hostileSecret + "&key=guess", status: 200, callback: "OnEvent"},
		{reason: "3CX JSON POST accepted by SourceIP, the secret in the URL",
			build: pbx3cxHandler, verifier: viaIP, method: http.MethodPost, remote: pbxAddr, ctype: jsonType, body: pbxBody,
			rawQuery: "key=" + hostileSecret, status: 200, callback: "OnEvent"},
		{reason: "3CX GET scheme accepted two levels down by an AllOf",
			build: pbx3cxHandler, method: http.MethodGet, remote: pbxAddr,
			header: http.Header{"Authorization": {"Basic " + base64("pbx:pa55word")}},
			verifier: telhook.AnyOf(
				telhook.AllOf(pbxIP, telhook.BasicAuth("pbx", "pa55word")),
				telhook.AnyOf(telhook.BearerToken(bearerSecret), telhook.QueryToken("key", hostileSecret))),
			rawQuery: legacy + "&key=" + hostileSecret, status: 200, callback: "OnEvent"},
		{reason: "3CX GET refused by SourceIP before the QueryToken is consulted",
			build: pbx3cxHandler, verifier: telhook.AllOf(pbxIP, telhook.QueryToken("key", hostileSecret)),
			method: http.MethodGet, remote: stranger, rawQuery: "key=" + hostileSecret + "&" + legacy, status: 401},
		{reason: "Mobtexting report accepted by the bearer token, the key as ?token=",
			build: obdHandler, verifier: viaBearer, method: http.MethodPost, header: bearer, ctype: jsonType, body: obdBody,
			rawQuery: "token=" + hostileSecret, status: 200, callback: "OnReport"},
		{reason: "Mobtexting report accepted by the bearer token, ?token= twice with different values",
			build: obdHandler, verifier: viaBearer, method: http.MethodPost, header: bearer, ctype: jsonType, body: obdBody,
			rawQuery: "token=" + hostileSecret + "&token=guess", status: 200, callback: "OnReport"},
		{reason: "Mobtexting composed GET accepted by the bearer token",
			build: obdFields, verifier: viaBearer, method: http.MethodGet, header: bearer,
			rawQuery: composed + "&token=" + hostileSecret, status: 200, callback: "OnReport"},
		{reason: "Mobtexting report refused by the bearer token before the QueryToken is consulted",
			build: obdHandler, verifier: telhook.AllOf(telhook.BearerToken(bearerSecret), telhook.QueryToken("token", hostileSecret)),
			method: http.MethodPost, ctype: jsonType, body: obdBody, header: http.Header{"Authorization": {"Bearer guess"}},
			rawQuery: "token=" + hostileSecret, status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			var (
				c    calls
				logs syncBuf
				seen urlSeen
			)
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			h := tt.build(&c, telhook.WithVerifier(tt.verifier), telhook.WithLogger(logger), telhook.WithErrorHandler(seen.handle))

			r := httptest.NewRequest(tt.method, "/hook", strings.NewReader(tt.body))
			r.URL.RawQuery = tt.rawQuery
			if tt.remote != "" {
				r.RemoteAddr = tt.remote
			}
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tt.status {
				t.Errorf("status %d (body %.200q), want %d", w.Code, w.Body.String(), tt.status)
			}
			var want []string
			if tt.callback != "" {
				want = []string{tt.callback}
			}
			if diff := cmp.Diff(want, c.names()); diff != "" {
				t.Errorf("callbacks reached (-want +got):\n%s", diff)
			}
			for _, cl := range c.all() {
				var extra map[string]string
				switch ev := cl.ev.(type) {
				case *pbx3cx.Event:
					extra = ev.Extra
				case *obd.Report:
					extra = ev.Extra
				default:
					t.Fatalf("%s received a %T", cl.name, cl.ev)
				}
				for _, k := range []string{"key", "token"} {
					if v, ok := extra[k]; ok {
						t.Errorf("%s: Extra[%q] = %q: the verifier's parameter reached the event", cl.name, k, v)
					}
				}
				if s := fmt.Sprintf("%+v", cl.ev); strings.Contains(s, hostileSecret) {
					t.Errorf("%s: the secret is in the event: %s", cl.name, s)
				}
			}
			if strings.Contains(logs.String(), hostileSecret) {
				t.Errorf("the secret is in the log:\n%s", logs.String())
			}
			for _, s := range seen.all() {
				if strings.Contains(s, hostileSecret) {
					t.Errorf("the error handler saw the secret: %s", s)
				}
			}
			if strings.Contains(w.Body.String(), hostileSecret) {
				t.Errorf("the secret is in the response: %q", w.Body.String())
			}
			if strings.Contains(r.URL.RawQuery, hostileSecret) {
				t.Errorf("the request's query still holds the secret: %q", r.URL.RawQuery)
			}
		})
	}
}
