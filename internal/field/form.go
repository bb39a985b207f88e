package field

import (
	"bytes"
	"errors"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// errSemicolon refuses a ';' that some servers read as a separator.
var errSemicolon = errors.New("';' is not a field separator")

// Form appends the fields of an application/x-www-form-urlencoded body to
// dst, in the order sent, in one pass that reads them as url.ParseQuery
// does ('+' is a space, %XX a byte). Trailing line breaks are dropped (an
// encoded value never ends in a raw one).
//
// Refused, naming the field: a bad escape and a ';' (the first such pair
// in the body), then text that is not UTF-8 and a key repeated with a
// different value (of those, the one with the smallest key, so the error
// does not depend on the order of the fields); an empty body and more than
// MaxFields fields. A key repeated with the same value is read once.
func Form(provider string, body []byte, dst []Field) ([]Field, error) {
	b := body
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return dst, Error(provider, "", "", ErrEmpty)
	}
	if bytes.Count(b, amp) >= MaxFields {
		return dst, Error(provider, "", "", ErrTooMany)
	}
	// One pass unescapes every key and value into out, one buffer, and
	// notes where each is; one string of out then holds them all, so a
	// form costs three allocations however many fields it has.
	type span struct{ k0, k1, v0, v1 int }
	var (
		small [32]span
		spans = small[:0]
		out   = make([]byte, 0, len(b))
		bad   *decodeErr     // the UTF-8 or repeat error with the smallest key
		index map[string]int // key → its span, once there are many
	)
	for len(b) > 0 {
		var pair []byte
		if i := bytes.IndexByte(b, '&'); i >= 0 {
			pair, b = b[:i], b[i+1:]
		} else {
			pair, b = b, nil
		}
		if len(pair) == 0 {
			continue
		}
		rawKey, rawValue, _ := bytes.Cut(pair, eq)
		sp := span{k0: len(out)}
		var ok bool
		if out, ok = formUnescape(out, rawKey); !ok {
			return dst, Error(provider, string(rawKey), "", ErrEscape)
		}
		sp.k1 = len(out)
		if bytes.IndexByte(pair, ';') >= 0 {
			return dst, Error(provider, string(out[sp.k0:sp.k1]), string(rawValue), errSemicolon)
		}
		sp.v0 = len(out)
		if out, ok = formUnescape(out, rawValue); !ok {
			return dst, Error(provider, string(out[sp.k0:sp.k1]), string(rawValue), ErrEscape)
		}
		sp.v1 = len(out)
		key, value := out[sp.k0:sp.k1], out[sp.v0:sp.v1]
		switch {
		case !utf8.Valid(key):
			bad = worse(bad, strings.ToValidUTF8(string(key), "\uFFFD"), "", ErrUTF8)
			continue
		case !utf8.Valid(value):
			bad = worse(bad, string(key), string(value), ErrUTF8)
			continue
		}
		i := -1
		if index != nil {
			if j, ok := index[string(key)]; ok {
				i = j
			}
		} else {
			for j, o := range spans {
				if bytes.Equal(out[o.k0:o.k1], key) {
					i = j
					break
				}
			}
		}
		if i >= 0 {
			if o := spans[i]; !bytes.Equal(out[o.v0:o.v1], value) {
				bad = worse(bad, string(key), string(value), ErrRepeated)
			}
			continue
		}
		spans = append(spans, sp)
		if index != nil {
			index[string(key)] = len(spans) - 1
		} else if len(spans) > len(small) {
			index = make(map[string]int, 2*len(spans))
			for j, o := range spans {
				index[string(out[o.k0:o.k1])] = j
			}
		}
	}
	if bad != nil {
		return dst, Error(provider, bad.field, bad.value, bad.err)
	}
	text := string(out)
	for _, sp := range spans {
		dst = append(dst, Field{Key: text[sp.k0:sp.k1], Value: text[sp.v0:sp.v1]})
	}
	return dst, nil
}

var amp, eq = []byte("&"), []byte("=")

// formUnescape appends s to out as url.QueryUnescape reads it: '+' is a space,
// %XX a byte; ok is false for a '%' not followed by two hex digits.
func formUnescape(out, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			out = append(out, ' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return out, false
			}
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

type decodeErr struct {
	field, value string
	err          error
}

// worse returns the error of the two with the smaller field.
func worse(bad *decodeErr, field, value string, err error) *decodeErr {
	if bad == nil || field < bad.field {
		return &decodeErr{field, value, err}
	}
	return bad
}

// Values returns the fields of a form that was already parsed (url.Values,
// from a queue, say), in key order, with the checks Form makes: text that
// is not UTF-8 and a key repeated with different values are refused (the
// smallest such key is named), a same-value repeat is read once, and more
// than MaxFields keys are refused.
func Values(provider string, values url.Values) ([]Field, error) {
	if len(values) > MaxFields {
		return nil, Error(provider, "", "", ErrTooMany)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fields := make([]Field, 0, len(keys))
	var bad *decodeErr
	for _, k := range keys {
		vs := values[k]
		if !utf8.ValidString(k) {
			bad = worse(bad, strings.ToValidUTF8(k, "\uFFFD"), "", ErrUTF8)
			continue
		}
		for i, v := range vs {
			if !utf8.ValidString(v) {
				bad = worse(bad, k, v, ErrUTF8)
				break
			}
			if i > 0 && v != vs[0] {
				bad = worse(bad, k, v, ErrRepeated)
				break
			}
		}
		if len(vs) > 0 {
			fields = append(fields, Field{Key: k, Value: vs[0]})
		}
	}
	if bad != nil {
		return nil, Error(provider, bad.field, bad.value, bad.err)
	}
	return fields, nil
}
