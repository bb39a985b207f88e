// Package jsonobj splits a valid JSON object into its members, in the
// order sent, duplicates included.
//
// encoding/json decoding into a map keeps only the last of two members with
// the same key, silently; providers that send a key twice with different
// values must be refused, not resolved by accident. Split reads only what
// json.Valid (or jsonfix.Repair) has already accepted, so it needs no error
// paths of its own; every caller validates first.
package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/telhook/telhook/internal/jsonfix"
)

// Member is one member of an object. Key is unescaped; Key and Value point
// into the input (a key with escapes is a copy), so reading them costs no
// allocation: compare with string(m.Key) == "…", which the compiler does not
// copy. Depth is how deeply the value nests (0 for a scalar).
type Member struct {
	Key   []byte
	Value []byte
	Depth int
}

// Split returns the members of b, a valid JSON object in valid UTF-8
// (leading and trailing space allowed). It must not be called on anything
// json.Valid or utf8.Valid refuses: where encoding/json would replace bytes
// that are not UTF-8, Split keeps them.
func Split(b []byte) []Member {
	b = bytes.TrimSpace(b)
	out := make([]Member, 0, 16)
	i := skipSpace(b, 1)
	for i < len(b) && b[i] == '"' {
		end := stringEnd(b, i)
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			_ = json.Unmarshal(b[i:end], &s) // valid JSON: cannot fail
			key = []byte(s)
		}
		i = skipSpace(b, skipSpace(b, end)+1) // past the ':'
		vend, depth := valueEnd(b, i)
		out = append(out, Member{Key: key, Value: b[i:vend], Depth: depth})
		if i = skipSpace(b, vend); i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return out
}

// Same reports whether two valid JSON values are the same once
// insignificant whitespace is dropped.
func Same(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
}

// Scalar returns the text of a JSON string (unescaped), number (as sent),
// true, false, or null (""); ok is false for objects and arrays.
func Scalar(v []byte) (s string, ok bool) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || v[0] == '{' || v[0] == '[':
		return "", false
	case string(v) == "null":
		return "", true
	case v[0] == '"':
		if bytes.IndexByte(v, '\\') < 0 {
			return string(v[1 : len(v)-1]), true
		}
		err := json.Unmarshal(v, &s)
		return s, err == nil
	}
	return string(v), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index after the value that starts at b[i], and how
// deeply it nests.
func valueEnd(b []byte, i int) (end, depth int) {
	if i >= len(b) {
		return len(b), 0
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i), 0
	case '{', '[':
		level := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				level++
				depth = max(depth, level)
			case '}', ']':
				if level--; level == 0 {
					return i + 1, depth
				}
			}
		}
		return len(b), depth
	}
	for ; i < len(b); i++ { // a number, true, false or null
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i, 0
		}
	}
	return i, 0
}

// Errors returned by Parse.
var (
	ErrNotObject = errors.New("not a JSON object")
	ErrUTF8      = errors.New("not valid UTF-8")
)

// MemberError is a failure of one member.
type MemberError struct {
	Key   string
	Value string
	Err   error
}

// Error implements error.
func (e *MemberError) Error() string { return fmt.Sprintf("member %q: %v", e.Key, e.Err) }

// Unwrap returns the cause.
func (e *MemberError) Unwrap() error { return e.Err }

// Parse reads the object providers send: strict JSON first, repaired by
// jsonfix only when that fails, then split. Bytes that are not UTF-8 are
// refused before any repair, naming the member that holds them when the
// body is JSON enough to tell (json.Valid does not look at UTF-8).
func Parse(body []byte) ([]Member, error) {
	b := bytes.TrimSpace(body)
	if !utf8.Valid(b) {
		return nil, utf8Error(b)
	}
	if !json.Valid(b) {
		fixed, err := jsonfix.Repair(b)
		if err != nil {
			return nil, fmt.Errorf("invalid JSON, and not repairable: %w", err)
		}
		if !json.Valid(fixed) { // Repair promises valid JSON; Split relies on it
			return nil, errors.New("invalid JSON after repair")
		}
		b = fixed
	}
	if len(b) == 0 || b[0] != '{' { // valid JSON, but an array, a string, null, ...
		return nil, ErrNotObject
	}
	return Split(b), nil
}

func utf8Error(b []byte) error {
	if len(b) > 0 && b[0] == '{' && json.Valid(b) {
		for _, m := range Split(b) {
			if !utf8.Valid(m.Key) || !utf8.Valid(m.Value) {
				v, _ := Scalar([]byte(strings.ToValidUTF8(string(m.Value), "\uFFFD")))
				return &MemberError{Key: strings.ToValidUTF8(string(m.Key), "\uFFFD"), Value: v, Err: ErrUTF8}
			}
		}
	}
	return ErrUTF8
}
