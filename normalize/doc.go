// Package normalize maps every provider's events onto one model — Call,
// Message and Recording — and serves every provider from one handler.
//
// # Model
//
// An Event has a Provider ("elks", "obd", "pbx3cx", "oncall"), a Kind
// ("call", "message", "recording"), the matching Call, Message or
// Recording, and Source: the provider's own event, so that nothing it sent
// is lost. From (or Normalizer.Normalize, with a region and a 3CX zone)
// maps any event a provider package's Parse returns, and 3CX calls put
// together by pbx3cx.Tracker:
//
//	46elks      *elks.SMS, *elks.MMS → message, received
//	            *elks.DeliveryReport → message, sent / delivered / failed
//	            *elks.CallEvent → call, answered (IVR digits in Digits)
//	            *elks.Recording → recording
//	            *elks.CallEnd → call: success completed, failed failed, busy busy
//	Mobtexting  *obd.Report → call: ANSWER, COMPLETED, RECEIVED completed; NOANSWER, MISSED missed;
//	            BUSY busy; CANCEL cancelled; CONGESTION, CHANUNAVAIL failed
//	3CX         *pbx3cx.Event → call: ringing, dialing ringing; *call_started answered;
//	            an end with Finishtype Ok completed, Missed missed; recording → recording
//	            *pbx3cx.Call → call: completed, missed or answered
//	Wavix       *oncall.CallEvent → call: the state named by event_type (call_setup initiated,
//	            early_media ringing, on_call_event and transfer answered, ...)
//	            *oncall.PostCall → call: answered completed, noanswer missed, busy, failed
//
// A provider's word that maps to no state leaves State empty; ProviderState
// always keeps the word. Directions are "inbound", "outbound" or "". Times
// keep the provider's instant; zone-less ones are read in the provider's
// zone (46elks UTC, Mobtexting India, 3CX the Normalizer's Location, UTC by
// default).
//
// # Numbers
//
// Number turns what providers send into E.164 where that can be derived
// (a country code without '+', a national number with a known region,
// either as people type it: "070-123 45 67", "(765) 388-9567", "0046 70
// 123 45 67") and leaves everything else exactly as sent: extensions,
// masked numbers such as "91806828XXXX", sender names such as "TestElk".
// It is built on github.com/nyaruka/phonenumbers, which would turn letters
// into keypad digits: text with letters never reaches it. A 3CX DID that
// is a rule name ("DID-420222000320") stays as sent in Call.To: it names
// the rule that routed the call, not a number.
//
// # JSON
//
// An Event marshals to JSON for consumers in any language (the receiver in
// examples/server prints one per line; Event_message, Event_call and
// Event_recording in the examples show one of each kind in full):
//
//	{
//	  "provider": "elks" | "obd" | "pbx3cx" | "oncall",
//	  "kind": "call" | "message" | "recording",
//	  "call" | "message" | "recording": { … },   // the one kind names
//	  "source": { … }                             // the provider's own event
//	}
//
//	call       id, direction, from, to, state, provider_state (strings, always
//	           present); agent, digits, tag (strings), started_at, answered_at,
//	           ended_at (times), duration (seconds), recordings (a list of
//	           recording objects): present when known
//	message    id, direction, state (always); from, to, body, media (a list of
//	           URLs), at: when known
//	recording  call_id, url (always); duration, at: when known
//
// Times are RFC 3339 in UTC ("2021-04-09T10:57:39Z", with a fraction when
// the provider sent one); durations are seconds as a JSON number, with a
// fraction when there is one (1.5). Directions, states and kinds are the
// lower-case words of the constants in this package. "source" holds the
// provider's event with the provider's own key names (snake_case where it
// has none: "from", "message", "created" for 46elks; "start_at", "flow_id"
// for Mobtexting; "callerid", "file_urls" for 3CX; "event_time",
// "event_payload" for Wavix), times and durations written the same way,
// and its "extra" object holding what the provider sent that has no field.
//
// # One handler for all
//
// Parse recognises the provider of a request from the request alone.
// NewMux serves every provider at its own path, with its own verifier and
// the answer it expects, plus an auto-detecting path, and hands every
// event, normalized, to one function.
package normalize
