package pbx3cx

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// Orphan adoption (see Tracker, "Mismatched ids"): the events the add-on
// reports under another call's id are moved into the call they belong to.

// adoptOrphans adopts every orphan among calls it can into another open
// call; when settled, only orphans quiet for the settle time. calls are
// the calls being swept, by id: it loses the orphans adopted and gains
// their parents, rebuilt. It returns the orphans' events that did not fit
// in their parent, for the WithLate hook.
func (t *Tracker) adoptOrphans(ctx context.Context, calls map[string]*callView, now time.Time, settled bool) []*Event {
	var orphans []*callView
	for _, v := range calls {
		if v.info.orphan && len(v.info.keys) > 0 && len(v.info.digitCallers) > 0 &&
			(!settled || now.Sub(v.call.LastSeen) >= t.lim.Settle) && t.hasCandidates(ctx, v) {
			orphans = append(orphans, v)
		}
	}
	slices.SortFunc(orphans, func(a, b *callView) int {
		return cmp.Or(a.call.FirstSeen.Compare(b.call.FirstSeen), strings.Compare(a.ref.ID, b.ref.ID))
	})
	var dropped []*Event
	for _, o := range orphans {
		p := t.parentOf(ctx, o, now)
		if p == nil {
			continue
		}
		res, err := t.store.Merge(ctx, p.ref, o.ref, now, t.lim)
		if err != nil {
			t.storeError()
			continue
		}
		if !res.Merged {
			continue // one of them changed since it was read: at the next Sweep
		}
		t.mu.Lock()
		t.stats.Adopted++
		t.stats.Overflow += int64(res.Overflow)
		t.stats.OverBudget += int64(len(res.Dropped) - res.Overflow)
		delete(t.views, o.ref.ID)
		t.mu.Unlock()
		for i := range res.Dropped {
			dropped = append(dropped, &res.Dropped[i])
		}
		delete(calls, o.ref.ID)
		if np, err := t.view(ctx, p.ref.ID, res.Version, now); err == nil && np != nil {
			calls[p.ref.ID] = np
		} else {
			delete(calls, p.ref.ID)
		}
	}
	return dropped
}

// candidates returns the calls that could adopt the orphan o. A parent
// must match every start and end event of o, so the first will do to find
// them.
func (t *Tracker) candidates(ctx context.Context, o *callView, callerID string) ([]CallRef, error) {
	refs, err := t.store.Candidates(ctx, callerID, o.info.keys[0].user)
	if err != nil {
		t.storeError()
	}
	return refs, err
}

// hasCandidates reports whether any call could adopt the orphan o.
func (t *Tracker) hasCandidates(ctx context.Context, o *callView) bool {
	for _, c := range o.info.digitCallers {
		refs, err := t.candidates(ctx, o, c)
		if err != nil {
			return false
		}
		if slices.ContainsFunc(refs, func(r CallRef) bool { return r.ID != o.ref.ID }) {
			return true
		}
	}
	return false
}

// parentOf returns the open call that should adopt the orphan o, or nil.
func (t *Tracker) parentOf(ctx context.Context, o *callView, now time.Time) *callView {
	var best *callView
	var bestDist time.Duration
	for _, c := range o.info.digitCallers {
		refs, err := t.candidates(ctx, o, c)
		if err != nil {
			return nil
		}
		for _, r := range refs {
			if r.ID == o.ref.ID {
				continue
			}
			p, err := t.view(ctx, r.ID, r.Version, now)
			if err != nil || p == nil || !adoptable(o, p) {
				continue
			}
			d := p.call.LastSeen.Sub(o.call.FirstSeen).Abs()
			if best == nil || d < bestDist || (d == bestDist && p.ref.ID < best.ref.ID) {
				best, bestDist = p, d
			}
		}
	}
	return best
}

// adoptable reports whether the orphan o may be adopted into p.
func adoptable(o, p *callView) bool {
	if p.info.orphan || p.info.ended || len(p.call.Aliases) >= maxCallAliases ||
		p.call.Direction != o.call.Direction || !slices.Contains(o.info.digitCallers, p.call.CallerID) {
		return false
	}
	for _, k := range o.info.keys {
		if p.call.Answered {
			i, ok := slices.BinarySearchFunc(p.call.Segments, k.seg, func(s Segment, n int) int { return cmp.Compare(s.Number, n) })
			if !ok || p.call.Segments[i].Agent != k.user || p.call.Segments[i].Ended {
				return false
			}
			continue
		}
		if slices.Contains(p.info.endSegs, k.seg) {
			return false
		}
		if k.user != p.call.Dialer && !slices.ContainsFunc(p.call.Path, func(h Hop) bool { return h.User == k.user }) {
			return false
		}
	}
	return true
}
