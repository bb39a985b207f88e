package normalize

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

func elksEvent(t *testing.T, name string) elks.Event {
	t.Helper()
	ev, err := elks.Decode(testfix.Read(t, "elks", name, ".form"))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func pbxEvent(t *testing.T, line string) *pbx3cx.Event {
	t.Helper()
	ev, err := pbx3cx.Decode([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func obdReport(t *testing.T, body string) *obd.Report {
	t.Helper()
	ev, err := obd.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return ev.(*obd.Report)
}

func oncallEvent(t *testing.T, body string) oncall.Event {
	t.Helper()
	ev, err := oncall.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

var ist = obd.India()

// TestStates checks DESIGN's fixed mappings, one case per rule.
func TestStates(t *testing.T) {
	tests := []struct {
		src           any
		state, pstate string
		reason        string
	}{
		{obdReport(t, `{"status":"ANSWER","to":"918867131234"}`), Completed, "ANSWER", "Mobtexting ANSWER → completed"},
		{obdReport(t, `{"status":"COMPLETED","to":"918867131234"}`), Completed, "COMPLETED", "COMPLETED → completed"},
		{obdReport(t, `{"status":"RECEIVED","to":"918867131234"}`), Completed, "RECEIVED", "RECEIVED → completed"},
		{obdReport(t, `{"status":"NOANSWER","to":"918867131234"}`), Missed, "NOANSWER", "NOANSWER → missed"},
		{obdReport(t, `{"status":"MISSED","to":"918867131234"}`), Missed, "MISSED", "MISSED → missed"},
		{obdReport(t, `{"status":"BUSY","to":"918867131234"}`), Busy, "BUSY", "BUSY → busy"},
		{obdReport(t, `{"status":"CANCEL","to":"918867131234"}`), Cancelled, "CANCEL", "CANCEL → cancelled"},
		{obdReport(t, `{"status":"CONGESTION","to":"918867131234"}`), Failed, "CONGESTION", "CONGESTION → failed"},
		{obdReport(t, `{"status":"CHANUNAVAIL","to":"918867131234"}`), Failed, "CHANUNAVAIL", "CHANUNAVAIL → failed"},
		{obdReport(t, `{"status":"FAILED","to":"918867131234"}`), "", "FAILED", "a word the table lacks maps to no state, kept as the provider's"},
		{pbxEvent(t, `{"Event":"ringing","Id":"230307114903_10-0"}`), Ringing, "ringing", "3CX ringing → ringing"},
		{pbxEvent(t, `{"Event":"dialing","Id":"230307135611_31-0"}`), Ringing, "dialing", "3CX dialing → ringing"},
		{pbxEvent(t, `{"Event":"incomingcall_started","Id":"230307114903_10-1"}`), Answered, "incomingcall_started", "*call_started → answered"},
		{pbxEvent(t, `{"Event":"pickupoutgoing","Id":"230307135611_31-1"}`), Answered, "outgoingcall_started", "a legacy name, already made current"},
		{pbxEvent(t, `{"Event":"incoming","Finishtype":"Ok","Id":"230307114903_10-1"}`), Completed, "incoming:Ok", "end with Finishtype Ok → completed"},
		{pbxEvent(t, `{"Event":"outgoing","Finishtype":"Missed","Id":"230307140011_32-0"}`), Missed, "outgoing:Missed", "end with Missed → missed"},
		{oncallEvent(t, `{"uuid":"u","event_type":"call_setup","event_time":"2025-09-22T12:56:38Z"}`), Initiated, "call_setup", "Wavix call_setup → initiated"},
		{oncallEvent(t, `{"uuid":"u","event_type":"early_media","event_time":"2025-09-22T12:56:38Z"}`), Ringing, "early_media", "early_media → ringing"},
		{oncallEvent(t, `{"uuid":"u","event_type":"on_call_event","event_time":"2025-09-22T12:56:38Z"}`), Answered, "on_call_event", "on_call_event → answered"},
		{oncallEvent(t, `{"uuid":"u","event_type":"transfer","event_time":"2025-09-22T12:56:38Z"}`), Answered, "transfer", "transfer → answered"},
		{oncallEvent(t, `{"uuid":"u","event_type":"rejected","event_time":"2025-09-22T12:56:38Z"}`), Rejected, "rejected", "the state of the same name"},
		{oncallEvent(t, `{"uuid":"u","event_type":"teleported","event_time":"2025-09-22T12:56:38Z"}`), "", "teleported", "a new event type maps to no state"},
		{oncallEvent(t, `{"uuid":"u","disposition":"noanswer","duration":0}`), Missed, "noanswer", "post-call noanswer → missed"},
		{elksEvent(t, "spec-call-incoming"), Answered, "newincoming", "46elks CallEvent → answered"},
		{elksEvent(t, "hangup-swagger"), Completed, "success", "CallEnd success → completed"},
		{elksEvent(t, "hangup-raw-plus"), Failed, "failed", "CallEnd failed → failed"},
	}
	for _, tt := range tests {
		ev, err := From(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.reason, err)
		}
		if ev.Kind != KindCall || ev.Call.State != tt.state || ev.Call.ProviderState != tt.pstate {
			t.Errorf("%s: kind %s, state %q / %q; want call, %q / %q", tt.reason, ev.Kind, ev.Call.State, ev.Call.ProviderState, tt.state, tt.pstate)
		}
	}
}

func TestFrom(t *testing.T) {
	n := Normalizer{Region: "TR", Location: time.UTC}
	tests := []struct {
		src    any
		want   Event
		reason string
	}{
		{elksEvent(t, "sms-docs"), Event{Provider: Elks, Kind: KindMessage, Message: &Message{ID: "sf8425555e5d8db61dda7a7b3f1b91bdb",
			Direction: Inbound, From: "+46706861004", To: "+46706860000", Body: "Hello how are you?", State: Received,
			At: time.Date(2018, 7, 13, 13, 57, 23, 741000000, time.UTC)}}, "an incoming SMS is a received message"},
		{elksEvent(t, "spec-sms"), Event{Provider: Elks, Kind: KindMessage, Message: &Message{ID: "s70df59406a1b4643b96f3f91e0bfb7b0",
			Direction: Inbound, From: "TestElk", To: "+46766861004", Body: "Hi! This is the inomming message", State: Received,
			At: time.Date(2016, 10, 1, 12, 0, 0, 110000000, time.UTC)}}, "an alphanumeric sender stays a name; no direction sent means inbound"},
		{elksEvent(t, "mms-docs"), Event{Provider: Elks, Kind: KindMessage, Message: &Message{ID: "m84af96809ff8989f3668c93aaaedb69c",
			Direction: Inbound, From: "+46706861004", To: "+46706860000", State: Received,
			Media: []string{"https://api.46elks.com/a1/images/m84af96809ff8989f3668c93aaaedb69c-i0.jpg", "https://example.com/test2.jpg"},
			At:    time.Date(2016, 11, 3, 12, 30, 18, 937464000, time.UTC)}}, "MMS images are the media"},
		{elksEvent(t, "dlr-php-failed"), Event{Provider: Elks, Kind: KindMessage, Message: &Message{ID: "123", Direction: Outbound, State: Failed,
			At: time.Date(2018, 7, 13, 13, 57, 23, 741000000, time.UTC)}}, "a delivery report is about a sent message"},
		{elksEvent(t, "spec-ivr"), Event{Provider: Elks, Kind: KindCall, Call: &Call{ID: "c445e8467d340c73489b61508c1b772b6", Direction: Inbound,
			From: "+46723175800", To: "+46101994214", State: Answered, ProviderState: "2394623498", Digits: "2394623498"}}, "IVR digits"},
		{elksEvent(t, "spec-recording"), Event{Provider: Elks, Kind: KindRecording, Recording: &Recording{CallID: "c70df59406a1b4643b96f3f91e0bfb7b0",
			URL: "https://api.46elks.com/a1/Recordings/c595183", Duration: 15 * time.Second, At: time.Date(2016, 10, 1, 12, 0, 0, 110000000, time.UTC)}}, "a recording"},
		{elksEvent(t, "hangup-swagger"), Event{Provider: Elks, Kind: KindCall, Call: &Call{ID: "ca63e279d8a343b7da49f87569a108f82", Direction: Inbound,
			From: "+46723175800", To: "+46101994214", State: Completed, ProviderState: "success", Agent: "+4634090510",
			StartedAt: time.Date(2016, 11, 3, 8, 46, 0, 900484000, time.UTC), AnsweredAt: time.Date(2016, 11, 3, 8, 46, 0, 877263000, time.UTC),
			EndedAt: time.Date(2016, 11, 3, 8, 46, 8, 877263000, time.UTC), Duration: 8 * time.Second}}, "a call end: the agent is the connected leg"},
		{obdReport(t, `{"bridge": 91806828XXXX, "from": 91891952XXXX, "to": 91886713XXXX, "source": "OBD", "mid": "1234-1333-XXXXX", "start_at": "2021-04-09 16:27:39", "end_at": "2021-04-09 16:27:55", "duration": "23", "status": "ANSWER", "recording_url": "https://youraudiofilelocation/",}`),
			Event{Provider: OBD, Kind: KindCall, Call: &Call{ID: "1234-1333-XXXXX", Direction: Outbound, From: "91891952XXXX", To: "91886713XXXX",
				State: Completed, ProviderState: "ANSWER", StartedAt: time.Date(2021, 4, 9, 16, 27, 39, 0, ist), EndedAt: time.Date(2021, 4, 9, 16, 27, 55, 0, ist),
				Duration: 23 * time.Second, Recordings: []Recording{{CallID: "1234-1333-XXXXX", URL: "https://youraudiofilelocation/", At: time.Date(2021, 4, 9, 16, 27, 55, 0, ist)}}}},
			"masked numbers kept exactly; India's times kept as instants"},
		{pbxEvent(t, `{ "Event": "incomingcall_started", "Callerid": 05552221133", "User": "202", "Trtype": "NotDef", "Did": "", "Id": "230307114903_10-1" }`),
			Event{Provider: PBX3CX, Kind: KindCall, Call: &Call{ID: "230307114903_10", Direction: Inbound, From: "+905552221133", To: "202",
				State: Answered, ProviderState: "incomingcall_started", Agent: "202", StartedAt: time.Date(2023, 3, 7, 11, 49, 3, 0, time.UTC)}},
			"3CX national number read in the configured region; start from the call id"},
		{pbxEvent(t, `https://pbx:5001/webapi/recording/230102185935_18-1-1.mp3`),
			Event{Provider: PBX3CX, Kind: KindRecording, Recording: &Recording{CallID: "230102185935_18", URL: "https://pbx:5001/webapi/recording/230102185935_18-1-1.mp3"},
				Call: &Call{ID: "230102185935_18", Direction: Inbound, ProviderState: "recording", StartedAt: time.Date(2023, 1, 2, 18, 59, 35, 0, time.UTC),
					Recordings: []Recording{{CallID: "230102185935_18", URL: "https://pbx:5001/webapi/recording/230102185935_18-1-1.mp3"}}}},
			"a bare recording URL: the recording, and the call it belongs to"},
		{&pbx3cx.Call{ID: "230307142318_40", Direction: "inbound", CallerID: "05552221133", Path: []pbx3cx.Hop{{User: "800", UserType: "other"}},
			Segments: []pbx3cx.Segment{{Number: 1, Agent: "117"}, {Number: 2, Agent: "204"}}, Answered: true, Complete: true, TalkTime: 20 * time.Second,
			RecordingURLs: []string{"https://FQDN:5001/webapi/recording/230307142318_40-1-1.mp3"}},
			Event{Provider: PBX3CX, Kind: KindCall, Call: &Call{ID: "230307142318_40", Direction: Inbound, From: "+905552221133", To: "800", State: Completed,
				ProviderState: "Ok", Agent: "204", StartedAt: time.Date(2023, 3, 7, 14, 23, 18, 0, time.UTC), Duration: 20 * time.Second,
				Recordings: []Recording{{CallID: "230307142318_40", URL: "https://FQDN:5001/webapi/recording/230307142318_40-1-1.mp3"}}}},
			"a tracked 3CX call: the last agent, the talk time"},
		{oncallEvent(t, `{"uuid":"5dccb6b0-f35c-488c-867b-86fb012c4415","event_type":"on_call_event","event_time":"2025-09-22T12:56:38.547Z","event_payload":{"type":"collect","payload":{"digits":"1234","status":"completed"}},"from":"+18045961058","to":"17653889567","call_started":"2025-09-22T12:56:38.547Z","call_answered":"2025-09-22T12:56:40Z","call_completed":null,"machine_detected":false,"tag":"campaign","direction":"inbound"}`),
			Event{Provider: OnCall, Kind: KindCall, Call: &Call{ID: "5dccb6b0-f35c-488c-867b-86fb012c4415", Direction: Inbound, From: "+18045961058", To: "+17653889567",
				State: Answered, ProviderState: "on_call_event", Digits: "1234", Tag: "campaign", StartedAt: time.Date(2025, 9, 22, 12, 56, 38, 547000000, time.UTC),
				AnsweredAt: time.Date(2025, 9, 22, 12, 56, 40, 0, time.UTC)}}, "Wavix: '+'-less to gains it; the collected digits"},
	}
	for _, tt := range tests {
		got, err := n.Normalize(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.reason, err)
		}
		tt.want.Source = tt.src
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
		}
	}
}

func TestFromUnknown(t *testing.T) {
	for _, v := range []any{nil, "sms", &elks.Unknown{}, &obd.Challenge{}, &oncall.Unknown{}} {
		if _, err := From(v); !errors.Is(err, telhook.ErrUnknownEvent) {
			t.Errorf("From(%T) error = %v, want ErrUnknownEvent", v, err)
		}
	}
}

func BenchmarkFrom(b *testing.B) {
	elksSMS, _ := elks.Decode([]byte("direction=incoming&id=sf8425555e5d8db61dda7a7b3f1b91bdb&from=%2B46706861004&to=%2B46706860000&created=2018-07-13T13%3A57%3A23.741000&message=Hello"))
	obdRep, _ := obd.Decode([]byte(`{"bridge":"918068281234","from":"918919521234","to":"918867131234","source":"OBD","mid":"m1","status":"ANSWER","start_at":"2021-04-09 16:27:39"}`))
	pbxEv, _ := pbx3cx.Decode([]byte(`{"Event":"incoming","Callerid":"05552221133","User":"202","Finishtype":"Ok","Duration":"00:06","Id":"230307114903_10-1"}`))
	oncallEv, _ := oncall.Decode([]byte(`{"uuid":"u1","event_type":"answered","event_time":"2025-09-22T12:56:38.547Z","from":"+18045961058","to":"17653889567"}`))
	for _, bc := range []struct {
		name string
		ev   any
	}{{"elks", elksSMS}, {"obd", obdRep}, {"pbx3cx", pbxEv}, {"oncall", oncallEv}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := From(bc.ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNumber is a number webhooks repeat: after the first call it
// comes from the cache (BenchmarkNumberUncached prices phonenumbers).
func BenchmarkNumber(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Number("420774852629", "")
	}
}
