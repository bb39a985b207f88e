package elks

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/elks")

// fixture returns the body of testdata/elks/<name>.form.
func fixture(t testing.TB, name string) []byte { return testfix.Read(t, "elks", name, ".form") }

func fixtures(t testing.TB) []string { return testfix.Names(t, "elks", ".form") }

// TestGolden decodes every fixture and compares with its golden file; a
// fixture without a golden file fails. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, name := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			testfix.Golden(t, filepath.Join(testfix.Dir("elks"), name+".json"), testfix.OutcomeOf(Decode(fixture(t, name))), *update)
		})
	}
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
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
		{"spec-sms", &SMS{ID: "s70df59406a1b4643b96f3f91e0bfb7b0", From: "TestElk", To: "+46766861004",
			Message: "Hi! This is the inomming message", Created: utc("2016-10-01T12:00:00.11")},
			"spec excerpt: alphanumeric sender kept, raw '+' in to restored, extra ':00' group read"},
		{"sms-docs", &SMS{ID: "sf8425555e5d8db61dda7a7b3f1b91bdb", From: "+46706861004", To: "+46706860000",
			Message: "Hello how are you?", Direction: "incoming", Created: utc("2018-07-13T13:57:23.741")},
			"docs receive-sms, exactly as 46elks encodes it"},
		{"sms-raw-plus", &SMS{ID: "sf8425555e5d8db61dda7a7b3f1b91bdb", From: "+46706861004", To: "+46706860000",
			Message: "1+1 is 2", Direction: "incoming", Created: utc("2018-07-13T13:57:23.741")},
			"unescaped '+' restored in numbers; an escaped one in text is kept"},
		{"sms-extra-fields", &SMS{ID: "s389475938457394fead88", From: "+46706861004", To: "+46706860000",
			Message: "hej", Direction: "incoming", Created: utc("2018-07-13T13:57:23.741"),
			Extra: map[string]string{"cost": "3500", "sms_id": "s389475938457394fead88", "retain": "true"}},
			"fields without a place are kept, never an error"},
		{"sms-repeated-same", &SMS{ID: "s1", From: "+46706861004", To: "+46706860000", Message: "twice the same id"},
			"a key repeated with the same value is harmless"},
		{"spec-mms", &MMS{ID: "m84af96809ff8989f3668c93aaadb69c", From: "+46723175800", To: "+46766861218",
			Message: "Hi! This is the inomming message", Created: utc("2016-11-03T12:30:18.937464"),
			Images: []string{"https://api.46elks.com/a1/images/m84af9680"}},
			"spec excerpt MMS: space-separated created, one image"},
		{"mms-docs", &MMS{ID: "m84af96809ff8989f3668c93aaaedb69c", From: "+46706861004", To: "+46706860000",
			Direction: "incoming", Created: utc("2016-11-03T12:30:18.937464"),
			Images: []string{"https://api.46elks.com/a1/images/m84af96809ff8989f3668c93aaaedb69c-i0.jpg", "https://example.com/test2.jpg"}},
			"empty message is an MMS still; image then image2"},
		{"mms-many-images", &MMS{ID: "m84af96809ff8989f3668c93aaaedb69c", From: "+46723175800", To: "+46766861218",
			Images: []string{"https://example.com/1.jpg", "https://example.com/2.jpg", "https://example.com/3.jpg", "https://example.com/10.jpg", "https://example.com/20.jpg"},
			Extra:  map[string]string{"imagecount": "5"}},
			"images in numeric, not lexical, order; imagecount is not an image"},
		{"spec-dlr", &DeliveryReport{ID: "s70df59406a1b4643b96f3f91e0bfb7b0", Status: "delivered", Delivered: utc("2016-10-01T12:00:00.11")},
			"spec excerpt delivery report"},
		{"dlr-php-failed", &DeliveryReport{ID: "123", Status: "failed", Delivered: utc("2018-07-13T13:57:23.741")},
			"php-46elks sends delivered with failed: kept as sent"},
		{"dlr-postman", &DeliveryReport{ID: "s389475938457394fead88", Status: "delivered", Delivered: utc("2016-02-21T00:00:00.23874")},
			"one-digit hour, five-digit fraction"},
		{"dlr-sent", &DeliveryReport{ID: "s70df59406a1b4643b96f3f91e0bfb7b0", Status: "sent"},
			"the first of two reports: no delivered time"},
		{"spec-call-incoming", &CallEvent{CallID: "caaeaeb26d66463c3b43efe37dd0d12ef", From: "+46723175800", To: "+46101994214",
			Direction: "incoming", Result: "newincoming"}, "spec excerpt voice_start"},
		{"call-client-id", &CallEvent{CallID: "sf8425555e5d8db61dda7a7b3f1b91bdb", From: "+4600100100", To: "+46766861004",
			Direction: "incoming", Created: utc("2018-08-13T13:57:23.741")},
			"handle-client-call sends id instead of callid"},
		{"call-connect-busy", &CallEvent{CallID: "c45072a1eeafebccc3dffbd4d27b5ebcc", Result: "busy"},
			"the next hook after a connect carries only callid and result"},
		{"spec-ivr", &CallEvent{CallID: "c445e8467d340c73489b61508c1b772b6", From: "+46723175800", To: "+46101994214",
			Direction: "incoming", Result: "2394623498"}, "IVR digits arrive in result"},
		{"call-record-next", &CallEvent{CallID: "c595183c042b1e43d1c8e79b9fd5cbcab", From: "+46723175800", To: "+46766861647",
			Direction: "incoming", Result: "success", WAV: "https://api.46elks.com/a1/Recordings/c595183c042b1e43d1c8e79b9fd5cbcab-r0.wav"},
			"a wav with a result is the next step of a call, not a recording webhook"},
		{"recording-swagger", &Recording{CallID: "c70df59406a1b4643b96f3f91e0bfb7b0", From: "+46723175800", To: "+46766861647",
			Direction: "incoming", WAV: "https://api.46elks.com/a1/Recordings/c595183c042b1e43d1c8e79b9fd5cbcab-r0.wav", Duration: 15 * time.Second,
			Created: utc("2016-10-01T12:00:00.11")}, "PROVIDERS 1.9.8, the Swagger recording with its whole wav URL"},
		{"spec-recording", &Recording{CallID: "c70df59406a1b4643b96f3f91e0bfb7b0", From: "+46723175800", To: "+46766861004",
			Direction: "incoming", WAV: "https://api.46elks.com/a1/Recordings/c595183", Duration: 15 * time.Second,
			Created: utc("2016-10-01T12:00:00.11")}, "spec excerpt recording"},
		{"hangup-swagger", &CallEnd{ID: "ca63e279d8a343b7da49f87569a108f82", From: "+46723175800", To: "+46101994214",
			Direction: "incoming", State: "success", Created: utc("2016-11-03T08:46:00.900484"), Start: utc("2016-11-03T08:46:00.877263"),
			Duration: 8 * time.Second, Cost: 1500,
			Actions: []map[string]any{{"connect": "+4634090510", "result": "success"}},
			Legs:    []Leg{{From: "+46723175800", To: "+4634090510", State: "success", Duration: 7 * time.Second}}},
			"whenhangup: actions and legs decoded from their JSON strings; cost in 1/10000"},
		{"spec-hangup", &CallEnd{ID: "ca63e279d8a343b7da49f87569a108f82", From: "+46723175800", To: "+46101994214",
			Direction: "incoming", State: "success", Created: utc("2016-11-03T08:46:00.900484"), Start: utc("2016-11-03T08:46:00.877263"),
			Duration: 8 * time.Second, Cost: 1500,
			Extra: map[string]string{
				"actions": `[{"connect": " 4634090510", "result": "su`,
				"legs":    `[{"duration": 7, "to": " 4634090510", "state`,
			}},
			"the spec excerpt cuts actions and legs short: the call end still decodes, the text is kept verbatim"},
		{"hangup-raw-plus", &CallEnd{ID: "ca63e279d8a343b7da49f87569a108f82", From: "+46723175800", To: "+46101994214",
			Direction: "incoming", State: "failed", Duration: 8 * time.Second,
			Actions: []map[string]any{{"connect": "+4634090510", "result": "failed"}},
			Legs:    []Leg{{From: "+46723175800", To: "+4634090510", State: "failed"}}},
			"raw '+' restored inside actions and legs too; a leg duration sent as a string"},
		{"hangup-call-object", &CallEnd{ID: "c595183c042b1e43d1c8e79b9fd5cbcab", From: "+46700000000", To: "+46711234567",
			Direction: "incoming", State: "success", Created: utc("2016-11-03T09:24:24.355"), Start: utc("2016-11-03T09:24:24.333"),
			Duration: 15 * time.Second, Cost: 1500,
			Actions: []map[string]any{{"connect": "+4634090510", "result": "success"}, {"play": "https://example.com/bye.mp3", "result": "success"}},
			Legs:    []Leg{{From: "+46700000000", To: "+4634090510", State: "success", Duration: 14 * time.Second}},
			Extra:   map[string]string{"owner": "ufb9e1234", "timeout": "60"}},
			"call-history shape: several actions, owner and timeout kept"},
		{"hangup-failed-empty", &CallEnd{ID: "c70df59406a1b4643b96f3f91e0bfb7b0", From: "+46723175800", To: "+46704508449",
			Direction: "outgoing", State: "failed", Created: utc("2018-07-13T13:57:23.741")},
			"a call that never connected: empty duration, cost and start read as absent, not as errors"},
		{"unknown-fields", &Unknown{Fields: map[string]string{"foo": "bar", "baz": "1"}},
			"no webhook has these fields: returned whole, with ErrUnknownEvent"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := Decode(fixture(t, tt.fixture))
			if _, unknown := tt.want.(*Unknown); unknown != errors.Is(err, telhook.ErrUnknownEvent) || (!unknown && err != nil) {
				t.Fatalf("Decode error = %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode mismatch (-want +got) — %s:\n%s", tt.reason, diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		fixture string
		field   string
		cause   error
		reason  string
	}{
		{"bad-truncated", "to", nil, "a body cut inside a percent escape names the field it cut"},
		{"bad-repeated-conflict", "from", nil, "two different senders: refused, not guessed"},
		{"bad-created", "created", nil, "a timestamp that is no timestamp"},
		{"bad-duration", "duration", nil, "seconds that are words"},
		{"bad-cost", "cost", nil, "cost is a whole number of 1/10000 units"},
		{"bad-missing-from", "from", nil, "an SMS without a sender"},
		{"bad-invalid-utf8", "message", nil, "bytes that are not text"},
		{"bad-semicolon", "id", nil, "';' is not a separator in a form body"},
		{"bad-empty", "", nil, "an empty body is no webhook"},
		{"bad-dlr-no-status", "status", nil, "a delivery report without its status"},
		{"bad-binary", "message", nil, "binary junk: first bad field in key order"},
		{"bad-recording-no-wav", "wav", nil, "a recording needs its URL"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			ev, err := Decode(fixture(t, tt.fixture))
			if ev != nil {
				t.Errorf("Decode returned %#v with error %v; want no event (%s)", ev, err, tt.reason)
			}
			if !errors.Is(err, telhook.ErrMalformed) {
				t.Fatalf("Decode error = %v, want one matching ErrMalformed (%s)", err, tt.reason)
			}
			var de *telhook.DecodeError
			if !errors.As(err, &de) || de.Provider != "elks" || de.Field != tt.field {
				t.Errorf("Decode error = %#v, want provider elks, field %q (%s)", err, tt.field, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "elks: ") {
				t.Errorf("error %q does not name the provider first", err)
			}
		})
	}
}

func TestDecodeHostile(t *testing.T) {
	huge := strings.Repeat("A", 60<<10)
	tests := []struct {
		name   string
		body   string
		check  func(Event, error) string
		reason string
	}{
		{"huge message", "id=s1&from=%2B46700000000&to=%2B46700000001&message=" + huge,
			func(ev Event, err error) string {
				if sms, ok := ev.(*SMS); !ok || err != nil || len(sms.Message) != len(huge) {
					return fmt.Sprintf("got %T, %v", ev, err)
				}
				return ""
			}, "a long message under the body limit is delivered whole"},
		{"huge bad value", "id=s1&from=%2B46700000000&to=%2B46700000001&message=hi&created=" + huge,
			func(ev Event, err error) string {
				var de *telhook.DecodeError
				if !errors.As(err, &de) || len(de.Value) > 70 || len(err.Error()) > 200 {
					return fmt.Sprintf("error not bounded: %d bytes", len(fmt.Sprint(err)))
				}
				return ""
			}, "an error never repeats a hostile value in full"},
		{"900 repeats", strings.Repeat("id=s1&", 900) + "from=%2B46700000000&to=%2B46700000001&message=x",
			func(ev Event, err error) string {
				if _, ok := ev.(*SMS); !ok || err != nil {
					return fmt.Sprintf("got %T, %v", ev, err)
				}
				return ""
			}, "the same field repeated 900 times with one value: harmless"},
		{"10000 repeats", strings.Repeat("id=s1&", 10000) + "from=%2B46700000000&to=%2B46700000001&message=x",
			func(ev Event, err error) string {
				var de *telhook.DecodeError
				if ev != nil || !errors.As(err, &de) || !strings.Contains(err.Error(), "more than 1000 fields") {
					return fmt.Sprintf("got %T, %v", ev, err)
				}
				return ""
			}, "a field repeated 10,000 times is refused before any map is built"},
		{"trailing newline", "id=s1&from=%2B46700000000&to=%2B46700000001&message=x\r\n",
			func(ev Event, err error) string {
				if sms, ok := ev.(*SMS); !ok || err != nil || sms.Message != "x" {
					return fmt.Sprintf("got %#v, %v", ev, err)
				}
				return ""
			}, "a raw line break after the last field is no part of its value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := tt.check(Decode([]byte(tt.body))); msg != "" {
				t.Errorf("%s: %s", tt.reason, msg)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	v := url.Values{"callid": {"c1"}, "result": {"1"}, "from": {" 46700000000"}}
	ev, err := DecodeValues(v)
	want := &CallEvent{CallID: "c1", Result: "1", From: "+46700000000"}
	if diff := cmp.Diff(want, ev); err != nil || diff != "" {
		t.Errorf("DecodeValues: err %v, diff (-want +got):\n%s", err, diff)
	}
	if _, err := DecodeValues(url.Values{"callid": {"c1", "c2"}}); !errors.Is(err, telhook.ErrMalformed) {
		t.Errorf("DecodeValues with conflicting repeats: err = %v, want ErrMalformed", err)
	}
}

// FuzzParse drives the request level with any body and Content-Type:
// Parse never panics, every failure is a DecodeError naming elks (or an
// unknown event with its fields), every event it returns holds only valid
// UTF-8, and Parse agrees with Decode.
func FuzzParse(f *testing.F) {
	for _, name := range fixtures(f) {
		f.Add(fixture(f, name), "application/x-www-form-urlencoded")
	}
	f.Add([]byte(`{"id":"s1"}`), "application/json")
	f.Add([]byte("id=s1"), "")
	f.Add([]byte("id=s1&from=1&to=2&message=a&%FF=1"), "")
	f.Add([]byte("id=c1&state=success&actions=%5B%7B%22a%22%3A%22%FF%22%7D%5D"), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		ev, err := Parse(req)
		switch {
		case err == nil && ev == nil:
			t.Fatal("nil event without error")
		case errors.Is(err, telhook.ErrUnknownEvent):
			if _, ok := ev.(*Unknown); !ok {
				t.Fatalf("ErrUnknownEvent with %T", ev)
			}
		case err != nil:
			if errors.Is(err, telhook.ErrTooLarge) {
				if len(body) <= telhook.DefaultMaxBodyBytes {
					t.Fatalf("%d bytes refused as too large", len(body))
				}
				return
			}
			var de *telhook.DecodeError
			if ev != nil || !errors.As(err, &de) || de.Provider != "elks" {
				t.Fatalf("error %v (%T) with event %T", err, err, ev)
			}
			if len(de.Value) > 70 {
				t.Fatalf("error value not bounded: %d bytes", len(de.Value))
			}
			if de.Field == "Content-Type" {
				return // refused before the body was decoded
			}
		}
		if ev != nil {
			testfix.CheckUTF8(t, ev)
		}
		// The request level adds nothing to the bytes level but the read.
		ev2, err2 := Decode(body)
		if !cmp.Equal(ev, ev2) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("Parse and Decode disagree: %v / %v", err, err2)
		}
	})
}

// smsBody is a typical incoming SMS, as 46elks sends it.
var smsBody = []byte("direction=incoming&id=sf8425555e5d8db61dda7a7b3f1b91bdb&from=%2B46706861004&to=%2B46706860000&created=2018-07-13T13%3A57%3A23.741000&message=Hello%20how%20are%20you%3F")

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(smsBody)))
	for b.Loop() {
		if _, err := Decode(smsBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBaseline is the floor Decode is measured against: the
// standard library's url.ParseQuery and a hand-written copy into the same
// struct, with one fixed time layout and no checks.
func BenchmarkDecodeBaseline(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(smsBody)))
	for b.Loop() {
		v, err := url.ParseQuery(string(smsBody))
		if err != nil {
			b.Fatal(err)
		}
		created, err := time.Parse("2006-01-02T15:04:05.999999", v.Get("created"))
		if err != nil {
			b.Fatal(err)
		}
		_ = &SMS{ID: v.Get("id"), From: v.Get("from"), To: v.Get("to"), Message: v.Get("message"),
			Direction: v.Get("direction"), Created: created}
	}
}

func BenchmarkDecodeCallEnd(b *testing.B) {
	body := fixture(b, "hangup-swagger")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
