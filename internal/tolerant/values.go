package tolerant

import (
	"errors"
	"strings"
	"time"
)

// Errors returned by the number readers.
var (
	ErrNotInteger = errors.New("not an integer")
	ErrRange      = errors.New("integer out of range")
)

// maxSeconds bounds durations so that seconds*time.Second cannot overflow.
const maxSeconds = int64(1<<63-1) / int64(time.Second)

// Int reads a decimal integer sent as a string ("8", " 8 ", "+8", "-3").
// Fractions, exponents, hex and empty strings are errors.
func Int(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, ErrNotInteger
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, ErrNotInteger
		}
		if v > (1<<63)/10 {
			return 0, ErrRange
		}
		v = v*10 + uint64(c-'0')
		if v > 1<<63 || (!neg && v > 1<<63-1) {
			return 0, ErrRange
		}
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// Seconds reads a non-negative whole number of seconds sent as a string.
func Seconds(s string) (time.Duration, error) {
	n, err := Int(s)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > maxSeconds {
		return 0, ErrRange
	}
	return time.Duration(n) * time.Second, nil
}

// Phone undoes what a form decoder does to an unescaped '+': a value that is
// a space followed by digits (" 46706861004") was "+46706861004" on the
// wire. Anything else, including alphanumeric sender ids, is returned as
// given: the function restores, it never invents.
func Phone(s string) string {
	if len(s) < 2 || s[0] != ' ' {
		return s
	}
	for i := 1; i < len(s); i++ {
		if !isDigit(s[i]) {
			return s
		}
	}
	return "+" + s[1:]
}

// Digits reports whether s is one or more of the digits 0-9 and nothing
// else.
func Digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
