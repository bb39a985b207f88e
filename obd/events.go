package obd

import "time"

// Event is one decoded Mobtexting webhook: *Report, *Challenge or
// *Unknown. The set is closed.
type Event interface{ isEvent() }

// Report is the outcome of an outbound (OBD, "Reach") or Click2Call call.
//
// Strings are as sent, trimmed; phone numbers keep every digit and every
// mask character ("91806828XXXX"), and are never read as numbers.
type Report struct {
	Source    string `json:"source"`               // "OBD" or "C2C"
	Bridge    string `json:"bridge"`               // the DID the call was made from
	From      string `json:"from"`                 // the number the call was initiated from
	To        string `json:"to"`                   // the number called; for C2C possibly an IVR flow ("flow:220")
	MID       string `json:"mid"`                  // the campaign's message id
	WebhookID string `json:"webhook_id,omitempty"` // the webhook's id; Mobtexting lists it but its example omits it
	// ID is the call id a composed webhook carries ({{id}}); "" in the
	// standard report, which has none.
	ID string `json:"id,omitempty"`
	// Status is the call status as sent: ANSWER, BUSY, NOANSWER, CANCEL,
	// CONGESTION, CHANUNAVAIL (Asterisk's words), RECEIVED, MISSED,
	// COMPLETED, or any other word Mobtexting sends: none is refused.
	Status   string `json:"status"`
	Status1  string `json:"status1,omitempty"`   // C2C: the first leg's status
	Status2  string `json:"status2,omitempty"`   // C2C: the second leg's status
	HangupBy string `json:"hangup_by,omitempty"` // C2C: "caller" or "agent"
	FlowID   int    `json:"flow_id,omitempty"`   // the IVR journey; 0 when not sent
	// StartAt and EndAt are read in Mobtexting's zone (India, +05:30, unless
	// WithLocation says otherwise); zero when not sent.
	StartAt      time.Time     `json:"start_at"`
	EndAt        time.Time     `json:"end_at"`
	Date         time.Time     `json:"date"`              // C2C: when the report was made
	UnixTime     time.Time     `json:"unixtime"`          // C2C: "unixtime", in UTC
	Duration     time.Duration `json:"duration"`          // the first leg, ring time included
	Billing      time.Duration `json:"billing,omitempty"` // C2C: billable seconds of the second leg
	RecordingURL string        `json:"recording_url"`     // "" when the call was not recorded
	// Extra holds every field sent that has no field above, values as sent
	// (JSON numbers as their text).
	Extra map[string]string `json:"extra,omitempty"`
}

// Challenge is the one-time validation request Mobtexting sends when a
// webhook is created with a validation key. A handler built WithChallengeKey
// answers it itself.
type Challenge struct {
	ValidationKey string `json:"validation_key"`  // must equal the key you gave Mobtexting
	Challenge     string `json:"challenge"`       // to be echoed back as {"challenge":"…"}
	Token         string `json:"token,omitempty"` // the ?token= query parameter, when sent (the key again)
}

// Unknown is a well-formed webhook that is neither a report nor a
// challenge. It is returned together with an error matching
// telhook.ErrUnknownEvent.
type Unknown struct {
	Fields map[string]string `json:"fields"` // every field as sent
}

func (*Report) isEvent()    {}
func (*Challenge) isEvent() {}
func (*Unknown) isEvent()   {}
