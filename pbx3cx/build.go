package pbx3cx

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/telhook/telhook/internal/tolerant"
)

// BuildCall rebuilds the call id from its events. A Call is a pure
// function of the set of its events: the same events, in any order, with
// any duplicates, give the same Call, whoever rebuilds it. That is what
// lets Trackers on several instances share a [CallStore]: each rebuilds a
// call from all of its events in the store, and they agree.
//
// The rules, applied to the distinct events (two events are the same when
// they are equal in every field, RecordingURLs and Extra included):
//   - Direction is "outbound" if any event is dialing, outgoingcall_started
//     or outgoing (Event.Outbound), else "inbound".
//   - The ringing and dialing before the answer are on segment 0. (Some
//     add-on versions, as the POST-scheme table in Creomate's docs shows,
//     put them on the first answered segment, "-1": when no ringing or
//     dialing event is on segment 0 and one is on the lowest segment the
//     call's events carry, that segment's ringing and dialing are taken
//     as the ones before the answer. A transfer's ringing on that segment
//     then joins the Path: such an add-on numbers the two alike.) A call
//     with no ringing or dialing event before the answer is an orphan (see
//     Tracker).
//   - CallerID and DID are the values most of the events before the answer
//     carry, else most of all the events; Dialer the User most dialing
//     events carry.
//   - Path holds the ringing events before the answer only (ringing on a
//     later segment rings a transfer target), one Hop per distinct
//     User and UserType, ordered by UserType (other, queue, ext, anything
//     else) then by User as a string. The members of a ring group ring
//     together and have no order of their own: a fixed order beats arrival
//     order, which a network can change.
//   - A Segment is listed for every number n ≥ 1 that some start, end or
//     recording event carries (3CX numbers only answered talk from 1 up).
//     Its Agent and TransferType come from its incomingcall_started or
//     outgoingcall_started event; its FinishType, Transfer and Duration
//     from its end event (incoming or outgoing), which also sets Ended and,
//     when no start event came, the Agent; its RecordingURLs from every
//     event of the segment that carries one. When events disagree, the
//     value most of them carry wins, ties going to the smaller string; of
//     several different end events the one with the longest Duration is
//     used.
//   - A start event on segment n ≥ 2 with TransferType Blind or Attended
//     is a Transfer to its agent from the agent of the highest segment
//     below n.
//   - A call is Complete when it is not an orphan, its last segment (the
//     highest number) has ended or, if nothing was answered, an end event
//     with FinishType Missed came, on any segment; and every ended segment
//     with FinishType Ok and a Duration above zero has a recording. A
//     segment left by a blind transfer gets no end event of its own and
//     needs none. (A Tracker may emit a call before it is Complete, or
//     without waiting for its recordings: see Tracker.)
//
// Aliases are the call ids of the events other than id, sorted; Events is
// the number of distinct events; FirstSeen and LastSeen are left zero
// (arrival times are not in the events).
func BuildCall(id string, events []Event) Call {
	evs := slices.Clone(events)
	slices.SortFunc(evs, func(a, b Event) int { return compareEvents(&a, &b) })
	evs = slices.CompactFunc(evs, func(a, b Event) bool { return sameEvent(&a, &b) })
	c, info := buildCall(id, evs)
	c.Complete = info.complete(true)
	for i := range evs {
		if a := evs[i].CallID(); a != id && !slices.Contains(c.Aliases, a) {
			c.Aliases = append(c.Aliases, a)
		}
	}
	slices.Sort(c.Aliases)
	return c
}

// callInfo is what rebuilding a call finds beyond the Call itself.
type callInfo struct {
	orphan       bool      // no segment-0 ringing or dialing event
	ended        bool      // Complete, recordings aside
	recorded     bool      // every ended Ok segment with talk has a recording
	keys         []segUser // the start and end events, for adoption
	endSegs      []int     // segments with an end event
	digitCallers []string  // distinct CallerIDs of digits only, sorted
}

