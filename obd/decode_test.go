package obd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
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
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, India)
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

func TestDecoderLocation(t *testing.T) {
	d := &Decoder{Location: time.UTC}
	ev, err := d.Decode([]byte(`{"status":"ANSWER","start_at":"2021-04-09 16:27:39"}`))
	if err != nil || !ev.(*Report).StartAt.Equal(time.Date(2021, 4, 9, 16, 27, 39, 0, time.UTC)) {
		t.Errorf("Decoder.Location is where zone-less times are read: %v, %v", ev, err)
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
}

var validReport = []byte(`{"bridge": "918068281234", "from": "918919521234", "to": "918867131234", "source": "OBD", "mid": "1234-1333-0001", "flow_id": 123, "start_at": "2021-04-09 16:27:39", "end_at": "2021-04-09 16:27:55", "duration": "23", "status": "ANSWER", "recording_url": "https://media.example.com/rec/5f1c.mp3"}`)

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(validReport); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBaseline is encoding/json on the same valid payload into
// an equivalent struct: no repair, no times, no checks.
func BenchmarkDecodeBaseline(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var v struct {
			Bridge, From, To, Source, MID, StartAt, EndAt, Duration, Status, RecordingURL string
			FlowID                                                                        int `json:"flow_id"`
		}
		if err := json.Unmarshal(validReport, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRepair is the spec excerpt: the repair path.
func BenchmarkDecodeRepair(b *testing.B) {
	body, err := os.ReadFile(filepath.Join(testfix.Dir("obd"), "spec-obd.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
