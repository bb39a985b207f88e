// Package jsonfix repairs the almost-JSON that telephony providers publish
// in their documentation and, presumably, sometimes send.
//
// Repair is the slow path: a caller first decodes a body with
// encoding/json and calls Repair only when that fails. Repair either
// returns valid, compact JSON (whitespace between tokens removed) or an
// error; it never guesses. On success the output holds the same members,
// under the same keys, in the same order as the input: no member is
// dropped, added or moved. Strings that were already valid JSON strings,
// and valid JSON numbers, are copied byte for byte (escapes untouched), so
// valid JSON comes out equal to itself once decoded.
//
// # Repairs
//
// Each repair is exactly what is described here, nothing cleverer.
//
// Repair 1, typographic quotes as string delimiters. A key or value that
// starts with “ ” „ (U+201C, U+201D, U+201E) is a string that ends at the
// next “ or ”; one that starts with ‘ ’ (U+2018, U+2019) is a string that
// ends at the next ‘ or ’. The content is copied as is, spaces included
// (trimming is the caller's job). Inside a normal "..." string
// typographic quotes are ordinary characters and stay untouched.
//
//	{“event”: “ringing”}                →  {"event":"ringing"}
//	{„event“: „ringing“}                →  {"event":"ringing"}
//	{‘event’: ‘ringing’}                →  {"event":"ringing"}
//	{”usertype”: ” queue”}              →  {"usertype":" queue"}
//	{“note”: “don’t”}                   →  {"note":"don’t"}
//	{"title": "say “hi”"}               →  {"title":"say “hi”"}
//
// Repair 2, bare tokens. A bare token in value position that is not a
// valid JSON number or literal becomes a string, keeping every character.
// Valid JSON numbers (123, -1.5e3, 12345678901234567890123) and true,
// false and null are copied unchanged; numbers are never parsed.
//
//	{"bridge": 91806828XXXX}            →  {"bridge":"91806828XXXX"}
//	{"Callerid": 05552221133}           →  {"Callerid":"05552221133"}   (leading zero: not a number)
//	{"a": True, "b": +1, "c": 'x'}      →  {"a":"True","b":"+1","c":"'x'"}
//	{"a": hello world }                 →  {"a":"hello world"}
//	{"a": 123, "b": -1.5e3, "c": null}  →  {"a":123,"b":-1.5e3,"c":null}
//
// Repair 3, missing opening quote. A bare token that ends with '"' is a
// string whose opening quote is missing: the quote is removed and the
// rest becomes the string. A missing leading character is never restored.
//
//	{"Callerid": 05552221133", "User": "202"}  →  {"Callerid":"05552221133","User":"202"}
//	{"Id": 30307135611_31-1"}                   →  {"Id":"30307135611_31-1"}
//	{"n": 123"}                                 →  {"n":"123"}
//
// Repair 4, bare keys. An object key made of the characters [A-Za-z0-9_$-]
// is quoted.
//
//	{event: "x", $ref_1-a: 2}           →  {"event":"x","$ref_1-a":2}
//
// Repair 5, trailing commas. A comma right before } or ] is dropped.
//
//	{"a":1,}                            →  {"a":1}
//	[1,2,]                              →  [1,2]
//	{"FileUrls":[ "https://x/a.mp3", ],}  →  {"FileUrls":["https://x/a.mp3"]}
//
// Repair 6, BOM and whitespace. A UTF-8 byte order mark at the very start
// is dropped. Whitespace (space, tab, CR, LF) around the top-level value
// and between tokens is allowed and dropped.
//
// A bare token (repairs 2 and 3) starts at the first byte of a value that
// is not '"', '{', '[' or a typographic quote, and ends before the first
// ',', '}', ']' or LF. Surrounding spaces, tabs and CRs are trimmed; a
// final '"' is then the closing quote of repair 3.
//
// # Refusals
//
// Repair returns an error, never a guess, for:
//
//   - input larger than 1 MiB (1048576 bytes);
//   - invalid UTF-8 anywhere;
//   - empty input (nothing but a BOM and whitespace);
//   - a top level that is not an object or array;
//   - nesting deeper than 64 objects and arrays, the top level included;
//   - unbalanced or mismatched braces and brackets;
//   - anything after the top-level value;
//   - an unterminated string, including one cut by a raw CR or LF;
//   - an invalid escape or a raw control character in a "..." string;
//   - a missing value;
//   - a missing colon;
//   - a missing comma, including a bare token that starts with a complete
//     JSON number or literal followed by a space or tab and more text
//     (two values, not one string);
//   - two commas in a row, or a comma with nothing before it;
//   - a key that is neither a string nor a bare key;
//   - a colon where a comma or a closing bracket belongs;
//   - inside a bare token: a '"' anywhere but at the end, a '{', '[' or
//     ':', a backslash (an escape or a literal? unknown), or a control
//     character;
//   - inside a typographic-quoted string: an ASCII '"', a backslash, a
//     control character, or, in a “…” string, a „: each means the closing
//     quote is probably missing or the content was meant to be escaped.
//
// Examples, in the same order:
//
//	(more than 1048576 bytes)           input larger than 1 MiB
//	{"a":"\xff"}                        invalid UTF-8
//	"", "   ", "\uFEFF"                 empty input
//	"x"  123  true  x                   top-level value is not an object or array
//	[[[ … 65 deep … ]]]                 nesting deeper than 64
//	{"a":1   {"a":1]   [1}              end of input inside an object, mismatched ']', mismatched '}'
//	{"a":1} x   {}{}                    data after the top-level value
//	{"a":"b}   {“a”: “b}                unterminated string
//	{"a":"C:\path"}                     invalid escape in string
//	{"a": ,"b":1}   {"a":}   [,1]       missing value
//	{"a" 1}   {"a"}   {event": 1}       missing colon after key
//	{"a":"x" "b":2}   {"a":1 "b":2}   [1 2]   missing comma
//	[1,,2]   {"a":1,,"b":2}             two commas in a row
//	{,"a":1}                            missing member before comma
//	{'a': 1}                            invalid key
//	{"a":"b":"c"}                       unexpected colon
//	{"a": 12"3}   {"a": 12:30}   {"a": C\temp}   inside an unquoted value
//	{“a": 1, "b”: 2}   {“a„b”: 1}       inside a typographic-quoted string
//
// Every error is a plain error whose message reads
// "jsonfix: <what> at byte N", N being an offset into the input (a BOM
// included), and wraps ErrUnrepairable. Callers wrap it further.
//
// # Bounds
//
// The output is at most 2*len(src)+16 bytes. Repair makes one forward pass
// with an explicit stack of at most 64 entries, does not recurse, and does
// not panic on any input.
package jsonfix
