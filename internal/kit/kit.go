// Package kit is the machinery the provider test kits (elkstest, obdtest,
// pbx3cxtest, oncalltest) share, so that the four behave alike:
//
//   - [Checker]: one validator/v10 instance per kit, configured once with
//     rules for the provider's event types (which carry no tags of their
//     own); a failed rule panics with an error naming the field.
//   - [Fail]: the same panic for the checks no tag can say.
//   - [NewEncoder]: one gorilla/schema encoder per form dialect, configured
//     once with the provider's time layout and zone; durations are written
//     as whole seconds.
//   - [Query]: url.Values encoded in the order a provider writes its keys.
//   - [Object]: a JSON object written member by member, in the provider's
//     order, without escaping HTML characters.
//   - [NewRequest]: httptest.NewRequest with a Content-Type.
//   - [SetBasicAuth], [SetBearerToken], [SetQueryToken]: the credentials
//     the verifiers of package telhook check.
//
// Everything here panics on a misuse, as httptest.NewRequest does: a kit
// is called from tests, where a panic names the mistake at once.
package kit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/gorilla/schema"

	"github.com/telhook/telhook/internal/query"
)

// Rules are validator/v10 tags for the fields of one event type, by Go
// field name: {"From": "required"}.
type Rules struct {
	Type   any // a value of the struct type, such as elks.SMS{}
	Fields map[string]string
}

// Checker validates the events given to a kit. It is configured once and
// safe for concurrent use.
type Checker struct{ v *validator.Validate }

// NewChecker returns a Checker that applies rules.
func NewChecker(rules ...Rules) *Checker {
	v := validator.New(validator.WithRequiredStructEnabled())
	for _, r := range rules {
		v.RegisterStructValidationMapRules(r.Fields, r.Type)
	}
	return &Checker{v: v}
}

// Check validates ev, a pointer to a struct, and panics with an error
// that starts with fn and names ev's type and the first failing field.
// A nil pointer panics too.
func (c *Checker) Check(fn string, ev any) {
	rv := reflect.ValueOf(ev)
	if ev == nil || rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic(fmt.Errorf("%s: %T: no event", fn, ev))
	}
	err := c.v.Struct(ev)
	if err == nil {
		return
	}
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) || len(ve) == 0 {
		panic(fmt.Errorf("%s: %T: %w", fn, ev, err))
	}
	Fail(fn, ev, "%s", message(ve[0]))
}

// message says what a failed rule means, naming the field by its path
// from the event ("Legs[1].Duration").
func message(fe validator.FieldError) string {
	name := fe.StructNamespace()
	if _, rest, ok := strings.Cut(name, "."); ok {
		name = rest
	}
	switch fe.Tag() {
	case "required":
		return name + " is required"
	case "required_with":
		return fmt.Sprintf("%s is required when %s is set", name, fe.Param())
	case "required_if":
		field, value, _ := strings.Cut(fe.Param(), " ")
		return fmt.Sprintf("%s is required when %s is %q", name, field, value)
	case "gte":
		return fmt.Sprintf("%s is %v; it must be at least %s", name, fe.Value(), fe.Param())
	case "max":
		return fmt.Sprintf("%s is longer than %s characters", name, fe.Param())
	case "startsnotwith":
		return fmt.Sprintf("%s %q must not start with %q", name, fe.Value(), fe.Param())
	case "oneof":
		return fmt.Sprintf("%s is %q; it must be one of %s", name, fe.Value(), fe.Param())
	}
	return fmt.Sprintf("%s %v fails %q", name, fe.Value(), fe.Tag()+"="+fe.Param())
}

// Fail panics with an error that starts with fn and names ev's type.
func Fail(fn string, ev any, format string, args ...any) {
	panic(fmt.Errorf("%s: %T: %s", fn, ev, fmt.Sprintf(format, args...)))
}

