// Package jsonout writes the providers' events as JSON for consumers in
// any language: keys from the `json` tags (snake_case, the provider's own
// names where it has one), times RFC 3339 in UTC, durations in seconds as
// JSON numbers (fractions allowed). Every event type's MarshalJSON calls
// Object; the Go fields keep their types.
package jsonout

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// Object writes v, a struct or a pointer to one, as a JSON object: one
// member per field with a `json` tag, in field order. A tag's omitempty
// leaves out an empty string, slice or map, zero number and false; a zero
// time is always left out. Structs without MarshalJSON are written the
// same way; everything else as encoding/json writes it.
func Object(v any) ([]byte, error) {
	var b bytes.Buffer
	err := object(&b, reflect.Indirect(reflect.ValueOf(v)))
	return b.Bytes(), err
}

func object(b *bytes.Buffer, v reflect.Value) error {
	t := v.Type()
	b.WriteByte('{')
	first := true
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		f := v.Field(i)
		if skip(f, strings.Contains(opts, "omitempty")) {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		if err := value(b, f); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func skip(f reflect.Value, omitEmpty bool) bool {
	if f.Type() == timeType {
		return f.Interface().(time.Time).IsZero()
	}
	if !omitEmpty {
		return false
	}
	switch f.Kind() {
	case reflect.String, reflect.Slice, reflect.Map:
		return f.Len() == 0
	case reflect.Bool:
		return !f.Bool()
	case reflect.Int, reflect.Int64:
		return f.Int() == 0
	case reflect.Float64:
		return f.Float() == 0
	}
	return false
}

func value(b *bytes.Buffer, f reflect.Value) error {
	switch {
	case f.Type() == timeType:
		j, err := f.Interface().(time.Time).UTC().MarshalJSON()
		b.Write(j)
		return err
	case f.Type() == durationType:
		b.Write(strconv.AppendFloat(nil, time.Duration(f.Int()).Seconds(), 'f', -1, 64))
		return nil
	case f.Kind() == reflect.Struct && !f.Type().Implements(marshaler):
		return object(b, f)
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct && !f.Type().Elem().Implements(marshaler):
		b.WriteByte('[')
		for i := range f.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := object(b, f.Index(i)); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	j, err := json.Marshal(f.Interface())
	b.Write(j)
	return err
}

var marshaler = reflect.TypeFor[json.Marshaler]()
