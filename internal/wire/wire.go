// Package wire turns raw provider input into unexported wire structs: it
// holds the one configure-once gorilla/schema decoder and validator/v10
// instance every provider shares, reads form bodies with errors that name
// the field, and collects the fields a wire struct does not know.
//
// Every error it returns is a *telhook.DecodeError.
package wire

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/gorilla/schema"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/field"
	"github.com/telhook/telhook/internal/jsonobj"
	"github.com/telhook/telhook/internal/query"
)

// Errors wrapped in DecodeErrors by this package: the field reader's, so
// that one sentinel matches whichever decoder found the problem.
var (
	ErrMissing  = field.ErrMissing
	ErrRepeated = field.ErrRepeated
	ErrUTF8     = field.ErrUTF8
	ErrEscape   = field.ErrEscape
	ErrEmpty    = field.ErrEmpty
	ErrTooMany  = field.ErrTooMany
)

// MaxFields bounds the fields of one form or query string.
const MaxFields = field.MaxFields

// Error returns a DecodeError as field.Error does.
func Error(provider, fieldName, value string, err error) *telhook.DecodeError {
	return field.Error(provider, fieldName, value, err)
}

// JSONError turns an error of jsonobj.Parse into a DecodeError, naming
// the member it is about when there is one.
func JSONError(provider string, err error) *telhook.DecodeError {
	var me *jsonobj.MemberError
	if errors.As(err, &me) {
		return Error(provider, me.Key, me.Value, me.Err)
	}
	return Error(provider, "", "", err)
}

// decoder and validate are configured once and safe for concurrent use.
var (
	decoder = func() *schema.Decoder {
		d := schema.NewDecoder()
		d.SetAliasTag("form")
		d.IgnoreUnknownKeys(true) // kept in Extra by the provider, never an error
		d.MaxSize(64)             // no slice field indexed past this from hostile input
		return d
	}()
	validate = func() *validator.Validate {
		v := validator.New(validator.WithRequiredStructEnabled())
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			for _, tag := range []string{"form", "json"} {
				if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
					return name
				}
			}
			return f.Name
		})
		return v
	}()
)

// Form parses an application/x-www-form-urlencoded body. Trailing line
// breaks are dropped (an encoded value never ends in a raw one). A bad
// escape names its field; a key repeated with different values is refused
// rather than resolved by guessing; keys and values must be valid UTF-8.
func Form(provider string, body []byte) (url.Values, error) {
	s := strings.TrimRight(string(body), "\r\n")
	if s == "" {
		return nil, Error(provider, "", "", ErrEmpty)
	}
	if strings.Count(s, "&") >= MaxFields {
		return nil, Error(provider, "", "", ErrTooMany)
	}
	values, err := url.ParseQuery(s)
	if err != nil {
		return nil, badPair(provider, s, err)
	}
	return values, Check(provider, values)
}

// Check refuses keys repeated with different values and text that is not
// UTF-8, reporting the smallest offending key so errors are deterministic.
func Check(provider string, values url.Values) error {
	var bad *telhook.DecodeError
	for k, vs := range values {
		var e *telhook.DecodeError
		switch {
		case !utf8.ValidString(k):
			e = Error(provider, k, "", ErrUTF8)
		default:
			for i, v := range vs {
				if !utf8.ValidString(v) {
					e = Error(provider, k, v, ErrUTF8)
					break
				}
				if i > 0 && v != vs[0] {
					e = Error(provider, k, v, ErrRepeated)
					break
				}
			}
		}
		if e != nil && (bad == nil || e.Field < bad.Field) {
			bad = e
		}
	}
	if bad != nil {
		return bad
	}
	return nil
}

// CheckFields refuses keys and values that are not UTF-8 in fields, the
// flat fields of any front-end (JSON members, a query string, multipart
// parts), reporting the smallest offending key so errors are deterministic.
// Nothing that fails it may reach an event: not a value, not an Extra key.
func CheckFields(provider string, fields map[string]string) error {
	bad, badValue := "", ""
	found := false
	for k, v := range fields {
		if (!utf8.ValidString(k) || !utf8.ValidString(v)) && (!found || k < bad) {
			bad, badValue, found = k, v, true
		}
	}
	if !found {
		return nil
	}
	if !utf8.ValidString(bad) {
		badValue = "" // the key is the offence; its value may be fine
	}
	return Error(provider, bad, badValue, ErrUTF8)
}

