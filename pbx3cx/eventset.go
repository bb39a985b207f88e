package pbx3cx

import (
	"cmp"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// What makes two events the same, in which order they sort, how a store
// copies one and what it costs. Each function here lists Event's fields by
// hand, for speed; TestEventFieldsCovered fails when a field of Event is
// missing from any of them.

// sameEvent reports whether a and b are equal in every field: the
// duplicates a CallStore ignores. Nil and empty RecordingURLs or Extra
// are equal.
func sameEvent(a, b *Event) bool {
	return a.Type == b.Type && a.ID == b.ID && a.User == b.User && a.CallerID == b.CallerID &&
		a.UserType == b.UserType && a.DID == b.DID && a.TransferType == b.TransferType &&
		a.FinishType == b.FinishType && a.Title == b.Title && a.Transfer == b.Transfer &&
		a.Duration == b.Duration && slices.Equal(a.RecordingURLs, b.RecordingURLs) &&
		maps.Equal(a.Extra, b.Extra)
}

// compareEvents is a total order on distinct events: it returns 0 exactly
// when sameEvent does.
func compareEvents(a, b *Event) int {
	if c := cmp.Or(
		strings.Compare(a.Type, b.Type), strings.Compare(a.ID, b.ID),
		strings.Compare(a.User, b.User), strings.Compare(a.CallerID, b.CallerID),
		strings.Compare(a.UserType, b.UserType), strings.Compare(a.DID, b.DID),
		strings.Compare(a.TransferType, b.TransferType), strings.Compare(a.FinishType, b.FinishType),
		strings.Compare(a.Title, b.Title), cmp.Compare(a.Duration, b.Duration),
		slices.Compare(a.RecordingURLs, b.RecordingURLs),
	); c != 0 {
		return c
	}
	if a.Transfer != b.Transfer {
		if a.Transfer {
			return 1
		}
		return -1
	}
	ka, kb := slices.Sorted(maps.Keys(a.Extra)), slices.Sorted(maps.Keys(b.Extra))
	if c := slices.Compare(ka, kb); c != 0 {
		return c
	}
	for _, k := range ka {
		if c := strings.Compare(a.Extra[k], b.Extra[k]); c != 0 {
			return c
		}
	}
	return 0
}

// cloneEvent copies ev into memory of its own: all of its text in one
// allocation, so that the store holds the bytes EventSize counts and not
// the larger body (or query string) ev's strings may be slices of.
func cloneEvent(ev *Event) Event {
	c := *ev
	fields := textFields(&c)
	keys := slices.Collect(maps.Keys(ev.Extra))
	var b strings.Builder
	b.Grow(int(eventText(ev)))
	for _, f := range fields {
		b.WriteString(*f)
	}
	for _, u := range ev.RecordingURLs {
		b.WriteString(u)
	}
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(ev.Extra[k])
	}
	buf := b.String()
	take := func(s string) string {
		if s == "" {
			return ""
		}
		r := buf[:len(s)]
		buf = buf[len(s):]
		return r
	}
	for _, f := range fields {
		*f = take(*f)
	}
	if ev.RecordingURLs != nil {
		c.RecordingURLs = make([]string, len(ev.RecordingURLs))
		for i, u := range ev.RecordingURLs {
			c.RecordingURLs[i] = take(u)
		}
	}
	if ev.Extra != nil {
		c.Extra = make(map[string]string, len(keys))
		for _, k := range keys {
			v := ev.Extra[k]
			c.Extra[take(k)] = take(v)
		}
	}
	return c
}

// textFields returns the string fields of ev.
func textFields(ev *Event) [9]*string {
	return [9]*string{&ev.Type, &ev.CallerID, &ev.User, &ev.UserType, &ev.DID, &ev.ID, &ev.TransferType, &ev.FinishType, &ev.Title}
}

// eventText is the number of bytes of ev's text.
func eventText(ev *Event) int64 {
	var n int
	for _, f := range textFields(ev) {
		n += len(*f)
	}
	for _, u := range ev.RecordingURLs {
		n += len(u)
	}
	for k, v := range ev.Extra {
		n += len(k) + len(v)
	}
	return int64(n)
}

// The memory an event takes beyond its text: the Event struct, a string
// header per recording URL, and per Extra entry two headers and the map's
// share of a slot (the map's fixed part counted as one more entry).
var (
	eventOverhead = int64(reflect.TypeFor[Event]().Size())
	urlOverhead   = int64(reflect.TypeFor[string]().Size())
	extraOverhead = 3 * urlOverhead
)

// EventSize is what the byte budgets of a Tracker count for ev: about the
// memory its copy in the default store takes. Every CallStore counts an
// event by it, so that WithMaxCallBytes and WithMaxBytes mean the same in
// every store.
func EventSize(ev *Event) int64 {
	n := eventOverhead + eventText(ev) + int64(len(ev.RecordingURLs))*urlOverhead
	if ev.Extra != nil {
		n += int64(len(ev.Extra)+1) * extraOverhead
	}
	return n
}
