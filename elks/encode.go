package elks

// The validation and the JSON of the answers declared in respond.go: one
// pass over an action tree that checks each node and writes it, so that an
// invalid answer is never written, and errors that name their place in the
// tree.

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// encodeAction validates a as the first action of a call-hook answer and
// returns its JSON.
func encodeAction(a Action) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 512)}
	if err := e.action(a, true); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// encodeReply returns the HTTP answer to an incoming SMS: status 204 and no
// body for the zero Reply; 200 text/plain; charset=utf-8 with Text as body;
// 200 application/json {"forward":"+46..."} for Forward.
func encodeReply(r Reply) (status int, contentType string, body []byte, err error) {
	switch {
	case r.Text != "" && r.Forward != "":
		return 0, "", nil, fmt.Errorf("%w: reply: text and forward are both set", ErrInvalidAction)
	case r.Forward != "":
		if !isE164(r.Forward) {
			return 0, "", nil, fmt.Errorf("%w: reply: forward %s is not an E.164 number", ErrInvalidAction, quote(r.Forward))
		}
		b := make([]byte, 0, len(`{"forward":""}`)+len(r.Forward))
		b = append(b, `{"forward":`...)
		b = appendString(b, r.Forward)
		b = append(b, '}')
		return 200, "application/json", b, nil
	case r.Text != "":
		if !utf8.ValidString(r.Text) {
			return 0, "", nil, fmt.Errorf("%w: reply: text is not valid UTF-8", ErrInvalidAction)
		}
		if t := strings.TrimLeft(r.Text, " \t\r\n"); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			b := make([]byte, 0, len(`{"reply":""}`)+len(r.Text))
			b = append(b, `{"reply":`...)
			b = appendString(b, r.Text)
			return 200, "application/json", append(b, '}'), nil
		}
		return 200, "text/plain; charset=utf-8", []byte(r.Text), nil
	default:
		return 204, "", nil, nil
	}
}

// encoder validates an action tree and writes it as JSON in one pass. Each
// node's own fields are checked before its object is started; on any error
// the buffer is dropped, so nothing of an invalid tree is ever returned.
//
// The object methods (open, str, num, yes, flag, branch, close) form a small
// ordered-object builder: open writes '{' and the verb, which every action
// has, so every later key is simply preceded by ','. Zero values are left out.
//
// An error is a *pathError; its path is collected while the recursion
// unwinds (action adds the verb, branch the key), so a valid tree costs
// nothing for it.
type encoder struct {
	buf   []byte
	depth int
}

// action writes a. first is true for the top-level action of the answer.
func (e *encoder) action(a Action, first bool) error {
	a = deref(a)
	if a == nil {
		// Nil branches are skipped by branch, so this is the top level.
		return invalidf("no action (nil)")
	}
	if e.depth >= maxDepth {
		return invalidf("actions nested more than %d deep", maxDepth)
	}
	e.depth++
	var err error
	switch v := a.(type) {
	case Connect:
		err = e.connect(v)
	case Play:
		err = e.play(v)
	case IVR:
		err = e.ivr(v)
	case Record:
		err = e.record(v)
	case Hangup:
		err = e.hangup(v, first)
	case URL:
		err = e.url(v, first)
	default:
		err = invalidf("unsupported action type %T", a)
	}
	e.depth--
	if err != nil {
		if verb := verbOf(a); verb != "" {
			err = at(err, verb)
		}
	}
	return err
}

// verbOf returns the key that an action object starts with, "" for a URL.
func verbOf(a Action) string {
	switch a.(type) {
	case Connect:
		return "connect"
	case Play:
		return "play"
	case IVR:
		return "ivr"
	case Record:
		return "record"
	case Hangup:
		return "hangup"
	}
	return ""
}

// deref reads a pointer to an action as the action it points to.
func deref(a Action) Action {
	switch v := a.(type) {
	case *Connect:
		if v != nil {
			return *v
		}
	case *Play:
		if v != nil {
			return *v
		}
	case *IVR:
		if v != nil {
			return *v
		}
	case *Record:
		if v != nil {
			return *v
		}
	case *Hangup:
		if v != nil {
			return *v
		}
	case *URL:
		if v != nil {
			return *v
		}
	default:
		return a
	}
	return nil
}

