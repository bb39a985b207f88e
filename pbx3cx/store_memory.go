package pbx3cx

import (
	"container/heap"
	"container/list"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/telhook/telhook/internal/tolerant"
)

// MemoryCallStore is the CallStore a Tracker uses by default: the calls
// of one process, in its memory. Its clock is the Tracker's (the times
// given to its methods). Share one between Trackers of one process with
// WithCallStore; for Trackers on several instances use a shared store.
//
// It holds, beyond the events, a few words per open call, per distinct
// pair of its CallerIDs and Users (an index for Candidates) and per
// remembered id. The zero value is not usable: call NewMemoryCallStore.
type MemoryCallStore struct {
	mu       sync.Mutex
	calls    map[string]*memCall
	order    *list.List        // of *memCall, by LastSeen, oldest first
	alias    map[string]string // adopted call id → the call that adopted it
	wake     wakeHeap          // every call, by wake
	pairs    map[pairKey]map[*memCall]struct{}
	gone     map[string]time.Time // goneKey of emitted ids → until when they are late
	goneFIFO []goneEntry          // gone in order of emission, from goneHead
	goneHead int
	bytes    int64 // of all calls' events, by EventSize
	claimed  struct {
		calls int
		bytes int64
	}
	seq uint64 // the last version or claim token given out
}

// memCall is one open call.
type memCall struct {
	CallRecord
	bytes int64 // of Events, by EventSize
	token string
	elem  *list.Element
	wake  time.Time // the due time, or the end of the claim's lease
	index int       // in the wake heap
	rings bool      // has a ringing or dialing event: a possible parent
	// callers (digits only) and users of its events, for pairs.
	callers, users []string
}

// holds reports whether c keeps an event equal to ev.
func (c *memCall) holds(ev *Event) bool {
	for i := range c.Events {
		if sameEvent(&c.Events[i], ev) {
			return true
		}
	}
	return false
}

// pairKey is a CallerID and a User of the events of a possible parent.
type pairKey struct{ callerID, user string }

type goneEntry struct {
	id    string // goneKey of the id
	until time.Time
}

// NewMemoryCallStore returns an empty MemoryCallStore.
func NewMemoryCallStore() *MemoryCallStore {
	return &MemoryCallStore{
		calls: make(map[string]*memCall),
		order: list.New(),
		alias: make(map[string]string),
		pairs: make(map[pairKey]map[*memCall]struct{}),
		gone:  make(map[string]time.Time),
	}
}

var _ CallStore = (*MemoryCallStore)(nil)

// Append implements CallStore.
func (m *MemoryCallStore) Append(_ context.Context, ev *Event, now time.Time, lim StoreLimits) (AppendResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := ev.CallID()
	if p, ok := m.alias[id]; ok {
		id = p
	}
	size := EventSize(ev)
	if c := m.calls[id]; c != nil {
		switch {
		case c.token != "":
			return AppendResult{Outcome: AppendLate}, nil
		case c.holds(ev):
			return AppendResult{Outcome: AppendDuplicate}, nil
		case len(c.Events) >= lim.MaxCallEvents:
			c.Overflow++
			m.touch(c, now, lim)
			return AppendResult{Outcome: AppendOverflow}, nil
		case c.bytes+size > lim.MaxCallBytes:
			c.Overflow++
			m.touch(c, now, lim)
			return AppendResult{Outcome: AppendOverBudget}, nil
		}
		evict := m.makeRoom(nil, size, c, now, lim)
		c.Events = append(c.Events, cloneEvent(ev))
		m.took(c, &c.Events[len(c.Events)-1], size)
		m.touch(c, now, lim)
		return AppendResult{Outcome: AppendKept, Evict: evict}, nil
	}
	if until, ok := m.gone[goneKey(id)]; ok {
		if now.Before(until) {
			return AppendResult{Outcome: AppendLate}, nil
		}
		delete(m.gone, goneKey(id))
	}
	if size > lim.MaxCallBytes {
		return AppendResult{Outcome: AppendTooLarge}, nil
	}
	var evict []Claim
	for e := m.order.Front(); e != nil && len(m.calls)-m.claimed.calls >= lim.MaxOpenCalls; e = e.Next() {
		if c := e.Value.(*memCall); c.token == "" {
			evict = append(evict, m.claim(c, now, lim))
		}
	}
	evict = m.makeRoom(evict, size, nil, now, lim)
	c := &memCall{CallRecord: CallRecord{FirstSeen: now, LastSeen: now}}
	c.Events = append(make([]Event, 0, 4), cloneEvent(ev))
	c.ID = c.Events[0].CallID() // the copy's, which keeps nothing of the caller's alive
	c.elem = m.order.PushBack(c)
	m.place(c)
	heap.Push(&m.wake, c)
	m.calls[c.ID] = c
	m.took(c, &c.Events[0], size)
	m.touch(c, now, lim)
	return AppendResult{Outcome: AppendKept, Evict: evict}, nil
}

