package normalize

import (
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		raw, region, want, reason string
	}{
		{"+46723175800", "", "+46723175800", "already E.164"},
		{" +46723175800 ", "", "+46723175800", "trimmed"},
		{"46723175800", "", "+46723175800", "Swedish mobile with its country code, no '+'"},
		{"420774852629", "", "+420774852629", "Czech, from the 3CX GET examples"},
		{"17653889567", "", "+17653889567", "US, from Wavix's example"},
		{"14302287001", "", "+14302287001", "Wavix post-call"},
		{"918867131234", "", "+918867131234", "India, Mobtexting with real digits"},
		{"05552221133", "TR", "+905552221133", "national Turkish with the region"},
		{"05552221133", "tr", "+905552221133", "region in any case"},
		{"05552221133", "", "05552221133", "national with no region: as sent"},
		{"202", "TR", "202", "an extension"},
		{"800", "", "800", "an IVR number"},
		{"91806828XXXX", "IN", "91806828XXXX", "masked: letters are never turned into keypad digits"},
		{"TestElk", "SE", "TestElk", "an alphanumeric sender"},
		{"MAKECALL", "", "MAKECALL", "a word"},
		{"flow:220", "IN", "flow:220", "a Mobtexting IVR flow"},
		{"+4600100100", "", "+4600100100", "46elks client numbers are already '+': kept even where invalid"},
		{"12345678901234", "", "12345678901234", "digits that are no valid number anywhere: as sent"},
		{"", "SE", "", "empty"},
		{"DID-420222000320", "", "DID-420222000320", "a 3CX DID rule name"},
		{"+46723175800", "SWEDEN", "+46723175800", "a region that is no region code: still read"},
		{"46723175800", "SWEDEN", "+46723175800", "a country code without '+', whatever the region"},
		{"123456789012345678901", "", "123456789012345678901", "21 digits: longer than any phone number, as sent"},
		{strings.Repeat("4", 60<<10), "SE", strings.Repeat("4", 60<<10), "a 60 KB CallerID: as sent"},
		{"070-123 45 67", "SE", "+46701234567", "a Swedish mobile as people type it"},
		{"+46 70 123 45 67", "", "+46701234567", "E.164 with spaces"},
		{"0046 70 123 45 67", "", "+46701234567", "00 is the international prefix"},
		{"0046701234567", "", "+46701234567", "00 without separators"},
		{"(765) 388-9567", "US", "+17653889567", "a US number as typed"},
		{"0555 222 11 33", "TR", "+905552221133", "a Turkish number as typed"},
		{"765.388.9567", "US", "+17653889567", "dots"},
		{"1-800-FLOWERS", "US", "1-800-FLOWERS", "letters: as sent, never keypad digits"},
		{"9180 6828 XXXX", "IN", "9180 6828 XXXX", "a mask with spaces: as sent"},
		{"+46 70 12X", "", "+46 70 12X", "a mask after '+': as sent"},
		{"+46 12", "", "+46 12", "typed with '+' but no valid number: as sent"},
		{"20-2", "", "20-2", "an extension typed with a dash: as sent"},
		{"(0)", "SE", "(0)", "separators and too few digits"},
		{"- -", "SE", "- -", "no digits at all"},
		{"+", "", "+", "a lone '+'"},
	}
	for _, tt := range tests {
		if got := Number(tt.raw, tt.region); got != tt.want {
			t.Errorf("Number(%q, %q) = %q, want %q (%s)", tt.raw, tt.region, got, tt.want, tt.reason)
		}
	}
}

