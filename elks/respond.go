package elks

import "errors"

// ErrInvalidAction is matched (with [errors.Is]) by every error about an
// answer that cannot be sent to 46elks: an [Action] returned for a call hook
// or a [Reply] returned for an incoming SMS. The message names where in the
// action tree the problem is and which field, for example
//
//	elks: invalid action: connect.busy.play: sound "ftp://x" is not an http(s) URL
//
// An invalid answer is never written to 46elks.
var ErrInvalidAction = errors.New("elks: invalid action")

// maxDepth is how many actions deep an answer may nest, counting the first
// action and a URL at the end of a branch. It stops a tree that loops back on
// itself (through a shared IVR.Options map or a pointer) from recursing forever.
const maxDepth = 32

// Action is an instruction for a live call, returned from a call hook
// (voice_start, or any later next, busy, failed or IVR URL). 46elks reads it as
// one JSON object keyed by its verb, such as {"connect":"+46…","busy":{…}}.
//
// Action is sealed: it is implemented only by [Connect], [Play], [IVR],
// [Record], [Hangup] and [URL] (and pointers to them, which are read as the
// value they point to; a nil pointer is a nil Action). Actions are validated
// before they are written: an invalid one is reported as an error matching
// [ErrInvalidAction] and never sent. The JSON is deterministic: keys are
// written in a fixed order and zero-valued options are left out, so 46elks
// uses its defaults for them.
//
// Branches (Busy, Failed, Next, IVR options) hold another Action; a nil
// branch is left out. A [URL] is only valid as a branch: it tells 46elks to
// fetch the next action from that address.
type Action interface{ isAction() }

// Connect forwards the call to one or more numbers (the "connect" action).
//
// The outcome picks how the call continues: Busy when the called party is
// busy, Failed when the call could not be connected (for example nobody
// answered within Timeout), otherwise Next. When a branch is a [URL], 46elks
// posts the outcome ("success", "busy" or "failed") there as the result of a
// [CallEvent].
type Connect struct {
	// To is the E.164 number to call, such as "+46704508449", or a
	// comma-separated list of them ("+46704508449,+46704508450"), which
	// all ring at the same time; the first to answer takes the call. Required.
	// Spaces around the commas are accepted; To is sent as given.
	To string
	// CallerID is the E.164 number shown to the called party. Empty shows
	// the number of the caller.
	CallerID string
	// Timeout is how many seconds to ring before giving up, which leads to
	// Failed. 0 leaves the 46elks default.
	Timeout int
	// Busy runs when the called party is busy.
	Busy Action
	// Failed runs when the call could not be connected or was not answered.
	Failed Action
	// Next runs after the connected call, and for an outcome whose own
	// branch is nil.
	Next Action
	// WhenHangup is an http(s) URL that 46elks posts a call-end report to
	// ([CallEnd]) when the call is over.
	WhenHangup string
	// RecordCall is an http(s) URL that receives a recording of the whole
	// connected call ([Recording]) when the call ends.
	RecordCall string
}

// Play plays a sound to the caller (the "play" action), then continues with
// Next.
type Play struct {
	// Sound is what to play. Required. It is an http(s) URL of an audio file
	// (wav or mp3), or a 46elks resource: "sound/beep", DTMF tones such as
	// "sound/dtmf/123p4" (p pauses), or text to speech (a beta) such as
	// "en_US/Hello there".
	Sound string
	// Skippable lets the caller cut the sound short by pressing a key.
	Skippable bool
	// Next runs when the sound has finished (or was skipped). When it is a
	// URL, 46elks posts the result ("success" or "failed") there.
	Next Action
}

// IVR plays a menu and reads the digits the caller presses (the "ivr"
// action).
type IVR struct {
	// Prompt is the menu to play, in the same forms as [Play].Sound: an
	// http(s) URL or a 46elks resource ("sound/…", "en_US/…"). Required.
	Prompt string
	// Digits is how many digits to read. 0 leaves the 46elks default, 1.
	Digits int
	// Timeout is how many seconds to wait for input, 1 to 30. 0 leaves the
	// 46elks default, 10.
	Timeout int
	// Repeat is how many times the prompt is played while the caller
	// presses nothing. 0 leaves the 46elks default, 3.
	Repeat int
	// Options maps what the caller pressed ("1", "2", …; at most Digits
	// characters of 0-9, * and #) to the action that follows. An option
	// that is a [URL] is fetched from there; a nil option is left out.
	Options map[string]Action
	// Next runs when the input matches no option. When it is a URL, 46elks
	// posts the digits pressed there as the result of a [CallEvent].
	Next Action
}

// Record records what the caller says (the "record" action), for example a
// voicemail, then continues with Next.
type Record struct {
	// To is where the recording goes: an http(s) URL that 46elks posts a
	// [Recording] to when the recording ends, or "local/<name>" to keep it
	// in 46elks' own storage. Required.
	To string
	// TimeLimit is the longest recording in seconds. 0 leaves the 46elks
	// default, 120.
	TimeLimit int
	// SilenceDetection ends the recording when the caller stops talking.
	SilenceDetection bool
	// Next runs after the recording.
	Next Action
}

// Hangup ends the call (the "hangup" action). Nothing can follow it.
type Hangup struct {
	// Reason is how the call is ended: "busy" (the caller hears a busy
	// tone), "reject" (the call is rejected) or "404" (the number does not
	// exist). Required. Only "reject" is accepted by 46elks when Hangup is
	// not the first action of the answer, that is anywhere in a branch.
	Reason string
}

// URL is an absolute http(s) URL that 46elks fetches the next action from,
// posting the outcome of the previous one (a [CallEvent] with Result). It is
// only valid as a branch (Busy, Failed, Next or an IVR option), where it is
// written as a plain JSON string; as the whole answer it is an error.
type URL string

// Reply is the answer to an incoming SMS. The zero Reply sends nothing
// (HTTP 204). At most one field may be set.
type Reply struct {
	// Text is sent back to the sender as a reply SMS (the answer body, as
	// text/plain). It must be valid UTF-8. A text that begins with '{' or
	// '[' is sent as the JSON SMS action {"reply":"…"} instead, so that
	// 46elks cannot mistake it for an action of its own.
	Text string
	// Forward is an E.164 number the incoming message is forwarded to
	// (answered as {"forward":"+46…"}).
	Forward string
}

func (Connect) isAction() {}
func (Play) isAction()    {}
func (IVR) isAction()     {}
func (Record) isAction()  {}
func (Hangup) isAction()  {}
func (URL) isAction()     {}

// MarshalJSON validates c as the first action of an answer and returns the
// 46elks JSON for it. Errors match [ErrInvalidAction].
func (c Connect) MarshalJSON() ([]byte, error) { return encodeAction(c) }

// MarshalJSON validates p as the first action of an answer and returns the
// 46elks JSON for it. Errors match [ErrInvalidAction].
func (p Play) MarshalJSON() ([]byte, error) { return encodeAction(p) }

// MarshalJSON validates v as the first action of an answer and returns the
// 46elks JSON for it, options ordered by key. Errors match [ErrInvalidAction].
func (v IVR) MarshalJSON() ([]byte, error) { return encodeAction(v) }

// MarshalJSON validates r as the first action of an answer and returns the
// 46elks JSON for it. Errors match [ErrInvalidAction].
func (r Record) MarshalJSON() ([]byte, error) { return encodeAction(r) }

// MarshalJSON validates h as the first action of an answer and returns the
// 46elks JSON for it. Errors match [ErrInvalidAction].
func (h Hangup) MarshalJSON() ([]byte, error) { return encodeAction(h) }
