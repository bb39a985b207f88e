package pbx3cx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/query"
	"github.com/telhook/telhook/internal/tolerant"
)

const provider = "pbx3cx"

// Parse reads a request from the add-on (bounded by
// telhook.DefaultMaxBodyBytes): a GET's query string with DecodeQuery, any
// other method's body with Decode. It does not check the method or verify
// the sender: NewHandler does both.
func Parse(r *http.Request) (*Event, error) {
	if r.Method == http.MethodGet {
		return DecodeQuery(r.URL.RawQuery)
	}
	body, err := core.ReadBody(r, provider)
	if err != nil {
		return nil, err
	}
	return Decode(body)
}

// Decode reads one webhook body of any dialect. The body decides which:
//
//   - a JSON object, with keys in any case (K2M's "Callerid", Creomate's
//     "callerid"). It is read strictly first; only when that fails is it
//     repaired (a missing opening quote, typographic quotes, trailing
//     commas, bare tokens) and read again. Repair never moves a value to
//     another key and never invents one.
//   - a bare recording URL (the legacy recording request): a Recording
//     event whose ID comes from the file name ("…/230102185935_18-1-1.mp3"
//     is segment "230102185935_18-1", recording 1).
//   - a query string, as DecodeQuery reads it.
//
// Anything else is a *telhook.DecodeError: the dialect is never guessed.
// So is text that is not UTF-8, in a key or a value, raw or once its
// escapes are decoded, in every dialect: an event holds text only. So is a
// key sent twice, in any case, with different values ("Event" and
// "event"): one of them would be dropped silently.
// An event of a type this package does not know is returned with an error
// matching telhook.ErrUnknownEvent.
func Decode(body []byte) (*Event, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	switch {
	case len(b) == 0:
		return nil, field.Error(provider, "", "", field.ErrEmpty)
	case b[0] == '{':
		fields, err := field.JSON(provider, b, make([]field.Field, 0, 16))
		if err != nil {
			return nil, jsonError(b, err)
		}
		return decode(fields, false)
	case bytes.HasPrefix(b, []byte("http://")) || bytes.HasPrefix(b, []byte("https://")):
		return decodeURL(string(b))
	case bytes.IndexByte(b, '=') > 0:
		return DecodeQuery(string(b))
	}
	return nil, field.Error(provider, "", string(b), errNotWebhook)
}

var errNotWebhook = errors.New("neither JSON, a query string nor a recording URL")

// DecodeQuery reads the legacy GET scheme (lowercase keys, any case
// accepted), as the add-on writes it: values are often not percent-encoded
// and hold spaces, colons, parentheses, '+' and '&'
// ("title=DID-420222000320:Answered call from 420774852629 (0:07)"). A raw
// query that is only a recording URL is read as Decode reads one.
func DecodeQuery(raw string) (*Event, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://") {
		return decodeURL(raw)
	}
	fields, err := query.Fields(provider, raw, knownKey, nil)
	if err != nil {
		return nil, err
	}
	return decode(fields, true)
}

// knownKey reports the keys of every dialect, lowercased: after a value
// that is a URL with a query of its own, only these start a new pair.
func knownKey(k string) bool {
	switch k {
	case "event", "callerid", "user", "usertype", "did", "id", "trtype", "finishtype",
		"transfer", "duration", "title", "fileurls", "files":
		return true
	}
	return false
}

// The keys of the recording URLs: K2M's FileUrls and Creomate's FILES.
const (
	fileURLs = "fileurls"
	files    = "files"
)

// urlField names the recording URLs in errors, by K2M's key: a bare URL
// has no key of its own.
const urlField = "FileUrls"

