package obdtest

import (
	"fmt"
	"time"

	"github.com/telhook/telhook/obd"
)

// Each sample is a new value: change it freely.

// Report returns the OBD ("Reach") report of Mobtexting's webhook
// documentation, masked numbers included, as obd.Parse decodes it.
func Report() *obd.Report {
	return &obd.Report{
		Source:       "OBD",
		Bridge:       "91806828XXXX",
		From:         "91891952XXXX",
		To:           "91886713XXXX",
		MID:          "1234-1333-XXXXX",
		Status:       "ANSWER",
		FlowID:       123,
		StartAt:      ist("2021-04-09 16:27:39"),
		EndAt:        ist("2021-04-09 16:27:55"),
		Duration:     23 * time.Second,
		RecordingURL: "https://youraudiofilelocation/",
	}
}

// C2CReport returns a Click2Call report with the fields of Mobtexting's
// Click2Call documentation, the call put through to an IVR flow, as
// obd.Parse decodes it.
func C2CReport() *obd.Report {
	return &obd.Report{
		Source:   "C2C",
		Bridge:   "918068281234",
		From:     "918919521234",
		To:       "flow:220",
		Status:   "COMPLETED",
		Status1:  "RECEIVED",
		Status2:  "ANSWER",
		HangupBy: "agent",
		FlowID:   220,
		StartAt:  ist("2021-04-09 16:27:39"),
		EndAt:    ist("2021-04-09 16:27:55"),
		Date:     ist("2021-04-09 16:28:01"),
		UnixTime: time.Unix(1653455555, 0).UTC(),
		Duration: 23 * time.Second,
		Billing:  12 * time.Second,
	}
}

// Challenge returns the validation challenge of Mobtexting's "verify
// webhook" documentation, without the ?token= it may carry, as obd.Parse
// decodes it.
func Challenge() *obd.Challenge {
	return &obd.Challenge{ValidationKey: "9012XXXX", Challenge: "a234qwe"}
}

// ist reads a time in Mobtexting's layout and zone.
func ist(s string) time.Time {
	t, err := time.ParseInLocation(layout, s, obd.India())
	if err != nil {
		panic(fmt.Sprintf("obdtest: sample time %q: %v", s, err))
	}
	return t
}
