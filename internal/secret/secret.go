// Package secret compares presented secrets with configured ones in
// constant time, for the root package's verifiers and the Mobtexting
// challenge key.
package secret

import (
	"crypto/sha256"
	"crypto/subtle"
)

// Hash is the SHA-256 sum of a secret. Comparing sums of equal length with
// subtle.ConstantTimeCompare makes the time a comparison takes independent
// of both the content and the length of what was presented.
type Hash [sha256.Size]byte

// Of returns the Hash of s.
func Of(s string) Hash { return sha256.Sum256([]byte(s)) }

// Match reports in constant time whether s hashes to h, as 1 or 0, so
// that several matches combine with & without a branch.
func (h *Hash) Match(s string) int {
	got := sha256.Sum256([]byte(s))
	return subtle.ConstantTimeCompare(got[:], h[:])
}