// QueryError turns an error of query.Parse into a DecodeError naming the
// pair it is about, with the shared sentinels: text that is not UTF-8
// matches ErrUTF8, whichever reader found it. raw is the Value of an error
// about no pair in particular ("" where the query may hold a secret).
func QueryError(provider, raw string, err error) *telhook.DecodeError {
	key, value := "", raw
	var qe *query.Error
	if errors.As(err, &qe) {
		key, value, err = qe.Key, qe.Value, qe.Err
	}
	if errors.Is(err, query.ErrUTF8) {
		err = ErrUTF8
	}
	return Error(provider, key, value, err)
}

// badPair finds the pair url.ParseQuery refused, to name its field.
func badPair(provider, s string, err error) error {
	for pair := range strings.SplitSeq(s, "&") {
		k, v, _ := strings.Cut(pair, "=")
		key, kerr := url.QueryUnescape(k)
		if kerr != nil {
			return Error(provider, k, "", ErrEscape)
		}
		if strings.Contains(pair, ";") {
			return Error(provider, key, v, errSemicolon)
		}
		if _, verr := url.QueryUnescape(v); verr != nil {
			return Error(provider, key, v, ErrEscape)
		}
	}
	return Error(provider, "", "", err)
}

var errSemicolon = errors.New("';' is not a field separator")

// Decode fills dst, a pointer to a wire struct with `form` tags, from values
// and validates its `validate` tags. Only keys spelled exactly as a tag
// reach the struct: gorilla/schema matches keys in any case, and with both
// "id" and "ID" sent, map order would pick the value. Other spellings are
// the caller's to keep (Extra).
func Decode(provider string, dst any, values url.Values) error {
	known := Fields(dst)
	exact := make(url.Values, len(known))
	for k := range known {
		if v, ok := values[k]; ok {
			exact[k] = v
		}
	}
	if err := decoder.Decode(dst, exact); err != nil {
		return schemaError(provider, values, err)
	}
	return Validate(provider, dst)
}

// Validate checks dst's `validate` tags and reports the first failure by
// the field's wire name.
func Validate(provider string, dst any) error {
	err := validate.Struct(dst)
	if err == nil {
		return nil
	}
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) || len(ve) == 0 {
		return Error(provider, "", "", err)
	}
	fe := ve[0]
	value := ""
	if s, ok := fe.Value().(string); ok {
		value = s
	}
	if fe.Tag() == "required" {
		return Error(provider, fe.Field(), "", ErrMissing)
	}
	return Error(provider, fe.Field(), value, fmt.Errorf("fails %q", fe.Tag()))
}

func schemaError(provider string, values url.Values, err error) error {
	var multi schema.MultiError
	if !errors.As(err, &multi) {
		return Error(provider, "", "", err)
	}
	keys := make([]string, 0, len(multi))
	for k := range multi {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	k := keys[0]
	cause := multi[k]
	var conv schema.ConversionError
	if errors.As(cause, &conv) && conv.Err != nil {
		cause = conv.Err
	}
	return Error(provider, k, values.Get(k), cause)
}

// Fields returns the set of `form` tag names of the struct type of v (a
// struct or pointer to one), computed once per type.
func Fields(v any) map[string]bool {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if known, ok := fieldCache.Load(t); ok {
		return known.(map[string]bool)
	}
	known := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("form"), ","); name != "" && name != "-" {
			known[name] = true
		}
	}
	fieldCache.Store(t, known)
	return known
}

var fieldCache sync.Map // reflect.Type → map[string]bool

// Extra returns the first value of every key that is not known and not
// consumed, or nil when there is none: what the provider sent that has no
// field of its own.
func Extra(values url.Values, known map[string]bool, consumed func(string) bool) map[string]string {
	var extra map[string]string
	for k, vs := range values {
		if known[k] || (consumed != nil && consumed(k)) || len(vs) == 0 {
			continue
		}
		if extra == nil {
			extra = make(map[string]string)
		}
		extra[k] = vs[0]
	}
	return extra
}