// decode reads the fields of the JSON dialect or (query) of the legacy
// GET scheme into an Event. Keys are matched in any case.
func decode(fields []field.Field, query bool) (*Event, error) {
	fields, urls, err := checkFields(fields, !query)
	if err != nil {
		return nil, err
	}
	r := field.NewReader(provider, fields).Fold()
	ev := &Event{
		Type:         eventType(r.Word("event")),
		User:         r.Word("user"),
		UserType:     r.Word("usertype"),
		DID:          r.Word("did"),
		ID:           r.Word("id"),
		TransferType: transferType(r.Word("trtype")),
		FinishType:   finishType(r.Word("finishtype")),
		Title:        r.Word("title"),
	}
	if query { // a raw '+' became a space
		ev.CallerID = strings.TrimSpace(tolerant.Phone(strings.TrimRight(r.Text("callerid"), " ")))
	} else {
		ev.CallerID = r.Word("callerid")
	}
	transfer, transferSent := r.Field("transfer")
	duration, durationSent := r.Field("duration")

	// The JSON dialect's URL lists were read by checkFields. The GET
	// scheme's are comma-separated; an empty one is kept in Extra, as it
	// always has been.
	var emptyList []field.Field
	for _, k := range [...]string{fileURLs, files} {
		f, ok := r.Field(k)
		switch {
		case !ok || !query: // absent, or read by checkFields
		case f.Value == "":
			emptyList = append(emptyList, f)
		default:
			urls = append(urls, strings.Split(f.Value, ",")...)
		}
	}

	// Refusals, in the order this decoder has always made them.
	switch {
	case ev.Type == "":
		r.Fail("event", "", field.ErrMissing)
	case ev.ID == "":
		r.Fail("id", "", field.ErrMissing)
	}
	if transferSent {
		t, err := parseBool(transfer.Value)
		if err != nil {
			r.Fail(transfer.Key, transfer.Value, err)
		}
		ev.Transfer = t
	}
	if durationSent {
		d, err := parseDuration(duration.Value)
		if err != nil {
			r.Fail(duration.Key, duration.Value, err)
		}
		ev.Duration = d
	} else if ev.IsEnd() {
		ev.Duration = titleDuration(ev.Title)
	}
	for _, u := range urls {
		if u = strings.TrimSpace(u); u != "" {
			ev.RecordingURLs = append(ev.RecordingURLs, u)
		}
	}
	if ev.Type == Recording && len(ev.RecordingURLs) == 0 {
		r.Fail(urlField, "", field.ErrMissing)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	ev.Extra = r.Extra()
	for _, f := range emptyList {
		if ev.Extra == nil {
			ev.Extra = make(map[string]string, len(emptyList))
		}
		ev.Extra[f.Key] = f.Value
	}
	if !knownType(ev.Type) {
		return ev, fmt.Errorf("pbx3cx: event %q: %w", ev.Type, telhook.ErrUnknownEvent)
	}
	return ev, nil
}

// checkFields walks fields in the order sent, and refuses at the first
// field that has a fault:
//
//   - of the JSON dialect (isJSON), an object or array that is not a list
//     of recording URLs, and a list that is none;
//   - a key sent before in another case ("Event", then "event") with a
//     different value (field.JSON refuses exact repeats already, and
//     query.Fields leaves them to its caller).
//
// A repeat with the same value is dropped, the field kept taking the key
// as last spelled, the one errors and Extra name. checkFields returns the
// fields left, in place, and the JSON dialect's recording URLs, in the
// order sent.
func checkFields(fields []field.Field, isJSON bool) ([]field.Field, []string, error) {
	var (
		urls  []string
		seen  uint64         // foldBit of every key kept
		index map[string]int // folded key → its field, for bodies of many fields
		n     int            // fields kept
	)
	if len(fields) > 32 {
		index = make(map[string]int, len(fields))
	}
	for j := range fields {
		f := fields[j]
		var fileList []string
		if isJSON {
			var err error
			switch {
			case isURLKey(f.Key):
				if fileList, err = urlList(f); err != nil {
					return nil, nil, field.Error(provider, f.Key, rawJSON(f), err)
				}
			case !f.Kind.Scalar():
				return nil, nil, field.Error(provider, f.Key, f.Value, field.ErrNotScalar)
			}
		}
		i := -1
		if index != nil {
			k := strings.Map(foldRune, f.Key)
			if at, ok := index[k]; ok {
				i = at
			} else {
				index[k] = n
			}
		} else if bit := foldBit(f.Key); seen&bit != 0 {
			for at := range n {
				if strings.EqualFold(fields[at].Key, f.Key) {
					i = at
					break
				}
			}
		} else {
			seen |= bit
		}
		if i >= 0 {
			if fields[i].Value != f.Value || fields[i].Kind != f.Kind {
				return nil, nil, field.Error(provider, f.Key, f.Value, field.ErrRepeated)
			}
			fields[i].Key = f.Key
			continue
		}
		if n != j {
			fields[n] = f
		}
		n++
		urls = append(urls, fileList...)
	}
	return fields[:n], urls, nil
}

func isURLKey(k string) bool { return strings.EqualFold(k, fileURLs) || strings.EqualFold(k, files) }

// urlList reads a list of URLs: an array of strings, or one string (or
// number or boolean); null is no list.
func urlList(f field.Field) ([]string, error) {
	switch f.Kind {
	case field.Null:
		return nil, nil
	case field.Array, field.Object:
		var list []string
		if json.Unmarshal([]byte(f.Value), &list) != nil {
			return nil, errNotURLs
		}
		return list, nil
	case field.Text:
		if f.Value == "" {
			return nil, errNotURLs
		}
	}
	return []string{f.Value}, nil
}

var errNotURLs = errors.New("not a list of URLs")

// rawJSON is the JSON f was sent as, for an error about a list of URLs
// (the text of the only string that is refused as one is "").
func rawJSON(f field.Field) string {
	if f.Kind == field.Text {
		return strconv.Quote(f.Value)
	}
	return f.Value
}

// foldBit is a bit of a 64-bit set for key, the same for every key
// strings.EqualFold matches: from its first and last letters, folded.
func foldBit(key string) uint64 {
	first, _ := utf8.DecodeRuneInString(key)
	last, _ := utf8.DecodeLastRuneInString(key)
	return 1 << (uint(foldRune(first)*7+foldRune(last)*3) & 63)
}

// foldRune maps every rune of one Unicode case-folding orbit (those
// strings.EqualFold matches: 's', 'S' and 'ſ', say) to one of them,
// lowercase for ASCII letters.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	low := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		low = min(low, f)
	}
	if 'A' <= low && low <= 'Z' {
		low += 'a' - 'A'
	}
	return low
}

