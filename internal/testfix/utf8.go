package testfix

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"unicode/utf8"
)

// InvalidUTF8 walks v (structs, exported and unexported fields alike,
// pointers, interfaces, slices, arrays, maps with their keys) and describes
// the first string that is not valid UTF-8, with its path from v:
// `.Extra["\xff"] (map key)`, `.RecordingURLs[0]`. It returns "" when every
// string is valid. Map entries are visited in sorted key order, so the
// answer does not depend on map iteration. Byte slices are data, not text,
// and are not checked.
func InvalidUTF8(v any) string {
	w := utf8Walker{seen: map[uintptr]bool{}}
	return w.walk(reflect.ValueOf(v), "")
}

// CheckUTF8 fails t when any string in v is not valid UTF-8: the property
// every decoder's fuzz target asserts of the events it accepts.
func CheckUTF8(t testing.TB, v any) {
	t.Helper()
	if where := InvalidUTF8(v); where != "" {
		t.Fatalf("accepted event holds text that is not UTF-8: %s", where)
	}
}

type utf8Walker struct {
	seen map[uintptr]bool // pointers already walked: cycles end
}

func (w *utf8Walker) walk(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) {
			return fmt.Sprintf("%s = %q", pathOrRoot(path), s)
		}
	case reflect.Pointer:
		if v.IsNil() || w.seen[v.Pointer()] {
			return ""
		}
		w.seen[v.Pointer()] = true
		return w.walk(v.Elem(), path)
	case reflect.Interface:
		if v.IsNil() {
			return ""
		}
		return w.walk(v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			if bad := w.walk(v.Field(i), path+"."+v.Type().Field(i).Name); bad != "" {
				return bad
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "" // bytes, not text
		}
		for i := range v.Len() {
			if bad := w.walk(v.Index(i), path+"["+strconv.Itoa(i)+"]"); bad != "" {
				return bad
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		sortValues(keys)
		for _, k := range keys {
			at := path + "[" + fmt.Sprintf("%#v", keyText(k)) + "]"
			if bad := w.walk(k, at+" (map key)"); bad != "" {
				return bad
			}
			if bad := w.walk(v.MapIndex(k), at); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// keyText is a map key as text for a path (strings quoted by %#v).
func keyText(k reflect.Value) any {
	if k.Kind() == reflect.String {
		return k.String()
	}
	return fmt.Sprint(k)
}

// sortValues orders map keys by their printed form, for a deterministic
// report.
func sortValues(keys []reflect.Value) {
	sort.SliceStable(keys, func(i, j int) bool { return fmt.Sprint(keyText(keys[i])) < fmt.Sprint(keyText(keys[j])) })
}

func pathOrRoot(path string) string {
	if path == "" {
		return "(the value itself)"
	}
	return path
}
