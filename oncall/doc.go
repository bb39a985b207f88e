// Package oncall receives Wavix call webhooks: OnCallEvent and post-call.
//
// # What arrives
//
// Wavix (wavix.com) POSTs one JSON object per request, as application/json,
// to the URLs registered with POST /v1/calls/webhooks (event_type "on-call"
// or "post-call") or given as a call's callback_url. Both webhooks can share
// one URL: the kind is read from the keys, and the Content-Type is not
// checked.
//
//	webhook        keys that tell it             event        callback      answer
//	on-call        event_type or event_time      *CallEvent   OnCallEvent   200
//	post-call      disposition, charge or        *PostCall    OnPostCall    200
//	               per_minute, and neither of those
//	anything else  any other JSON object         *Unknown     OnUnknown     200
//
// A CallEvent is a snapshot of the whole call, sent each time something
// happens to it; EventType names the latest thing. Wavix documents
// call_setup, ringing, early_media, answered, completed, busy, cancelled,
// rejected and on_call_event; its SDKs add failed, transfer and the 2024
// in_call_event. Any event_type, known or not, is delivered as sent and
// never refused. Events of one call may arrive out of order: order them by
// EventTime.
//
// # Generations
//
// Wavix's schema drifted, and its documentation copies disagree. Decode
// reads every published shape into the same fields:
//
//	member                 shapes accepted                                   field
//	call_completed         call_completed, or call_finished (production      CallCompleted
//	                       docs); both may be sent if they agree
//	direction              "inbound", "outbound", or absent (older schema)   Direction
//	event_payload          null, {}, or absent                               Payload{} (Type "")
//	  current (2026-)      {"type":"audio","payload":{"playback_id":…,       Type, PlaybackID, Status
//	                         "status":"started"|"completed"}}
//	                       {"type":"collect","payload":{"digits":"1234",     Type, Digits, Status
//	                         "status":"started"|"completed"|"failed"}}
//	  intermediate (2025)  {"type":"collect_completed","payload":{           Type, Digits, Reason
//	                         "digits":…,"reason":"collected"|"timeout"}}
//	  legacy (2024)        {"in_call_event":"collect_completed",             Type (the in_call_event
//	                         "in_call_event_data":{"digits":…,"reason":…}}    value), Digits, Reason
//	                       {"in_call_event":…,"in_call_event_data":          Type, PlaybackID
//	                         {"playback_id":…}}
//
// Nothing is derived from anything else: a legacy payload has a Reason and
// no Status, Type is "" when none was sent, and a payload on any event
// type is read (Wavix's own example puts an audio payload on call_setup).
// When a body carries both names of one member (type and in_call_event,
// payload and in_call_event_data, call_completed and call_finished), their
// values must agree, or the body is refused rather than one of them
// silently chosen.
//
// # Values
//
//   - from, to, tag and destination are kept exactly as sent: Wavix sends
//     numbers with and without '+' (the QA example has "+18045961058" and
//     "17653889567" side by side), and no '+' is invented.
//   - uuid, event_type, direction, disposition and the payload's type,
//     status, reason, playback_id and digits are trimmed of spaces.
//   - A number where a string belongs (an id, a phone number, digits) is
//     kept as its JSON text. charge and per_minute, strings in the docs,
//     may be JSON numbers: their text is kept exactly ("0.0270" stays
//     "0.0270"), never read through a float.
//   - duration is whole seconds, a number or a numeric string.
//   - Timestamps are RFC 3339, with or without a fraction, in any zone
//     (kept); null, "" and absent give the zero time. Their order is never
//     checked: Wavix's QA example was answered two years before it started.
//   - machine_detected is true or false, also as the strings "true" and
//     "false"; null is false.
//   - null is "" (or zero) everywhere.
//
// Members without a field of their own are kept in Extra, never dropped:
// a top-level member under its own name (the post-call's undocumented
// "answered_by", say), a member of event_payload under
// "event_payload.<name>" and a member of the inner payload under
// "event_payload.payload.<name>" (or "event_payload.in_call_event_data.<name>").
// Strings are unquoted, numbers and booleans kept as sent, objects and
// arrays as compact JSON, null as "".
//
// # Refusals
//
// The body is checked strictly with encoding/json first. Only when it is
// not valid JSON is it repaired (trailing commas, bare keys and tokens, typographic quotes, a
// byte order mark) and read again; a repair never moves a value to another
// key or invents one. Refused, with a *telhook.DecodeError whose Provider
// is "oncall" and whose Field names the member ("uuid",
// "event_payload.payload.digits", or "" for the body as a whole):
//
//   - an empty body, a body that is not JSON and cannot be repaired, and
//     JSON that is not an object;
//   - bytes that are not UTF-8 (never replaced with U+FFFD);
//   - a missing, null or blank uuid (both kinds), event_type or event_time
//     (CallEvent);
//   - a value of the wrong type (event_time: 5, an object where digits
//     belong, a payload that is a string);
//   - a timestamp that is not one, a duration that is not whole
//     non-negative seconds, a machine_detected that is not a boolean;
//   - a key repeated with different values (encoding/json would silently
//     keep the last), and two names of one member that disagree;
//   - nesting deeper than 64 levels.
//
// # The answer
//
// Wavix asks for a 200 and reads no body: calls are controlled through its
// REST API (/v1/calls/{uuid}/play, /collect, ...), never through the
// answer. [NewHandler] accepts POST only (405 otherwise), runs the
// verifier (401), reads at most the body limit (413, 64 KiB by default),
// decodes (400 with a short reason naming the field), and answers 200 to
// every webhook it accepted, known or not. A callback error or panic
// answers 500.
//
// Wavix sends no event id and documents no retries, but a webhook may well
// come twice. The handler de-duplicates a webhook by all of its fields
// (Extra included, CallStarted left out: it is the same for the whole
// call), times compared as instants, so "12:56:38Z" and "14:56:38+02:00"
// are the same; two webhooks that differ in anything are both delivered.
// Unknown webhooks are never de-duplicated.
//
// # Verification
//
// Wavix documents no signature, shared secret or source addresses. Register
// the webhook URL with a long random token in it, over HTTPS, and check it:
//
//	// registered with Wavix: https://you.example/wavix?token=<secret>
//	h := oncall.NewHandler(cb, telhook.WithVerifier(telhook.QueryToken("token", secret)))
//	http.Handle("POST /wavix", h)
//
// QueryToken compares in constant time, refuses a request without the
// token (401, before the body is read), and removes the parameter once it
// has accepted, so the secret never reaches a log or an event. A URL can
// end up in proxy logs: keep the token out of any URL you print, and
// rotate it with telhook.AnyOf(old, new) while Wavix's registration is
// updated.
package oncall
