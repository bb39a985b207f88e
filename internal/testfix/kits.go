package testfix

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A Kit is what a provider's test kit is checked through: the provider's
// decoder of a body and parser of a request, and the kit's NewRequest.
type Kit[E any] struct {
	Decode     func([]byte) (E, error)
	Parse      func(*http.Request) (E, error)
	NewRequest func(E) *http.Request
}

// Sample is one ready sample event of a kit and the fixture it is taken
// from.
type Sample[E any] struct {
	Fixture string // a file in the provider's testdata
	Reason  string
	Make    func() E
}

// CheckSamples fails t unless each sample equals what its fixture decodes
// to, is a new value each call, and round-trips through NewRequest and
// Parse.
func CheckSamples[E comparable](t *testing.T, k Kit[E], dir string, samples []Sample[E]) {
	for _, s := range samples {
		t.Run(s.Fixture, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, s.Fixture))
			if err != nil {
				t.Fatal(err)
			}
			want, err := k.Decode(body)
			if err != nil {
				t.Fatalf("%s: decoding the fixture: %v", s.Reason, err)
			}
			if diff := cmp.Diff(want, s.Make()); diff != "" {
				t.Errorf("%s: sample differs from the fixture (-fixture +sample):\n%s", s.Reason, diff)
			}
			if a, b := s.Make(), s.Make(); a == b {
				t.Errorf("%s: two calls return the same value", s.Reason)
			}
			got, err := k.Parse(k.NewRequest(s.Make()))
			if err != nil {
				t.Fatalf("%s: Parse(NewRequest(sample)): %v", s.Reason, err)
			}
			if diff := cmp.Diff(s.Make(), got); diff != "" {
				t.Errorf("%s: sample does not round-trip (-sample +parsed):\n%s", s.Reason, diff)
			}
		})
	}
}

// CheckFixturesRoundTrip fails t unless every event decoded from a file
// matching glob can be sent again with NewRequest and parses to itself,
// and at least least of them decode (the rest are refused or unknown).
func CheckFixturesRoundTrip[E any](t *testing.T, k Kit[E], glob string, least int) {
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures match %s: %v", glob, err)
	}
	sent := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := k.Decode(body)
		if err != nil {
			continue // refused or unknown: nothing the provider sends
		}
		sent++
		t.Run(filepath.Base(f), func(t *testing.T) {
			got, err := k.Parse(k.NewRequest(ev))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(ev, got); diff != "" {
				t.Errorf("differs (-fixture +round trip):\n%s", diff)
			}
		})
	}
	if sent < least {
		t.Errorf("only %d fixtures decode, want at least %d", sent, least)
	}
}

// CheckGenerated fails t at the first of count events made by gen that
// does not come back equal through NewRequest and Parse, showing the
// request.
func CheckGenerated[E any](t *testing.T, k Kit[E], reason string, count int, gen func() E) {
	t.Helper()
	for n := range count {
		ev := gen()
		req := k.NewRequest(ev)
		body := Peek(t, req)
		got, err := k.Parse(req)
		if err != nil {
			t.Fatalf("event %d (%s): Parse: %v\nevent: %#v\nrequest: %s %s", n, reason, err, ev, req.URL, body)
		}
		if diff := cmp.Diff(ev, got); diff != "" {
			t.Fatalf("event %d (%s): Parse(NewRequest(ev)) differs (-sent +parsed):\n%s\nrequest: %s %s", n, reason, diff, req.URL, body)
		}
	}
}
