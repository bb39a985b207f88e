package jsonfix

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/telhook/telhook/internal/testfix"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// The two broken lines of the 3CX WebhooksApi spec excerpt
// (spec/3cx-webhooksapi-events.txt), verbatim, and what they must become.
const (
	threeCXCalleridLine = `{ "Event": "incomingcall_started", "Callerid": 05552221133", "User": "202", "Trtype": "NotDef", "Did": "", "Id": "230307114903_10-1" }`
	threeCXCalleridWant = `{"Event":"incomingcall_started","Callerid":"05552221133","User":"202","Trtype":"NotDef","Did":"","Id":"230307114903_10-1"}`
	threeCXCalleridOK   = `{ "Event": "incomingcall_started", "Callerid": "05552221133", "User": "202", "Trtype": "NotDef", "Did": "", "Id": "230307114903_10-1" }`

	threeCXIDLine = `{ "Event": "outgoing", "Callerid": "05552221133", "User": "117", "Finishtype": "Ok", "Transfer": "False", "Did": "", "Duration": "00:05", "Id": 30307135611_31-1"}`
	threeCXIDWant = `{"Event":"outgoing","Callerid":"05552221133","User":"117","Finishtype":"Ok","Transfer":"False","Did":"","Duration":"00:05","Id":"30307135611_31-1"}`
)

// Mobtexting's OBD report: PROVIDERS.md section 2.8 (one line) and the
// curl body of spec/mobtexting-obd-webhook.txt (indented, as published).
const (
	mobtextingOBD     = `{"bridge": 91806828XXXX, "from": 91891952XXXX, "to": 91886713XXXX, "source": "OBD", "mid": "1234-1333-XXXXX", "flow_id": 123, "start_at": "2021-04-09 16:27:39", "end_at": "2021-04-09 16:27:55", "duration": "23", "status": "ANSWER", "recording_url": "https://youraudiofilelocation/",}`
	mobtextingOBDCurl = `{
      "bridge": 91806828XXXX,
      "from": 91891952XXXX,
      "to": 91886713XXXX,
      "source": "OBD",
      "mid": "1234-1333-XXXXX",
      "flow_id": 123,
      "start_at": "2021-04-09 16:27:39",
      "end_at": "2021-04-09 16:27:55",
      "duration": "23",
      "status": "ANSWER",
      "recording_url": "https://youraudiofilelocation/",
}`
	mobtextingOBDWant = `{"bridge":"91806828XXXX","from":"91891952XXXX","to":"91886713XXXX","source":"OBD","mid":"1234-1333-XXXXX","flow_id":123,"start_at":"2021-04-09 16:27:39","end_at":"2021-04-09 16:27:55","duration":"23","status":"ANSWER","recording_url":"https://youraudiofilelocation/"}`
)

type repairCase struct {
	name   string
	in     string
	want   string // exact output; used when err == ""
	err    string // exact error message
	reason string
}

