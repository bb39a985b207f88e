package field

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/telhook/telhook/internal/jsonfix"
)

// MaxDepth bounds the nesting of a JSON body, the top-level object
// included: the bound jsonfix.Repair has, so that a body is refused for its
// depth whether it was valid JSON or repaired.
const MaxDepth = 64

// Errors of the JSON front-end, each wrapped in a *telhook.DecodeError.
var (
	ErrNotObject = errors.New("not a JSON object")
	ErrTooDeep   = fmt.Errorf("nested deeper than %d levels", MaxDepth)
)

// maxRawMembers bounds the members of one object the scanner keeps,
// repeats included: a key repeated 10,000 times with one value is one
// field, and still costs only linear time.
const maxRawMembers = 16 * MaxFields

// JSON appends the members of body, one JSON object, to dst, in the order
// sent, and returns the extended slice. Keys and string values are
// unescaped; numbers keep the text they were sent with (never read
// through float64); true and false are "true" and "false", null is "";
// objects and arrays are their JSON, as sent (see [Field]).
//
// The body is read strictly, by the JSON grammar, in one pass; only when
// that fails is it repaired with jsonfix.Repair (trailing commas, bare
// keys and tokens, typographic quotes, a byte order mark, …) and read
// again. Bytes that are not UTF-8 are refused before any repair, naming
// the member that holds them when the body is JSON enough to tell.
//
// Refused, each with a *telhook.DecodeError: an empty or all-space body
// ([ErrEmpty]); text that is not UTF-8 ([ErrUTF8]); a body that is neither
// JSON nor repairable ("invalid JSON, and not repairable: …", wrapping
// jsonfix's error); JSON that is not an object ([ErrNotObject]); a member
// nested deeper than [MaxDepth] levels ([ErrTooDeep], naming it); more
// than [MaxFields] distinct keys, or 16 times as many members, repeats
// included ([ErrTooMany]); a key sent twice with different
// values ([ErrRepeated], naming it). A key sent twice with the same value
// (strings equal once unescaped, objects and arrays equal but for
// whitespace) is read once. On error dst is returned with its length
// unchanged.
//
// Keys and values that need no unescaping share the memory of one copy of
// body, made once; JSON keeps no reference to body itself.
func JSON(provider string, body []byte, dst []Field) ([]Field, error) {
	out, st := scanJSON(string(body), dst)
	if st.syntax {
		return repairJSON(provider, body, dst)
	}
	return finishJSON(provider, dst, out, st)
}

// repairJSON is the slow path, for a body the strict scanner refused: the
// checks jsonobj.Parse made, in its order, then jsonfix.Repair.
func repairJSON(provider string, body []byte, dst []Field) ([]Field, error) {
	b := bytes.TrimSpace(body) // Unicode space too, as jsonobj.Parse trimmed
	if len(b) == 0 {
		return dst, Error(provider, "", "", ErrEmpty)
	}
	if !utf8.Valid(b) {
		// Name the member holding them when b, trimmed of Unicode space
		// as jsonobj.Parse trimmed it, is JSON but for those bytes.
		if _, st := scanJSON(string(b), nil); !st.syntax && st.named {
			return dst, Error(provider, st.bad.Key, st.bad.Value, ErrUTF8)
		}
		return dst, Error(provider, "", "", ErrUTF8)
	}
	if len(b) < len(body) { // perhaps valid JSON inside Unicode space
		if out, st := scanJSON(string(b), dst); !st.syntax {
			return finishJSON(provider, dst, out, st)
		}
	}
	fixed, err := jsonfix.Repair(b)
	if err != nil {
		return dst, Error(provider, "", "", fmt.Errorf("invalid JSON, and not repairable: %w", err))
	}
	out, st := scanJSON(string(fixed), dst)
	if st.syntax { // Repair promises valid JSON
		return dst, Error(provider, "", "", errors.New("invalid JSON after repair"))
	}
	return finishJSON(provider, dst, out, st)
}

// finishJSON turns what the scanner found of a JSON text into the fields
// it appended to dst (out), or the refusal, in a fixed order: UTF-8, not
// an object, depth, number of members, repeats.
func finishJSON(provider string, dst, out []Field, st scanStatus) ([]Field, error) {
	base := len(dst)
	switch {
	case st.named:
		return dst, Error(provider, st.bad.Key, st.bad.Value, ErrUTF8)
	case st.badUTF8:
		return dst, Error(provider, "", "", ErrUTF8)
	case !st.object:
		return dst, Error(provider, "", "", ErrNotObject)
	case st.tooDeep:
		return dst, Error(provider, st.deepKey, "", ErrTooDeep)
	case st.members > maxRawMembers:
		return dst, Error(provider, "", "", ErrTooMany)
	}
	n, i := dedupe(out[base:])
	switch {
	case i >= 0:
		f := out[base+i]
		return dst, Error(provider, f.Key, errorValue(f), ErrRepeated)
	case n > MaxFields:
		return dst, Error(provider, "", "", ErrTooMany)
	}
	return out[:base+n], nil
}

