package wire

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/internal/testfix"
)

func TestForm(t *testing.T) {
	tests := []struct {
		body   string
		want   url.Values
		field  string
		cause  error
		reason string
	}{
		{"a=1&b=%2B2\r\n", url.Values{"a": {"1"}, "b": {"+2"}}, "", nil, "trailing line breaks are no part of the last value"},
		{"a=1&a=1", url.Values{"a": {"1", "1"}}, "", nil, "a key repeated with one value"},
		{"a=1&a=2", nil, "a", ErrRepeated, "a key repeated with two values"},
		{"a=%zz", nil, "a", ErrEscape, "a bad escape names its field"},
		{"%zz=1", nil, "%zz", ErrEscape, "a bad escape in a key"},
		{"a=1;b=2", nil, "a", errSemicolon, "';' is no separator"},
		{"a=%FF", nil, "a", ErrUTF8, "not UTF-8"},
		{"", nil, "", ErrEmpty, "empty"},
		{"\r\n", nil, "", ErrEmpty, "only a line break"},
		{strings.Repeat("a=1&", MaxFields), nil, "", ErrTooMany, "bounded"},
	}
	for _, tt := range tests {
		got, err := Form("test", []byte(tt.body))
		var de *telhook.DecodeError
		switch {
		case tt.cause == nil && err != nil:
			t.Errorf("Form(%.30q) error %v (%s)", tt.body, err, tt.reason)
		case tt.cause != nil && (!errors.As(err, &de) || de.Field != tt.field || !errors.Is(err, tt.cause) || de.Provider != "test"):
			t.Errorf("Form(%.30q) error %#v, want field %q, cause %v (%s)", tt.body, err, tt.field, tt.cause, tt.reason)
		}
		if diff := cmp.Diff(tt.want, got); tt.cause == nil && diff != "" {
			t.Errorf("Form(%.30q) (-want +got) %s:\n%s", tt.body, tt.reason, diff)
		}
	}
}

func TestErrorCutsValue(t *testing.T) {
	long := strings.Repeat("é", 100) // two bytes a rune: the cut must not split one
	e := Error("p", "f", long, ErrMissing)
	if len(e.Value) > 70 || !strings.HasSuffix(e.Value, "…") || strings.ContainsRune(e.Value, '\uFFFD') {
		t.Errorf("Value %q: want at most 64 bytes on a rune boundary and an ellipsis", e.Value)
	}
}

// TestErrorNeverCarriesInvalidUTF8: a DecodeError that refuses bytes that
// are no text must not carry them on into logs and 400 answers.
func TestErrorNeverCarriesInvalidUTF8(t *testing.T) {
	e := Error("p", "k\xff", "v\xfe", ErrUTF8)
	got := [3]string{e.Provider, e.Field, e.Value}
	if diff := cmp.Diff([3]string{"p", "k\uFFFD", "v\uFFFD"}, got); diff != "" || e.Err != ErrUTF8 {
		t.Errorf("provider, field, value (-want +got):\n%s\ncause %v, want ErrUTF8", diff, e.Err)
	}
}

// TestCheckFields: keys and values alike, the smallest bad key named,
// whatever the map order; a bad key does not report its value.
func TestCheckFields(t *testing.T) {
	tests := []struct {
		fields       map[string]string
		field, value string
		reason       string
	}{
		{map[string]string{"a": "1", "é": "ü"}, "", "", "text everywhere"},
		{map[string]string{"a": "1", "\xff": "2"}, "\uFFFD", "", "a key"},
		{map[string]string{"a": "1\xff"}, "a", "1\uFFFD", "a value"},
		{map[string]string{"c\xff": "1", "b": "\xff", "d": "\xff"}, "b", "\uFFFD", "the smallest bad key, key or value"},
	}
	for _, tt := range tests {
		err := CheckFields("p", tt.fields)
		if tt.field == "" {
			if err != nil {
				t.Errorf("CheckFields(%q) = %v (%s)", tt.fields, err, tt.reason)
			}
			continue
		}
		var de *telhook.DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrUTF8) {
			t.Fatalf("CheckFields(%q) = %v, want a DecodeError matching ErrUTF8 (%s)", tt.fields, err, tt.reason)
		}
		if diff := cmp.Diff([2]string{tt.field, tt.value}, [2]string{de.Field, de.Value}); diff != "" {
			t.Errorf("CheckFields(%q) field and value (-want +got) %s:\n%s", tt.fields, tt.reason, diff)
		}
	}
}

type wireThing struct {
	ID   string `form:"id" validate:"required"`
	Name string `form:"name"`
}

func TestDecodeAndExtra(t *testing.T) {
	v := url.Values{"id": {"7"}, "name": {"x"}, "other": {"y"}}
	var w wireThing
	if err := Decode("test", &w, v); err != nil || w.ID != "7" || w.Name != "x" {
		t.Fatalf("Decode = %+v, %v", w, err)
	}
	if diff := cmp.Diff(map[string]string{"other": "y"}, Extra(v, Fields(wireThing{}), nil)); diff != "" {
		t.Errorf("Extra (-want +got):\n%s", diff)
	}
	var de *telhook.DecodeError
	if err := Decode("test", &wireThing{}, url.Values{"name": {"x"}}); !errors.As(err, &de) || de.Field != "id" || !errors.Is(err, ErrMissing) {
		t.Errorf("a missing required field: %v, want one naming id", err)
	}
}

// FuzzForm: any body either parses into values that are valid UTF-8 (keys
// included) and agree on every repeated key, or fails with a DecodeError
// naming the provider; never more than MaxFields fields.
func FuzzForm(f *testing.F) {
	for _, name := range testfix.Names(f, "elks", ".form") {
		f.Add(testfix.Read(f, "elks", name, ".form"))
	}
	f.Add([]byte("a=1&%FF=2"))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := Form("test", body)
		if err != nil {
			var de *telhook.DecodeError
			if !errors.As(err, &de) || de.Provider != "test" || len(de.Value) > 70 {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		if len(v) > MaxFields {
			t.Fatalf("%d fields", len(v))
		}
		testfix.CheckUTF8(t, v)
		if err := Check("test", v); err != nil {
			t.Fatalf("Form accepted what Check refuses: %v", err)
		}
	})
}

// Keys are matched exactly: with "id" and "ID" both sent, "id" wins every
// time and "ID" is the caller's extra field.
func TestDecodeExactKeys(t *testing.T) {
	v := url.Values{"id": {"s1"}, "ID": {"s2"}}
	for range 200 {
		var w wireThing
		if err := Decode("test", &w, v); err != nil || w.ID != "s1" {
			t.Fatalf("Decode = %+v, %v: want id's value, always", w, err)
		}
	}
	if diff := cmp.Diff(map[string]string{"ID": "s2"}, Extra(v, Fields(wireThing{}), nil)); diff != "" {
		t.Errorf("Extra (-want +got):\n%s", diff)
	}
}