// complete reports whether the call is over: ended, not an orphan, and,
// when recordings are expected, recorded.
func (i *callInfo) complete(expectRecordings bool) bool {
	return !i.orphan && i.ended && (!expectRecordings || i.recorded)
}

type segUser struct {
	seg  int
	user string
}

// segmentEvents gathers the events of one segment.
type segmentEvents struct {
	number   int
	starts   []*Event
	end      *Event // of several, the longest, then the least by compareEvents
	recUsers []string
	urls     []string
}

// preAnswerSegment returns the segment a call's ringing and dialing
// events carry before it is answered: 0, as 3CX numbers them; or, when no
// ringing or dialing event is on segment 0, the lowest segment any of its
// events carries, if a ringing or dialing event is on it (the POST-scheme
// table in Creomate's docs gives ringing events the suffix of the first
// answered segment, "-1"); or -1 when there is none: an orphan.
func preAnswerSegment(evs []Event) int {
	lowest, ringsLowest := -1, false
	for i := range evs {
		ev := &evs[i]
		n := ev.Segment()
		if n < 0 {
			continue
		}
		rings := ev.Type == Ringing || ev.Type == Dialing
		if rings && n == 0 {
			return 0
		}
		switch {
		case lowest < 0 || n < lowest:
			lowest, ringsLowest = n, rings
		case n == lowest:
			ringsLowest = ringsLowest || rings
		}
	}
	if ringsLowest {
		return lowest
	}
	return -1
}

