package elks

import "time"

// Event is one decoded 46elks webhook: *SMS, *MMS, *DeliveryReport,
// *CallEvent, *Recording, *CallEnd, or *Unknown. The set is closed.
type Event interface{ isEvent() }

// SMS is an incoming text message (the number's sms_url), or a reply to a
// Conversations question (its reply_url), which 46elks sends with its id as
// "sms_id" and without "to".
type SMS struct {
	ID        string    `json:"id"`        // "s" + 32 hex digits, usually ("id", or "sms_id" in a Conversations reply)
	From      string    `json:"from"`      // E.164, or an alphanumeric sender id such as "TestElk"
	To        string    `json:"to"`        // E.164: your 46elks number; "" in a Conversations reply, which does not say
	Message   string    `json:"message"`   // the text, UTF-8; may be empty
	Direction string    `json:"direction"` // "incoming"; "" when not sent (46elks' Swagger omits it)
	Created   time.Time `json:"created"`   // UTC; zero when not sent
	// Extra holds every field 46elks sent that has no field above.
	Extra map[string]string `json:"extra,omitempty"`
}

// MMS is an incoming multimedia message (the number's mms_url).
type MMS struct {
	ID        string            `json:"id"`
	From      string            `json:"from"`
	To        string            `json:"to"`
	Message   string            `json:"message"`          // may be empty
	Direction string            `json:"direction"`        // "incoming" or ""
	Images    []string          `json:"images,omitempty"` // the URLs of image, image2, image3, ... in numeric order
	Created   time.Time         `json:"created"`
	Extra     map[string]string `json:"extra,omitempty"`
}

// DeliveryReport is a delivery report for a sent SMS (its whendelivered
// URL). 46elks sends up to two per SMS: "sent", then "delivered" or "failed".
type DeliveryReport struct {
	ID        string            `json:"id"`        // the id of the SMS it reports on
	Status    string            `json:"status"`    // "sent", "delivered" or "failed", as sent
	Delivered time.Time         `json:"delivered"` // UTC; zero unless 46elks sent it (normally only with "delivered")
	Extra     map[string]string `json:"extra,omitempty"`
}

// CallEvent is a step of a live call that asks what to do next: the
// number's voice_start when a call comes in (or an outgoing call is
// answered), and every "next" URL of an action, including the digits of an
// IVR and the result of a connect, play or record. Answer it with an Action.
type CallEvent struct {
	CallID    string `json:"callid"` // "c" + 32 hex digits; taken from "id" where 46elks sends that instead
	From      string `json:"from"`
	To        string `json:"to"`
	Direction string `json:"direction"` // "incoming" or "outgoing"
	// Result is what the previous action ended with: "newincoming" on the
	// first hook; "success", "failed" or "busy" after a connect; "success"
	// or "failed" (older docs: "ok") after play and record; the digits
	// pressed after an IVR. "" when not sent.
	Result  string            `json:"result"`
	WAV     string            `json:"wav,omitempty"` // the recording's URL after a record action with next; else ""
	Created time.Time         `json:"created"`       // zero when not sent (the receive-call example omits it)
	Extra   map[string]string `json:"extra,omitempty"`
}

// Recording is a finished recording: the URL of a record action, or of
// recordcall at the end of the call. Downloading WAV needs your 46elks API
// credentials; 46elks keeps recordings for 72 hours.
type Recording struct {
	CallID    string            `json:"callid"`
	From      string            `json:"from"`
	To        string            `json:"to"`
	Direction string            `json:"direction"`
	WAV       string            `json:"wav"`
	Duration  time.Duration     `json:"duration"`
	Created   time.Time         `json:"created"` // when the recording was completed
	Extra     map[string]string `json:"extra,omitempty"`
}

// CallEnd is the whenhangup webhook, sent once a call is over.
type CallEnd struct {
	ID        string        `json:"id"` // the call id (named "id" here, "callid" elsewhere)
	From      string        `json:"from"`
	To        string        `json:"to"`
	Direction string        `json:"direction"`
	State     string        `json:"state"` // "success", "failed", "busy", ... as sent
	Created   time.Time     `json:"created"`
	Start     time.Time     `json:"start"` // when the call was picked up; may be before Created
	Duration  time.Duration `json:"duration"`
	Cost      int           `json:"cost"` // in 1/10000 of the account currency: 1500 is 0.15 SEK
	// Actions are the actions the call ran, each with its "result".
	// When 46elks sends text that is not a JSON list (its own Swagger
	// example is cut short), Actions stays nil and the text is kept in
	// Extra["actions"]; the same holds for Legs.
	Actions []map[string]any  `json:"actions,omitempty"`
	Legs    []Leg             `json:"legs,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
}

// Leg is one connected leg of a call.
type Leg struct {
	From     string        `json:"from"`
	To       string        `json:"to"`
	State    string        `json:"state"`
	Duration time.Duration `json:"duration"`
}

// Unknown is a webhook that is well-formed but none of the above. It is
// returned together with an error matching telhook.ErrUnknownEvent.
type Unknown struct {
	Fields map[string]string `json:"fields"` // every field as sent
}

func (*SMS) isEvent()            {}
func (*MMS) isEvent()            {}
func (*DeliveryReport) isEvent() {}
func (*CallEvent) isEvent()      {}
func (*Recording) isEvent()      {}
func (*CallEnd) isEvent()        {}
func (*Unknown) isEvent()        {}
