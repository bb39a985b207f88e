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
// # One handler for all
//
// Parse recognises the provider of a request from the request alone.
// NewMux serves every provider at its own path, with its own verifier and
// the answer it expects, plus an auto-detecting path, and hands every
// event, normalized, to one function.
package normalize
