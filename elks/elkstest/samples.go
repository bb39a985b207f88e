package elkstest

import (
	"fmt"
	"time"

	"github.com/telhook/telhook/elks"
)

// Each sample is a new value: change it freely.

// SMS returns the incoming SMS of 46elks' receive-sms documentation, as
// elks.Parse decodes it.
func SMS() *elks.SMS {
	return &elks.SMS{
		ID:        "sf8425555e5d8db61dda7a7b3f1b91bdb",
		From:      "+46706861004",
		To:        "+46706860000",
		Message:   "Hello how are you?",
		Direction: "incoming",
		Created:   ts("2018-07-13 13:57:23.741000"),
	}
}

// MMS returns the incoming MMS of 46elks' receive-mms documentation, with
// two images and no text, as elks.Parse decodes it.
func MMS() *elks.MMS {
	return &elks.MMS{
		ID:        "m84af96809ff8989f3668c93aaaedb69c",
		From:      "+46706861004",
		To:        "+46706860000",
		Direction: "incoming",
		Images: []string{
			"https://api.46elks.com/a1/images/m84af96809ff8989f3668c93aaaedb69c-i0.jpg",
			"https://example.com/test2.jpg",
		},
		Created: ts("2016-11-03 12:30:18.937464"),
	}
}

// DeliveryReport returns the "delivered" report of 46elks' webhook
// specification, as elks.Parse decodes it.
func DeliveryReport() *elks.DeliveryReport {
	return &elks.DeliveryReport{
		ID:        "s70df59406a1b4643b96f3f91e0bfb7b0",
		Status:    "delivered",
		Delivered: ts("2016-10-01 12:00:00.110000"),
	}
}

// CallEvent returns the first hook of an incoming call (result
// "newincoming") of 46elks' webhook specification, as elks.Parse decodes
// it.
func CallEvent() *elks.CallEvent {
	return &elks.CallEvent{
		CallID:    "caaeaeb26d66463c3b43efe37dd0d12ef",
		From:      "+46723175800",
		To:        "+46101994214",
		Direction: "incoming",
		Result:    "newincoming",
	}
}

// Recording returns the finished recording of 46elks' webhook
// specification, 15 seconds long, as elks.Parse decodes it.
func Recording() *elks.Recording {
	return &elks.Recording{
		CallID:    "c70df59406a1b4643b96f3f91e0bfb7b0",
		From:      "+46723175800",
		To:        "+46766861647",
		Direction: "incoming",
		WAV:       "https://api.46elks.com/a1/Recordings/c595183c042b1e43d1c8e79b9fd5cbcab-r0.wav",
		Duration:  15 * time.Second,
		Created:   ts("2016-10-01 12:00:00.110000"),
	}
}

// CallEnd returns the whenhangup webhook of 46elks' webhook specification:
// a call connected to one number, with its action and leg, as elks.Parse
// decodes it.
func CallEnd() *elks.CallEnd {
	return &elks.CallEnd{
		ID:        "ca63e279d8a343b7da49f87569a108f82",
		From:      "+46723175800",
		To:        "+46101994214",
		Direction: "incoming",
		State:     "success",
		Created:   ts("2016-11-03 08:46:00.900484"),
		Start:     ts("2016-11-03 08:46:00.877263"),
		Duration:  8 * time.Second,
		Cost:      1500,
		Actions:   []map[string]any{{"connect": "+4634090510", "result": "success"}},
		Legs:      []elks.Leg{{From: "+46723175800", To: "+4634090510", State: "success", Duration: 7 * time.Second}},
	}
}

// ts reads a time in 46elks' layout; the samples above are written in it.
func ts(s string) time.Time {
	t, err := time.Parse(layout, s)
	if err != nil {
		panic(fmt.Sprintf("elkstest: sample time %q: %v", s, err))
	}
	return t
}