// errorValue is the text of f an error repeats: objects and arrays compact.
func errorValue(f Field) string {
	if f.Kind.Scalar() {
		return f.Value
	}
	var b bytes.Buffer
	if json.Compact(&b, []byte(f.Value)) != nil {
		return f.Value
	}
	return b.String()
}

// Object returns a Reader of the members of key's value, a JSON object,
// whose failures name them by their path ("event_payload.digits") and
// are this Reader's failures: the first anywhere is the one Err reports.
// An absent or null key gives a Reader of no fields; any other value that
// is not an object is refused with ErrNotObject, and gives one too. The
// nested Reader matches keys in any case when this one does (Fold). Keys
// repeated in the object follow the rule of [JSON].
func (r *Reader) Object(key string) *Reader {
	n := &Reader{provider: r.provider, prefix: r.prefix + key + ".", parent: r, fold: r.fold}
	f, ok := r.Field(key)
	if !ok || f.Kind == Null {
		return n
	}
	if f.Kind != Object {
		r.Fail(key, "", ErrNotObject)
		return n
	}
	fields, st := scanJSON(f.Value, make([]Field, 0, 8))
	switch {
	case st.syntax || !st.object: // not from JSON: a Field made by hand
		r.Fail(key, "", ErrNotObject)
		return n
	case st.badUTF8:
		n.Fail(st.bad.Key, st.bad.Value, ErrUTF8)
		return n
	case st.tooDeep:
		n.Fail(st.deepKey, "", ErrTooDeep)
		return n
	case st.members > maxRawMembers:
		r.Fail(key, "", ErrTooMany)
		return n
	}
	count, i := dedupe(fields)
	switch {
	case i >= 0:
		n.Fail(fields[i].Key, errorValue(fields[i]), ErrRepeated)
		return n
	case count > MaxFields:
		r.Fail(key, "", ErrTooMany)
		return n
	}
	n.fields = fields[:count]
	return n
}

// dedupe drops, in place, every field whose key an earlier field has with
// the same value, and returns how many fields are left; or, for a key
// repeated with a different value, the index of the repeat (else -1).
// Up to 32 fields it compares pairs, only for keys whose bit in a 64-bit
// set of seen keys is taken already; past that it keeps an index.
func dedupe(fs []Field) (n, repeat int) {
	if len(fs) <= 32 {
		var seen uint64
		for j := range fs {
			k := fs[j].Key
			bit := uint64(1) << keyBit(k)
			if seen&bit != 0 {
				i := 0
				for i < n && fs[i].Key != k {
					i++
				}
				if i < n {
					if !sameValue(fs[i], fs[j]) {
						return 0, j
					}
					continue
				}
			}
			seen |= bit
			if n != j {
				fs[n] = fs[j]
			}
			n++
		}
		return n, -1
	}
	index := make(map[string]int, len(fs))
	for j := range fs {
		if i, ok := index[fs[j].Key]; ok {
			if !sameValue(fs[i], fs[j]) {
				return 0, j
			}
			continue
		}
		index[fs[j].Key] = n
		fs[n] = fs[j]
		n++
	}
	return n, -1
}

// keyBit is a cheap hash of k in [0, 64): its length and its last two
// bytes, which tell apart "status1" and "status2", "start_at" and "end_at".
func keyBit(k string) uint {
	h := uint(len(k))
	if len(k) > 0 {
		h = h*7 + uint(k[len(k)-1])*3
	}
	if len(k) > 1 {
		h += uint(k[len(k)-2]) * 5
	}
	return h & 63
}

// sameValue reports whether two values are one: scalars of one kind with
// one text, or objects or arrays equal but for insignificant whitespace.
func sameValue(a, b Field) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Value == b.Value || a.Kind.Scalar() {
		return a.Value == b.Value
	}
	return sameCompact(a.Value, b.Value)
}

// sameCompact reports whether two valid JSON texts are equal once the
// whitespace outside their strings is dropped.
func sameCompact(a, b string) bool {
	var ca, cb compactReader
	for {
		x, okA := ca.next(a)
		y, okB := cb.next(b)
		if okA != okB || x != y {
			return false
		}
		if !okA {
			return true
		}
	}
}

