package obd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/internal/tolerant"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/obd/decoded")

// composeFields are the key names the composed fixtures were made with.
var composeFields = map[string]Fields{
	"compose-get-renamed": {ID: "call_id", Status: "message_status"},
	"historic-get":        {StartAt: "start", EndAt: "endat"},
}

// request reads testdata/obd/<name>.http, a raw HTTP request.
func request(t testing.TB, name string) *http.Request {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(testfix.Read(t, "obd", name, ".http"))))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// decodeFixture decodes a .json body with Decode or an .http request with a
// Decoder of its compose fields.
func decodeFixture(t testing.TB, name string) (Event, error) {
	t.Helper()
	if strings.HasSuffix(name, ".http") {
		name = strings.TrimSuffix(name, ".http")
		d := &Decoder{Fields: composeFields[name]}
		return d.Parse(request(t, name))
	}
	return Decode(testfix.Read(t, "obd", strings.TrimSuffix(name, ".json"), ".json"))
}

func allFixtures(t testing.TB) []string {
	var names []string
	for _, ext := range []string{".json", ".http"} {
		for _, n := range testfix.Names(t, "obd", ext) {
			names = append(names, n+ext)
		}
	}
	return names
}

func TestGolden(t *testing.T) {
	for _, name := range allFixtures(t) {
		t.Run(name, func(t *testing.T) {
			testfix.Golden(t, filepath.Join(testfix.Dir("obd"), "decoded", strings.ReplaceAll(name, ".", "_")+".json"),
				testfix.OutcomeOf(decodeFixture(t, name)), *update)
		})
	}
}