// jsonError is the error of field.JSON as this decoder words it. A member
// nested too deep (which strict JSON only can be: repair refuses it) is a
// value that is not a string, or not a list of URLs, as it always was,
// quoting its start.
func jsonError(b []byte, err error) error {
	var de *telhook.DecodeError
	if errors.As(err, &de) && de.Err == field.ErrTooDeep {
		cause := field.ErrNotScalar
		if isURLKey(de.Field) {
			cause = errNotURLs
		}
		return field.Error(provider, de.Field, deepValue(b), cause)
	}
	return err
}

// deepValue returns the start of the first member's value in b, a JSON
// object, that nests deeper than field.MaxDepth levels (its object
// included): enough of it for field.Error to cut.
func deepValue(b []byte) string {
	level, start := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if level++; level == 2 {
				start = i
			}
			if level > field.MaxDepth {
				return string(b[start:min(len(b), start+4*field.MaxDepth)])
			}
		case '}', ']':
			level--
		}
	}
	return ""
}

// decodeURL reads the legacy recording request: a bare URL, whose fields
// are the event type, the URL, and the segment id its file name holds. The
// URL and the file name its escapes decode to must be UTF-8, as every
// value of the other dialects must: "…/recording/%FF%FE_1-1-1.mp3" would
// put bytes that are no text into ID.
func decodeURL(s string) (*Event, error) {
	fields, err := urlFields(s, make([]field.Field, 0, 3))
	if err != nil {
		return nil, err
	}
	r := field.NewReader(provider, fields)
	return &Event{Type: r.Text("event"), ID: r.Text("id"), RecordingURLs: []string{r.Text(urlField)}}, nil
}