func repairCases() []repairCase {
	deep64 := strings.Repeat("[", 64) + strings.Repeat("]", 64)
	deep65 := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	huge := "[" + strings.Repeat(" ", maxInput) + "]"
	return []repairCase{
		// Repair 1: typographic quotes.
		{name: "typo/double", in: `{“event”: “ringing”}`, want: `{"event":"ringing"}`,
			reason: "repair 1: “ ” delimit a key and a value (Creomate, komplit.eu)"},
		{name: "typo/komplit", in: `{ “event”: “ringing”, “callerid”: “05552221133”, “usertype”: “ queue” }`,
			want:   `{"event":"ringing","callerid":"05552221133","usertype":" queue"}`,
			reason: "repair 1 on a komplit.eu-style payload; the value's leading space is content, trimming is the caller's job"},
		{name: "typo/low-high", in: `{„event“: „ringing“}`, want: `{"event":"ringing"}`,
			reason: "repair 1: German „…“ quoting"},
		{name: "typo/single", in: `{‘event’: ‘ringing’}`, want: `{"event":"ringing"}`,
			reason: "repair 1: ‘ ’ delimit a key and a value"},
		{name: "typo/right-only", in: `{”event”: ”ringing”}`, want: `{"event":"ringing"}`,
			reason: "repair 1: ” on both sides (Swedish style, or autocorrect) also delimits"},
		{name: "typo/mixed-with-ascii", in: `{"Event": “ringing”, “User”: "820"}`, want: `{"Event":"ringing","User":"820"}`,
			reason: "repair 1 applies per string; ASCII strings next to it are copied"},
		{name: "typo/apostrophe-in-double", in: `{“note”: “don’t”}`, want: `{"note":"don’t"}`,
			reason: "repair 1: a single quote inside a “…” string is content"},
		{name: "typo/double-in-single", in: `{‘title’: ‘say “hi”’}`, want: `{"title":"say “hi”"}`,
			reason: "repair 1: a double quote inside a ‘…’ string is content"},
		{name: "typo/inside-ascii-string", in: `{"title": "say “hi” and ‘bye’ „x“"}`, want: `{"title":"say “hi” and ‘bye’ „x“"}`,
			reason: "repair 1: inside a normal string typographic quotes are ordinary characters"},
		{name: "typo/empty", in: `{“did”: “”}`, want: `{"did":""}`,
			reason: "repair 1: an empty typographic-quoted string"},
		{name: "typo/array", in: `[“a”, ‘b’]`, want: `["a","b"]`,
			reason: "repair 1 in array elements"},

		// Repair 2: bare tokens.
		{name: "bare/xxxx", in: `{"bridge": 91806828XXXX, "flow_id": 123}`, want: `{"bridge":"91806828XXXX","flow_id":123}`,
			reason: "repair 2: a bare token becomes a string; a valid number stays a number"},
		{name: "bare/leading-zero", in: `{"Callerid": 05552221133}`, want: `{"Callerid":"05552221133"}`,
			reason: "repair 2: a leading zero is not a JSON number, so the token becomes a string with all its digits"},
		{name: "bare/valid-numbers", in: `{"a": 123, "b": -1.5e3, "c": 0, "d": 1E+2, "e": -0.0}`,
			want:   `{"a":123,"b":-1.5e3,"c":0,"d":1E+2,"e":-0.0}`,
			reason: "valid JSON numbers are copied unchanged"},
		{name: "bare/big-number", in: `{"to": 918867130000123456789012}`, want: `{"to":918867130000123456789012}`,
			reason: "a number beyond float64 precision is copied digit for digit, never parsed"},
		{name: "bare/literals", in: `{"a": true, "b": false, "c": null}`, want: `{"a":true,"b":false,"c":null}`,
			reason: "true, false and null stay literals"},
		{name: "bare/near-literals", in: `{"a": True, "b": NULL, "c": nan, "d": Infinity}`,
			want:   `{"a":"True","b":"NULL","c":"nan","d":"Infinity"}`,
			reason: "repair 2: only the exact JSON literals are literals"},
		{name: "bare/not-numbers", in: `{"a": +1, "b": .5, "c": 1., "d": -, "e": 0x1F, "f": 1e, "g": 01}`,
			want:   `{"a":"+1","b":".5","c":"1.","d":"-","e":"0x1F","f":"1e","g":"01"}`,
			reason: "repair 2: number-like tokens that are not JSON numbers become strings with every character"},
		{name: "bare/inner-space", in: `{"a": hello world }`, want: `{"a":"hello world"}`,
			reason: "repair 2: the token runs to the '}', inner spaces kept, surrounding spaces trimmed"},
		{name: "bare/ascii-single-quotes", in: `{"a": 'x'}`, want: `{"a":"'x'"}`,
			reason: "repair 2 keeps every character: ASCII single quotes are not delimiters"},
		{name: "bare/unicode", in: `{"name": Zoë}`, want: `{"name":"Zoë"}`,
			reason: "repair 2: non-ASCII UTF-8 in a bare token is copied"},
		{name: "bare/ends-at-newline", in: "{\n  \"a\": foo\n}", want: `{"a":"foo"}`,
			reason: "a bare token ends at a newline"},
		{name: "bare/crlf", in: "{\r\n  \"a\": foo\r\n}", want: `{"a":"foo"}`,
			reason: "a CR before the newline is trimmed like a space"},
		{name: "bare/tabs-trimmed", in: "{\"a\":\tfoo\t}", want: `{"a":"foo"}`,
			reason: "surrounding tabs are trimmed"},
		{name: "bare/array", in: `[a, b ,c]`, want: `["a","b","c"]`,
			reason: "repair 2 in array elements"},
		{name: "bare/typo-inside", in: `{"a": foo“bar”}`, want: `{"a":"foo“bar”"}`,
			reason: "typographic quotes only delimit when they open a key or value; inside a bare token they are characters"},

		// Repair 3: missing opening quote.
		{name: "missing-open/callerid", in: `{"Callerid": 05552221133", "User": "202"}`,
			want:   `{"Callerid":"05552221133","User":"202"}`,
			reason: "repair 3: the 3CX Callerid fragment"},
		{name: "missing-open/id", in: `{"Id": 30307135611_31-1"}`, want: `{"Id":"30307135611_31-1"}`,
			reason: "repair 3: the 3CX Id fragment; the dropped leading '2' is not restored"},
		{name: "missing-open/number", in: `{"n": 123"}`, want: `{"n":"123"}`,
			reason: "repair 3: the closing quote makes it a string even though 123 is a valid number"},
		{name: "missing-open/space-before-quote", in: `{"a": x "}`, want: `{"a":"x "}`,
			reason: "repair 3: trimming happens before the closing quote is removed, so the space inside the quotes stays"},
		{name: "missing-open/newline", in: "{\"a\": abc\"\n}", want: `{"a":"abc"}`,
			reason: "repair 3 on a token ended by a newline"},
		{name: "3cx/callerid-line", in: threeCXCalleridLine, want: threeCXCalleridWant,
			reason: "the full broken line from the 3CX spec excerpt (operator picks up the phone)"},
		{name: "3cx/id-line", in: threeCXIDLine, want: threeCXIDWant,
			reason: "the full broken line from the 3CX spec excerpt (end of an outgoing call)"},

		// Repair 4: bare keys.
		{name: "bare-key/simple", in: `{event: "x"}`, want: `{"event":"x"}`,
			reason: "repair 4"},
		{name: "bare-key/charset", in: `{$ref_1-a: 2, 123: x}`, want: `{"$ref_1-a":2,"123":"x"}`,
			reason: "repair 4 accepts [A-Za-z0-9_$-]; the value x is repair 2"},

		// Repair 5: trailing commas.
		{name: "trailing/object", in: `{"a":1,}`, want: `{"a":1}`, reason: "repair 5 in an object"},
		{name: "trailing/array", in: `[1,2,]`, want: `[1,2]`, reason: "repair 5 in an array"},
		{name: "trailing/nested", in: `{"FileUrls":[ "https://x/a.mp3", ],}`, want: `{"FileUrls":["https://x/a.mp3"]}`,
			reason: "repair 5 at two levels"},
		{name: "trailing/newline", in: "[\n 1,\n]\n", want: `[1]`,
			reason: "repair 5 with whitespace between the comma and the bracket"},
		{name: "mobtexting/section-2.8", in: mobtextingOBD, want: mobtextingOBDWant,
			reason: "the OBD example of PROVIDERS.md 2.8: bare XXXX tokens and a trailing comma"},
		{name: "mobtexting/spec-file", in: mobtextingOBDCurl, want: mobtextingOBDWant,
			reason: "the same payload as the curl body in the Mobtexting spec file, one member a line"},

		// Repair 6: BOM and whitespace.
		{name: "bom", in: "\uFEFF{\"a\":1}", want: `{"a":1}`, reason: "repair 6: a BOM is dropped"},
		{name: "bom/whitespace", in: "\uFEFF \n\t{\"a\":1}\r\n ", want: `{"a":1}`,
			reason: "repair 6: whitespace around the top-level value is allowed"},

		// Already valid JSON.
		{name: "valid/3cx-ringing", in: `{"Event":"ringing","Callerid":"05552221133","User":"820","Usertype":"queue","Did":"","Id":"230307114903_10-0"}`,
			want:   `{"Event":"ringing","Callerid":"05552221133","User":"820","Usertype":"queue","Did":"","Id":"230307114903_10-0"}`,
			reason: "valid compact JSON comes out byte for byte"},
		{name: "valid/3cx-recording", in: `{ "Event": "recording", "FileUrls": [ "https://FQDN:5001/webapi/recording/230307140234_35-1-1.mp3" ], "Callerid": "05552221133", "User": "202", "Id": "230307140234_35-1" }`,
			want:   `{"Event":"recording","FileUrls":["https://FQDN:5001/webapi/recording/230307140234_35-1-1.mp3"],"Callerid":"05552221133","User":"202","Id":"230307140234_35-1"}`,
			reason: "valid JSON with spaces comes out compact and semantically identical"},
		{name: "valid/escapes", in: `{"a":"line\nbreak \u00e9 \"q\" \/ \\ \ud83d\ude00 \ud800"}`,
			want:   `{"a":"line\nbreak \u00e9 \"q\" \/ \\ \ud83d\ude00 \ud800"}`,
			reason: "escapes in valid strings are untouched, even a lone surrogate escape"},
		{name: "valid/nested", in: `[{"a":[1,[2,{}]],"b":{"c":null}},[],{}]`, want: `[{"a":[1,[2,{}]],"b":{"c":null}},[],{}]`,
			reason: "nested objects and arrays"},
		{name: "valid/empty-object", in: `{}`, want: `{}`, reason: "an empty object"},
		{name: "valid/empty-array", in: `[ ]`, want: `[]`, reason: "an empty array"},
		{name: "valid/duplicate-keys", in: `{"a":1,"a":2}`, want: `{"a":1,"a":2}`,
			reason: "no member is ever dropped, duplicates included"},
		{name: "valid/depth-64", in: deep64, want: deep64, reason: "nesting of exactly 64 is allowed"},

		// Refusals.
		{name: "refuse/too-large", in: huge, err: "jsonfix: input larger than 1 MiB at byte 1048576",
			reason: "input larger than 1 MiB"},
		{name: "refuse/invalid-utf8", in: "{\"a\":\"\xff\"}", err: "jsonfix: invalid UTF-8 at byte 6",
			reason: "invalid UTF-8"},
		{name: "refuse/utf8-surrogate", in: "{\"a\":\"\xed\xa0\x80\"}", err: "jsonfix: invalid UTF-8 at byte 6",
			reason: "a UTF-8-encoded surrogate is invalid UTF-8"},
		{name: "refuse/empty", in: "", err: "jsonfix: empty input at byte 0", reason: "empty input"},
		{name: "refuse/whitespace-only", in: "  \n", err: "jsonfix: empty input at byte 3", reason: "whitespace only is empty"},
		{name: "refuse/bom-only", in: "\uFEFF", err: "jsonfix: empty input at byte 3", reason: "a BOM alone is empty"},
		{name: "refuse/bom-not-first", in: " \uFEFF{}", err: "jsonfix: top-level value is not an object or array at byte 1",
			reason: "a BOM is dropped only at the very start"},
		{name: "refuse/top-string", in: `"x"`, err: "jsonfix: top-level value is not an object or array at byte 0",
			reason: "top level must be an object or array"},
		{name: "refuse/top-number", in: ` 123`, err: "jsonfix: top-level value is not an object or array at byte 1",
			reason: "top level must be an object or array"},
		{name: "refuse/top-bare", in: `event=ringing&id=1`, err: "jsonfix: top-level value is not an object or array at byte 0",
			reason: "a form body is not repaired into JSON"},
		{name: "refuse/depth-65", in: deep65, err: "jsonfix: nesting deeper than 64 at byte 64",
			reason: "nesting deeper than 64"},
		{name: "refuse/unclosed-object", in: `{"a":1`, err: "jsonfix: end of input inside an object at byte 6",
			reason: "unbalanced braces"},
		{name: "refuse/unclosed-array", in: `[1, 2`, err: "jsonfix: end of input inside an array at byte 5",
			reason: "unbalanced brackets"},
		{name: "refuse/unclosed-bare", in: `{"a": x`, err: "jsonfix: end of input inside an object at byte 7",
			reason: "a bare token at end of input leaves the object open"},
		{name: "refuse/mismatched-bracket", in: `{"a":1]`, err: "jsonfix: mismatched ']' at byte 6",
			reason: "] cannot close {"},
		{name: "refuse/mismatched-brace", in: `[1}`, err: "jsonfix: mismatched '}' at byte 2",
			reason: "} cannot close ["},
		{name: "refuse/mismatched-after-key-comma", in: `{"a":1,]`, err: "jsonfix: mismatched ']' at byte 7",
			reason: "] cannot close { even after a trailing comma"},
		{name: "refuse/extra-close", in: `{"a":1}}`, err: "jsonfix: data after the top-level value at byte 7",
			reason: "unbalanced: one closer too many"},
		{name: "refuse/trailing-garbage", in: `{"a":1} x`, err: "jsonfix: data after the top-level value at byte 8",
			reason: "anything after the top-level value"},
		{name: "refuse/two-values", in: `{}{}`, err: "jsonfix: data after the top-level value at byte 2",
			reason: "two top-level values"},
		{name: "refuse/unterminated-string", in: `{"a":"b}`, err: "jsonfix: unterminated string at byte 5",
			reason: "an unterminated string"},
		{name: "refuse/newline-in-string", in: "{\"a\":\"b\n\"}", err: "jsonfix: unterminated string at byte 5",
			reason: "a raw newline cuts a string"},
		{name: "refuse/unterminated-typo", in: `{“a”: “b}`, err: "jsonfix: unterminated string at byte 10",
			reason: "an unterminated typographic-quoted string"},
		{name: "refuse/invalid-escape", in: `{"a":"C:\path"}`, err: "jsonfix: invalid escape in string at byte 8",
			reason: "an invalid escape in a normal string is not guessed at"},
		{name: "refuse/short-unicode-escape", in: `{"a":"\u12"}`, err: "jsonfix: invalid escape in string at byte 6",
			reason: "\\u needs four hex digits"},
		{name: "refuse/control-in-string", in: "{\"a\":\"x\x01\"}", err: "jsonfix: control character in string at byte 7",
			reason: "a raw control character in a string"},
		{name: "refuse/missing-value", in: `{"a": ,"b":1}`, err: "jsonfix: missing value at byte 6",
			reason: "a missing value"},
		{name: "refuse/missing-value-at-close", in: `{"a":}`, err: "jsonfix: missing value at byte 5",
			reason: "a missing value before }"},
		{name: "refuse/leading-comma-array", in: `[,1]`, err: "jsonfix: missing value at byte 1",
			reason: "a comma with no element before it"},
		{name: "refuse/lone-comma-array", in: `[,]`, err: "jsonfix: missing value at byte 1",
			reason: "a comma alone is not a trailing comma"},
		{name: "refuse/missing-colon", in: `{"a" 1}`, err: "jsonfix: missing colon after key at byte 5",
			reason: "a missing colon"},
		{name: "refuse/key-only", in: `{"a"}`, err: "jsonfix: missing colon after key at byte 4",
			reason: "a key without colon or value"},
		{name: "refuse/bare-key-stray-quote", in: `{event": 1}`, err: "jsonfix: missing colon after key at byte 6",
			reason: "repair 3 is for values only; a key with a stray quote is refused"},
		{name: "refuse/apostrophe-in-single", in: `{‘don’t’: 1}`, err: "jsonfix: missing colon after key at byte 10",
			reason: "’ closes a ‘…’ key early; what follows is refused rather than guessed"},
		{name: "refuse/missing-comma-number", in: `{"a":1 "b":2}`, err: "jsonfix: missing comma at byte 7",
			reason: "a missing comma between members"},
		{name: "refuse/missing-comma-string", in: `{"a":"x" "b":2}`, err: "jsonfix: missing comma at byte 9",
			reason: "a missing comma after a string value"},
		{name: "refuse/missing-comma-array", in: `[1 2]`, err: "jsonfix: missing comma at byte 3",
			reason: "two numbers are two values, not the string \"1 2\""},
		{name: "refuse/missing-comma-literals", in: `[true false]`, err: "jsonfix: missing comma at byte 6",
			reason: "two literals are two values"},
		{name: "refuse/missing-comma-typo", in: `[“a”“b”]`, err: "jsonfix: missing comma at byte 8",
			reason: "two typographic strings with no comma"},
		{name: "refuse/two-commas-array", in: `[1,,2]`, err: "jsonfix: two commas in a row at byte 3",
			reason: "two commas in a row"},
		{name: "refuse/two-commas-object", in: `{"a":1,,"b":2}`, err: "jsonfix: two commas in a row at byte 7",
			reason: "two commas in a row in an object"},
		{name: "refuse/two-trailing-commas", in: `[1,2,,]`, err: "jsonfix: two commas in a row at byte 5",
			reason: "only one trailing comma is dropped"},
		{name: "refuse/leading-comma-object", in: `{,"a":1}`, err: "jsonfix: missing member before comma at byte 1",
			reason: "a comma with no member before it"},
		{name: "refuse/lone-comma-object", in: `{,}`, err: "jsonfix: missing member before comma at byte 1",
			reason: "a comma alone is not a trailing comma"},
		{name: "refuse/single-quoted-key", in: `{'a': 1}`, err: "jsonfix: invalid key at byte 1",
			reason: "ASCII single quotes cannot start a key"},
		{name: "refuse/close-bracket-for-key", in: `{]`, err: "jsonfix: mismatched ']' at byte 1",
			reason: "] cannot close {"},
		{name: "refuse/unexpected-colon", in: `{"a":"b":"c"}`, err: "jsonfix: unexpected colon at byte 8",
			reason: "a colon after a value"},
		{name: "refuse/bare-quote-inside", in: `{"a": 12"3}`, err: "jsonfix: quote inside an unquoted value at byte 8",
			reason: "a '\"' inside a bare token, not at its end"},
		{name: "refuse/bare-colon", in: `{"a": 12:30}`, err: "jsonfix: ':' inside an unquoted value at byte 8",
			reason: "a ':' inside a bare token"},
		{name: "refuse/bare-double-colon", in: `{"a"::1}`, err: "jsonfix: ':' inside an unquoted value at byte 5",
			reason: "a second colon starts a bare token with ':'"},
		{name: "refuse/bare-brace", in: `{"a": x{}`, err: "jsonfix: '{' inside an unquoted value at byte 7",
			reason: "a '{' inside a bare token"},
		{name: "refuse/bare-bracket", in: `{"a": x[1]}`, err: "jsonfix: '[' inside an unquoted value at byte 7",
			reason: "a '[' inside a bare token"},
		{name: "refuse/bare-backslash", in: `{"a": C\temp}`, err: "jsonfix: backslash inside an unquoted value at byte 7",
			reason: "a backslash in a bare token may be an escape or a literal: not guessed"},
		{name: "refuse/bare-control", in: "{\"a\": x\x01y}", err: "jsonfix: control character inside an unquoted value at byte 7",
			reason: "a control character in a bare token"},
		{name: "refuse/bare-inner-tab", in: "{\"a\": x\ty}", err: "jsonfix: control character inside an unquoted value at byte 7",
			reason: "a tab inside a bare token is a control character (only surrounding tabs are trimmed)"},
		{name: "refuse/missing-open-with-comma", in: `{"a": hello, world"}`, err: "jsonfix: missing colon after key at byte 18",
			reason: "a bare token ends at a comma; the rest is not glued back"},
		{name: "refuse/typo-ascii-quote", in: `{“a": 1, "b”: 2}`, err: "jsonfix: ASCII quote inside a typographic-quoted string at byte 5",
			reason: "mixed quotes would swallow a member"},
		{name: "refuse/typo-low-quote", in: `{“a„b”: 1}`, err: "jsonfix: '„' inside a typographic-quoted string at byte 5",
			reason: "„ never closes, so inside “…” it means a missing closing quote"},
		{name: "refuse/typo-backslash", in: `{“C:\temp”: 1}`, err: "jsonfix: backslash inside a typographic-quoted string at byte 6",
			reason: "a backslash in a typographic string may be an escape or a literal: not guessed"},
		{name: "refuse/typo-newline", in: "{“a\n”: 1}", err: "jsonfix: unterminated string at byte 1",
			reason: "a raw newline cuts a typographic string"},
	}
}

