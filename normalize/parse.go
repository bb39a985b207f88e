package normalize

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/core"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

// Parse recognises the provider of r with the zero Normalizer; see
// Normalizer.Parse.
func Parse(r *http.Request) (Event, error) { return Normalizer{}.Parse(r) }

// Parse recognises which provider sent r from the request alone, decodes
// it with that provider's package and normalizes it. The body is read once,
// bounded by telhook.DefaultMaxBodyBytes. The signs it goes by:
//
//	46elks      a form shaped like one of its webhooks: callid; id (or sms_id) with message; id with images;
//	            id and status without to or from; id with direction, state, legs or actions
//	Mobtexting  JSON with status and a call field (source, bridge, from, to, mid, flow_id, ...); or the challenge
//	3CX add-on  JSON, a form or a GET query with event and id (any key case); a bare recording URL
//	Wavix       JSON with uuid and event_type, event_time, disposition, charge or per_minute
//
// Composed Mobtexting webhooks carry keys of the user's choosing and are not
// recognised: serve them at NewMux's /obd/compose. A request none of the
// rules fits, or that two fit, is an error matching telhook.ErrUnknownEvent.
func (n Normalizer) Parse(r *http.Request) (Event, error) {
	p, err := sniff(r, "normalize")
	if err != nil {
		return Event{}, err
	}
	var ev any
	switch p {
	case Elks:
		ev, err = elks.Parse(r)
	case OBD:
		ev, err = obd.Parse(r)
	case PBX3CX:
		ev, err = pbx3cx.Parse(r)
	case OnCall:
		ev, err = oncall.Parse(r)
	}
	if err != nil {
		return Event{}, err
	}
	return n.Normalize(ev)
}

// sniff reads r's body, tells the provider, and puts the body back for the
// provider's own Parse.
func sniff(r *http.Request, who string) (Provider, error) {
	body, err := core.ReadBody(r, who)
	if err != nil {
		return "", err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if p, ok := detect(r.Method, r.URL.RawQuery, body); ok {
		return p, nil
	}
	return "", errUndetected
}

// detect tells the provider from the method, the raw query and the body.
func detect(method, rawQuery string, body []byte) (Provider, bool) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(b) == 0 {
		q := strings.TrimSpace(rawQuery)
		if strings.HasPrefix(q, "http://") || strings.HasPrefix(q, "https://") {
			return PBX3CX, true
		}
		keys := formKeys(q)
		if method == http.MethodGet && keys["event"] && keys["id"] {
			return PBX3CX, true
		}
		return "", false
	}
	switch {
	case bytes.HasPrefix(b, []byte("http://")) || bytes.HasPrefix(b, []byte("https://")):
		return PBX3CX, true
	case b[0] == '{':
		return detectJSON(b)
	}
	keys := formKeys(string(b))
	switch {
	case keys["event"] && keys["id"]:
		return PBX3CX, true
	case isElksForm(keys):
		return Elks, true
	}
	return "", false
}

// isElksForm matches the shapes of 46elks' webhooks, not just their keys:
// a composed Mobtexting form (id, to, status) is no 46elks delivery report.
func isElksForm(k map[string]bool) bool {
	switch {
	case k["callid"]: // call steps, recordings
		return true
	case k["sms_id"] && k["message"]: // a Conversations reply
		return true
	case !k["id"]:
		return false
	case k["message"] || hasImageKey(k): // SMS, MMS
		return true
	case k["status"]: // a delivery report: id, status, delivered, nothing else of a call
		return !k["to"] && !k["from"]
	}
	return k["direction"] || anyKey(k, "state", "legs", "actions", "start") // a call (id for callid), a call end
}

func hasImageKey(k map[string]bool) bool {
	for key := range k {
		if strings.HasPrefix(key, "image") {
			return true
		}
	}
	return false
}

// formKeys returns the lowercase keys of a form or query string, read
// loosely: only the part before each '=' matters here.
func formKeys(s string) map[string]bool {
	keys := map[string]bool{}
	for pair := range strings.SplitSeq(s, "&") {
		k, _, ok := strings.Cut(pair, "=")
		if !ok {
			continue
		}
		if u, err := url.QueryUnescape(k); err == nil {
			k = u
		}
		keys[strings.ToLower(k)] = true
	}
	return keys
}

func detectJSON(b []byte) (Provider, bool) {
	fields, err := field.JSON("normalize", b, make([]field.Field, 0, 16))
	if err != nil {
		return "", false
	}
	keys := make(map[string]bool, len(fields))
	for _, f := range fields {
		keys[strings.ToLower(f.Key)] = true
	}
	var found []Provider
	if keys["uuid"] && anyKey(keys, "event_type", "event_time", "disposition", "charge", "per_minute") {
		found = append(found, OnCall)
	}
	if (keys["validation_key"] && keys["challenge"]) || (keys["status"] && anyKey(keys, obdCallKeys...)) {
		found = append(found, OBD)
	}
	if keys["event"] && (keys["id"] || keys["callerid"]) {
		found = append(found, PBX3CX)
	}
	if len(found) != 1 {
		return "", false // none, or ambiguous
	}
	return found[0], true
}

// obdCallKeys are the fields of a Mobtexting call report besides id and
// status, which its other event webhooks carry too: obd.Decode takes a
// body as a report only with one of them, and so does Parse.
var obdCallKeys = []string{"source", "bridge", "from", "to", "mid", "flow_id", "start_at", "end_at", "duration",
	"billing", "status1", "status2", "hangup_by", "recording_url", "webhook_id", "date", "unixtime"}

func anyKey(keys map[string]bool, names ...string) bool {
	for _, n := range names {
		if keys[n] {
			return true
		}
	}
	return false
}
