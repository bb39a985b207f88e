// Package query reads query strings as some webhook senders write them:
// not percent-encoded, with spaces, colons, parentheses, '+' and even '&'
// inside values.
//
// A query string splits at '&' only where a new "key=" begins; a piece that
// cannot start a pair (no '=', or a key that is no identifier) belongs to
// the value before it, '&' included. After a value that is a URL with a
// query of its own, only keys the caller knows start a new pair, so
// "url=https://h/a?x=1&y=2" stays one value. Escapes are decoded where they
// are valid and kept as written where they are not ("100% sure"). A '+' is
// a space only in a query that is otherwise properly encoded (it has no raw
// space); in raw text it is a literal '+'.
//
// [Fields] is the front-end of internal/field for such a query: it appends
// the pairs as []field.Field and refuses with field's sentinels. [Parse]
// returns them as [Pair]s.
package query

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/telhook/telhook/internal/field"
)

// MaxPairs bounds the pairs of one query string: field.MaxFields, the bound
// of every front-end.
const MaxPairs = field.MaxFields

// Pair is one key and its value, decoded.
type Pair struct{ Key, Value string }

// Errors returned by Parse and Fields. ErrTooMany and ErrUTF8 are field's
// sentinels, and ErrEmpty matches field.ErrEmpty, so that errors.Is matches
// whichever front-end refused the text.
var (
	ErrEmpty    error = &renamed{"empty query string", field.ErrEmpty}
	ErrNotQuery       = errors.New("not a query string: it does not start with key=value")
	ErrTooMany        = field.ErrTooMany
	ErrUTF8           = field.ErrUTF8
)

// renamed is a sentinel with its own text that matches another.
type renamed struct {
	text string
	is   error
}

// Error returns the error's own wording.
func (e *renamed) Error() string { return e.text }

// Unwrap returns the sentinel it stands for.
func (e *renamed) Unwrap() error { return e.is }

