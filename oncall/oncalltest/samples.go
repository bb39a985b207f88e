package oncalltest

import (
	"fmt"
	"time"

	"github.com/telhook/telhook/oncall"
)

// Each sample is a new value: change it freely.

// CallEvent returns an OnCallEvent of an answered outbound call in which
// the callee keyed in 1234 (a completed DTMF collect, in the current
// schema of Wavix's SDK), as oncall.Parse decodes it.
func CallEvent() *oncall.CallEvent {
	return &oncall.CallEvent{
		UUID:         "a6f1b2c3-4d5e-4f60-8a71-b2c3d4e5f607",
		EventType:    oncall.OnCallEvent,
		From:         "+14155550123",
		To:           "12125550198",
		Direction:    oncall.Outbound,
		EventTime:    ts("2026-02-10T14:03:27.412Z"),
		CallStarted:  ts("2026-02-10T14:02:51.030Z"),
		CallAnswered: ts("2026-02-10T14:02:58.764Z"),
		Payload:      oncall.Payload{Type: oncall.PayloadCollect, Status: "completed", Digits: "1234"},
	}
}

// PostCall returns the post-call webhook of Wavix's documentation, an
// answered outbound call to France, as oncall.Parse decodes it.
func PostCall() *oncall.PostCall {
	return &oncall.PostCall{
		UUID:        "99df5ffd-962a-410f-bcce-d08f1f7f328c",
		Direction:   oncall.Outbound,
		Destination: "France",
		Disposition: "answered",
		From:        "14302287001",
		To:          "33170363950",
		Duration:    6 * time.Second,
		Charge:      "0.822",
		PerMinute:   "0.027",
		Date:        ts("2023-08-21T06:43:36.000Z"),
	}
}

// ts reads a time in Wavix's layout; the samples above are written in it.
func ts(s string) time.Time {
	t, err := time.Parse(layout, s)
	if err != nil {
		panic(fmt.Sprintf("oncalltest: sample time %q: %v", s, err))
	}
	return t
}