func ist(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, India())
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecode(t *testing.T) {
	tests := []struct {
		fixture string
		want    Event
		reason  string
	}{
		{"spec-obd.json", &Report{Source: "OBD", Bridge: "91806828XXXX", From: "91891952XXXX", To: "91886713XXXX", MID: "1234-1333-XXXXX",
			FlowID: 123, StartAt: ist("2021-04-09 16:27:39"), EndAt: ist("2021-04-09 16:27:55"), Duration: 23 * time.Second,
			Status: "ANSWER", RecordingURL: "https://youraudiofilelocation/"},
			"the excerpt as published: bare masked numbers and a trailing comma, repaired; times in India's zone"},
		{"obd-real-digits.json", &Report{Source: "OBD", Bridge: "918068281234", From: "918919521234", To: "91886713123456789012", MID: "5f1c-77aa-3e01",
			WebhookID: "wh_991", FlowID: 123, StartAt: ist("2021-04-09 16:27:39"), EndAt: ist("2021-04-09 16:27:55"), Duration: 23 * time.Second,
			Status: "ANSWER", RecordingURL: "https://media.example.com/rec/5f1c.mp3"},
			"numbers as JSON numbers keep every digit, even past int64 and float64"},
		{"c2c.json", &Report{Source: "C2C", Bridge: "918068281234", From: "918919521234", To: "flow:220", FlowID: 220,
			StartAt: ist("2021-04-09 16:27:39"), EndAt: ist("2021-04-09 16:27:55"), Date: ist("2021-04-09 16:28:01"),
			UnixTime: time.Unix(1653455555, 0).UTC(), Duration: 23 * time.Second, Billing: 12 * time.Second,
			Status: "COMPLETED", Status1: "RECEIVED", Status2: "ANSWER", HangupBy: "agent"},
			"Click2Call: both legs, billing, unixtime, flow_id as a string, an IVR flow as to, empty recording_url"},
		{"obd-no-recording.json", &Report{Source: "OBD", Bridge: "918068281234", From: "918919521234", To: "918867131234", MID: "1234-1333-0001",
			FlowID: 123, StartAt: ist("2021-04-09 16:27:39"), EndAt: ist("2021-04-09 16:28:19"), Duration: 40 * time.Second, Status: "NOANSWER"},
			"recording_url absent"},
		{"obd-unknown-status.json", &Report{Source: "OBD", Bridge: "918068281234", From: "918919521234", To: "918867131234", MID: "1234-1333-0002",
			WebhookID: "wh_991", FlowID: 7, StartAt: ist("2021-04-09 16:27:39"), EndAt: ist("2021-04-09 16:27:40"), Duration: time.Second, Status: "FAILED",
			Extra: map[string]string{"campaign": "spring-sale", "attempt": "2"}},
			"a status no public list has passes through, trimmed; unknown fields kept"},
		{"challenge.json", &Challenge{ValidationKey: "9012XXXX", Challenge: "a234qwe"}, "the challenge, with the doc's trailing comma"},
		{"challenge-token.http", &Challenge{ValidationKey: "9012XXXX", Challenge: "a234qwe", Token: "9012XXXX"}, "the challenge as sent, ?token= included"},
		{"compose-get.http", &Report{ID: "c-1001", To: "918867131234", Status: "ANSWER"}, "composed GET with the standard names"},
		{"compose-get-renamed.http", &Report{ID: "c-1001", To: "918867131234", Status: "BUSY"}, "composed GET with keys of the user's choosing"},
		{"compose-post-json.http", &Report{ID: "c-1001", To: "918867131234", Status: "ANSWER", Duration: 23 * time.Second},
			"composed POST: id in the query and in the body, agreeing"},
		{"compose-put-form.http", &Report{ID: "c-1002", To: "+918867131234", Status: "NOANSWER", StartAt: ist("2021-04-09 16:27:39")},
			"composed PUT with a form body; the raw '+' restored in the number"},
		{"compose-post-multipart.http", &Report{ID: "c-1003", To: "918867131234", Status: "CANCEL"}, "composed POST as multipart form data"},
		{"historic-get.http", &Report{Status: "ANSWER", StartAt: ist("2021-04-09 16:27:39"), EndAt: ist("2021-04-09 16:27:55"),
			RecordingURL: "https://media.example.com/rec/a.mp3"}, "the 2020 GET callback, mapped with Fields"},
		{"unknown.json", &Unknown{Fields: map[string]string{"event": "ping", "sent_at": "2021-04-09 16:27:39"}}, "neither report nor challenge"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := decodeFixture(t, tt.fixture)
			if _, unknown := tt.want.(*Unknown); (err != nil) != unknown {
				t.Fatalf("error %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got) — %s:\n%s", tt.reason, diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ fixture, field, reason string }{
		{"bad-template.json", "duration", "unrendered {{…}} placeholders are refused, first key in order"},
		{"bad-compose-unrendered.http", "id", "placeholders left in a composed URL"},
		{"bad-compose-conflict.http", "id", "the query and the body disagree"},
		{"bad-start-at.json", "start_at", "a time formatted by a template filter is no timestamp"},
		{"bad-duration.json", "duration", "seconds with a unit"},
		{"bad-missing-status.json", "status", "a report without its status"},
		{"bad-nested.json", "to", "an object where a number belongs"},
		{"bad-not-json.json", "", "a form where JSON belongs, read by Decode"},
		{"bad-truncated.json", "", "a cut-off body"},
		{"bad-flow-id.json", "flow_id", "a flow id with a fraction"},
		{"bad-utf8.json", "to", "bytes that are not text"},
		{"bad-huge-number.json", "to", "a 10,000-digit number is no phone number"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			ev, err := decodeFixture(t, tt.fixture)
			var de *telhook.DecodeError
			if ev != nil || !errors.As(err, &de) || de.Provider != "obd" || de.Field != tt.field {
				t.Errorf("got %v, %v; want a DecodeError from obd for field %q (%s)", ev, err, tt.field, tt.reason)
			}
		})
	}
}

// jsonMembers is a report of status, to and n more members: n distinct
// keys, or one key n times with one value.
func jsonMembers(n int, distinct bool) string {
	var b strings.Builder
	b.WriteString(`{"status":"ANSWER","to":"918867131234"`)
	for i := range n {
		if distinct {
			fmt.Fprintf(&b, `,"k%d":"v"`, i)
		} else {
			b.WriteString(`,"k":"v"`)
		}
	}
	return b.String() + "}"
}

// TestDecodeJSONFrontEnd: the standard report is read by field.JSON, the
// JSON front-end every provider shares, with its rules for what no decoder
// should see. These are where it differs from the decoder before it (see
// refDeviation), and the bounds it keeps.
func TestDecodeJSONFrontEnd(t *testing.T) {
	deep := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	tests := []struct {
		body   string
		want   string // the error; "" for a report
		reason string
	}{
		{"", "obd: empty body", "no body is an empty body, not JSON that cannot be repaired"},
		{" \r\n", "obd: empty body", "nor is space alone"},
		{`{"status":"ANSWER","to":"","to":null}`, `obd: field "to": field is repeated with different values`,
			"null and \"\" are two values: a repeat is judged as JSON"},
		{`{"status":"ANSWER","flow_id":1,"flow_id":"1"}`, `obd: field "flow_id": value "1": field is repeated with different values`,
			"a number and a string are two values"},
		{`{"status":"ANSWER","to":{},"to":[]}`, `obd: field "to": value "[]": field is repeated with different values`,
			"the repeat is named before the member that is no scalar"},
		{`{"status":"ANSWER","to":{},"to":{ }}`, `obd: field "to": value "{}": not a string, number or boolean`,
			"one object sent twice is one member, refused as no scalar"},
		{`{"status":"ANSWER","x":` + deep + `}`, `obd: field "x": nested deeper than 64 levels`, "nesting is bounded, the member named"},
		{jsonMembers(998, true), "", "field.MaxFields (1000) distinct members, status and to included, are read"},
		{jsonMembers(999, true), "obd: more than 1000 fields", "one more is refused"},
		{jsonMembers(5000, false), "", "a member sent thousands of times with one value is read once: only distinct keys count"},
		{strings.TrimSuffix(jsonMembers(1000, false), "}") + `,"k":"w"}`, `obd: field "k": value "w": field is repeated with different values`,
			"past 1000 members, a repeat with another value is still refused"},
		{strings.TrimSuffix(jsonMembers(1000, false), "}") + `,"k":1}`, `obd: field "k": value "1": field is repeated with different values`,
			"and judged as JSON"},
		{strings.TrimSuffix(jsonMembers(1000, false), "}") + `,"o":{"a": 1},"o":{"a":1}}`, `obd: field "o": value "{\"a\": 1}": not a string, number or boolean`,
			"and an object sent twice is one member, refused as no scalar"},
	}
	for _, tt := range tests {
		ev, err := Decode([]byte(tt.body))
		got := ""
		if err != nil {
			got = err.Error()
		} else if _, ok := ev.(*Report); !ok {
			got = fmt.Sprintf("%T", ev)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Decode(%.40q…) (-want +got) %s:\n%s", tt.body, tt.reason, diff)
		}
	}
}

func TestDecoderLocation(t *testing.T) {
	d := &Decoder{Location: time.UTC}
	ev, err := d.Decode([]byte(`{"status":"ANSWER","start_at":"2021-04-09 16:27:39"}`))
	if err != nil || !ev.(*Report).StartAt.Equal(time.Date(2021, 4, 9, 16, 27, 39, 0, time.UTC)) {
		t.Errorf("Decoder.Location is where zone-less times are read: %v, %v", ev, err)
	}
}

// multipartRequest builds a multipart/form-data request of one part per header
// line and value.
func multipartRequest(parts ...[2]string) *http.Request {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--b\r\nContent-Disposition: " + p[0] + "\r\n\r\n" + p[1] + "\r\n")
	}
	b.WriteString("--b--\r\n")
	r := httptest.NewRequest(http.MethodPost, "/obd", strings.NewReader(b.String()))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	return r
}

// TestMultipartFieldNameInvalidUTF8 is issue 10 item 4: a multipart part
// whose name is not UTF-8, raw or as RFC 2231 encodes it, became an Extra
// key (or an Unknown field) that reached the callback. Names and values of
// every front-end are now checked in one place, whatever carried them.
func TestMultipartFieldNameInvalidUTF8(t *testing.T) {
	status := [2]string{`form-data; name="status"`, "ANSWER"}
	tests := []struct {
		name   string
		req    *http.Request
		want   Event  // nil: refused with ErrUTF8
		field  string // of the refusal
		reason string
	}{
		{"raw name", multipartRequest(status, [2]string{"form-data; name=\"\xff\"", "x"}), nil, "\uFFFD",
			"a raw byte that is no text in the name: it would be an Extra key"},
		{"RFC 2231 name", multipartRequest(status, [2]string{`form-data; name*=utf-8''%ff`, "x"}), nil, "\uFFFD",
			"mime decodes name*=utf-8''%ff to the byte 0xff without checking it"},
		{"unknown webhook", multipartRequest([2]string{"form-data; name=\"\xff\"", "x"}), nil, "\uFFFD",
			"with no report field the name would be an Unknown field handed to OnUnknown"},
		{"value", multipartRequest(status, [2]string{`form-data; name="note"`, "a\xffb"}), nil, "note",
			"a value that is no text, as before, now refused in the same place"},
		{"RFC 2231 valid", multipartRequest(status, [2]string{`form-data; name="to"`, "918867131234"}, [2]string{`form-data; name*=utf-8''%c3%a9`, "x"}),
			&Report{Status: "ANSWER", To: "918867131234", Extra: map[string]string{"é": "x"}}, "",
			"the control: an encoded é is text and is kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Parse(tt.req)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("error %v, want the event (%s)", err, tt.reason)
				}
				if diff := cmp.Diff(tt.want, ev); diff != "" {
					t.Errorf("(-want +got) %s:\n%s", tt.reason, diff)
				}
				return
			}
			var de *telhook.DecodeError
			if ev != nil || !errors.As(err, &de) || !errors.Is(err, field.ErrUTF8) {
				t.Fatalf("got %+v, %v; want a DecodeError matching ErrUTF8 (%s)", ev, err, tt.reason)
			}
			if diff := cmp.Diff([2]string{"obd", tt.field}, [2]string{de.Provider, de.Field}); diff != "" {
				t.Errorf("provider and field (-want +got) %s:\n%s", tt.reason, diff)
			}
		})
	}
}

