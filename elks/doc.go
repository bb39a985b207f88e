// Package elks receives and answers 46elks webhooks.
//
// 46elks (46elks.com) calls your service with application/x-www-form-urlencoded
// POSTs: incoming SMS and MMS, SMS delivery reports, the steps of a live
// call (voice_start and every "next" URL, including IVR digits), finished
// recordings, and the end of a call (whenhangup). This package decodes each
// into its own type and answers the way 46elks acts on:
//
//	webhook              event             callback           answer
//	sms_url              *SMS              OnSMS              Reply: 204, text/plain reply, or JSON forward
//	mms_url              *MMS              OnMMS              204
//	whendelivered        *DeliveryReport   OnDeliveryReport   204
//	voice_start, next    *CallEvent        OnCall             Action as JSON (200), or 204 to end the call
//	record, recordcall   *Recording        OnRecording        204
//	whenhangup           *CallEnd          OnCallEnd          204
//	anything else        *Unknown          OnUnknown          204
//
// # Three levels
//
// [Decode] and [DecodeValues] read a body or parsed form without an HTTP
// request (queues, replays, tests). [Parse] reads an *http.Request. And
// [NewHandler] is the http.Handler that does everything: it refuses methods
// other than POST (405), runs the telhook.Verifier (401), reads at most the
// body limit (413), decodes (400 with the field named), drops 46elks'
// retries of webhooks already handled, calls your callback with the
// request's context, and writes the answer. A callback error or panic
// answers 500 so that 46elks retries (at least 5 times over 6 hours) —
// except on a call hook, where a non-2xx ends the call: there the action set
// with [WithFallback] is answered instead when there is one.
//
// # Telling webhooks apart
//
// 46elks does not say which webhook it is sending, so one URL can serve
// them all: the kind is read from the fields (see [Decode]). Fields the
// event has no place for are kept in its Extra map, never dropped.
//
// # Tolerance
//
// 46elks' own documentation shows timestamps in four shapes
// ("2018-07-13T13:57:23.741000", "2016-11-03 12:30:18.937464",
// "2016-02-21T0:00:00.23874", "2016-10-01T12:00:00:00.11"), all read as
// UTC; numbers sent as strings; "id" where "callid" is expected; and, from
// senders that do not escape it, a '+' turned into a space, which is
// restored in phone numbers. What cannot be read is refused with a
// *telhook.DecodeError that names the field, never guessed.
//
// # Answering calls
//
// [Connect], [Play], [IVR], [Record], [Hangup] and [URL] build the JSON
// call actions. They are validated before anything is written (E.164
// numbers, http(s) URLs, IVR ranges, where a hangup may stand) and encode
// deterministically, so an invalid action never reaches 46elks.
//
// # Verifying the sender
//
// 46elks signs nothing. Put credentials in the webhook URL
// (https://user:pass@host/elks with telhook.BasicAuth, or ?key=… with
// telhook.QueryToken) and, where your network allows, accept only 46elks'
// addresses with telhook.SourceIP and [SourceIPs].
package elks
