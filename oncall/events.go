package oncall

import "time"

// Event types (CallEvent.EventType), as Wavix spells them. The first nine
// are the documented enum; Failed and Transfer come from Wavix's node SDK,
// InCallEvent from its 2024 schema. EventType is never restricted to this
// list: a value Wavix adds later is delivered as sent.
const (
	CallSetup   = "call_setup"    // the call is being set up
	Ringing     = "ringing"       // the callee's phone rings
	EarlyMedia  = "early_media"   // audio before answer (ring-back, announcements)
	Answered    = "answered"      // the call was answered
	Completed   = "completed"     // the call ended after being answered
	Busy        = "busy"          // the callee was busy
	Cancelled   = "cancelled"     // the caller hung up before an answer
	Rejected    = "rejected"      // the callee rejected the call
	OnCallEvent = "on_call_event" // something happened inside the call: see Payload
	Failed      = "failed"        // the call failed (node SDK only)
	Transfer    = "transfer"      // the call was transferred (node SDK only)
	InCallEvent = "in_call_event" // the 2024 name of OnCallEvent, with the legacy payload
)

// Payload types (Payload.Type). The current schema has Audio and Collect;
// CollectCompleted is both the intermediate schema's type and the legacy
// in_call_event value. Other values are delivered as sent.
const (
	PayloadAudio            = "audio"             // play-audio or TTS playback; PlaybackID and Status
	PayloadCollect          = "collect"           // DTMF collect; Digits and Status
	PayloadCollectCompleted = "collect_completed" // DTMF collect, older schemas; Digits and Reason
)

// Directions, where Wavix sends one.
const (
	Inbound  = "inbound"
	Outbound = "outbound"
)

// Event is one decoded Wavix webhook: *CallEvent, *PostCall or *Unknown.
// The set is closed.
type Event interface{ isEvent() }

// CallEvent is the OnCallEvent webhook (registered with event_type
// "on-call", or a call's callback_url): a snapshot of one call, sent each
// time something happens to it. EventType names the latest thing that
// happened; events of one call may arrive out of order, so order them by
// EventTime.
//
// Every schema Wavix has published lands in these fields; see the package
// documentation for the table. Times are zero when absent or null, and are
// never checked against each other: Wavix's own example has CallAnswered two
// years before CallStarted.
type CallEvent struct {
	UUID      string `json:"uuid"`       // the call id, as used in call-control URLs
	EventType string `json:"event_type"` // CallSetup, Ringing, ..., OnCallEvent, or any newer word, trimmed
	From      string `json:"from"`       // the caller, exactly as sent: "+18045961058"
	To        string `json:"to"`         // the callee, exactly as sent: "17653889567" (Wavix often omits the '+')
	Tag       string `json:"tag"`        // the caller-supplied tag of the call, exactly as sent; "" when none
	Direction string `json:"direction"`  // Inbound, Outbound, or "" (older schemas do not send it)

	EventTime     time.Time `json:"event_time"` // when EventType happened; never zero in a decoded event
	CallStarted   time.Time `json:"call_started"`
	CallAnswered  time.Time `json:"call_answered"`  // zero while unanswered
	CallCompleted time.Time `json:"call_completed"` // "call_completed", or "call_finished" in the production docs; zero while the call lasts

	MachineDetected bool    `json:"machine_detected"` // answering-machine detection said a machine answered
	Payload         Payload `json:"event_payload"`    // what happened inside the call; the zero Payload when none was sent

	// Extra holds every top-level field that has no field above, and every
	// unknown member of event_payload under an "event_payload." path (see
	// the package documentation). Strings are unquoted, numbers kept as
	// sent, objects and arrays as compact JSON, null as "". nil when none.
	Extra map[string]string `json:"extra,omitempty"`
}

// Payload is event_payload in any of its generations:
//
//	current:       {"type":"audio","payload":{"playback_id":"…","status":"started"}}
//	               {"type":"collect","payload":{"digits":"1234","status":"completed"}}
//	intermediate:  {"type":"collect_completed","payload":{"digits":"1234","reason":"timeout"}}
//	legacy:        {"in_call_event":"collect_completed","in_call_event_data":{"digits":"1234","reason":"collected"}}
//	               {"in_call_event":"…","in_call_event_data":{"playback_id":"…"}}
//	none:          null, {}, or no event_payload at all
//
// Nothing is derived: a legacy payload has a Reason and no Status, a
// current one a Status and usually no Reason, and Type is "" when Wavix
// sent none.
type Payload struct {
	Type       string `json:"type"`                  // PayloadAudio, PayloadCollect, PayloadCollectCompleted, ... ("type", or legacy "in_call_event")
	Status     string `json:"status,omitempty"`      // "started", "completed", "failed" (current schema)
	PlaybackID string `json:"playback_id,omitempty"` // the playback of an audio payload
	Digits     string `json:"digits,omitempty"`      // the DTMF digits collected, as sent ("1234", "*9#")
	Reason     string `json:"reason,omitempty"`      // "collected" or "timeout" (intermediate and legacy schemas)
}

// PostCall is the post-call webhook (registered with event_type
// "post-call"): the billing record of a finished call.
type PostCall struct {
	UUID        string        `json:"uuid"`        // the call id, as in CallEvent.UUID
	Direction   string        `json:"direction"`   // Inbound or Outbound
	Destination string        `json:"destination"` // country or carrier (outbound), trunk, URI or number (inbound); "" when null
	Disposition string        `json:"disposition"` // "answered", "noanswer", "busy", "failed" (and the documented "all"), trimmed
	From        string        `json:"from"`        // exactly as sent, usually without '+'; "" when null
	To          string        `json:"to"`          // exactly as sent, usually without '+'; "" when null
	Duration    time.Duration `json:"duration"`    // whole seconds
	// Charge and PerMinute are USD amounts, kept as the exact decimal text
	// sent ("0.822"), whether Wavix sent a JSON string or a number: they are
	// never read into a float. "" when absent or null.
	Charge    string    `json:"charge"`
	PerMinute string    `json:"per_minute"`
	Date      time.Time `json:"date"` // zero when absent or null
	// Extra holds every field with no field above, such as the
	// undocumented "answered_by", with the same rules as CallEvent.Extra.
	Extra map[string]string `json:"extra,omitempty"`
}

// Unknown is a well-formed JSON object that is neither a CallEvent nor a
// PostCall. It is returned together with an error matching
// telhook.ErrUnknownEvent.
type Unknown struct {
	Fields map[string]string `json:"fields"` // every top-level member, with the rules of CallEvent.Extra
}

func (*CallEvent) isEvent() {}
func (*PostCall) isEvent()  {}
func (*Unknown) isEvent()   {}