// compactReader reads the bytes of a valid JSON text that are not
// insignificant whitespace.
type compactReader struct {
	i        int
	str, esc bool // inside a string; after a backslash in one
}

func (c *compactReader) next(s string) (byte, bool) {
	for c.i < len(s) {
		ch := s[c.i]
		c.i++
		switch {
		case c.esc:
			c.esc = false
		case c.str:
			c.str = ch != '"'
			c.esc = ch == '\\'
		case ch == '"':
			c.str = true
		case isSpace(ch):
			continue
		}
		return ch, true
	}
	return 0, false
}

// maxStrictDepth is the nesting encoding/json reads, and so the most the
// strict pass does: deeper bodies go to the repair, which refuses them, as
// they were refused before this package.
const maxStrictDepth = 10000

// scanStatus is what scanJSON found.
type scanStatus struct {
	syntax  bool   // not JSON (bytes that are not UTF-8 in strings aside)
	object  bool   // the top-level value is an object
	badUTF8 bool   // a string holds bytes that are not UTF-8
	named   bool   // bad is set
	bad     Field  // the first member holding them (Value "" for objects and arrays)
	tooDeep bool   // a member nests deeper than MaxDepth
	deepKey string // the first such member's key
	members int    // top-level members read, repeats included
}

// scanJSON reads s, one JSON value with optional surrounding whitespace,
// in one pass without recursion, and when it is an object appends its
// first maxRawMembers members to dst (repeats included). Strings may hold
// bytes that are not UTF-8, so that the member holding them can be
// named: callers must check badUTF8.
func scanJSON(s string, dst []Field) ([]Field, scanStatus) {
	var (
		st    scanStatus
		stack depthStack
		level int // containers open

		// The member being read, at level 1 of an object.
		keyStart, keyEnd int
		keyEsc           bool
		valStart         int
		valKind          Kind
		valEsc           bool // a string value with escapes
		memberBad        bool // holds bytes that are not UTF-8
		memberDeep       bool
	)
	i := skipSpace(s, 0)
	if i == len(s) {
		st.syntax = true
		return dst, st
	}
	st.object = s[i] == '{'

	const (
		wantValue = iota
		wantKey
		afterValue
	)
	state := wantValue
	for {
		switch state {
		case wantValue:
			if i >= len(s) {
				st.syntax = true
				return dst, st
			}
			if level == 1 && st.object {
				valStart = i
			}
			switch c := s[i]; c {
			case '{', '[':
				level++
				if level > MaxDepth {
					memberDeep = true
					if level > maxStrictDepth {
						st.syntax = true
						return dst, st
					}
				}
				stack.push(level, c == '{')
				if i = skipSpace(s, i+1); i >= len(s) {
					st.syntax = true
					return dst, st
				}
				switch {
				case c == '{' && s[i] == '}', c == '[' && s[i] == ']':
					i++
					level--
					state = afterValue
				case c == '{':
					state = wantKey
				}
				continue // wantValue, for an array
			case '"':
				end, esc, valid := scanString(s, i)
				if end < 0 {
					st.syntax = true
					return dst, st
				}
				if !valid {
					memberBad = true
					st.badUTF8 = true
				}
				valKind, valEsc = Text, esc
				i = end
			case 't':
				if !strings.HasPrefix(s[i:], "true") {
					st.syntax = true
					return dst, st
				}
				valKind = Bool
				i += 4
			case 'f':
				if !strings.HasPrefix(s[i:], "false") {
					st.syntax = true
					return dst, st
				}
				valKind = Bool
				i += 5
			case 'n':
				if !strings.HasPrefix(s[i:], "null") {
					st.syntax = true
					return dst, st
				}
				valKind = Null
				i += 4
			default:
				end := scanNumber(s, i)
				if end < 0 {
					st.syntax = true
					return dst, st
				}
				valKind = Number
				i = end
			}
			state = afterValue

		case wantKey:
			if i >= len(s) || s[i] != '"' {
				st.syntax = true
				return dst, st
			}
			end, esc, valid := scanString(s, i)
			if end < 0 {
				st.syntax = true
				return dst, st
			}
			if level == 1 {
				keyStart, keyEnd, keyEsc = i+1, end-1, esc
				memberBad, memberDeep = false, false
			}
			if !valid {
				memberBad = true
				st.badUTF8 = true
			}
			i = skipSpace(s, end)
			if i >= len(s) || s[i] != ':' {
				st.syntax = true
				return dst, st
			}
			i = skipSpace(s, i+1)
			state = wantValue

		case afterValue:
			if level == 1 && st.object { // a member is complete
				st.members++
				if st.members <= maxRawMembers || memberBad && !st.named || memberDeep && !st.tooDeep {
					f := Field{Key: s[keyStart:keyEnd], Value: s[valStart:i], Kind: valKind}
					if keyEsc {
						f.Key = unescape(f.Key)
					}
					switch s[valStart] {
					case '"':
						f.Value = f.Value[1 : len(f.Value)-1]
						if valEsc {
							f.Value = unescape(f.Value)
						}
					case 'n':
						f.Value = ""
					case '{':
						f.Kind = Object
					case '[':
						f.Kind = Array
					}
					if memberBad && !st.named {
						st.named, st.bad = true, f
						if !f.Kind.Scalar() {
							st.bad.Value = ""
						}
					}
					if memberDeep && !st.tooDeep {
						st.tooDeep, st.deepKey = true, f.Key
					}
					if st.members <= maxRawMembers {
						dst = append(dst, f)
					}
				}
			}
			i = skipSpace(s, i)
			if level == 0 {
				if i != len(s) {
					st.syntax = true
				}
				return dst, st
			}
			if i >= len(s) {
				st.syntax = true
				return dst, st
			}
			obj := stack.object(level)
			switch c := s[i]; {
			case c == ',':
				i = skipSpace(s, i+1)
				if obj {
					state = wantKey
				} else {
					state = wantValue
				}
			case c == '}' && obj, c == ']' && !obj:
				i++
				level--
			default:
				st.syntax = true
				return dst, st
			}
		}
	}
}

