package normalize

import "time"

// Provider names the provider an event came from.
type Provider string

// The providers.
const (
	Elks   Provider = "elks"   // 46elks
	OBD    Provider = "obd"    // Mobtexting OBD and Click2Call
	PBX3CX Provider = "pbx3cx" // the 3CX webhook add-on
	OnCall Provider = "oncall" // Wavix call webhooks
)

// Kind says which of Event's fields holds the event.
type Kind string

// The kinds.
const (
	KindCall      Kind = "call"
	KindMessage   Kind = "message"
	KindRecording Kind = "recording"
)

// Event is one provider event in the shared model. Exactly the field its
// Kind names is set (a 3CX recording also carries the Call it belongs to).
// Source is the provider's own event, as its package decoded it, so that
// nothing the provider sent is lost.
type Event struct {
	Provider  Provider   `json:"provider"`
	Kind      Kind       `json:"kind"`
	Call      *Call      `json:"call,omitempty"`
	Message   *Message   `json:"message,omitempty"`
	Recording *Recording `json:"recording,omitempty"`
	Source    any        `json:"source"`
}

// Directions.
const (
	Inbound  = "inbound"
	Outbound = "outbound"
)

// Call states. ProviderState keeps the provider's own word.
const (
	Initiated = "initiated"
	Ringing   = "ringing"
	Answered  = "answered"
	Completed = "completed"
	Missed    = "missed"
	Busy      = "busy"
	Failed    = "failed"
	Cancelled = "cancelled"
	Rejected  = "rejected"
)

// Message states.
const (
	Received  = "received"
	Sent      = "sent"
	Delivered = "delivered"
	// Failed is shared with the call states.
)

// Call is a call, or one step of one, in any provider's words made common.
type Call struct {
	ID            string        `json:"id"`                   // the provider's call id
	Direction     string        `json:"direction"`            // Inbound, Outbound or ""
	From          string        `json:"from"`                 // E.164 where it can be derived (see Number), else as sent
	To            string        `json:"to"`                   // likewise
	State         string        `json:"state"`                // Initiated, Ringing, ...; "" when the provider's word maps to none
	ProviderState string        `json:"provider_state"`       // the provider's own word: "ANSWER", "success", "incomingcall_started"
	Agent         string        `json:"agent,omitempty"`      // who took the call: a 3CX extension, the number 46elks connected
	Digits        string        `json:"digits,omitempty"`     // DTMF digits entered (46elks IVR, Wavix collect)
	Tag           string        `json:"tag,omitempty"`        // the caller-supplied tag (Wavix)
	StartedAt     time.Time     `json:"started_at,omitzero"`  // when the call began
	AnsweredAt    time.Time     `json:"answered_at,omitzero"` // when it was answered
	EndedAt       time.Time     `json:"ended_at,omitzero"`    // when it ended
	Duration      time.Duration `json:"duration,omitempty"`   // talk time
	Recordings    []Recording   `json:"recordings,omitempty"` // recordings known with this event
}

// Message is a text or multimedia message, or a report on one.
type Message struct {
	ID        string    `json:"id"`
	Direction string    `json:"direction"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Body      string    `json:"body,omitempty"`
	State     string    `json:"state"` // Received, Sent, Delivered or Failed
	Media     []string  `json:"media,omitempty"`
	At        time.Time `json:"at,omitzero"`
}

// Recording is a call recording.
type Recording struct {
	CallID   string        `json:"call_id"`
	URL      string        `json:"url"`
	Duration time.Duration `json:"duration,omitempty"`
	At       time.Time     `json:"at,omitzero"`
}
