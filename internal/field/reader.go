package field

import (
	"errors"
	"strings"
	"time"

	"github.com/telhook/telhook/internal/tolerant"
)

// Reader takes the fields of one webhook into an event. Read every field
// the event has, then check Err once: the first failure is kept (the error
// is sticky) and later reads return zero values. A field read, or marked
// with Use, is not in Extra.
//
// Keys are matched exactly, or in any case with Fold. Two fields that match
// one key with different values are refused with ErrRepeated (the
// front-ends refuse exact repeats already; with Fold, "id" and "ID" are one
// key too).
type Reader struct {
	provider string
	prefix   string  // "event_payload." for a nested object
	parent   *Reader // of a nested object: the one whose err is shared
	fold     bool
	trim     bool
	fields   []Field
	used     uint64 // bit i: field i was read (fields past 64: usedMore)
	usedMore []bool
	err      error // the first failure, kept by the outermost Reader
}

// NewReader returns a Reader of fields for provider.
func NewReader(provider string, fields []Field) *Reader {
	return &Reader{provider: provider, fields: fields}
}

func (r *Reader) root() *Reader {
	for r.parent != nil {
		r = r.parent
	}
	return r
}

func (r *Reader) isUsed(i int) bool {
	if i < 64 {
		return r.used&(1<<i) != 0
	}
	return i-64 < len(r.usedMore) && r.usedMore[i-64]
}

func (r *Reader) markUsed(i int) {
	if i < 64 {
		r.used |= 1 << i
		return
	}
	if r.usedMore == nil {
		r.usedMore = make([]bool, len(r.fields)-64)
	}
	r.usedMore[i-64] = true
}

// Fold makes the Reader match keys in any case, and returns it.
func (r *Reader) Fold() *Reader { r.fold = true; return r }

// Trim makes the Reader trim the space around every value before it
// returns or converts it (a value of space alone is empty), and returns
// it. A failure then repeats the value trimmed.
func (r *Reader) Trim() *Reader { r.trim = true; return r }

// Err returns the first failure, a *telhook.DecodeError, or nil.
func (r *Reader) Err() error { return r.root().err }

// Fail records err for key (the provider's own name, which the error
// names with its path) unless a failure is recorded already.
func (r *Reader) Fail(key, value string, err error) {
	if root := r.root(); root.err == nil {
		root.err = Error(r.provider, r.prefix+key, value, err)
	}
}

// Has reports whether key was sent (even empty or null).
func (r *Reader) Has(key string) bool { return r.find(key) >= 0 }

// Field returns the field sent for key and marks it used; ok is false
// when there is none (or a failure is recorded).
func (r *Reader) Field(key string) (f Field, ok bool) {
	if r.Err() != nil {
		return Field{}, false
	}
	i := r.find(key)
	if i < 0 {
		return Field{}, false
	}
	for j := i + 1; j < len(r.fields); j++ {
		if r.match(j, key) {
			if r.fields[j].Value != r.fields[i].Value || r.fields[j].Kind != r.fields[i].Kind {
				r.Fail(r.fields[j].Key, r.fields[j].Value, ErrRepeated)
				return Field{}, false
			}
			r.markUsed(j)
		}
	}
	r.markUsed(i)
	return r.fields[i], true
}

// Use marks key as read without reading it, so that it is not in Extra.
func (r *Reader) Use(key string) {
	for i := range r.fields {
		if r.match(i, key) {
			r.markUsed(i)
		}
	}
}

func (r *Reader) find(key string) int {
	for i := range r.fields {
		if r.match(i, key) {
			return i
		}
	}
	return -1
}

func (r *Reader) match(i int, key string) bool {
	k := r.fields[i].Key
	if r.fold {
		return strings.EqualFold(k, key)
	}
	return k == key
}

// scalar returns the text of key's value; an object or array is refused
// with errNotScalar.
func (r *Reader) scalar(key string, notScalar error) (string, bool) {
	f, ok := r.Field(key)
	if !ok {
		return "", false
	}
	if !f.Kind.Scalar() {
		r.Fail(key, "", notScalar)
		return "", false
	}
	if r.trim {
		return strings.TrimSpace(f.Value), true
	}
	return f.Value, true
}

// ErrNotScalar refuses an object or array where text is expected.
var ErrNotScalar = errors.New("not a string, number or boolean")

// Text returns key's value as text ("" when absent or null).
func (r *Reader) Text(key string) string {
	s, _ := r.scalar(key, ErrNotScalar)
	return s
}

// Word returns key's value with surrounding space trimmed: for statuses,
// directions and other words of the provider's.
func (r *Reader) Word(key string) string { return strings.TrimSpace(r.Text(key)) }

// Phone returns key's value with a '+' restored that arrived unescaped
// and so became a space (" 46706861004").
func (r *Reader) Phone(key string) string { return tolerant.Phone(r.Text(key)) }

// Int returns key's value as a decimal integer; absent, null or empty is 0.
func (r *Reader) Int(key string) int {
	s, ok := r.scalar(key, ErrNotScalar)
	if !ok || s == "" {
		return 0
	}
	v, err := tolerant.Int(s)
	if err == nil && int64(int(v)) != v {
		err = tolerant.ErrRange
	}
	if err != nil {
		r.Fail(key, s, err)
		return 0
	}
	return int(v)
}

// Seconds returns key's value, whole seconds, as a Duration; absent, null
// or empty is 0.
func (r *Reader) Seconds(key string) time.Duration {
	s, ok := r.scalar(key, ErrNotScalar)
	if !ok || s == "" {
		return 0
	}
	d, err := tolerant.Seconds(s)
	if err != nil {
		r.Fail(key, s, err)
	}
	return d
}

// Time returns key's value read by tolerant.ParseTime, a time without a
// zone read in loc; absent, null or empty is the zero Time.
func (r *Reader) Time(key string, loc *time.Location) time.Time {
	s, ok := r.scalar(key, ErrNotScalar)
	if !ok || s == "" {
		return time.Time{}
	}
	t, err := tolerant.ParseTime(s, loc)
	if err != nil {
		r.Fail(key, s, err)
	}
	return t
}

// ErrNotBool refuses a flag that is neither true nor false.
var ErrNotBool = errors.New(`not a boolean (true, false, "true", "false")`)

// Extra returns the first value of every field not read, nil when there
// is none: what the provider sent that the event has no field for. Keys
// are as sent, and objects and arrays keep their JSON.
func (r *Reader) Extra() map[string]string {
	var extra map[string]string
	for i, f := range r.fields {
		if r.isUsed(i) {
			continue
		}
		if extra == nil {
			extra = make(map[string]string)
		}
		if _, dup := extra[f.Key]; !dup {
			extra[f.Key] = f.Value
		}
	}
	return extra
}

// Fields returns the fields the Reader reads.
func (r *Reader) Fields() []Field { return r.fields }

// Require refuses, with ErrMissing, the first key of its key, value pairs
// whose value (as the decoder read it) is empty: for fields checked after
// the rest, so that a value that cannot be read is reported before a
// field that is missing.
func (r *Reader) Require(kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			r.Fail(kv[i], "", ErrMissing)
			return
		}
	}
}
