package core

import (
	"strings"
	"testing"
	"time"
)

// TestDigestUnambiguous: no two different lists of parts give one key.
func TestDigestUnambiguous(t *testing.T) {
	long := strings.Repeat("x", 64)
	at := time.Date(2026, 3, 10, 9, 15, 30, 0, time.UTC)
	pairs := []struct {
		a, b   *Digest
		reason string
	}{
		{NewDigest("sms", "1").Str("ab", "c"), NewDigest("sms", "1").Str("a", "bc"), "text cannot move between parts"},
		{NewDigest("sms", "1").Map(map[string]string{"ab": "c"}), NewDigest("sms", "1").Map(map[string]string{"a": "bc"}), "nor between a key and its value"},
		{NewDigest("sms", "1").Str("a").Map(map[string]string{"b": "c"}), NewDigest("sms", "1").Str("a", "1", "b", "c").Map(nil), "a map is not its parts"},
		{NewDigest("sms", long+"1"), NewDigest("sms", long+"2"), "ids that differ past the 64 bytes shown"},
		{NewDigest("sms", "1"), NewDigest("dlr", "1"), "kinds"},
		{NewDigest("x", "1").Int(12), NewDigest("x", "1").Int(1, 2), "integers"},
		{NewDigest("x", "1").Int(1).Str("2"), NewDigest("x", "1").Str("1").Int(2), "an integer is not text"},
		{NewDigest("x", "1").Bool(true), NewDigest("x", "1").Bool(false), "flags"},
		{NewDigest("x", "1").Time(at), NewDigest("x", "1").Time(at.Add(time.Nanosecond)), "instants to the nanosecond"},
	}
	for _, p := range pairs {
		// Key ends a Digest: each is called once.
		if a, b := p.a.Key(), p.b.Key(); a == b {
			t.Errorf("same key %q: %s", a, p.reason)
		}
	}
	same := []struct {
		a, b   *Digest
		reason string
	}{
		{NewDigest("x", "1").Time(at), NewDigest("x", "1").Time(at.In(time.FixedZone("IST", 5*3600+1800))), "one instant in two zones"},
		{NewDigest("x", "1").Map(map[string]string{"a": "1", "b": "2"}), NewDigest("x", "1").Map(map[string]string{"b": "2", "a": "1"}), "map order"},
		{NewDigest("x", "1").Map(nil), NewDigest("x", "1").Map(map[string]string{}), "nil and empty Extra"},
	}
	for _, p := range same {
		if a, b := p.a.Key(), p.b.Key(); a != b {
			t.Errorf("keys %q and %q differ: %s", a, b, p.reason)
		}
	}
	if k := NewDigest("sms", long+"tail").Str("secret message").Key(); strings.Contains(k, "secret") || strings.Contains(k, "tail") || len(k) > 120 {
		t.Errorf("key %q carries text or is long", k)
	}
}

func BenchmarkDigest(b *testing.B) {
	extra := map[string]string{"tenant": "42"}
	at := time.Date(2026, 3, 10, 9, 15, 30, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		_ = NewDigest("sms", "sf8425555e5d8db61dda7a7b3f1b91bdb").Str("+46706861004", "+46706860000", "Hello how are you?", "incoming").Time(at).Map(extra).Key()
	}
}
