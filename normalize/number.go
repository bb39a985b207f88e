package normalize

import (
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Number returns raw in E.164 form ("+46723175800") where that can be
// derived, and raw as sent (trimmed) where it cannot:
//
//	"+46723175800"                 already E.164: kept
//	"46723175800", "420774852629"  a country code without '+': "+46723175800", "+420774852629"
//	"05552221133" with region TR   a national number: "+905552221133"
//	"070-123 45 67" with SE,       as people and PBXs type them: the separators
//	"+46 70 123 45 67",            (spaces, '-', '.', '(', ')') are dropped and
//	"0046 70 123 45 67",           a leading "00" is read as '+' before the
//	"(765) 388-9567" with US       rules above: "+46701234567", "+17653889567"
//	"202", "800"                   an extension: kept
//	"91806828XXXX", "TestElk",     a letter or mask character anywhere: kept
//	"MAKECALL", "1-800-FLOWERS"    exactly (phonenumbers would turn letters
//	                               into keypad digits)
//	"0701234567" with no region    national, with no region to read it in: kept
//	"DID-420222000320"             a 3CX DID rule name (a word and digits): kept
//	"123456789012345678901"        over 20 digits, or over 32 bytes: longer
//	                               than any phone number (E.164 allows 15
//	                               digits): kept, never parsed
//
// region is an ISO 3166 code ("SE", "TR", "IN"), or "" for none. A number
// is only rewritten when the result is a valid number of its country,
// except one sent with '+' and nothing else but digits, which is kept as
// sent, valid or not.
//
// Answers are cached, and the cache is bounded in bytes, not only in
// entries: only texts of at most 32 bytes read in a region code of at most
// 3 letters are cached, and a cached answer is a copy of its own, never a
// reference into raw (which may be a slice of a large body).
func Number(raw, region string) string {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > maxNumberBytes {
		return s
	}
	digits, plus, typed, ok := numberDigits(s)
	if !ok || len(digits) > maxNumberDigits {
		return s // letters, masks, anything else: never parsed
	}
	if plus && !typed {
		return s // E.164 already
	}
	if !plus && len(digits) < 7 { // an extension
		return s
	}
	region = strings.ToUpper(region)
	if len(region) > maxRegionBytes { // no region code: nothing worth caching
		return derive(s, digits, region, plus)
	}
	key := region + "|" + s
	if e, ok := cache.get(key); ok {
		return e
	}
	e := strings.Clone(derive(s, digits, region, plus))
	cache.put(key, e)
	return e
}

// numberDigits returns the digits of s, a number as typed: digits and the
// separators " -.()", after a leading '+' or "00" (plus). typed is true
// when s holds anything but digits after its '+'. ok is false when s holds
// anything else, a letter or a mask character.
func numberDigits(s string) (digits string, plus, typed, ok bool) {
	rest := s
	switch {
	case strings.HasPrefix(rest, "+"):
		plus, rest = true, rest[1:]
	case strings.HasPrefix(rest, "00"):
		plus, typed, rest = true, true, rest[2:]
	}
	var b []byte
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= '0' && c <= '9':
			if b != nil {
				b = append(b, c)
			}
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			if b == nil {
				b = append(make([]byte, 0, len(rest)), rest[:i]...)
			}
			typed = true
		default:
			return "", false, false, false
		}
	}
	if b != nil {
		return string(b), plus, typed, true
	}
	return rest, plus, typed, rest != ""
}

// derive returns the E.164 form of digits, a number sent as s (plus: after
// a '+' or "00"), or s.
func derive(s, digits, region string, plus bool) string {
	if plus {
		if e, ok := valid("+"+digits, ""); ok {
			return e
		}
		return s
	}
	return parse(s, digits, region)
}

// The bounds of what Number parses and caches. E.164 numbers have at most
// 15 digits; 20 leaves room for a trunk or international prefix. 32 bytes
// also leave room for the separators people type ("+46 (0)70-123 45 67").
// With them a cache entry holds at most 36 bytes of key and 32 of answer.
const (
	maxNumberBytes  = 32
	maxNumberDigits = 20
	maxRegionBytes  = 3
)

// parse derives the E.164 form of a number of digits only (s is it as
// sent), or returns s.
func parse(s, digits, region string) string {
	if region != "" && strings.HasPrefix(digits, "0") {
		if e, ok := valid(digits, region); ok {
			return e
		}
	}
	if e, ok := valid("+"+digits, ""); ok {
		return e
	}
	if region != "" {
		if e, ok := valid(digits, region); ok {
			return e
		}
	}
	return s
}

// valid parses s in region and returns its E.164 form when it is a valid
// number.
func valid(s, region string) (string, bool) {
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// cache remembers what phonenumbers made of a number: parsing and
// validating one costs about 15 µs, and webhooks repeat the same DIDs,
// agents and customers. It holds at most cacheSize numbers of at most
// maxNumberBytes each (under 0.5 MiB with the map's own overhead); when
// full it starts over, which keeps it bounded without bookkeeping per
// entry.
var cache = numberCache{m: make(map[string]string, cacheSize)}

const cacheSize = 4096

type numberCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *numberCache) get(k string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *numberCache) put(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cacheSize {
		clear(c.m)
	}
	c.m[k] = v
}
