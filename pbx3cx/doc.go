// Package pbx3cx receives the webhooks of the 3CX "WebhooksApi" add-on
// (K2M Software, derived from Creomate's 3CX WebAPI), and turns their
// scattered events back into whole calls.
//
// The add-on reports every step of a call as its own request:
//
//	ringing                 an IVR, queue, ring group or extension rings
//	dialing                 an extension dials out
//	incomingcall_started    an agent answers (legacy: hangupincoming, pickupincoming)
//	outgoingcall_started    the callee answers (legacy: hangupoutgoing, pickupoutgoing)
//	incoming, outgoing      the call, or one answered segment of it, ends
//	recording               a recording is ready
//
// All of them decode into one [Event]. Its ID, such as "230307142318_40-2",
// is the call ([Event.CallID], "230307142318_40") and the segment
// ([Event.Segment], 2): 0 while it rings, 1 for the first answer, 2 and up
// for each transfer.
//
// # Dialects
//
// The add-on family writes four dialects, and [Decode] reads them all:
// JSON with K2M's PascalCase keys, JSON with Creomate's lowercase keys (any
// key case is accepted, and unknown keys such as chid or phonebook are kept
// in Extra), the legacy GET query string, and the legacy recording request
// that is nothing but a URL. JSON is read strictly first; only when that
// fails is it repaired (a missing opening quote, typographic quotes, stray
// commas) — repair never moves or invents a value. Query strings are read
// as the add-on writes them, unescaped: spaces, colons, parentheses, '+'
// and '&' stay inside their value.
//
// # Whole calls
//
// [Tracker] collects the events of each call (in any order, duplicates
// included) and emits one [Call] when the call is over: its path through
// IVR, queue and ring group, every answered segment with its agent and talk
// time, transfers, whether it was missed, and every recording. A Call is a
// pure function of the set of its events ([BuildCall]). The open calls
// live in a [CallStore]: in memory by default, or shared by the Trackers
// of several instances of a receiver ([WithCallStore]), which then emit
// each call whole, at least once (consumers de-duplicate on Call.ID).
//
// # Handler
//
// [NewHandler] accepts GET and POST, answers 200, and hands each event to
// OnEvent (or OnUnknown for a type it does not know). The add-on has no
// authentication: put a secret in WEBHOOK_URL (?key=…) and check it with
// telhook.QueryToken, and allow only the PBX's address with
// telhook.SourceIP.
package pbx3cx