// Error is a failure tied to one key.
type Error struct {
	Key, Value string
	Err        error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("field %q: %v", e.Key, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// span is one pair as written: raw[k0:k1] its key, raw[v0:v1] its value.
type span struct{ k0, k1, v0, v1 int }

// split finds the pairs of raw, trimmed of space and a leading '?', which
// it returns as s: spans index s. literal reports that s has a raw space,
// and so a '+' in it is itself.
//
// split takes time linear in len(raw), however many of its '&' start no
// pair: a value is a stretch of s that grows piece by piece, never a copy.
func split(raw string, known func(key string) bool, spans []span) (s string, _ []span, literal bool, err error) {
	s = strings.TrimPrefix(strings.TrimSpace(raw), "?")
	if s == "" {
		return s, spans, false, ErrEmpty
	}
	if strings.Count(s, "&") >= MaxPairs {
		return s, spans, false, ErrTooMany
	}
	literal = strings.Contains(s, " ")
	// Because a piece that starts no pair joins the value before it
	// together with the '&' that split them, a value is always one stretch
	// of s. scheme and question tell whether the last value holds "://"
	// and '?': "://" holds no '&', so it lies within one piece, and the
	// flags of a grown value are those of its pieces, or-ed.
	var scheme, question bool
	at := 0 // offset of the piece in s
	for piece := range strings.SplitSeq(s, "&") {
		end := at + len(piece)
		k, v, hasEq := strings.Cut(piece, "=")
		starts := hasEq && IsKey(k)
		if starts && len(spans) > 0 && scheme && question { // after a URL with a query
			starts = known != nil && known(strings.ToLower(k))
		}
		switch {
		case starts:
			spans = append(spans, span{k0: at, k1: at + len(k), v0: end - len(v), v1: end})
			scheme, question = strings.Contains(v, "://"), strings.Contains(v, "?")
		case len(spans) == 0:
			return s, spans, literal, ErrNotQuery
		default:
			spans[len(spans)-1].v1 = end
			scheme = scheme || strings.Contains(piece, "://")
			question = question || strings.Contains(piece, "?")
		}
		at = end + 1 // past the '&'
	}
	return s, spans, literal, nil
}

// Parse reads raw (with or without a leading '?'). known reports whether a
// key (lowercase) is one the caller expects; it may be nil. Errors are
// ErrEmpty, ErrNotQuery, ErrTooMany, or an *Error wrapping ErrUTF8 for the
// first pair whose key or value is not UTF-8 once decoded.
//
// Parse takes time linear in len(raw), however many of its '&' start no
// pair.
func Parse(raw string, known func(key string) bool) ([]Pair, error) {
	var small [16]span
	s, spans, literal, err := split(raw, known, small[:0])
	if err != nil {
		return nil, err
	}
	out := make([]Pair, len(spans))
	for i, sp := range spans {
		out[i] = Pair{Key: unescape(s[sp.k0:sp.k1], literal), Value: unescape(s[sp.v0:sp.v1], literal)}
		if !utf8.ValidString(out[i].Key) || !utf8.ValidString(out[i].Value) {
			return nil, &Error{Key: strings.ToValidUTF8(out[i].Key, "\uFFFD"), Value: strings.ToValidUTF8(out[i].Value, "\uFFFD"), Err: ErrUTF8}
		}
	}
	return out, nil
}

// Fields reads raw as Parse does and appends its pairs to dst, in the order
// sent, as fields of kind field.Text; on error dst is returned with its
// length unchanged. Errors are *telhook.DecodeErrors for provider, made by
// field.Error: the first pair whose key or value is not UTF-8 once decoded
// is named (ErrUTF8); a query refused whole (ErrEmpty, ErrNotQuery,
// ErrTooMany) names no field and quotes raw, cut to 64 bytes.
//
// Fields does not look for repeated keys: the keys of a loose query are
// often read in any case, which only the caller knows, and a field.Reader
// refuses a key read twice with different values.
//
// Keys and values without escapes are slices of raw; the others are
// decoded into one buffer, so that a query costs at most one allocation
// besides dst's, which is grown once, to the number of pairs.
func Fields(provider, raw string, known func(key string) bool, dst []field.Field) ([]field.Field, error) {
	var small [16]span
	s, spans, literal, err := split(raw, known, small[:0])
	if err != nil {
		return dst, field.Error(provider, "", raw, err)
	}
	// Escaped keys and values are decoded into b, which is sized first so
	// that it never grows: its String then shares the one buffer, and the
	// spans of those keys and values are moved to index it, marked by a
	// negative start (-1-offset).
	size := 0
	for _, sp := range spans {
		if escaped(s[sp.k0:sp.k1], literal) {
			size += sp.k1 - sp.k0
		}
		if escaped(s[sp.v0:sp.v1], literal) {
			size += sp.v1 - sp.v0
		}
	}
	var b strings.Builder
	if size > 0 {
		b.Grow(size)
		for i := range spans {
			sp := &spans[i]
			if escaped(s[sp.k0:sp.k1], literal) {
				from := b.Len()
				appendUnescaped(&b, s[sp.k0:sp.k1], literal)
				sp.k0, sp.k1 = -1-from, b.Len()
			}
			if escaped(s[sp.v0:sp.v1], literal) {
				from := b.Len()
				appendUnescaped(&b, s[sp.v0:sp.v1], literal)
				sp.v0, sp.v1 = -1-from, b.Len()
			}
		}
	}
	decoded := b.String()
	text := func(from, to int) string {
		if from < 0 {
			return decoded[-1-from : to]
		}
		return s[from:to]
	}
	base := len(dst)
	if cap(dst)-len(dst) < len(spans) { // grown once (slices.Grow allocates twice under -race)
		grown := make([]field.Field, len(dst), len(dst)+len(spans))
		copy(grown, dst)
		dst = grown
	}
	for _, sp := range spans {
		f := field.Field{Key: text(sp.k0, sp.k1), Value: text(sp.v0, sp.v1), Kind: field.Text}
		if !utf8.ValidString(f.Key) || !utf8.ValidString(f.Value) {
			return dst[:base], field.Error(provider, f.Key, f.Value, ErrUTF8)
		}
		dst = append(dst, f)
	}
	return dst, nil
}

// IsKey reports whether k can start a pair: letters, digits, '_', '-',
// '.'. A piece whose key has other bytes is read as part of the value
// before it.
func IsKey(k string) bool {
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

// escaped reports whether unescape changes s.
func escaped(s string, literal bool) bool {
	if literal {
		return strings.IndexByte(s, '%') >= 0
	}
	return strings.ContainsAny(s, "%+")
}

// unescape decodes valid %XX escapes, and '+' as a space unless literal.
// Invalid escapes are kept as written.
func unescape(s string, literal bool) string {
	if !escaped(s, literal) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	appendUnescaped(&b, s, literal)
	return b.String()
}

// appendUnescaped writes s to b as unescape decodes it: never more bytes
// than s has.
func appendUnescaped(b *strings.Builder, s string, literal bool) {
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