func TestRepair(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range repairCases() {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		if tc.reason == "" {
			t.Fatalf("case %q has no reason", tc.name)
		}
		t.Run(tc.name, func(t *testing.T) {
			got, err := Repair([]byte(tc.in))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("Repair(%q) = %q, want error %q (%s)", short(tc.in), got, tc.err, tc.reason)
				}
				if err.Error() != tc.err {
					t.Errorf("Repair(%q) error = %q, want %q (%s)", short(tc.in), err, tc.err, tc.reason)
				}
				if !errors.Is(err, ErrUnrepairable) {
					t.Errorf("error %q does not wrap ErrUnrepairable", err)
				}
				if got != nil {
					t.Errorf("Repair returned %q along with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Repair(%q) error: %v (%s)", short(tc.in), err, tc.reason)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("Repair(%q) mismatch (-want +got): %s\n%s", short(tc.in), tc.reason, diff)
			}
		})
	}
}

// TestRepairProperties checks every successful case: the output is valid
// JSON, holds the keys of the input in the same order, is a fixed point of
// Repair, and, when the input was valid JSON already, decodes to the same
// value.
func TestRepairProperties(t *testing.T) {
	for _, tc := range repairCases() {
		if tc.err != "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			out, err := Repair([]byte(tc.in))
			if err != nil {
				t.Fatalf("Repair: %v", err)
			}
			if !json.Valid(out) {
				t.Fatalf("output is not valid JSON: %q", out)
			}
			gotKeys, err := keyOrder(out)
			if err != nil {
				t.Fatalf("keyOrder(output): %v", err)
			}
			if diff := cmp.Diff(sourceKeys(tc.in), gotKeys); diff != "" {
				t.Errorf("keys differ from the input's (-input +output):\n%s", diff)
			}
			again, err := Repair(out)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("Repair(output) = %q, %v; want the output unchanged", again, err)
			}
			if json.Valid([]byte(tc.in)) {
				inKeys, err := keyOrder([]byte(tc.in))
				if err != nil {
					t.Fatalf("keyOrder(input): %v", err)
				}
				if diff := cmp.Diff(inKeys, gotKeys); diff != "" {
					t.Errorf("keys of valid input changed (-input +output):\n%s", diff)
				}
				if diff := semanticDiff(decode(t, []byte(tc.in)), decode(t, out)); diff != "" {
					t.Errorf("valid input decodes differently after Repair (-input +output):\n%s", diff)
				}
			}
		})
	}
}

