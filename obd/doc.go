// Package obd receives Mobtexting's voice webhooks: the reports of
// outbound-dialler ("OBD", "Reach") and Click2Call calls, composed webhooks,
// and the one-time validation challenge. The same API is white-labelled by
// BICS CPaaS and ThunderSMS.
//
// # Reports
//
// A standard report is a JSON POST. Mobtexting's own example is not valid
// JSON (masked numbers as bare tokens, 91806828XXXX, and a trailing comma),
// so the body is read strictly first and repaired only when that fails.
// Phone numbers keep every digit and mask character, whether sent as
// strings or as JSON numbers (which are never read through float64).
// Times such as "2021-04-09 16:27:39" carry no zone and are read in
// India's (+05:30; see WithLocation). duration, billing and unixtime are
// numbers sent as strings; flow_id is a number or a string. The status is
// kept as sent: ANSWER, BUSY, NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL,
// RECEIVED, MISSED, COMPLETED, or any word Mobtexting adds.
//
// The body is read as every provider's JSON is: a key sent twice is read
// once when both values are the same JSON, and refused otherwise (null and
// "", 1 and "1" are two values); a member that is an object or an array,
// nesting deeper than 64 levels, more than 1000 distinct keys and an empty
// body are refused.
//
// # Composed webhooks
//
// Mobtexting lets you compose a webhook: the method (GET, POST or PUT), the
// format (JSON or form data) and the key names are yours, and values come
// from template variables ({{id}}, {{to}}, {{status}}, ...). [Fields] names
// your keys; a [Decoder] (or a handler WithFields) reads the query string
// and the body together into the same [Report]. A value that still holds
// template text ("{{to}}", "@{{to}}") is refused with an error that says
// so: the template used a variable Mobtexting did not fill.
//
// A body is JSON when it starts with '{' (under any Content-Type) or is
// labelled application/json, multipart form data when labelled so, and
// otherwise a form, read only under a form's label, text/plain or none,
// and only when it is "key=value" pairs. Anything else (text, XML, an
// image) is refused with 400 under every label, never acknowledged as an
// unknown webhook: acknowledging it would tell Mobtexting that a broken
// template works. A webhook with no fields at all is refused too, with
// words that say so. Text that is not UTF-8, in a key or a value, is
// refused whatever carries it.
//
// # Answer
//
// Mobtexting counts every status but 200 and 202 as a failure, so
// [NewHandler] answers exactly 200 to every accepted webhook (never 201 or
// 204). The validation challenge ({"validation_key":…,"challenge":…}) is
// answered by the handler itself, with {"challenge":"…"}, when
// WithChallengeKey names the key.
//
// # Verification
//
// Mobtexting sends a webhook's secret as "Authorization: Bearer <secret>":
// check it with telhook.BearerToken.
package obd
