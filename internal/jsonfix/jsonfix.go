package jsonfix

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// ErrUnrepairable is wrapped by every error Repair returns.
var ErrUnrepairable = errors.New("jsonfix: unrepairable input")

const (
	maxInput = 1 << 20 // bytes
	maxDepth = 64      // nested objects and arrays, the top level included
)

// syntaxError is what Repair returns: "jsonfix: <what> at byte N".
type syntaxError struct {
	what string
	off  int
}

// Error names what is wrong and where.
func (e *syntaxError) Error() string {
	return "jsonfix: " + e.what + " at byte " + strconv.Itoa(e.off)
}

// Unwrap makes every syntax error match ErrUnrepairable.
func (e *syntaxError) Unwrap() error { return ErrUnrepairable }

func fail(what string, off int) ([]byte, error) {
	return nil, &syntaxError{what: what, off: off}
}

// state is what the parser expects next.
type state uint8

const (
	wantFirstKey     state = iota // after '{': a key or '}'
	wantKey                       // after ',' in an object: a key, or '}' (trailing comma)
	wantColon                     // after a key
	wantValue                     // after ':'
	wantFirstElem                 // after '[': a value or ']'
	wantElem                      // after ',' in an array: a value, or ']' (trailing comma)
	wantCommaOrClose              // after a member or element
)

// Typographic quote families. A string opened by a quote of one family is
// closed by the next closing quote of the same family.
const (
	notTypo byte = iota
	typoDouble
	typoSingle
)

// Repair turns the almost-JSON providers write into valid JSON, or fails.
// It is the slow path: callers first try encoding/json and call Repair only when that fails.
//
// The package documentation lists every repair and every refusal. On
// success the result is compact, valid JSON; on failure it is nil and the
// error wraps ErrUnrepairable.
func Repair(src []byte) ([]byte, error) {
	if len(src) > maxInput {
		return fail("input larger than 1 MiB", maxInput)
	}
	if !utf8.Valid(src) {
		return fail("invalid UTF-8", firstInvalidUTF8(src))
	}
	i := 0
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		i = 3
	}
	i = skipSpace(src, i)
	if i == len(src) {
		return fail("empty input", i)
	}
	if src[i] != '{' && src[i] != '[' {
		return fail("top-level value is not an object or array", i)
	}

	out := make([]byte, 0, len(src)+len(src)/8+16)
	var stack [maxDepth]byte // '{' or '[' per open container
	depth := 0
	st := wantFirstElem // the top-level value is read like an array element

	for {
		i = skipSpace(src, i)
		if i == len(src) {
			if depth == 0 {
				return fail("empty input", i) // unreachable: the top level is '{' or '['
			}
			if stack[depth-1] == '{' {
				return fail("end of input inside an object", i)
			}
			return fail("end of input inside an array", i)
		}
		c := src[i]

		switch st {
		case wantColon:
			if c != ':' {
				return fail("missing colon after key", i)
			}
			out = append(out, ':')
			i++
			st = wantValue
			continue

		case wantCommaOrClose:
			switch c {
			case ',':
				out = append(out, ',')
				i++
				if stack[depth-1] == '{' {
					st = wantKey
				} else {
					st = wantElem
				}
			case '}', ']':
				if c != closer(stack[depth-1]) {
					return fail("mismatched '"+string(c)+"'", i)
				}
				out = append(out, c)
				i++
				depth--
				if depth == 0 {
					i = skipSpace(src, i)
					if i != len(src) {
						return fail("data after the top-level value", i)
					}
					return out, nil
				}
			case ':':
				return fail("unexpected colon", i)
			default:
				return fail("missing comma", i)
			}
			continue

		case wantFirstKey, wantKey:
			switch {
			case c == '}':
				if st == wantKey {
					out = out[:len(out)-1] // repair 5: drop the trailing comma
				}
				out = append(out, '}')
				i++
				depth--
				st = wantCommaOrClose
				if depth == 0 {
					i = skipSpace(src, i)
					if i != len(src) {
						return fail("data after the top-level value", i)
					}
					return out, nil
				}
			case c == ',':
				if st == wantKey {
					return fail("two commas in a row", i)
				}
				return fail("missing member before comma", i)
			case c == '"':
				end, err := scanString(src, i)
				if err != nil {
					return nil, err
				}
				out = append(out, src[i:end]...)
				i = end
				st = wantColon
			case typoFamily(src, i) != notTypo:
				var err error
				if out, i, err = typoString(out, src, i); err != nil {
					return nil, err
				}
				st = wantColon
			case isKeyByte(c):
				j := i + 1
				for j < len(src) && isKeyByte(src[j]) {
					j++
				}
				out = append(out, '"')
				out = append(out, src[i:j]...)
				out = append(out, '"')
				i = j
				st = wantColon
			case c == ']':
				return fail("mismatched ']'", i)
			default:
				return fail("invalid key", i)
			}
			continue
		}

		// st is wantValue, wantFirstElem or wantElem.
		switch c {
		case '}', ']':
			if st == wantValue {
				return fail("missing value", i)
			}
			if c != closer(stack[depth-1]) {
				return fail("mismatched '"+string(c)+"'", i)
			}
			if st == wantElem {
				out = out[:len(out)-1] // repair 5: drop the trailing comma
			}
			out = append(out, c)
			i++
			depth--
			st = wantCommaOrClose
			if depth == 0 {
				i = skipSpace(src, i)
				if i != len(src) {
					return fail("data after the top-level value", i)
				}
				return out, nil
			}
		case ',':
			if st == wantElem {
				return fail("two commas in a row", i)
			}
			return fail("missing value", i)
		case '{', '[':
			if depth == maxDepth {
				return fail("nesting deeper than 64", i)
			}
			stack[depth] = c
			depth++
			out = append(out, c)
			i++
			if c == '{' {
				st = wantFirstKey
			} else {
				st = wantFirstElem
			}
		case '"':
			end, err := scanString(src, i)
			if err != nil {
				return nil, err
			}
			out = append(out, src[i:end]...)
			i = end
			st = wantCommaOrClose
		default:
			var err error
			if typoFamily(src, i) != notTypo {
				out, i, err = typoString(out, src, i)
			} else {
				out, i, err = bareValue(out, src, i)
			}
			if err != nil {
				return nil, err
			}
			st = wantCommaOrClose
		}
	}
}

