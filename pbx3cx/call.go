package pbx3cx

import "time"

// Call is one call, rebuilt from all of its events (see [BuildCall]) and
// emitted by a [Tracker] once it is over.
type Call struct {
	// ID is the 3CX call id, Event.CallID() ("230307142318_40").
	ID string `json:"id"`
	// Aliases are the other call ids whose events were adopted into this
	// call (the add-on sometimes reports an answer or an end under another
	// call's id), sorted. Nil when there were none.
	Aliases []string `json:"aliases,omitempty"`
	// Direction is "outbound" when any event is dialing,
	// outgoingcall_started or outgoing, else "inbound".
	Direction string `json:"direction"`
	// CallerID is the external party as sent: the caller of an inbound
	// call, the dialled number of an outbound one. When the events disagree
	// (an outgoingcall_started carrying "MAKECALL"), it is the value most
	// of the segment-0 events carry, else the value most events carry.
	CallerID string `json:"callerid"`
	// DID is the inbound DID (or its rule name), chosen like CallerID.
	DID string `json:"did"`
	// Dialer is the extension that dialled an outbound call (the User of
	// its dialing events); "" for inbound calls.
	Dialer string `json:"dialer,omitempty"`
	// Path is where the call rang before it was answered: the IVRs,
	// queues, ring group members and extensions of the segment-0 ringing
	// events, without duplicates, in a fixed order (see BuildCall).
	Path []Hop `json:"path,omitempty"`
	// Segments are the answered talk segments, by segment number.
	Segments []Segment `json:"segments,omitempty"`
	// Transfers are the blind and attended transfers, by segment.
	Transfers []Transfer `json:"transfers,omitempty"`
	// Answered reports whether some segment was answered.
	Answered bool `json:"answered"`
	// Missed reports whether nobody answered and the call ended (an end
	// event with FinishType Missed).
	Missed bool `json:"missed"`
	// TalkTime is the sum of the segments' Duration.
	TalkTime time.Duration `json:"talk_time"`
	// RecordingURLs are all the recordings of the call, sorted by segment
	// then URL, without duplicates.
	RecordingURLs []string `json:"recording_urls,omitempty"`
	// Complete reports whether the call was over when it was emitted (see
	// BuildCall and Tracker); false when the quiet period, the open-call
	// limit or Flush emitted it before its end events were in.
	Complete bool `json:"complete"`
	// Events is the number of distinct events the call was rebuilt from,
	// including those a Tracker counted but did not keep, beyond the
	// per-call limits of events and bytes (see Tracker).
	Events int `json:"events"`
	// FirstSeen and LastSeen are the arrival times, on the clock of the
	// Tracker's CallStore, of the call's first and last distinct events;
	// zero from BuildCall.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Hop is one place a call rang: the User and UserType of a ringing event.
type Hop struct {
	User     string `json:"user"`     // the IVR, queue or extension number ("800", "820", "202")
	UserType string `json:"usertype"` // "other" (IVR), "queue" or "ext", as sent
}

// Segment is one answered stretch of talk: segment 1 is the first answer,
// 2 and up were created by transfers.
type Segment struct {
	Number       int    `json:"number"`
	Agent        string `json:"agent"`      // the extension that talked: User of the start event, else of the end or recording
	TransferType string `json:"trtype"`     // NotTransferred, Blind or Attended (the start event's Trtype)
	FinishType   string `json:"finishtype"` // FinishOk or FinishMissed, from the end event
	Transfer     bool   `json:"transfer"`   // the end event says the segment ended by a transfer
	// Duration is the talk time from the end event. The legacy GET scheme
	// sends none (only a title such as "… (0:07)"), so it stays zero there.
	Duration      time.Duration `json:"duration"`
	RecordingURLs []string      `json:"recording_urls,omitempty"` // sorted, without duplicates
	Ended         bool          `json:"ended"`                    // an end event for the segment was received
}

// Transfer is one blind or attended transfer.
type Transfer struct {
	Type    string `json:"type"`    // Blind or Attended
	From    string `json:"from"`    // the agent of the highest answered segment below Segment
	To      string `json:"to"`      // the agent who took the call over
	Segment int    `json:"segment"` // the segment the transfer created
}