// TestDecodeValuesInvalidUTF8: DecodeValues, the entry point for values
// from a queue, passed keys and values that are not UTF-8 on into events.
func TestDecodeValuesInvalidUTF8(t *testing.T) {
	tests := []struct {
		values map[string]string
		field  string
		reason string
	}{
		{map[string]string{"status": "ANSWER", "\xff": "1"}, "\uFFFD", "a key, which would be an Extra key"},
		{map[string]string{"status": "ANSWER\xff"}, "status", "a value"},
		{map[string]string{"b\xff": "1", "a\xff": "1", "status": "ANSWER"}, "a\uFFFD", "the smallest bad key is named, whatever the map order"},
		{map[string]string{"event\xff": "ping"}, "event\uFFFD", "an unknown webhook is no exception"},
	}
	for _, tt := range tests {
		ev, err := std.DecodeValues(tt.values)
		var de *telhook.DecodeError
		if ev != nil || !errors.As(err, &de) || !errors.Is(err, field.ErrUTF8) || de.Field != tt.field {
			t.Errorf("DecodeValues(%q) = %v, %v; want a DecodeError for %q matching ErrUTF8 (%s)", tt.values, ev, err, tt.field, tt.reason)
		}
	}
}

// TestNoFieldsNotCalledEmptyBody is issue 10 item 8: /obd/compose answered
// "obd: empty body" to a GET with no query string (which has no body to be
// empty) and to a PUT whose body is {} (which is not empty). Each answer
// now says what happened.
func TestNoFieldsNotCalledEmptyBody(t *testing.T) {
	tests := []struct {
		name, method, target, ctype, body string
		fields                            Fields
		want                              string
		reason                            string
	}{
		{"GET without a query", http.MethodGet, "/obd/compose", "", "", Fields{},
			"obd: no fields in the query string\n", "a composed GET sends its fields in the query string, and there are none"},
		{"PUT {}", http.MethodPut, "/obd/compose", "application/json", "{}", Fields{},
			"obd: field \"status\": required field is missing: the webhook has no fields at all\n",
			"the body is there but holds no field: the one a report needs is named"},
		{"PUT {} renamed", http.MethodPut, "/obd/compose", "application/json", " { } ", Fields{Status: "message_status"},
			"obd: field \"message_status\": required field is missing: the webhook has no fields at all\n",
			"by the key the user's template uses for it"},
		{"POST empty multipart", http.MethodPost, "/obd/compose", "multipart/form-data; boundary=b", "--b--\r\n", Fields{},
			"obd: field \"status\": required field is missing: the webhook has no fields at all\n",
			"multipart data without a part is no empty body either"},
		{"POST nothing", http.MethodPost, "/obd/compose", "", "", Fields{},
			"obd: empty body and no query string\n", "truly nothing: both places a composed webhook may use are named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &seen{}
			h := NewHandler(s.callbacks(), WithFields(tt.fields), quiet)
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := fmt.Sprintf("%d %s", w.Code, w.Body)
			if diff := cmp.Diff(fmt.Sprintf("400 %s", tt.want), got); diff != "" {
				t.Errorf("answer (-want +got) %s:\n%s", tt.reason, diff)
			}
			if len(s.reports)+len(s.unknown) != 0 {
				t.Errorf("a callback ran: %d reports, %d unknown", len(s.reports), len(s.unknown))
			}
		})
	}
}

