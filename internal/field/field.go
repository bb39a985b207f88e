// Package field is the one way every provider decodes a webhook.
//
// A front-end turns a body into a flat list of [Field]s — [Form] for
// application/x-www-form-urlencoded bodies, [JSON] for a JSON object, and,
// outside this package, the loose 3CX query string and the bare recording
// URL — and a [Reader] takes them into an event: text, word, integer,
// seconds, time, required, and every field the event has no place
// for into Extra.
//
// The front-ends refuse, in one place and with one set of sentinels, what
// no decoder should see: bodies with no fields ([ErrEmpty]), more than
// [MaxFields] fields ([ErrTooMany]), text that is not UTF-8 ([ErrUTF8]),
// and a key sent twice with different values ([ErrRepeated]; a repeat with
// the same value is dropped). Every error they and the Reader return is a
// *telhook.DecodeError naming the provider and the field.
//
// Values are copied as text: numbers and ids are never read through
// float64, and a JSON number keeps the digits it was sent with.
package field

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/jsonobj"
)

// Field is one key and value a front-end read.
type Field struct {
	Key string
	// Value is the text of the value: a form value unescaped, a JSON string
	// unescaped, a JSON number as sent, "true" or "false", "" for null, and
	// the raw JSON of an object or array.
	Value string
	Kind  Kind
}

// Kind is what a value was sent as.
type Kind uint8

// The kinds of value. Form and query values are all Text.
const (
	Text   Kind = iota // a form or query value, or a JSON string
	Number             // a JSON number
	Bool               // JSON true or false
	Null               // JSON null
	Object             // a JSON object; Value is its JSON
	Array              // a JSON array; Value is its JSON
)

// Scalar reports whether the value is text, a number, a boolean or null.
func (k Kind) Scalar() bool { return k < Object }

// MaxFields bounds the fields of one body. No webhook of any provider has
// more than about 30; the bound keeps what a hostile body costs small,
// whatever limit the Go release's own net/url has.
const MaxFields = 1000

// Sentinels, each wrapped in a *telhook.DecodeError.
var (
	ErrEmpty    = errors.New("empty body")
	ErrTooMany  = fmt.Errorf("more than %d fields", MaxFields)
	ErrUTF8     = jsonobj.ErrUTF8 // one value, whichever reader found the bytes
	ErrRepeated = errors.New("field is repeated with different values")
	ErrMissing  = errors.New("required field is missing")
	ErrEscape   = errors.New("invalid percent-encoding")
)

// maxValue is how much of a bad value an error repeats.
const maxValue = 64

// Error returns a DecodeError whose Field and Value are valid UTF-8 (bad
// bytes become U+FFFD, so an error never carries them into a log or an
// answer) and whose Value is cut to 64 bytes on a rune boundary, so that a
// hostile 60 KiB value is not repeated.
func Error(provider, field, value string, err error) *telhook.DecodeError {
	field = strings.ToValidUTF8(field, "\uFFFD")
	value = strings.ToValidUTF8(value, "\uFFFD")
	if len(value) > maxValue {
		cut := maxValue
		for cut > 0 && !utf8.RuneStart(value[cut]) {
			cut--
		}
		value = value[:cut] + "…"
	}
	return &telhook.DecodeError{Provider: provider, Field: field, Value: value, Err: err}
}