// makeRoom claims unclaimed calls, the oldest LastSeen first and never
// keep, until size more bytes fit within lim.MaxBytes beside the events of
// the unclaimed calls, and returns evict with the claims appended.
func (m *MemoryCallStore) makeRoom(evict []Claim, size int64, keep *memCall, now time.Time, lim StoreLimits) []Claim {
	for e := m.order.Front(); e != nil && m.bytes-m.claimed.bytes+size > lim.MaxBytes; e = e.Next() {
		if c := e.Value.(*memCall); c != keep && c.token == "" {
			evict = append(evict, m.claim(c, now, lim))
		}
	}
	return evict
}

// took counts ev, of size bytes, just kept in c, and files c under the
// pairs it now has.
func (m *MemoryCallStore) took(c *memCall, ev *Event, size int64) {
	c.bytes += size
	m.bytes += size
	newCaller := tolerant.Digits(ev.CallerID) && !slices.Contains(c.callers, ev.CallerID)
	newUser := ev.User != "" && !slices.Contains(c.users, ev.User)
	if newCaller {
		c.callers = append(c.callers, ev.CallerID)
	}
	if newUser {
		c.users = append(c.users, ev.User)
	}
	if !c.rings && (ev.Type == Ringing || ev.Type == Dialing) {
		c.rings = true
		m.index(c, c.callers, c.users)
		return
	}
	if !c.rings {
		return
	}
	if newCaller {
		m.index(c, []string{ev.CallerID}, c.users)
	}
	if newUser {
		m.index(c, c.callers, []string{ev.User})
	}
}

// index files c under every pair of callers and users.
func (m *MemoryCallStore) index(c *memCall, callers, users []string) {
	for _, cl := range callers {
		for _, u := range users {
			k := pairKey{cl, u}
			set := m.pairs[k]
			if set == nil {
				set = make(map[*memCall]struct{})
				m.pairs[k] = set
			}
			set[c] = struct{}{}
		}
	}
}

// unindex removes c from the pairs.
func (m *MemoryCallStore) unindex(c *memCall) {
	if !c.rings {
		return
	}
	for _, cl := range c.callers {
		for _, u := range c.users {
			k := pairKey{cl, u}
			if set := m.pairs[k]; set != nil {
				delete(set, c)
				if len(set) == 0 {
					delete(m.pairs, k)
				}
			}
		}
	}
}

// touch records a change of c at now: LastSeen, version, due time.
func (m *MemoryCallStore) touch(c *memCall, now time.Time, lim StoreLimits) {
	if now.After(c.LastSeen) {
		c.LastSeen = now
		m.place(c)
	}
	c.Version = m.next()
	c.wake = c.LastSeen.Add(lim.Settle)
	heap.Fix(&m.wake, c.index)
}

