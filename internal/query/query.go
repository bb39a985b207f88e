// Package query reads query strings as some webhook senders write them:
// not percent-encoded, with spaces, colons, parentheses, '+' and even '&'
// inside values.
//
// Parse splits at '&' only where a new "key=" begins; a piece that cannot
// start a pair (no '=', or a key that is no identifier) belongs to the value
// before it, '&' included. After a value that is a URL with a query of its
// own, only keys the caller knows start a new pair, so "url=https://h/a?x=1&y=2"
// stays one value. Escapes are decoded where they are valid and kept as
// written where they are not ("100% sure"). A '+' is a space only in a query
// that is otherwise properly encoded (it has no raw space); in raw text it is
// a literal '+'.
package query

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxPairs bounds the pairs of one query string.
const MaxPairs = 1000

// Pair is one key and its value, decoded.
type Pair struct{ Key, Value string }

// Errors returned by Parse.
var (
	ErrEmpty    = errors.New("empty query string")
	ErrNotQuery = errors.New("not a query string: it does not start with key=value")
	ErrTooMany  = fmt.Errorf("more than %d fields", MaxPairs)
	ErrUTF8     = errors.New("not valid UTF-8")
)

// Error is a failure tied to one key.
type Error struct {
	Key, Value string
	Err        error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("field %q: %v", e.Key, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Parse reads raw (with or without a leading '?'). known reports whether a
// key (lowercase) is one the caller expects; it may be nil.
//
// Parse takes time linear in len(raw), however many of its '&' start no
// pair: a value is a slice of raw that grows piece by piece, never a copy.
func Parse(raw string, known func(key string) bool) ([]Pair, error) {
	raw = strings.TrimPrefix(strings.TrimSpace(raw), "?")
	if raw == "" {
		return nil, ErrEmpty
	}
	if strings.Count(raw, "&") >= MaxPairs {
		return nil, ErrTooMany
	}
	literal := strings.Contains(raw, " ") // raw text: '+' is itself
	// rawPair is one pair as written: its value is raw[from:to]. Because a
	// piece that starts no pair joins the value before it together with
	// the '&' that split them, a value is always one stretch of raw.
	type rawPair struct {
		key      string
		from, to int
		scheme   bool // the value holds "://"
		question bool // the value holds '?'
	}
	var pairs []rawPair
	at := 0 // offset of the piece in raw
	for piece := range strings.SplitSeq(raw, "&") {
		end := at + len(piece)
		k, v, hasEq := strings.Cut(piece, "=")
		starts := hasEq && isKey(k)
		if starts && len(pairs) > 0 {
			if last := &pairs[len(pairs)-1]; last.scheme && last.question { // a URL with a query
				starts = known != nil && known(strings.ToLower(k))
			}
		}
		switch {
		case starts:
			pairs = append(pairs, rawPair{key: k, from: end - len(v), to: end,
				scheme: strings.Contains(v, "://"), question: strings.Contains(v, "?")})
		case len(pairs) == 0:
			return nil, ErrNotQuery
		default:
			// "://" holds no '&', so it lies within one piece: the flags
			// of the grown value are those of its pieces, or-ed.
			last := &pairs[len(pairs)-1]
			last.to = end
			last.scheme = last.scheme || strings.Contains(piece, "://")
			last.question = last.question || strings.Contains(piece, "?")
		}
		at = end + 1 // past the '&'
	}
	out := make([]Pair, len(pairs))
	for i, p := range pairs {
		out[i] = Pair{Key: unescape(p.key, literal), Value: unescape(raw[p.from:p.to], literal)}
		if !utf8.ValidString(out[i].Key) || !utf8.ValidString(out[i].Value) {
			return nil, &Error{Key: strings.ToValidUTF8(out[i].Key, "\uFFFD"), Value: strings.ToValidUTF8(out[i].Value, "\uFFFD"), Err: ErrUTF8}
		}
	}
	return out, nil
}

// isKey reports whether k can be a key: letters, digits, '_', '-', '.'.
func isKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// unescape decodes valid %XX escapes, and '+' as a space unless literal.
// Invalid escapes are kept as written.
func unescape(s string, literal bool) string {
	if !strings.ContainsAny(s, "%+") || (literal && !strings.Contains(s, "%")) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		case c == '+' && !literal:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