// urlFields appends the fields of a bare recording URL to dst: "event"
// (Recording), urlField (the URL as sent) and, when the file name holds
// one, "id": ".../230102185935_18-1-1.mp3" is the segment id
// "230102185935_18-1", then the recording index.
func urlFields(s string, dst []field.Field) ([]field.Field, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		return dst, field.Error(provider, "", s, errNotURL)
	}
	if !utf8.ValidString(s) || !utf8.ValidString(u.Path) {
		return dst, field.Error(provider, urlField, s, field.ErrUTF8)
	}
	dst = append(dst, field.Field{Key: "event", Value: Recording}, field.Field{Key: urlField, Value: s})
	name := strings.TrimSuffix(path.Base(u.Path), path.Ext(u.Path))
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			if seg := name[:i]; strings.Contains(seg, "_") && strings.Contains(seg, "-") {
				dst = append(dst, field.Field{Key: "id", Value: seg})
			}
		}
	}
	return dst, nil
}

var errNotURL = errors.New("not a recording URL")

// The add-on's words (event types, transfer and finish types, booleans)
// are matched in any case: each switch is on string(lowered(buf, s)),
// which copies nothing.

// lowered returns the bytes of strings.ToLower(s): in buf when s is ASCII
// and fits, as the add-on's words are, without allocating.
func lowered(buf []byte, s string) []byte {
	if len(s) > len(buf) {
		return []byte(strings.ToLower(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return []byte(strings.ToLower(s))
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(s)]
}

func eventType(s string) string {
	var buf [24]byte
	switch string(lowered(buf[:], s)) {
	case "hangupincoming", "pickupincoming":
		return IncomingStarted
	case "hangupoutgoing", "pickupoutgoing":
		return OutgoingStarted
	case Ringing:
		return Ringing
	case Dialing:
		return Dialing
	case IncomingStarted:
		return IncomingStarted
	case OutgoingStarted:
		return OutgoingStarted
	case Incoming:
		return Incoming
	case Outgoing:
		return Outgoing
	case Recording:
		return Recording
	}
	return s
}

func knownType(t string) bool {
	switch t {
	case Ringing, Dialing, IncomingStarted, OutgoingStarted, Incoming, Outgoing, Recording:
		return true
	}
	return false
}

func transferType(s string) string {
	var buf [16]byte
	switch string(lowered(buf[:], s)) {
	case "notdef":
		return NotTransferred
	case "blind":
		return Blind
	case "attended", "accomp":
		return Attended
	}
	return s
}

func finishType(s string) string {
	var buf [16]byte
	switch string(lowered(buf[:], s)) {
	case "ok":
		return FinishOk
	case "missed":
		return FinishMissed
	}
	return s
}

var errBool = errors.New(`not a boolean ("True", "False", true, false, 1, 0)`)

func parseBool(s string) (bool, error) {
	var buf [16]byte
	switch string(lowered(buf[:], strings.TrimSpace(s))) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no", "":
		return false, nil
	}
	return false, errBool
}

// titleDuration reads the talk time the legacy GET scheme puts only in its
// title: "DID-420222000320:Answered call from 420774852629 (0:07)" is 7s.
// Anything else is zero: nothing is guessed from a title of another shape.
func titleDuration(title string) time.Duration {
	open := strings.LastIndexByte(title, '(')
	if open < 0 || !strings.HasSuffix(title, ")") {
		return 0
	}
	inner := title[open+1 : len(title)-1]
	if !strings.Contains(inner, ":") {
		return 0
	}
	d, err := parseDuration(inner)
	if err != nil {
		return 0
	}
	return d
}

var errDuration = errors.New(`not a duration ("mm:ss", "m:ss", "h:mm:ss" or seconds)`)

// parseDuration reads "00:14", "0:07", "1:02:03", "14" and "" (zero).
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if strings.Count(s, ":") > 2 {
		return 0, errDuration
	}
	var total int64
	for i := 0; ; i++ {
		p, rest, more := strings.Cut(s, ":")
		n, err := tolerant.Int(p)
		if err != nil || n < 0 || (i > 0 && (n > 59 || len(p) != 2)) || n > 1<<31 {
			return 0, errDuration
		}
		total = total*60 + n
		if !more {
			break
		}
		s = rest
	}
	return time.Duration(total) * time.Second, nil
}
