// Package tolerant reads the scalar values providers send in more shapes
// than their documentation admits: timestamps, integers sent as strings,
// phone numbers whose '+' a form decoder turned into a space.
//
// Every function here is total: it returns a value or an error, never
// panics, and allocates nothing on success.
package tolerant

import (
	"errors"
	"time"
)

// Errors returned by ParseTime; decoders wrap them in a telhook.DecodeError.
var (
	ErrTimeSyntax = errors.New("not a timestamp")
	ErrTimeRange  = errors.New("timestamp field out of range")
)

// ParseTime reads the timestamp forms the providers send:
//
//	2025-09-22T12:56:38.547Z        RFC 3339, with or without fraction (Wavix)
//	2025-09-22T12:56:38+05:30       numeric zone, also +0530 and +05
//	2018-07-13T13:57:23.741000      no zone: read in loc (46elks: UTC)
//	2016-11-03 12:30:18.937464      space instead of 'T' (46elks Swagger, Mobtexting)
//	2016-02-21T0:00:00.23874        one-digit hour, any fraction length 1-9
//	2016-10-01T12:00:00:00.11       an extra ":00" group after the seconds
//	                                (46elks Swagger); any other extra group
//	                                is an error, never guessed at
//	2021-04-09 16:27               no seconds
//
// A time with a zone keeps it; a zone-less one is read in loc (UTC when loc
// is nil). The empty string is an error: callers decide what absent means.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	p := scanner{s: s}
	year := p.digits(4, 4)
	if year < 0 || !p.byte('-') {
		return time.Time{}, ErrTimeSyntax
	}
	month := p.digits(1, 2)
	if month < 0 || !p.byte('-') {
		return time.Time{}, ErrTimeSyntax
	}
	day := p.digits(1, 2)
	if day < 0 {
		return time.Time{}, ErrTimeSyntax
	}
	if !p.byte('T') && !p.byte(' ') && !p.byte('t') {
		return time.Time{}, ErrTimeSyntax
	}
	for p.byte(' ') { // "2016-11-03  12:30" seen after form decoding
	}
	hour := p.digits(1, 2)
	if hour < 0 || !p.byte(':') {
		return time.Time{}, ErrTimeSyntax
	}
	minute := p.digits(2, 2)
	if minute < 0 {
		return time.Time{}, ErrTimeSyntax
	}
	sec := 0
	if p.byte(':') {
		if sec = p.digits(2, 2); sec < 0 {
			return time.Time{}, ErrTimeSyntax
		}
		// 46elks' Swagger writes "12:00:00:00.11": accept one extra group
		// only when it is zero, so that nothing is shifted or invented.
		if p.peek() == ':' {
			p.i++
			if p.digits(2, 2) != 0 {
				return time.Time{}, ErrTimeSyntax
			}
		}
	}
	nsec := 0
	if p.byte('.') || p.byte(',') {
		start := p.i
		for p.i < len(s) && isDigit(s[p.i]) {
			if p.i-start < 9 {
				nsec = nsec*10 + int(s[p.i]-'0')
			}
			p.i++
		}
		n := p.i - start
		if n == 0 {
			return time.Time{}, ErrTimeSyntax
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	zone, hasZone, ok := p.zone()
	if !ok || p.i != len(s) {
		return time.Time{}, ErrTimeSyntax
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, ErrTimeRange
	}
	if sec == 60 { // a leap second: time.Date would normalise it silently
		sec = 59
		nsec = 999999999
	}
	switch {
	case hasZone && zone == 0:
		loc = time.UTC
	case hasZone:
		loc = time.FixedZone("", zone)
	case loc == nil:
		loc = time.UTC
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), nil
}

type scanner struct {
	s string
	i int
}

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *scanner) byte(c byte) bool {
	if p.peek() == c && p.i < len(p.s) {
		p.i++
		return true
	}
	return false
}

// digits reads min to max decimal digits and returns their value, or -1.
func (p *scanner) digits(min, max int) int {
	v, n := 0, 0
	for n < max && p.i < len(p.s) && isDigit(p.s[p.i]) {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
		n++
	}
	if n < min {
		return -1
	}
	return v
}

// zone reads an optional "Z", "+hh", "+hhmm" or "+hh:mm" and returns the
// offset in seconds east of UTC.
func (p *scanner) zone() (offset int, present, ok bool) {
	switch c := p.peek(); c {
	case 0:
		return 0, false, true
	case 'Z', 'z':
		p.i++
		return 0, true, true
	case '+', '-':
		p.i++
		h := p.digits(2, 2)
		if h < 0 || h > 23 {
			return 0, true, false
		}
		m := 0
		if p.peek() == ':' {
			p.i++
			if m = p.digits(2, 2); m < 0 {
				return 0, true, false
			}
		} else if isDigit(p.peek()) {
			if m = p.digits(2, 2); m < 0 {
				return 0, true, false
			}
		}
		if m > 59 {
			return 0, true, false
		}
		off := h*3600 + m*60
		if c == '-' {
			off = -off
		}
		return off, true, true
	}
	return 0, false, false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
