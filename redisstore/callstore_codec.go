package redisstore

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telhook/telhook/pbx3cx"
)

// An event is stored as one string, a sequence of items, each its length
// in decimal, a colon and its bytes ("7:ringing"):
//
//	size, Type, CallerID, User, UserType, DID, ID, TransferType,
//	FinishType, Title, Transfer ("1" or "0"), Duration (nanoseconds),
//	the number of RecordingURLs and each of them,
//	the number of Extra entries and each key and value, keys sorted.
//
// The encoding is exact (any bytes, invalid UTF-8 included, round-trip)
// and canonical: two events are equal in the sense of a CallStore (every
// field, nil and empty RecordingURLs or Extra alike) exactly when their
// encodings are, so that the scripts find duplicates by comparing
// strings. The first four items are what the scripts read: the
// pbx3cx.EventSize of the event (with empty RecordingURLs and Extra as
// nil, as they read back), and the fields that index a call for
// Candidates.

// errEncoding reports a stored event that does not decode.
var errEncoding = errors.New("redisstore: a stored event does not decode")

// encodeEvent returns the stored form of ev and its size.
func encodeEvent(ev *pbx3cx.Event) (string, int64) {
	norm := *ev
	if len(norm.RecordingURLs) == 0 {
		norm.RecordingURLs = nil
	}
	if len(norm.Extra) == 0 {
		norm.Extra = nil
	}
	size := pbx3cx.EventSize(&norm)
	var b strings.Builder
	b.Grow(int(size))
	item := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	transfer := "0"
	if ev.Transfer {
		transfer = "1"
	}
	item(strconv.FormatInt(size, 10))
	for _, s := range [...]string{ev.Type, ev.CallerID, ev.User, ev.UserType, ev.DID, ev.ID,
		ev.TransferType, ev.FinishType, ev.Title, transfer, strconv.FormatInt(int64(ev.Duration), 10)} {
		item(s)
	}
	item(strconv.Itoa(len(ev.RecordingURLs)))
	for _, u := range ev.RecordingURLs {
		item(u)
	}
	item(strconv.Itoa(len(ev.Extra)))
	for _, k := range slices.Sorted(maps.Keys(ev.Extra)) {
		item(k)
		item(ev.Extra[k])
	}
	return b.String(), size
}

// decodeEvent reads what encodeEvent wrote. Empty RecordingURLs and Extra
// read back as nil.
func decodeEvent(s string) (pbx3cx.Event, error) {
	bad := false
	next := func() string {
		i := strings.IndexByte(s, ':')
		if bad || i < 0 {
			bad = true
			return ""
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > len(s)-i-1 {
			bad = true
			return ""
		}
		v := s[i+1 : i+1+n]
		s = s[i+1+n:]
		return v
	}
	number := func() int64 {
		n, err := strconv.ParseInt(next(), 10, 64)
		if err != nil {
			bad = true
		}
		return n
	}
	var ev pbx3cx.Event
	number() // the size
	for _, f := range [...]*string{&ev.Type, &ev.CallerID, &ev.User, &ev.UserType, &ev.DID, &ev.ID,
		&ev.TransferType, &ev.FinishType, &ev.Title} {
		*f = next()
	}
	ev.Transfer = next() == "1"
	ev.Duration = time.Duration(number())
	if n := number(); n > 0 && n <= int64(len(s)) {
		ev.RecordingURLs = make([]string, n)
		for i := range ev.RecordingURLs {
			ev.RecordingURLs[i] = next()
		}
	} else if n != 0 {
		bad = true
	}
	if n := number(); n > 0 && n <= int64(len(s)) {
		ev.Extra = make(map[string]string, n)
		for range n {
			k := next()
			ev.Extra[k] = next()
		}
	} else if n != 0 {
		bad = true
	}
	if bad || s != "" {
		return pbx3cx.Event{}, errEncoding
	}
	return ev, nil
}