func TestSourceKeysAgreesWithDecoder(t *testing.T) {
	// The key oracle used above must agree with encoding/json where both apply.
	for _, tc := range repairCases() {
		if tc.err != "" || !json.Valid([]byte(tc.in)) {
			continue
		}
		want, err := keyOrder([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(want, sourceKeys(tc.in)); diff != "" {
			t.Errorf("%s: sourceKeys disagrees with json.Decoder (-decoder +oracle):\n%s", tc.name, diff)
		}
	}
}

func FuzzRepair(f *testing.F) {
	for _, dir := range []struct{ provider, ext string }{{"pbx3cx", ".txt"}, {"obd", ".json"}, {"oncall", ".json"}} {
		for _, name := range testfix.Names(f, dir.provider, dir.ext) { // what providers really send, broken or not
			f.Add(testfix.Read(f, dir.provider, name, dir.ext))
		}
	}
	for _, tc := range repairCases() {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Repair(in)
		if err != nil {
			if !errors.Is(err, ErrUnrepairable) {
				t.Fatalf("error %v does not wrap ErrUnrepairable", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "jsonfix: ") || !strings.Contains(msg, " at byte ") {
				t.Fatalf("error %q is not of the form \"jsonfix: <what> at byte N\"", msg)
			}
			if out != nil {
				t.Fatalf("output %q returned with error %v", out, err)
			}
			if acceptable(in) {
				t.Fatalf("valid JSON refused: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Repair(%q) = %q: not valid JSON", in, out)
		}
		if len(out) > 2*len(in)+16 {
			t.Fatalf("Repair(%q) = %q: output longer than 2*len(input)+16", in, out)
		}
		if json.Valid(in) {
			if diff := semanticDiff(decode(t, in), decode(t, out)); diff != "" {
				t.Fatalf("Repair(%q) = %q changed valid JSON (-input +output):\n%s", in, out, diff)
			}
		}
	})
}

// BenchmarkRepair repairs the broken 3CX Callerid line. Compare with
// BenchmarkRepairBaseline_JSONValid, the fast path on the same line made valid.
func BenchmarkRepair(b *testing.B) {
	src := []byte(threeCXCalleridLine)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Repair(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRepairBaseline_JSONValid is what a caller does on the fast path:
// json.Valid and json.Unmarshal into map[string]any on the valid line.
func BenchmarkRepairBaseline_JSONValid(b *testing.B) {
	src := []byte(threeCXCalleridOK)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if !json.Valid(src) {
			b.Fatal("invalid")
		}
		var m map[string]any
		if err := json.Unmarshal(src, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// keyOrder lists the object keys of valid JSON in document order, read
// with json.Decoder.Token.
func keyOrder(data []byte) ([]string, error) {
	type frame struct{ object, wantKey bool }
	var stack []frame
	var keys []string
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return keys, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			keys = append(keys, tok.(string))
			stack[n-1].wantKey = false
			continue
		}
		valueDone()
	}
}

// sourceKeys lists the keys of a repairable input in document order, read
// from the source text independently of Repair: a key is a string (ASCII
// or typographic-quoted) or a bare word that starts where a key or value
// may start (after '{', '[', ',' or ':') and is followed, after
// whitespace, by a colon. It is only meant for the inputs of the table.
func sourceKeys(src string) []string {
	var keys []string
	last, haveLast := "", false
	prev := byte('[') // the last byte outside strings and spaces
	for i := 0; i < len(src); {
		c := src[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			i++
			continue
		}
		canStart := strings.IndexByte("{[,:", prev) >= 0
		switch {
		case c == ':' && haveLast:
			keys = append(keys, last)
		case c == '"' && canStart:
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return keys
			}
			var s string
			if err := json.Unmarshal([]byte(src[i:j+1]), &s); err != nil {
				return keys
			}
			last, haveLast, prev, i = s, true, '"', j+1
			continue
		case canStart && typoFamily([]byte(src), i) != notTypo:
			closers := "“”"
			if typoFamily([]byte(src), i) == typoSingle {
				closers = "‘’"
			}
			rest := src[i+3:]
			k := strings.IndexAny(rest, closers)
			if k < 0 {
				return keys
			}
			last, haveLast, prev, i = rest[:k], true, '"', i+3+k+3
			continue
		case canStart && isKeyByte(c):
			j := i
			for j < len(src) && isKeyByte(src[j]) {
				j++
			}
			last, haveLast, prev, i = src[i:j], true, 'w', j
			continue
		}
		haveLast = false
		prev = c
		i++
	}
	return keys
}

// decode decodes JSON with UseNumber into any, for semantic comparison.
func decode(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	return v
}

// semanticDiff compares decoded JSON values. go-cmp takes time exponential
// in the nesting depth of []any even when the values are equal, so
// reflect.DeepEqual (equivalent for decoded JSON) decides and cmp.Diff
// only explains a difference.
func semanticDiff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return cmp.Diff(want, got)
}

// acceptable reports whether Repair must accept in: valid JSON, valid
// UTF-8, an object or array at the top, at most 64 deep, at most 1 MiB.
func acceptable(in []byte) bool {
	if len(in) > maxInput || !json.Valid(in) || !utf8.Valid(in) {
		return false
	}
	trimmed := bytes.TrimLeft(in, " \t\r\n")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return false
	}
	depth, maxSeen := 0, 0
	inString := false
	for i := 0; i < len(in); i++ {
		switch c := in[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '{' || c == '['):
			depth++
			maxSeen = max(maxSeen, depth)
		case !inString && (c == '}' || c == ']'):
			depth--
		}
	}
	return maxSeen <= maxDepth
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