func (e *encoder) connect(c Connect) error {
	if c.To == "" {
		return invalidf("to is required")
	}
	for part := range strings.SplitSeq(c.To, ",") {
		if p := strings.Trim(part, " \t"); !isE164(p) {
			return invalidf("to %s is not an E.164 number or a comma-separated list of them", quote(p))
		}
	}
	if c.CallerID != "" && !isE164(c.CallerID) {
		return invalidf("callerid %s is not an E.164 number", quote(c.CallerID))
	}
	if c.Timeout < 0 {
		return invalidf("timeout %d is negative", c.Timeout)
	}
	if err := e.checkURL("whenhangup", c.WhenHangup); err != nil {
		return err
	}
	if err := e.checkURL("recordcall", c.RecordCall); err != nil {
		return err
	}
	e.open("connect", c.To)
	e.str("callerid", c.CallerID)
	e.num("timeout", c.Timeout)
	if err := e.branch("busy", c.Busy); err != nil {
		return err
	}
	if err := e.branch("failed", c.Failed); err != nil {
		return err
	}
	if err := e.branch("next", c.Next); err != nil {
		return err
	}
	e.str("whenhangup", c.WhenHangup)
	e.str("recordcall", c.RecordCall)
	e.close()
	return nil
}

func (e *encoder) play(p Play) error {
	if err := e.checkSound("sound", p.Sound); err != nil {
		return err
	}
	e.open("play", p.Sound)
	e.flag("skippable", p.Skippable)
	if err := e.branch("next", p.Next); err != nil {
		return err
	}
	e.close()
	return nil
}

func (e *encoder) ivr(v IVR) error {
	if err := e.checkSound("prompt", v.Prompt); err != nil {
		return err
	}
	if v.Digits < 0 {
		return invalidf("digits %d is negative", v.Digits)
	}
	if v.Timeout < 0 || v.Timeout > 30 {
		return invalidf("timeout %d is not between 1 and 30 seconds", v.Timeout)
	}
	if v.Repeat < 0 {
		return invalidf("repeat %d is negative", v.Repeat)
	}
	// Sorted keys give deterministic output and deterministic errors.
	var keyArr [12]string
	keys := keyArr[:0]
	for k := range v.Options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	maxLen := max(v.Digits, 1)
	for _, k := range keys {
		if !isOptionKey(k) {
			return invalidf("option %s is not made of the keys 0-9, * and #", quote(k))
		}
		if len(k) > maxLen {
			return invalidf("option %s is longer than digits (%d)", quote(k), maxLen)
		}
	}
	e.open("ivr", v.Prompt)
	e.num("digits", v.Digits)
	e.num("timeout", v.Timeout)
	e.num("repeat", v.Repeat)
	for _, k := range keys {
		if err := e.branch(k, v.Options[k]); err != nil {
			return err
		}
	}
	if err := e.branch("next", v.Next); err != nil {
		return err
	}
	e.close()
	return nil
}

func (e *encoder) record(r Record) error {
	switch {
	case r.To == "":
		return invalidf("to is required")
	case isLocal(r.To), isHTTPURL(r.To):
	default:
		return invalidf("to %s is neither an http(s) URL nor local/<name>", quote(r.To))
	}
	if r.TimeLimit < 0 {
		return invalidf("timelimit %d is negative", r.TimeLimit)
	}
	e.open("record", r.To)
	e.num("timelimit", r.TimeLimit)
	e.yes("silencedetection", r.SilenceDetection)
	if err := e.branch("next", r.Next); err != nil {
		return err
	}
	e.close()
	return nil
}

func (e *encoder) hangup(h Hangup, first bool) error {
	switch h.Reason {
	case "":
		return invalidf("reason is required")
	case "busy", "reject", "404":
	default:
		return invalidf(`reason %s is not "busy", "reject" or "404"`, quote(h.Reason))
	}
	if !first && h.Reason != "reject" {
		return invalidf(`reason %s: only "reject" is allowed when hangup is not the first action`, quote(h.Reason))
	}
	e.open("hangup", h.Reason)
	e.close()
	return nil
}

func (e *encoder) url(u URL, first bool) error {
	if first {
		return at(invalidf("a URL is only valid as a branch (busy, failed, next or an IVR option)"), "url")
	}
	if !isHTTPURL(string(u)) {
		return invalidf("url %s is not an http(s) URL", quote(string(u)))
	}
	e.buf = appendString(e.buf, string(u))
	return nil
}

// checkURL reports an error unless s is empty or an http(s) URL.
func (e *encoder) checkURL(field, s string) error {
	if s != "" && !isHTTPURL(s) {
		return invalidf("%s %s is not an http(s) URL", field, quote(s))
	}
	return nil
}

// checkSound validates a Play.Sound or IVR.Prompt.
func (e *encoder) checkSound(field, s string) error {
	switch {
	case s == "":
		return invalidf("%s is required", field)
	case strings.Contains(s, "://"):
		if !isHTTPURL(s) {
			return invalidf("%s %s is not an http(s) URL", field, quote(s))
		}
	case !isResource(s):
		return invalidf("%s %s is neither an http(s) URL nor a 46elks resource such as sound/beep or en_US/text", field, quote(s))
	}
	return nil
}