// scanString checks the JSON string whose opening quote is at src[i] and
// returns the index just past its closing quote.
func scanString(src []byte, i int) (int, error) {
	for j := i + 1; j < len(src); j++ {
		switch b := src[j]; {
		case b == '"':
			return j + 1, nil
		case b == '\\':
			if j+1 == len(src) {
				return 0, &syntaxError{"unterminated string", i}
			}
			switch src[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+5 >= len(src) || !isHex(src[j+2]) || !isHex(src[j+3]) || !isHex(src[j+4]) || !isHex(src[j+5]) {
					return 0, &syntaxError{"invalid escape in string", j}
				}
				j += 5
			default:
				return 0, &syntaxError{"invalid escape in string", j}
			}
		case b == '\n' || b == '\r':
			return 0, &syntaxError{"unterminated string", i}
		case b < 0x20:
			return 0, &syntaxError{"control character in string", j}
		}
	}
	return 0, &syntaxError{"unterminated string", i}
}

// typoFamily reports whether src[i:] starts with a typographic quote:
// U+201C, U+201D or U+201E (double) or U+2018 or U+2019 (single).
func typoFamily(src []byte, i int) byte {
	if i+2 >= len(src) || src[i] != 0xE2 || src[i+1] != 0x80 {
		return notTypo
	}
	switch src[i+2] {
	case 0x9C, 0x9D, 0x9E:
		return typoDouble
	case 0x98, 0x99:
		return typoSingle
	}
	return notTypo
}