// place moves c to the back of the order, or before the calls last seen
// after it: the clocks of concurrent callers may run a little apart.
func (m *MemoryCallStore) place(c *memCall) {
	e := m.order.Back()
	for e != nil && (e == c.elem || e.Value.(*memCall).LastSeen.After(c.LastSeen)) {
		e = e.Prev()
	}
	if e == nil {
		m.order.MoveToFront(c.elem)
	} else {
		m.order.MoveAfter(c.elem, e)
	}
}

func (m *MemoryCallStore) next() uint64 {
	m.seq++
	return m.seq
}

// claim leases c, which is not claimed under a running lease.
func (m *MemoryCallStore) claim(c *memCall, now time.Time, lim StoreLimits) Claim {
	if c.token == "" {
		m.claimed.calls++
		m.claimed.bytes += c.bytes
	}
	c.token = strconv.FormatUint(m.next(), 10)
	c.wake = now.Add(lim.Lease)
	heap.Fix(&m.wake, c.index)
	return Claim{CallRef: c.CallRef, Token: c.token, Until: c.wake}
}

// Due implements CallStore.
func (m *MemoryCallStore) Due(_ context.Context, now time.Time, all bool) (time.Time, []DueCall, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireGone(now)
	var due []DueCall
	if all {
		for _, c := range m.calls {
			if c.token == "" || !now.Before(c.wake) {
				due = append(due, DueCall{c.CallRef, c.token != ""})
			}
		}
		return now, due, nil
	}
	// The heap's entries due at now are a subtree at its root.
	var walk func(i int)
	walk = func(i int) {
		if i >= len(m.wake) || m.wake[i].wake.After(now) {
			return
		}
		c := m.wake[i]
		due = append(due, DueCall{c.CallRef, c.token != ""})
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
	return now, due, nil
}

// Read implements CallStore.
func (m *MemoryCallStore) Read(_ context.Context, id string) (CallRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls[id]
	if c == nil {
		return CallRecord{}, false, nil
	}
	r := c.CallRecord
	r.Aliases = slices.Clone(r.Aliases)
	r.Events = slices.Clip(r.Events) // kept events never change; later ones go beyond
	return r, true, nil
}

// Defer implements CallStore.
func (m *MemoryCallStore) Defer(_ context.Context, ref CallRef, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.calls[ref.ID]; c != nil && c.Version == ref.Version && c.token == "" {
		c.wake = until
		heap.Fix(&m.wake, c.index)
	}
	return nil
}

// Claim implements CallStore.
func (m *MemoryCallStore) Claim(_ context.Context, ref CallRef, now time.Time, lim StoreLimits) (Claim, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls[ref.ID]
	if c == nil || c.Version != ref.Version || (c.token != "" && now.Before(c.wake)) {
		return Claim{}, false, nil
	}
	return m.claim(c, now, lim), true, nil
}

// Ack implements CallStore.
func (m *MemoryCallStore) Ack(_ context.Context, cl Claim, now time.Time, lim StoreLimits) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls[cl.ID]
	if c == nil || c.token != cl.Token {
		return ErrClaimLost
	}
	m.claimed.calls--
	m.claimed.bytes -= c.bytes
	m.remove(c)
	m.remember(c.ID, now, lim)
	for _, a := range c.Aliases {
		delete(m.alias, a)
		m.remember(a, now, lim)
	}
	return nil
}

// remove takes c out of the open calls.
func (m *MemoryCallStore) remove(c *memCall) {
	m.bytes -= c.bytes
	m.unindex(c)
	delete(m.calls, c.ID)
	m.order.Remove(c.elem)
	heap.Remove(&m.wake, c.index)
}

// remember records id as emitted, until now + lim.Quiet.
func (m *MemoryCallStore) remember(id string, now time.Time, lim StoreLimits) {
	until := now.Add(lim.Quiet)
	key := goneKey(id)
	if key == id {
		key = strings.Clone(id) // keeps no event's text alive
	}
	m.gone[key] = until
	m.goneFIFO = append(m.goneFIFO, goneEntry{key, until})
	for len(m.gone) > lim.MaxOpenCalls {
		m.popGone()
	}
	m.expireGone(now)
}

