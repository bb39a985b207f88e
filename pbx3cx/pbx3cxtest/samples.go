package pbx3cxtest

import (
	"time"

	"github.com/telhook/telhook/pbx3cx"
)

// Each sample is a new value: change it freely.

// Ringing returns K2M's example of a queue ringing for an inbound call, as
// pbx3cx.Parse decodes it.
func Ringing() *pbx3cx.Event {
	return &pbx3cx.Event{Type: pbx3cx.Ringing, CallerID: "05552221133", User: "820", UserType: "queue", ID: "230307114903_10-0"}
}

// Ended returns K2M's example of the end of an inbound call's first
// answered segment, ended by a transfer after 14 seconds, as pbx3cx.Parse
// decodes it.
func Ended() *pbx3cx.Event {
	return &pbx3cx.Event{
		Type: pbx3cx.Incoming, CallerID: "05552221133", User: "117", FinishType: pbx3cx.FinishOk,
		Transfer: true, Duration: 14 * time.Second, ID: "230307142318_40-1",
	}
}

// Recording returns K2M's example of a recording made of the transferred
// segment of a call, as pbx3cx.Parse decodes it.
func Recording() *pbx3cx.Event {
	return &pbx3cx.Event{
		Type: pbx3cx.Recording, CallerID: "05552221133", User: "204", ID: "230307142318_40-2",
		RecordingURLs: []string{"https://FQDN:5001/webapi/recording/230307142318_40-2-1.mp3"},
	}
}

// AttendedTransfer returns every event of one inbound call, in the order
// K2M's documentation shows them: it rings through an IVR (800) and a
// queue (820) to extension 117, who answers, transfers it with an
// attended transfer to 204 and hangs up; 204 talks and hangs up; then the
// recordings of both segments arrive.
func AttendedTransfer() []*pbx3cx.Event {
	const caller, id = "05552221133", "230307142318_40-"
	ring := func(user, userType, seg string) *pbx3cx.Event {
		return &pbx3cx.Event{Type: pbx3cx.Ringing, CallerID: caller, User: user, UserType: userType, ID: id + seg}
	}
	return []*pbx3cx.Event{
		ring("800", "other", "0"),
		ring("820", "queue", "0"),
		ring("117", "ext", "0"),
		{Type: pbx3cx.IncomingStarted, CallerID: caller, User: "117", TransferType: pbx3cx.NotTransferred, ID: id + "1"},
		{Type: pbx3cx.IncomingStarted, CallerID: caller, User: "204", TransferType: pbx3cx.Attended, ID: id + "2"},
		ring("204", "ext", "1"),
		{Type: pbx3cx.Incoming, CallerID: caller, User: "117", FinishType: pbx3cx.FinishOk, Transfer: true, Duration: 14 * time.Second, ID: id + "1"},
		{Type: pbx3cx.Incoming, CallerID: caller, User: "204", FinishType: pbx3cx.FinishOk, Duration: 6 * time.Second, ID: id + "2"},
		{Type: pbx3cx.Recording, CallerID: caller, User: "204", ID: id + "2", RecordingURLs: []string{"https://FQDN:5001/webapi/recording/" + id + "2-1.mp3"}},
		{Type: pbx3cx.Recording, CallerID: caller, User: "117", ID: id + "1", RecordingURLs: []string{"https://FQDN:5001/webapi/recording/" + id + "1-1.mp3"}},
	}
}
