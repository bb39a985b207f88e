package core

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Digest builds a webhook's de-duplication key from everything a resend of
// it repeats, in one buffer: every part is written with its length first
// ("3:sms14:s70df59…"), so that no text can move from one part to another
// and give the same key, and the whole is hashed with SHA-256. The key is the
// kind, the id (cut to 64 bytes, for logs) and the first 128 bits of the
// hash: short however long the webhook, and it takes no message text or
// secret into logs or a shared store. A caller writes a count before a
// list of variable length.
//
// A Digest is used once: Key ends it (and recycles its buffer).
type Digest struct {
	kind, id string
	b        []byte
}

var digests = sync.Pool{New: func() any { return &Digest{b: make([]byte, 0, 1024)} }}

// NewDigest starts the key of a webhook of kind with the provider's id.
func NewDigest(kind, id string) *Digest {
	d := digests.Get().(*Digest)
	d.kind, d.id, d.b = kind, id, d.b[:0]
	return d.Str(kind, id)
}

// Str adds text parts.
func (d *Digest) Str(parts ...string) *Digest {
	for _, p := range parts {
		d.b = appendPart(d.b, p)
	}
	return d
}

// appendPart writes p with its length first.
func appendPart(b []byte, p string) []byte {
	b = strconv.AppendInt(b, int64(len(p)), 10)
	b = append(b, ':')
	return append(b, p...)
}

// Int adds integers (counts, durations).
func (d *Digest) Int(ns ...int64) *Digest {
	for _, n := range ns {
		d.b = append(d.b, 'i')
		d.b = strconv.AppendInt(d.b, n, 10)
		d.b = append(d.b, ';')
	}
	return d
}

// Time adds instants, whatever zone they were sent in.
func (d *Digest) Time(ts ...time.Time) *Digest {
	for _, t := range ts {
		d.Int(t.Unix(), int64(t.Nanosecond()))
	}
	return d
}

// Bool adds flags.
func (d *Digest) Bool(bs ...bool) *Digest {
	for _, b := range bs {
		if b {
			d.b = append(d.b, 'T')
		} else {
			d.b = append(d.b, 'F')
		}
	}
	return d
}

// Map adds a map (an event's Extra) in key order, with its size first.
func (d *Digest) Map(m map[string]string) *Digest {
	d.Int(int64(len(m)))
	if len(m) == 1 {
		for k, v := range m {
			d.Str(k, v)
		}
	}
	if len(m) < 2 {
		return d
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		d.Str(k, m[k])
	}
	return d
}

// Key returns the key and ends the Digest.
func (d *Digest) Key() string {
	sum := sha256.Sum256(d.b)
	id := d.id
	if len(id) > 64 {
		id = strings.ToValidUTF8(id[:64], "")
	}
	b := appendPart(appendPart(d.b[:0], d.kind), id)
	b = append(b, "32:"...)
	b = hex.AppendEncode(b, sum[:16])
	key := string(b)
	if cap(d.b) <= 64<<10 { // do not keep a buffer a huge Extra grew
		d.b, d.kind, d.id = b[:0], "", ""
		digests.Put(d)
	}
	return key
}