// expireGone forgets the ids no longer late at now.
func (m *MemoryCallStore) expireGone(now time.Time) {
	for m.goneHead < len(m.goneFIFO) && !now.Before(m.goneFIFO[m.goneHead].until) {
		m.popGone()
	}
}

func (m *MemoryCallStore) popGone() {
	e := m.goneFIFO[m.goneHead]
	m.goneFIFO[m.goneHead] = goneEntry{}
	m.goneHead++
	if until, ok := m.gone[e.id]; ok && until.Equal(e.until) {
		delete(m.gone, e.id)
	}
	if m.goneHead >= 1024 && m.goneHead*2 >= len(m.goneFIFO) {
		n := copy(m.goneFIFO, m.goneFIFO[m.goneHead:])
		clear(m.goneFIFO[n:])
		m.goneFIFO = m.goneFIFO[:n]
		m.goneHead = 0
	}
}

// Merge implements CallStore.
func (m *MemoryCallStore) Merge(_ context.Context, parent, orphan CallRef, now time.Time, lim StoreLimits) (MergeResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, o := m.calls[parent.ID], m.calls[orphan.ID]
	if p == nil || o == nil || p == o || p.Version != parent.Version || o.Version != orphan.Version ||
		p.token != "" || o.token != "" {
		return MergeResult{}, nil
	}
	if o.LastSeen.After(p.LastSeen) {
		// p takes o's place in the order, as if o's events were its own.
		p.LastSeen = o.LastSeen
		m.order.MoveAfter(p.elem, o.elem)
	}
	if o.FirstSeen.Before(p.FirstSeen) {
		p.FirstSeen = o.FirstSeen
	}
	m.remove(o)
	var res MergeResult
	for i := range o.Events {
		ev := &o.Events[i]
		size := EventSize(ev)
		switch {
		case len(p.Events) >= lim.MaxCallEvents:
			res.Overflow++
			res.Dropped = append(res.Dropped, *ev)
		case p.bytes+size > lim.MaxCallBytes:
			res.Dropped = append(res.Dropped, *ev)
		default:
			p.Events = append(p.Events, *ev)
			m.took(p, ev, size)
		}
	}
	p.Overflow += len(res.Dropped) + o.Overflow
	p.Aliases = append(p.Aliases, o.ID)
	p.Aliases = append(p.Aliases, o.Aliases...)
	slices.Sort(p.Aliases)
	p.Aliases = slices.Compact(p.Aliases)
	for _, a := range p.Aliases {
		m.alias[a] = p.ID
	}
	m.touch(p, p.LastSeen, lim)
	res.Merged, res.Version = true, p.Version
	return res, nil
}

// Candidates implements CallStore.
func (m *MemoryCallStore) Candidates(_ context.Context, callerID, user string) ([]CallRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	set := m.pairs[pairKey{callerID, user}]
	refs := make([]CallRef, 0, len(set))
	for c := range set {
		if c.token == "" {
			refs = append(refs, c.CallRef)
		}
	}
	return refs, nil
}

// Usage implements CallStore.
func (m *MemoryCallStore) Usage(context.Context) (StoreUsage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return StoreUsage{Open: len(m.calls), Bytes: m.bytes}, nil
}

// wakeHeap orders calls by wake, the earliest first.
type wakeHeap []*memCall

// Len, Less, Swap, Push and Pop implement heap.Interface.
func (h wakeHeap) Len() int { return len(h) }

// Less orders by wake.
func (h wakeHeap) Less(i, j int) bool { return h[i].wake.Before(h[j].wake) }

// Swap keeps each call's index.
func (h wakeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

// Push adds a call.
func (h *wakeHeap) Push(x any) {
	c := x.(*memCall)
	c.index = len(*h)
	*h = append(*h, c)
}

// Pop removes the last call.
func (h *wakeHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.index = -1
	return c
}