// typoString copies the typographic-quoted string opening at src[i] to out
// as a JSON string (repair 1) and returns the index past its closing quote.
func typoString(out, src []byte, i int) ([]byte, int, error) {
	family := typoFamily(src, i)
	start := i + 3
	for j := start; j < len(src); j++ {
		b := src[j]
		switch {
		case b == 0xE2 && j+2 < len(src) && src[j+1] == 0x80:
			t := src[j+2]
			if family == typoDouble && (t == 0x9C || t == 0x9D) || family == typoSingle && (t == 0x98 || t == 0x99) {
				out = append(out, '"')
				out = append(out, src[start:j]...)
				out = append(out, '"')
				return out, j + 3, nil
			}
			if family == typoDouble && t == 0x9E {
				return nil, 0, &syntaxError{"'„' inside a typographic-quoted string", j}
			}
		case b == '"':
			return nil, 0, &syntaxError{"ASCII quote inside a typographic-quoted string", j}
		case b == '\\':
			return nil, 0, &syntaxError{"backslash inside a typographic-quoted string", j}
		case b == '\n' || b == '\r':
			return nil, 0, &syntaxError{"unterminated string", i}
		case b < 0x20:
			return nil, 0, &syntaxError{"control character in string", j}
		}
	}
	return nil, 0, &syntaxError{"unterminated string", i}
}

// bareValue handles a value that does not start with '"', '{', '[' or a
// typographic quote (repairs 2 and 3) and returns the index of the byte
// that ended it.
func bareValue(out, src []byte, i int) ([]byte, int, error) {
	j := i
	for j < len(src) {
		if b := src[j]; b == ',' || b == '}' || b == ']' || b == '\n' {
			break
		}
		j++
	}
	end := j
	for end > i && isSpace(src[end-1]) {
		end--
	}
	tok := src[i:end] // not empty: src[i] is not a space

	// A complete number or literal followed by more text is two values
	// with the comma missing, not one string.
	for k, b := range tok {
		if b == ' ' || b == '\t' {
			if isLiteral(tok[:k]) || isNumber(tok[:k]) {
				return nil, 0, &syntaxError{"missing comma", skipSpace(src, i+k)}
			}
			break
		}
	}

	closed := false // repair 3: the token ends with the string's closing quote
	for k, b := range tok {
		switch {
		case b == '"':
			if k != len(tok)-1 {
				return nil, 0, &syntaxError{"quote inside an unquoted value", i + k}
			}
			closed = true
		case b == '{' || b == '[' || b == ':':
			return nil, 0, &syntaxError{"'" + string(b) + "' inside an unquoted value", i + k}
		case b == '\\':
			return nil, 0, &syntaxError{"backslash inside an unquoted value", i + k}
		case b < 0x20:
			return nil, 0, &syntaxError{"control character inside an unquoted value", i + k}
		}
	}

	switch {
	case closed:
		tok = tok[:len(tok)-1]
	case isLiteral(tok) || isNumber(tok):
		return append(out, tok...), j, nil
	}
	// Nothing in tok needs escaping: quotes, backslashes and control
	// characters were refused above, and the input is valid UTF-8.
	out = append(out, '"')
	out = append(out, tok...)
	out = append(out, '"')
	return out, j, nil
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

func skipSpace(src []byte, i int) int {
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	return i
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func isHex(b byte) bool { return isDigit(b) || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' }

// isKeyByte reports whether b may appear in a bare object key (repair 4).
func isKeyByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || isDigit(b) || b == '_' || b == '$' || b == '-'
}

func isLiteral(tok []byte) bool {
	s := string(tok) // no allocation: used only in comparisons
	return s == "true" || s == "false" || s == "null"
}

// isNumber reports whether tok is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isNumber(tok []byte) bool {
	i := 0
	if i < len(tok) && tok[i] == '-' {
		i++
	}
	switch {
	case i == len(tok):
		return false
	case tok[i] == '0':
		i++
	case '1' <= tok[i] && tok[i] <= '9':
		for i < len(tok) && isDigit(tok[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(tok) && tok[i] == '.' {
		i++
		d := i
		for i < len(tok) && isDigit(tok[i]) {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		if i < len(tok) && (tok[i] == '+' || tok[i] == '-') {
			i++
		}
		d := i
		for i < len(tok) && isDigit(tok[i]) {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(tok)
}

// firstInvalidUTF8 returns the offset of the first byte of src that does not
// start a valid UTF-8 sequence.
func firstInvalidUTF8(src []byte) int {
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(src)
}