// buildCall rebuilds the call id from its distinct events, without
// Aliases, FirstSeen, LastSeen and Complete (see BuildCall).
func buildCall(id string, evs []Event) (Call, callInfo) {
	c := Call{ID: id, Direction: "inbound", Events: len(evs)}
	info := callInfo{orphan: true}
	var callers0, callers, dids0, dids, dialers []string
	var segs []*segmentEvents
	recSeg := make(map[string]int) // recording URL → lowest segment carrying it
	endMissed := false
	pre := preAnswerSegment(evs)
	for i := range evs {
		ev := &evs[i]
		n := ev.Segment()
		isPre := pre >= 0 && n == pre
		if ev.Outbound() {
			c.Direction = "outbound"
		}
		if ev.CallerID != "" {
			callers = append(callers, ev.CallerID)
			if isPre {
				callers0 = append(callers0, ev.CallerID)
			}
			if tolerant.Digits(ev.CallerID) && !slices.Contains(info.digitCallers, ev.CallerID) {
				info.digitCallers = append(info.digitCallers, ev.CallerID)
			}
		}
		if ev.DID != "" {
			dids = append(dids, ev.DID)
			if isPre {
				dids0 = append(dids0, ev.DID)
			}
		}
		if ev.Type == Dialing && ev.User != "" {
			dialers = append(dialers, ev.User)
		}
		if isPre && (ev.Type == Ringing || ev.Type == Dialing) {
			info.orphan = false
		}
		if isPre && ev.Type == Ringing && ev.User != "" {
			c.Path = append(c.Path, Hop{User: ev.User, UserType: ev.UserType})
		}
		if (ev.IsStart() || ev.IsEnd()) && ev.User != "" {
			k := segUser{n, ev.User}
			if !slices.Contains(info.keys, k) {
				info.keys = append(info.keys, k)
			}
		}
		if ev.IsEnd() {
			if ev.FinishType == FinishMissed {
				endMissed = true
			}
			if !slices.Contains(info.endSegs, n) {
				info.endSegs = append(info.endSegs, n)
			}
		}
		for _, u := range ev.RecordingURLs {
			if s, ok := recSeg[u]; !ok || n < s {
				recSeg[u] = n
			}
		}
		if n < 1 || !(ev.IsStart() || ev.IsEnd() || ev.Type == Recording || len(ev.RecordingURLs) > 0) {
			continue
		}
		var s *segmentEvents
		for _, x := range segs {
			if x.number == n {
				s = x
				break
			}
		}
		if s == nil {
			s = &segmentEvents{number: n}
			segs = append(segs, s)
		}
		s.urls = append(s.urls, ev.RecordingURLs...)
		switch {
		case ev.IsStart():
			s.starts = append(s.starts, ev)
		case ev.IsEnd():
			if s.end == nil || ev.Duration > s.end.Duration ||
				(ev.Duration == s.end.Duration && compareEvents(ev, s.end) < 0) {
				s.end = ev
			}
		case ev.Type == Recording && ev.User != "":
			s.recUsers = append(s.recUsers, ev.User)
		}
	}

	if len(callers0) > 0 {
		c.CallerID = mostCommon(callers0)
	} else {
		c.CallerID = mostCommon(callers)
	}
	if len(dids0) > 0 {
		c.DID = mostCommon(dids0)
	} else {
		c.DID = mostCommon(dids)
	}
	c.Dialer = mostCommon(dialers)

	slices.SortFunc(c.Path, func(a, b Hop) int {
		return cmp.Or(cmp.Compare(hopRank(a.UserType), hopRank(b.UserType)),
			strings.Compare(a.User, b.User), strings.Compare(a.UserType, b.UserType))
	})
	c.Path = slices.Compact(c.Path)

	slices.SortFunc(segs, func(a, b *segmentEvents) int { return cmp.Compare(a.number, b.number) })
	info.recorded = true
	for _, s := range segs {
		seg := Segment{Number: s.number}
		users := make([]string, 0, len(s.starts))
		types := make([]string, 0, len(s.starts))
		for _, ev := range s.starts {
			if ev.User != "" {
				users = append(users, ev.User)
			}
			if ev.TransferType != "" {
				types = append(types, ev.TransferType)
			}
		}
		seg.Agent, seg.TransferType = mostCommon(users), mostCommon(types)
		if e := s.end; e != nil {
			seg.FinishType, seg.Transfer, seg.Duration, seg.Ended = e.FinishType, e.Transfer, e.Duration, true
			if seg.Agent == "" {
				seg.Agent = e.User
			}
		}
		if seg.Agent == "" {
			seg.Agent = mostCommon(s.recUsers)
		}
		if len(s.urls) > 0 {
			seg.RecordingURLs = slices.Compact(slices.Sorted(slices.Values(s.urls)))
		}
		if seg.Ended && seg.FinishType == FinishOk && seg.Duration > 0 && len(seg.RecordingURLs) == 0 {
			info.recorded = false
		}
		if (seg.TransferType == Blind || seg.TransferType == Attended) && s.number >= 2 && len(c.Segments) > 0 {
			c.Transfers = append(c.Transfers, Transfer{
				Type: seg.TransferType, From: c.Segments[len(c.Segments)-1].Agent, To: seg.Agent, Segment: s.number,
			})
		}
		c.TalkTime += seg.Duration
		c.Segments = append(c.Segments, seg)
	}
	c.Answered = len(c.Segments) > 0
	c.Missed = !c.Answered && endMissed
	if c.Answered {
		info.ended = c.Segments[len(c.Segments)-1].Ended
	} else {
		info.ended = endMissed
	}

	if len(recSeg) > 0 {
		c.RecordingURLs = slices.SortedFunc(maps.Keys(recSeg), func(a, b string) int {
			return cmp.Or(cmp.Compare(recSeg[a], recSeg[b]), strings.Compare(a, b))
		})
	}
	slices.Sort(info.digitCallers)
	return c, info
}

// hopRank orders the hops of a Path: IVR, queue, extension, anything else.
func hopRank(userType string) int {
	switch userType {
	case "other":
		return 0
	case "queue":
		return 1
	case "ext":
		return 2
	}
	return 3
}

// mostCommon returns the value vals holds most often, the smallest of
// those on a tie, or "" for none.
func mostCommon(vals []string) string {
	best, bestN := "", 0
	for i, v := range vals {
		if v == best {
			continue
		}
		n := 0
		for _, w := range vals[i:] {
			if w == v {
				n++
			}
		}
		if n > bestN || (n == bestN && v < best) {
			best, bestN = v, n
		}
	}
	return best
}
