package secret

import "testing"

func TestMatch(t *testing.T) {
	h := Of("s3cret")
	for _, tt := range []struct {
		reason, presented string
		want              int
	}{
		{"the secret", "s3cret", 1},
		{"another of the same length", "s3crex", 0},
		{"a prefix", "s3cre", 0},
		{"longer", "s3cret!", 0},
		{"empty", "", 0},
	} {
		if got := h.Match(tt.presented); got != tt.want {
			t.Errorf("%s: Match(%q) = %d, want %d", tt.reason, tt.presented, got, tt.want)
		}
	}
}