// TestNonFormBodyRefusedUnderEveryLabel is issue 10 item 8: /obd
// acknowledged text/plain garbage as an unknown webhook (200, OnUnknown)
// but refused image/png (400). The rule is now one, and Parse documents
// it: JSON is told by its first '{' under any label; otherwise the label
// must be one a form can carry and the body must be a form. A body that is
// no webhook is refused under every label, because acknowledging it would
// tell Mobtexting a broken template works; a form with fields this package
// does not know is still an unknown webhook.
func TestNonFormBodyRefusedUnderEveryLabel(t *testing.T) {
	const notForm = "400 obd: neither JSON nor a form of key=value pairs\n"
	const notLabelled = "400 obd: field \"Content-Type\": not JSON, and labelled neither a form nor multipart form data\n"
	tests := []struct {
		ctype, body string
		want        string // status, answer body, then the callback reached
		reason      string
	}{
		{"text/plain", "hello world", notForm + "-", "the bug: text that is no form was read as one key without a value and acknowledged"},
		{"text/plain", `<?xml version="1.0"?><call id="1"/>`, notForm + "-", "an '=' does not make a form: its key is no key"},
		{"", "hello world", notForm + "-", "no label: the same rule as text/plain"},
		{"application/x-www-form-urlencoded", "hello", notForm + "-", "labelled a form is not being one"},
		{"image/png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", notLabelled + "-", "as before: the label says it cannot be a form, and says so"},
		{"image/png", "status=ANSWER&mid=png-1", notLabelled + "-", "a label that is no form's is not second-guessed for a non-JSON body"},
		{"image/png", `{"status":"ANSWER","mid":"png-2"}`, "200 OnReport", "JSON is told by its first byte under any label, as for every JSON provider"},
		{"text/plain", "status=ANSWER&mid=txt-1", "200 OnReport", "the control: a form under text/plain is read"},
		{"text/plain", "event=ping", "200 OnUnknown", "a form of fields no report has is an unknown webhook, acknowledged"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %.24q", tt.ctype, tt.body), func(t *testing.T) {
			s := &seen{}
			r := httptest.NewRequest(http.MethodPost, "/obd", strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			w := httptest.NewRecorder()
			NewHandler(s.callbacks(), quiet).ServeHTTP(w, r)
			reached := "-"
			switch {
			case len(s.reports) == 1 && len(s.unknown) == 0:
				reached = "OnReport"
			case len(s.unknown) == 1 && len(s.reports) == 0:
				reached = "OnUnknown"
			case len(s.reports)+len(s.unknown) > 0:
				reached = "several"
			}
			got := fmt.Sprintf("%d %s%s", w.Code, w.Body, reached)
			if w.Code == http.StatusOK {
				got = fmt.Sprintf("%d %s", w.Code, reached)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got) %s:\n%s", tt.reason, diff)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range testfix.Names(f, "obd", ".json") {
		f.Add(testfix.Read(f, "obd", name, ".json"))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode(body)
		checkResult(t, ev, err)
	})
}

// FuzzParseCompose drives the composed path: any query string and body,
// with renamed fields.
func FuzzParseCompose(f *testing.F) {
	f.Add("id=c-1&to=918867131234&status=ANSWER", "", "")
	f.Add("call_id=c-1", `{"to":"9188","message_status":"BUSY",}`, "application/json")
	f.Add("", "id=c-2&to=+9188&message_status=NOANSWER", "application/x-www-form-urlencoded")
	f.Add("token=k", `{"validation_key":"k","challenge":"c"}`, "application/json")
	f.Add("", "--b\r\nContent-Disposition: form-data; name*=utf-8''%ff\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b")
	f.Add("", "--b\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b")
	f.Add("%FF=1", "", "")
	d := &Decoder{Fields: Fields{ID: "call_id", Status: "message_status"}}
	f.Fuzz(func(t *testing.T, rawQuery, body, contentType string) {
		r, err := http.NewRequest(http.MethodPost, "http://h/ack", strings.NewReader(body))
		if err != nil {
			return
		}
		r.URL.RawQuery = rawQuery
		r.Header.Set("Content-Type", contentType)
		ev, err := d.Parse(r)
		checkResult(t, ev, err)
	})
}

func checkResult(t *testing.T, ev Event, err error) {
	t.Helper()
	switch {
	case err == nil && ev == nil:
		t.Fatal("nil event without error")
	case errors.Is(err, telhook.ErrUnknownEvent):
		if _, ok := ev.(*Unknown); !ok {
			t.Fatalf("ErrUnknownEvent with %T", ev)
		}
	case err != nil:
		var de *telhook.DecodeError
		if ev != nil || !errors.As(err, &de) || de.Provider != "obd" || len(de.Value) > 70 {
			if !errors.Is(err, telhook.ErrTooLarge) {
				t.Fatalf("error %v (%T) with event %v", err, err, ev)
			}
		}
	default:
		if r, ok := ev.(*Report); ok && (r.Status == "" || len(r.To) > maxNumber) {
			t.Fatalf("a report without status or with a %d-byte number", len(r.To))
		}
	}
	if ev != nil {
		testfix.CheckUTF8(t, ev)
	}
}

// BenchmarkDecode is the strict path: the Click2Call report, valid JSON
// with every field of a Report.
func BenchmarkDecode(b *testing.B) {
	body := testfix.Read(b, "obd", "c2c", ".json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBaseline is what Decode is measured against:
// encoding/json on the same report into a plain struct with the same
// fields, and the same conversions of its times and numbers, but no
// repair, no checks and no Extra.
func BenchmarkDecodeBaseline(b *testing.B) {
	body := testfix.Read(b, "obd", "c2c", ".json")
	b.ReportAllocs()
	for b.Loop() {
		var v struct {
			Bridge, From, To, Source, MID, Status, Status1, Status2, ID string
			RecordingURL                                                string `json:"recording_url"`
			WebhookID                                                   string `json:"webhook_id"`
			HangupBy                                                    string `json:"hangup_by"`
			StartAt                                                     string `json:"start_at"`
			EndAt                                                       string `json:"end_at"`
			Date, UnixTime, Duration, Billing                           string
			FlowID                                                      string `json:"flow_id"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
		r := Report{Bridge: v.Bridge, From: v.From, To: v.To, Source: v.Source, MID: v.MID, Status: v.Status,
			Status1: v.Status1, Status2: v.Status2, RecordingURL: v.RecordingURL, ID: v.ID, WebhookID: v.WebhookID, HangupBy: v.HangupBy}
		var errs [7]error
		r.StartAt, errs[0] = tolerant.ParseTime(v.StartAt, india)
		r.EndAt, errs[1] = tolerant.ParseTime(v.EndAt, india)
		r.Date, errs[2] = tolerant.ParseTime(v.Date, india)
		unix, err := tolerant.Int(v.UnixTime)
		r.UnixTime, errs[3] = time.Unix(unix, 0).UTC(), err
		r.Duration, errs[4] = tolerant.Seconds(v.Duration)
		r.Billing, errs[5] = tolerant.Seconds(v.Billing)
		flow, err := tolerant.Int(v.FlowID)
		r.FlowID, errs[6] = int(flow), err
		if err := errors.Join(errs[:]...); err != nil || r.FlowID != 220 {
			b.Fatal(err, r.FlowID)
		}
	}
}

// BenchmarkDecodeRepair is the excerpt as Mobtexting publishes it, bare
// masked numbers and a trailing comma: the repair path.
func BenchmarkDecodeRepair(b *testing.B) {
	body := testfix.Read(b, "obd", "spec-obd", ".json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
