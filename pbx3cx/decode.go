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
	"unicode/utf8"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/internal/jsonobj"
	"github.com/telhook/telhook/internal/query"
	"github.com/telhook/telhook/internal/tolerant"
	"github.com/telhook/telhook/internal/wire"
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
//     "callerid"). It is read with encoding/json first; only when that
//     fails is it repaired (a missing opening quote, typographic quotes,
//     trailing commas, bare tokens) and read again. Repair never moves a
//     value to another key and never invents one.
//   - a bare recording URL (the legacy recording request): a Recording
//     event whose ID comes from the file name ("…/230102185935_18-1-1.mp3"
//     is segment "230102185935_18-1", recording 1).
//   - a query string, as DecodeQuery reads it.
//
// Anything else is a *telhook.DecodeError: the dialect is never guessed.
// So is text that is not UTF-8, in a key or a value, raw or once its
// escapes are decoded, in every dialect: an event holds text only.
// An event of a type this package does not know is returned with an error
// matching telhook.ErrUnknownEvent.
func Decode(body []byte) (*Event, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	switch {
	case len(b) == 0:
		return nil, wire.Error(provider, "", "", wire.ErrEmpty)
	case b[0] == '{':
		return decodeJSON(b)
	case bytes.HasPrefix(b, []byte("http://")) || bytes.HasPrefix(b, []byte("https://")):
		return decodeURL(string(b))
	case bytes.IndexByte(b, '=') > 0:
		return DecodeQuery(string(b))
	}
	return nil, wire.Error(provider, "", string(b), errNotWebhook)
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
	pairs, err := query.Parse(raw, knownKey)
	if err != nil {
		return nil, wire.QueryError(provider, raw, err)
	}
	fields := make(map[string]string, len(pairs))
	names := make(map[string]string, len(pairs)) // lowercase key → key as sent
	for _, p := range pairs {
		k := strings.ToLower(p.Key)
		if prev, dup := fields[k]; dup && prev != p.Value {
			return nil, wire.Error(provider, p.Key, p.Value, wire.ErrRepeated)
		}
		fields[k], names[k] = p.Value, p.Key
	}
	if v, ok := fields["callerid"]; ok { // a raw '+' became a space
		fields["callerid"] = tolerant.Phone(strings.TrimRight(v, " "))
	}
	var urls []string
	for _, k := range []string{"fileurls", "files"} {
		if v, ok := fields[k]; ok && v != "" {
			urls = append(urls, strings.Split(v, ",")...)
			delete(fields, k)
		}
	}
	return build(fields, names, urls)
}

// knownKey reports the keys of every dialect, lowercased.
func knownKey(k string) bool {
	switch k {
	case "event", "callerid", "user", "usertype", "did", "id", "trtype", "finishtype",
		"transfer", "duration", "title", "fileurls", "files":
		return true
	}
	return false
}

func decodeJSON(b []byte) (*Event, error) {
	members, err := jsonobj.Parse(b)
	if err != nil {
		return nil, wire.JSONError(provider, err)
	}
	fields := make(map[string]string, len(members))
	names := make(map[string]string, len(members))
	var urls []string
	for _, m := range members { // in the order sent: errors name the first bad member
		key := string(m.Key)
		k := strings.ToLower(key)
		if k == "fileurls" || k == "files" {
			list, err := jsonStrings(m.Value)
			if err != nil {
				return nil, wire.Error(provider, key, string(m.Value), err)
			}
			urls = append(urls, list...)
			continue
		}
		s, ok := jsonobj.Scalar(m.Value)
		if !ok {
			return nil, wire.Error(provider, key, string(m.Value), errNotScalar)
		}
		// The same key twice, in any case, must agree: a map would keep
		// the last one silently.
		if prev, dup := fields[k]; dup && prev != s {
			return nil, wire.Error(provider, key, s, wire.ErrRepeated)
		}
		fields[k], names[k] = s, key
	}
	return build(fields, names, urls)
}

var errNotScalar = errors.New("not a string, number or boolean")

// jsonStrings reads a list of URLs: an array of strings, or one string.
func jsonStrings(v json.RawMessage) ([]string, error) {
	var list []string
	if err := json.Unmarshal(v, &list); err == nil {
		return list, nil
	}
	s, ok := jsonobj.Scalar(v)
	if !ok || s == "" {
		return nil, errors.New("not a list of URLs")
	}
	return []string{s}, nil
}