// Ordered-object builder.

// open starts an action object with its verb.
func (e *encoder) open(verb, value string) {
	e.buf = append(e.buf, '{')
	e.buf = appendString(e.buf, verb)
	e.buf = append(e.buf, ':')
	e.buf = appendString(e.buf, value)
}

// key writes the separator and key of the next member.
func (e *encoder) key(k string) {
	e.buf = append(e.buf, ',')
	e.buf = appendString(e.buf, k)
	e.buf = append(e.buf, ':')
}

// str writes a string member unless v is empty.
func (e *encoder) str(k, v string) {
	if v != "" {
		e.key(k)
		e.buf = appendString(e.buf, v)
	}
}

// num writes a number member unless v is 0.
func (e *encoder) num(k string, v int) {
	if v != 0 {
		e.key(k)
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	}
}

// flag writes true when v is set.
func (e *encoder) flag(k string, v bool) {
	if v {
		e.key(k)
		e.buf = append(e.buf, "true"...)
	}
}

// yes writes the string "yes" when v is set (46elks' own boolean form for
// some options).
func (e *encoder) yes(k string, v bool) {
	if v {
		e.key(k)
		e.buf = append(e.buf, `"yes"`...)
	}
}

// branch writes a nested action unless it is nil.
func (e *encoder) branch(k string, a Action) error {
	if a = deref(a); a == nil {
		return nil
	}
	e.key(k)
	if err := e.action(a, false); err != nil {
		return at(err, k)
	}
	return nil
}

// close ends the object opened last.
func (e *encoder) close() {
	e.buf = append(e.buf, '}')
}

// pathError is an invalid action: where it is in the tree and what is wrong.
// It matches ErrInvalidAction.
type pathError struct {
	rpath []string // verbs and branch keys, innermost first
	msg   string
}

// Error reads like `elks: invalid action: connect.busy.play: sound "ftp://x" is not an http(s) URL`.
func (p *pathError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidAction.Error())
	b.WriteString(": ")
	for i := len(p.rpath) - 1; i >= 0; i-- {
		b.WriteString(p.rpath[i])
		if i > 0 {
			b.WriteByte('.')
		} else {
			b.WriteString(": ")
		}
	}
	b.WriteString(p.msg)
	return b.String()
}

// Unwrap makes every path error match ErrInvalidAction.
func (p *pathError) Unwrap() error { return ErrInvalidAction }

// invalidf returns a *pathError for the node being written; the callers add
// the path as the error travels up.
func invalidf(format string, args ...any) error {
	return &pathError{msg: fmt.Sprintf(format, args...)}
}

// at adds the path element s (the enclosing verb or branch key) to err.
func at(err error, s string) error {
	if p, ok := err.(*pathError); ok {
		p.rpath = append(p.rpath, s)
	}
	return err
}

// Validation helpers.

// isE164 reports whether s is '+' and 2 to 15 digits, the first one 1-9.
func isE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	if !utf8.ValidString(s) || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
}

// isResource reports whether s looks like a 46elks resource such as
// "sound/beep", "sound/dtmf/123p4" or a TTS value "en_US/Hello there": no
// "://", a non-empty part before the first '/' and a non-empty rest.
func isResource(s string) bool {
	if !utf8.ValidString(s) || strings.Contains(s, "://") {
		return false
	}
	i := strings.IndexByte(s, '/')
	return i > 0 && i < len(s)-1
}

// isLocal reports whether s is "local/<name>" with a non-empty name.
func isLocal(s string) bool {
	name, ok := strings.CutPrefix(s, "local/")
	return ok && name != "" && utf8.ValidString(name)
}

// isOptionKey reports whether k is a non-empty string of 0-9, * and #.
func isOptionKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; (c < '0' || c > '9') && c != '*' && c != '#' {
			return false
		}
	}
	return true
}

// quote quotes s for an error message, cut to 64 bytes.
func quote(s string) string {
	const limit = 64
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// appendString appends s as a JSON string. Only what JSON requires is
// escaped ('"', '\\' and control characters), plus U+2028 and U+2029 as
// encoding/json does; '<', '>', '&', '+' and '/' are written as they are.
// Invalid UTF-8 (rejected by validation before this point) becomes U+FFFD.
//
// It is hand-written because it pays: for the strings of one answer it
// takes about 85 ns and no allocation, encoding/json (an Encoder with HTML
// escaping off, which keeping '&' in URLs needs) about 570 ns and 3
// allocations (go test -run '^$' -bench AppendString -benchmem -count 5
// ./elks), a quarter of what encoding a whole answer costs. FuzzAppendString
// checks it against encoding/json.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