// depthStack holds, for every open container, whether it is an object:
// one bit a level, the first 64 levels without allocating.
type depthStack struct {
	low  uint64
	high []uint64 // levels past 64 (to maxStrictDepth), of a body refused anyway
}

func (d *depthStack) push(level int, object bool) {
	i := level - 1
	if i < 64 {
		if object {
			d.low |= 1 << i
		} else {
			d.low &^= 1 << i
		}
		return
	}
	w := (i - 64) / 64
	for len(d.high) <= w {
		d.high = append(d.high, 0)
	}
	if bit := uint64(1) << ((i - 64) % 64); object {
		d.high[w] |= bit
	} else {
		d.high[w] &^= bit
	}
}

func (d *depthStack) object(level int) bool {
	i := level - 1
	if i < 64 {
		return d.low&(1<<i) != 0
	}
	return d.high[(i-64)/64]&(1<<((i-64)%64)) != 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// plain marks the bytes a JSON string holds as they are: not '"', not a
// backslash, not a control character, not past ASCII.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString reads the string that starts at s[i] ('"') and returns the
// index after it, or -1 when it is not a JSON string; esc tells whether it
// holds escapes, and valid whether it is UTF-8.
func scanString(s string, i int) (end int, esc, valid bool) {
	valid = true
	i++
	for {
		for i < len(s) && plain[s[i]] {
			i++
		}
		if i >= len(s) {
			return -1, esc, valid
		}
		switch c := s[i]; {
		case c == '"':
			return i + 1, esc, valid
		case c == '\\':
			esc = true
			if i+1 >= len(s) {
				return -1, esc, valid
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(s, i+2) < 0 {
					return -1, esc, valid
				}
				i += 6
			default:
				return -1, esc, valid
			}
		case c < 0x20:
			return -1, esc, valid
		default: // past ASCII
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				valid = false
			}
			i += size
		}
	}
}

// hex4 returns the value of the four hex digits at s[i:], or -1.
func hex4(s string, i int) rune {
	if i+4 > len(s) {
		return -1
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// scanNumber reads the JSON number that starts at s[i] and returns the
// index after it, or -1.
func scanNumber(s string, i int) int {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		return -1
	case s[i] == '0':
		i++
	case '1' <= s[i] && s[i] <= '9':
		i = digits(s, i+1)
	default:
		return -1
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// unescape returns the contents of a JSON string that scanString accepted,
// its escapes undone as encoding/json undoes them: a surrogate that is not
// half of a pair becomes U+FFFD. Bytes that are not UTF-8 are kept.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '\\')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		c := s[i+1]
		s = s[i+2:]
		switch c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r := hex4(s, 0)
			s = s[4:]
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					r2 = hex4(s, 2)
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					s = s[6:]
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
		default: // '"', '\\', '/'
			b.WriteByte(c)
		}
	}
}