// The cache changes no answer and stays bounded.
func TestNumberCache(t *testing.T) {
	for i := range 3 * cacheSize {
		raw := "4672317" + string(rune('0'+i%10)) + "8" + string(rune('0'+(i/10)%10)) + string(rune('0'+(i/100)%10))
		first, again := Number(raw, "SE"), Number(raw, "SE")
		if first != again {
			t.Fatalf("Number(%q) = %q, then %q from the cache", raw, first, again)
		}
		if n := len(cache.m); n > cacheSize {
			t.Fatalf("cache holds %d numbers, over %d", n, cacheSize)
		}
	}
	if Number("05552221133", "TR") != "+905552221133" || Number("05552221133", "") != "05552221133" {
		t.Error("a cached number must be keyed by its region too")
	}
}

// cacheBytes is what the cache retains in keys and answers.
func cacheBytes() int {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	n := 0
	for k, v := range cache.m {
		n += len(k) + len(v)
	}
	return n
}

// Issue 10 item 5: the cache was bounded by count only, so 4,000 webhooks
// with 60 KB digit CallerIDs kept 500 MiB. Text longer than any phone
// number is neither parsed nor cached.
func TestNumberLongInputNotCached(t *testing.T) {
	tests := []struct {
		raw, region, reason string
	}{
		{strings.Repeat("7", 60<<10), "IN", "a 60 KB CallerID of digits"},
		{strings.Repeat("7", maxNumberDigits+1), "", "one digit more than a phone number can have"},
		{"  " + strings.Repeat("1", maxNumberBytes+1) + "  ", "TR", "over the byte bound once trimmed"},
		{"46723175800", strings.Repeat("S", 1<<10), "a 1 KB region, which is no region code"},
	}
	for _, tt := range tests {
		clear(cache.m)
		want := strings.TrimSpace(tt.raw)
		if len(tt.region) > maxRegionBytes {
			want = "+" + want
		}
		if got := Number(tt.raw, tt.region); got != want {
			t.Errorf("%s: Number = %.40q…, want %.40q…", tt.reason, got, want)
		}
		if n, b := len(cache.m), cacheBytes(); n != 0 || b != 0 {
			t.Errorf("%s: the cache holds %d entries, %d bytes; want nothing", tt.reason, n, b)
		}
	}
}

// The cache's bytes are bounded, whatever numbers arrive: a full cache of
// the longest texts it takes stays within cacheSize small entries.
func TestNumberCacheBoundedInBytes(t *testing.T) {
	clear(cache.m)
	const limit = cacheSize * (maxRegionBytes + 1 + 2*maxNumberBytes)
	for i := range cacheSize + 100 {
		// Distinct digit strings of 1 KiB, and of the longest length cached.
		long := strconv.Itoa(1e6+i) + strings.Repeat("0", 1<<10)
		Number(long, "SE")
		Number(strconv.Itoa(1e6+i)+strings.Repeat("0", maxNumberDigits-7), "SE")
		if b := cacheBytes(); b > limit {
			t.Fatalf("after %d numbers the cache retains %d bytes, over %d", i+1, b, limit)
		}
	}
}

// A cached answer must not point into the text it was read from: raw may
// be a slice of a 64 KiB body, which the cache would then keep alive.
func TestNumberCacheDoesNotPinInput(t *testing.T) {
	clear(cache.m)
	body := strings.Repeat(" ", 64<<10) + "12345678901234" + strings.Repeat(" ", 64<<10)
	if got := Number(body, ""); got != "12345678901234" {
		t.Fatalf("Number = %q", got)
	}
	start := uintptr(unsafe.Pointer(unsafe.StringData(body)))
	for k, v := range cache.m {
		for _, s := range []string{k, v} {
			if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); p >= start && p < start+uintptr(len(body)) {
				t.Errorf("cache entry %q → %q points into the 128 KiB input, keeping it alive", k, v)
			}
		}
	}
	if len(cache.m) != 1 {
		t.Errorf("%d cache entries, want the one number", len(cache.m))
	}
}

// BenchmarkNumberUncached prices phonenumbers itself, every call a miss.
func BenchmarkNumberUncached(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		clear(cache.m)
		Number("420774852629", "")
	}
}
