package normalize

import "testing"

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

// BenchmarkNumberUncached prices phonenumbers itself, every call a miss.
func BenchmarkNumberUncached(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		clear(cache.m)
		Number("420774852629", "")
	}
}
