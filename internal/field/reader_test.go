package field

import (
	"errors"
	"testing"
)

func TestReaderFlag(t *testing.T) {
	tests := []struct {
		f      Field
		want   bool
		err    error
		reason string
	}{
		{Field{"f", "true", Bool}, true, nil, "JSON true"},
		{Field{"f", "false", Bool}, false, nil, "JSON false"},
		{Field{"f", " TRUE ", Text}, true, nil, "text in any case, with space around"},
		{Field{"f", "False", Text}, false, nil, "false as text"},
		{Field{"f", "", Null}, false, nil, "null"},
		{Field{"f", "  ", Text}, false, nil, "space alone is empty"},
		{Field{"f", "yes", Text}, false, ErrNotBool, "another word"},
		{Field{"f", "1", Number}, false, ErrNotBool, "a number"},
		{Field{"f", `{"a":1}`, Object}, false, ErrNotBool, "an object"},
	}
	for _, tt := range tests {
		r := NewReader("p", []Field{tt.f})
		if got := r.Flag("f"); got != tt.want || !errors.Is(r.Err(), tt.err) || (tt.err == nil) != (r.Err() == nil) {
			t.Errorf("Flag of %v = %v, %v; want %v, %v (%s)", tt.f, got, r.Err(), tt.want, tt.err, tt.reason)
		}
	}
	if r := NewReader("p", nil); r.Flag("f") || r.Err() != nil {
		t.Errorf("absent: %v", r.Err())
	}
}
