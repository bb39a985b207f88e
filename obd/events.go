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
	Source    string // "OBD" or "C2C"
	Bridge    string // the DID the call was made from
	From      string // the number the call was initiated from
	To        string // the number called; for C2C possibly an IVR flow ("flow:220")
	MID       string // the campaign's message id
	WebhookID string // the webhook's id; Mobtexting lists it but its example omits it
	// ID is the call id a composed webhook carries ({{id}}); "" in the
	// standard report, which has none.
	ID string
	// Status is the call status as sent: ANSWER, BUSY, NOANSWER, CANCEL,
	// CONGESTION, CHANUNAVAIL (Asterisk's words), RECEIVED, MISSED,
	// COMPLETED, or any other word Mobtexting sends: none is refused.
	Status   string
	Status1  string // C2C: the first leg's status
	Status2  string // C2C: the second leg's status
	HangupBy string // C2C: "caller" or "agent"
	FlowID   int    // the IVR journey; 0 when not sent
	// StartAt and EndAt are read in Mobtexting's zone (India, +05:30, unless
	// WithLocation says otherwise); zero when not sent.
	StartAt, EndAt time.Time
	Date           time.Time     // C2C: when the report was made
	UnixTime       time.Time     // C2C: "unixtime", in UTC
	Duration       time.Duration // the first leg, ring time included
	Billing        time.Duration // C2C: billable seconds of the second leg
	RecordingURL   string        // "" when the call was not recorded
	// Extra holds every field sent that has no field above, values as sent
	// (JSON numbers as their text).
	Extra map[string]string
}

// Challenge is the one-time validation request Mobtexting sends when a
// webhook is created with a validation key. A handler built WithChallengeKey
// answers it itself.
type Challenge struct {
	ValidationKey string // must equal the key you gave Mobtexting
	Challenge     string // to be echoed back as {"challenge":"…"}
	Token         string // the ?token= query parameter, when sent (the key again)
}

// Unknown is a well-formed webhook that is neither a report nor a
// challenge. It is returned together with an error matching
// telhook.ErrUnknownEvent.
type Unknown struct {
	Fields map[string]string // every field as sent
}

func (*Report) isEvent()    {}
func (*Challenge) isEvent() {}
func (*Unknown) isEvent()   {}