// urlField names the recording URLs in errors, by K2M's key: a bare URL
// has no key of its own.
const urlField = "FileUrls"

// wireEvent holds the two fields every webhook must have.
type wireEvent struct {
	Type string `json:"event" validate:"required"`
	ID   string `json:"id" validate:"required"`
}

// build turns the fields of any dialect (lowercase keys) into an Event.
func build(f map[string]string, names map[string]string, urls []string) (*Event, error) {
	take := func(k string) string {
		v := strings.TrimSpace(f[k])
		delete(f, k)
		return v
	}
	ev := &Event{
		Type:         eventType(take("event")),
		CallerID:     take("callerid"),
		User:         take("user"),
		UserType:     take("usertype"),
		DID:          take("did"),
		ID:           take("id"),
		TransferType: transferType(take("trtype")),
		FinishType:   finishType(take("finishtype")),
		Title:        take("title"),
	}
	if err := wire.Validate(provider, &wireEvent{Type: ev.Type, ID: ev.ID}); err != nil {
		return nil, err
	}
	if v, ok := f["transfer"]; ok {
		t, err := parseBool(v)
		if err != nil {
			return nil, wire.Error(provider, names["transfer"], v, err)
		}
		ev.Transfer = t
		delete(f, "transfer")
	}
	v, durationSent := f["duration"]
	if durationSent {
		d, err := parseDuration(v)
		if err != nil {
			return nil, wire.Error(provider, names["duration"], v, err)
		}
		ev.Duration = d
		delete(f, "duration")
	}
	if !durationSent && ev.IsEnd() {
		ev.Duration = titleDuration(ev.Title)
	}
	for _, u := range urls {
		if u = strings.TrimSpace(u); u != "" {
			ev.RecordingURLs = append(ev.RecordingURLs, u)
		}
	}
	if ev.Type == Recording && len(ev.RecordingURLs) == 0 {
		return nil, wire.Error(provider, urlField, "", wire.ErrMissing)
	}
	for k, v := range f {
		if ev.Extra == nil {
			ev.Extra = make(map[string]string, len(f))
		}
		ev.Extra[names[k]] = v
	}
	if !knownType(ev.Type) {
		return ev, fmt.Errorf("pbx3cx: event %q: %w", ev.Type, telhook.ErrUnknownEvent)
	}
	return ev, nil
}

// decodeURL reads the legacy recording request: a bare URL. The URL and
// the file name its escapes decode to must be UTF-8, as every value of the
// other dialects must: "…/recording/%FF%FE_1-1-1.mp3" would put bytes that
// are no text into ID.
func decodeURL(s string) (*Event, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		return nil, wire.Error(provider, "", s, errors.New("not a recording URL"))
	}
	if !utf8.ValidString(s) || !utf8.ValidString(u.Path) {
		return nil, wire.Error(provider, urlField, s, wire.ErrUTF8)
	}
	ev := &Event{Type: Recording, RecordingURLs: []string{s}}
	// ".../230102185935_18-1-1.mp3": the segment id, then the recording index.
	name := strings.TrimSuffix(path.Base(u.Path), path.Ext(u.Path))
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			if seg := name[:i]; strings.Contains(seg, "_") && strings.Contains(seg, "-") {
				ev.ID = seg
			}
		}
	}
	return ev, nil
}

func eventType(s string) string {
	switch t := strings.ToLower(s); t {
	case "hangupincoming", "pickupincoming":
		return IncomingStarted
	case "hangupoutgoing", "pickupoutgoing":
		return OutgoingStarted
	case Ringing, Dialing, IncomingStarted, OutgoingStarted, Incoming, Outgoing, Recording:
		return t
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
	switch strings.ToLower(s) {
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
	switch strings.ToLower(s) {
	case "ok":
		return FinishOk
	case "missed":
		return FinishMissed
	}
	return s
}

var errBool = errors.New(`not a boolean ("True", "False", true, false, 1, 0)`)

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
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
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, errDuration
	}
	var total int64
	for i, p := range parts {
		n, err := tolerant.Int(p)
		if err != nil || n < 0 || (i > 0 && (n > 59 || len(p) != 2)) || n > 1<<31 {
			return 0, errDuration
		}
		total = total*60 + n
	}
	return time.Duration(total) * time.Second, nil
}