// NewEncoder returns a gorilla/schema encoder for `schema` tags that
// writes a time.Time in loc with layout (when layout is not empty) and a
// time.Duration as whole seconds (anything finer is dropped). Configure it
// once per dialect.
func NewEncoder(layout string, loc *time.Location) *schema.Encoder {
	e := schema.NewEncoder()
	if layout != "" {
		e.RegisterEncoder(time.Time{}, func(v reflect.Value) string {
			return v.Interface().(time.Time).In(loc).Format(layout)
		})
	}
	e.RegisterEncoder(time.Duration(0), func(v reflect.Value) string {
		return strconv.FormatInt(int64(v.Interface().(time.Duration)/time.Second), 10)
	})
	return e
}

// Encode encodes src, a struct with `schema` tags, with e. It panics when
// e cannot, which only a mistake in a kit's wire struct causes.
func Encode(e *schema.Encoder, src any) url.Values {
	v := url.Values{}
	if err := e.Encode(src, v); err != nil {
		panic(fmt.Sprintf("kit: encoding %T: %v", src, err))
	}
	return v
}

// Query encodes v like url.Values.Encode, except that the keys in first
// come first, in that order, and the others follow sorted.
func Query(v url.Values, first ...string) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		if !slices.Contains(first, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range append(slices.Clone(first), keys...) {
		for _, s := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(s))
		}
	}
	return b.String()
}

// Object writes a JSON object member by member, in the order of the calls.
// The zero Object is an empty object.
type Object struct{ b []byte }

// Set adds the member key with v encoded as JSON (HTML characters are not
// escaped). A json.RawMessage is written as it is.
func (o *Object) Set(key string, v any) {
	if o.b == nil {
		o.b = []byte{'{'}
	} else {
		o.b = append(o.b, ',')
	}
	o.b = append(o.b, marshal(key)...)
	o.b = append(o.b, ':')
	o.b = append(o.b, marshal(v)...)
}

// Len reports the number of bytes written so far; 0 means no member.
func (o *Object) Len() int { return len(o.b) }

// Bytes returns the object.
func (o *Object) Bytes() []byte {
	if o.b == nil {
		return []byte("{}")
	}
	return append(slices.Clip(o.b), '}')
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("kit: encoding %T as JSON: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// NewRequest returns httptest.NewRequest(method, target, body) with the
// Content-Type header set when contentType is not empty.
func NewRequest(method, target, contentType string, body []byte) *http.Request {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

// SetBasicAuth sets r's HTTP Basic credentials and returns r.
func SetBasicAuth(r *http.Request, user, pass string) *http.Request {
	r.SetBasicAuth(user, pass)
	return r
}

// SetBearerToken sets "Authorization: Bearer <token>" on r and returns r.
func SetBearerToken(r *http.Request, token string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// SetQueryToken sets the query parameter param of r's URL to token,
// replacing any value it had, and returns r. The other pairs of the query
// are kept exactly as written, in their order; the parameter goes first
// when first is true (a secret in a webhook URL to which the provider
// appends its own parameters), else last.
func SetQueryToken(r *http.Request, param, token string, first bool) *http.Request {
	var pairs []string
	if r.URL.RawQuery != "" {
		for _, p := range strings.Split(r.URL.RawQuery, "&") {
			k, _, _ := strings.Cut(p, "=")
			if key, err := url.QueryUnescape(k); err == nil && key == param {
				continue
			}
			pairs = append(pairs, p)
		}
	}
	pair := url.QueryEscape(param) + "=" + url.QueryEscape(token)
	if first {
		pairs = append([]string{pair}, pairs...)
	} else {
		pairs = append(pairs, pair)
	}
	r.URL.RawQuery = strings.Join(pairs, "&")
	r.RequestURI = r.URL.RequestURI()
	return r
}

// QueryKey reports whether k can be a key of a query string that is read
// loosely (letters, digits, '_', '-' and '.'), as the 3CX legacy scheme
// and Mobtexting's composed GETs are: a key with other bytes would be read
// as part of the value before it. It is the decoders' own rule,
// query.IsKey.
func QueryKey(k string) bool { return query.IsKey(k) }

// Set returns a set of the keys k, for the keys a provider's event owns.
func Set(k ...string) map[string]bool {
	m := make(map[string]bool, len(k))
	for _, s := range k {
		m[s] = true
	}
	return m
}

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
