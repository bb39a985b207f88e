package pbx3cx

import (
	"strconv"
	"strings"
	"time"
)

// Event types, as the current add-on names them. Legacy names are mapped
// onto these when decoding: "hangupincoming" and "pickupincoming" become
// IncomingStarted, "hangupoutgoing" and "pickupoutgoing" OutgoingStarted.
const (
	Ringing         = "ringing"              // an IVR, queue, ring group or extension rings (segment 0), or a transfer target rings
	Dialing         = "dialing"              // an extension dials out (segment 0)
	IncomingStarted = "incomingcall_started" // an agent answers an inbound call, or takes it over by transfer
	OutgoingStarted = "outgoingcall_started" // the callee answers an outbound call
	Incoming        = "incoming"             // an inbound call, or one answered segment of it, ends
	Outgoing        = "outgoing"             // an outbound call, or one answered segment of it, ends
	Recording       = "recording"            // a recording is ready
)

// Transfer types (Trtype). Creomate's "Accomp" (accompanied) is Attended.
const (
	NotTransferred = "NotDef"
	Blind          = "Blind"
	Attended       = "Attended"
)

// Finish types (Finishtype), with the case made canonical ("OK" is Ok).
const (
	FinishOk     = "Ok"
	FinishMissed = "Missed"
)

// Event is one webhook of the 3CX add-on, from any of its dialects: K2M's
// JSON with PascalCase keys, Creomate's lowercase JSON, the legacy GET
// query string, or the legacy request that is only a recording URL.
//
// String values are trimmed; Type, TransferType and FinishType use the
// constants above. Fields the add-on did not send are zero.
type Event struct {
	Type         string `json:"event"`                // Ringing, Dialing, IncomingStarted, ...
	CallerID     string `json:"callerid"`             // the external party: "05552221133", "420774852629", or a word such as "MAKECALL", as sent
	User         string `json:"user"`                 // the extension, queue or IVR number the event is about
	UserType     string `json:"usertype,omitempty"`   // "ext", "queue" or "other", on ringing events
	DID          string `json:"did"`                  // the inbound DID or its rule name ("DID-420222000320"); "" when none
	ID           string `json:"id"`                   // "230307142318_40-2": the call id and, after the last '-', the segment
	TransferType string `json:"trtype,omitempty"`     // NotTransferred, Blind or Attended, on *call_started events
	FinishType   string `json:"finishtype,omitempty"` // FinishOk or FinishMissed, on end events
	Title        string `json:"title,omitempty"`      // a human description (legacy GET scheme), kept as sent
	Transfer     bool   `json:"transfer"`             // on end events: the segment ended by a transfer
	// Duration is the talk time of the segment on end events ("00:14",
	// "0:07"); zero for a missed call. The legacy GET scheme has no such
	// field: there it is read from the end of the title, "… (0:07)".
	Duration time.Duration `json:"duration"`
	// RecordingURLs are the recordings of the segment: FileUrls (K2M),
	// FILES (Creomate) or the bare URL of the legacy recording request.
	RecordingURLs []string `json:"file_urls,omitempty"`
	// Extra holds every field sent that has no field above (chid,
	// inbound_did, phonebook, call_id1, ...), values as sent.
	Extra map[string]string `json:"extra,omitempty"`
}

// CallID returns the id shared by every event of one call: ID without its
// "-N" segment ("230307142318_40-2" → "230307142318_40").
func (e *Event) CallID() string {
	base, _ := splitID(e.ID)
	return base
}

// Segment returns the segment number of ID: 0 for the ringing (or
// dialing) phase and for a call nobody answered, 1 for the first answered
// talk, 2 and up for segments created by transfers. It returns -1 when ID
// has no numeric segment.
func (e *Event) Segment() int {
	_, seg := splitID(e.ID)
	return seg
}

func splitID(id string) (string, int) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return id, -1
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil || n < 0 || id[i+1] == '+' {
		return id, -1
	}
	return id[:i], n
}

// IsEnd reports whether the event ends a call or one of its segments.
func (e *Event) IsEnd() bool { return e.Type == Incoming || e.Type == Outgoing }

// IsStart reports whether the event is an answer (a talk segment begins).
func (e *Event) IsStart() bool { return e.Type == IncomingStarted || e.Type == OutgoingStarted }

// Outbound reports whether the event belongs to a call placed by an
// extension (dialing, outgoingcall_started, outgoing).
func (e *Event) Outbound() bool {
	return e.Type == Dialing || e.Type == OutgoingStarted || e.Type == Outgoing
}
