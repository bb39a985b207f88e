package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram is a fixed-size log-linear latency histogram, HDR-like: 32
// buckets per power of two, so a recorded value is off by at most 1/32
// (about 3%) of itself, in about 9 KiB whatever the number of requests.
// Values at or over maxValue are counted in the last bucket.
type histogram struct {
	counts [numBuckets]uint64
	n      uint64
	max    uint64
}

const (
	subBits  = 5
	subCount = 1 << subBits
	// maxValue bounds what is kept apart: 2^40 ns is over 18 minutes.
	maxValue   = 1<<40 - 1
	numBuckets = (40-subBits)*subCount + subCount
)

// bucketOf returns v's bucket: v itself below 64, else 32 buckets per
// power of two.
func bucketOf(v uint64) int {
	if v > maxValue {
		v = maxValue
	}
	if v < 2*subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return shift*subCount + int(v>>shift)
}

// bucketRange returns the lowest value of bucket i and its width.
func bucketRange(i int) (low, width uint64) {
	if i < 2*subCount {
		return uint64(i), 1
	}
	shift := i/subCount - 1
	return uint64(i%subCount+subCount) << shift, 1 << shift
}

func (h *histogram) record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)]++
	h.n++
	h.max = max(h.max, v)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the value at quantile q (0 < q <= 1): the middle of the
// bucket holding the ceil(q*n)-th smallest value, never above the maximum.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			low, width := bucketRange(i)
			return time.Duration(min(low+width/2, h.max))
		}
	}
	return time.Duration(h.max)
}
