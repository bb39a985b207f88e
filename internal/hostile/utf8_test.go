package hostile_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook/internal/testfix"
	"github.com/telhook/telhook/internal/wire"
)

// Invalid UTF-8 reaches callbacks (issue 10 item 4): requests whose text is
// not UTF-8 in places the first campaign did not reach (a bare 3CX
// recording URL, raw or escaped, posted or as a raw GET query; Mobtexting
// multipart field names, raw or RFC 2231; a key of any provider), sent to
// the real handlers over a real connection.

// recordingPath is the 3CX recording URL before its file name.
const recordingPath = "https://pbx:5001/webapi/recording/"

// multipartBody is one report as multipart form data, with a last part
// named by the Content-Disposition parameters disposition.
func multipartBody(disposition string) string {
	var b strings.Builder
	for _, f := range [][2]string{{"status", "ANSWER"}, {"mid", "utf8-1"}} {
		b.WriteString("--b\r\nContent-Disposition: form-data; name=\"" + f[0] + "\"\r\n\r\n" + f[1] + "\r\n")
	}
	b.WriteString("--b\r\nContent-Disposition: form-data; " + disposition + "\r\n\r\nx\r\n--b--\r\n")
	return b.String()
}

// refusedUTF8 is a 400 naming field whose error matches the shared UTF-8
// sentinel.
func refusedUTF8(field, reason string) want {
	w := malformed(field, reason)
	w.is = wire.ErrUTF8
	return w
}

// utf8Key is the provider's base webhook with one more field whose key is
// the byte 0xff.
func utf8Key(p *provider) string {
	if p.form {
		return p.body(kv{"%FF", "1"})
	}
	return p.body(kv{"\xff", `"1"`})
}

func utf8Cases() []hostileCase {
	pbx := func(w want) map[string]want { return map[string]want{"pbx3cx": w} }
	obdBoth := func(w want) map[string]want { return map[string]want{"obd": w, "obd+fields": w} }
	post := func(ctype, body string) func(t *testing.T, h *harness) response {
		return func(t *testing.T, h *harness) response {
			return h.do(t, http.MethodPost, "/hook", ctype, strings.NewReader(body), nil)
		}
	}
	return []hostileCase{
		{
			name: "3CX bare recording URL with raw bytes, posted",
			send: post("text/plain", recordingPath+"\xff\xfe230102185935_18-1-1.mp3"),
			want: pbx(refusedUTF8("FileUrls", "the file name would be ID and the URL RecordingURLs, holding bytes that are no text")),
		},
		{
			name: "3CX bare recording URL with escaped bytes, posted",
			send: post("text/plain", recordingPath+"%FF%FE230102185935_18-1-1.mp3"),
			want: pbx(refusedUTF8("FileUrls", "the URL is ASCII, but the file name its escapes decode to, read into ID, is no text")),
		},
		{
			name: "3CX bare recording URL with escaped bytes, as a raw GET",
			send: func(t *testing.T, h *harness) response {
				return h.do(t, http.MethodGet, "/hook?"+recordingPath+"%FF%FE230102185935_18-1-1.mp3", "", nil, nil)
			},
			want: pbx(refusedUTF8("FileUrls", "the legacy GET whose query is the URL is read as the posted URL is")),
		},
		{
			name: "3CX bare recording URL with raw bytes, as a raw GET (raw)",
			send: func(t *testing.T, h *harness) response {
				return h.raw(t, h.head(http.MethodGet, "/hook?"+recordingPath+"\xff\xfe230102185935_18-1-1.mp3", "Connection: close"), nil, 0, readAnswer)
			},
			want: pbx(refusedUTF8("FileUrls", "net/http passes bytes past ASCII in the request target on; the decoder refuses them")),
		},
		{
			name: "Mobtexting multipart field name with a raw byte",
			send: post("multipart/form-data; boundary=b", multipartBody("name=\"\xff\"")),
			want: obdBoth(refusedUTF8("\uFFFD", "the name would be an Extra key of the report")),
		},
		{
			name: "Mobtexting multipart field name in RFC 2231 form",
			send: post("multipart/form-data; boundary=b", multipartBody("name*=utf-8''%ff")),
			want: obdBoth(refusedUTF8("\uFFFD", "mime decodes name*=utf-8''%ff to the byte 0xff unchecked; it would be an Extra key")),
		},
		{
			name: "a key that is not UTF-8",
			send: func(t *testing.T, h *harness) response { return h.post(t, utf8Key(h.p)) },
			want: all(refusedUTF8("\uFFFD", "a key lands in Extra (or an unknown webhook's fields): it is text, or refused like a value")),
		},
	}
}

// TestHostileInvalidUTF8 sends each case to the handlers it concerns and
// checks, with the campaign's own harness, a 400 naming the field, the
// shared UTF-8 sentinel, that no callback runs, and that the next good
// request is served. The error handed to the error handler must not carry
// the bytes on either: it is logged.
func TestHostileInvalidUTF8(t *testing.T) {
	providers := allProviders()
	m := &matrix{cells: map[[2]string]string{}}
	for _, p := range providers {
		m.cols = append(m.cols, p.name)
	}
	for _, c := range utf8Cases() {
		m.rows = append(m.rows, c.name)
		c.check = func(t *testing.T, h *harness, _ response) {
			for _, err := range h.errs.all() {
				if where := testfix.InvalidUTF8(err); where != "" {
					t.Errorf("the handed error carries bytes that are no text into logs: %s", where)
				}
			}
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range providers {
				if w, ok := c.want[p.name]; ok {
					t.Run(p.name, func(t *testing.T) { runCase(t, c, p, w.resolve(p), m) })
				}
			}
		})
	}
	t.Cleanup(func() { t.Log("case × provider:\n" + m.String()) })
}

// TestInvalidUTF8FindsEveryString checks the walker every decoder's fuzz
// target relies on: a property that cannot find a bad string cannot fail.
func TestInvalidUTF8FindsEveryString(t *testing.T) {
	type inner struct {
		List []string
		note string
	}
	type event struct {
		ID    string
		Extra map[string]string
		Any   []map[string]any
		In    *inner
		Raw   []byte
	}
	tests := []struct {
		v      any
		want   string
		reason string
	}{
		{&event{ID: "ok", Extra: map[string]string{"é": "ü"}, Raw: []byte{0xff}, In: &inner{List: []string{"a"}}}, "",
			"valid text everywhere; bytes are data"},
		{&event{ID: "\xff"}, `.ID = "\xff"`, "a field"},
		{&event{Extra: map[string]string{"a": "ok", "\xff": "ok"}}, `.Extra["\xff"] (map key) = "\xff"`, "a map key"},
		{&event{Extra: map[string]string{"a": "\xfe"}}, `.Extra["a"] = "\xfe"`, "a map value"},
		{&event{In: &inner{List: []string{"a", "\xff"}}}, `.In.List[1] = "\xff"`, "a slice behind a pointer"},
		{&event{In: &inner{note: "\xff"}}, `.In.note = "\xff"`, "an unexported field"},
		{&event{Any: []map[string]any{{"k": map[string]any{"n": []any{"\xff"}}}}}, `.Any[0]["k"]["n"][0] = "\xff"`, "text nested in interfaces"},
		{"\xff", `(the value itself) = "\xff"`, "a bare string"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, testfix.InvalidUTF8(tt.v)); diff != "" {
			t.Errorf("(-want +got) %s:\n%s", tt.reason, diff)
		}
	}
}
