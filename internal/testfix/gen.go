package testfix

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// Gen makes the random values of the test kits' property tests. Each
// kit's generator embeds one and adds the values that are its provider's
// own (numbers, times at its precision, its events).
type Gen struct {
	R     *rand.Rand
	Runes []rune // what Text is made of: the provider's awkward characters
	// Fix, when not nil, mends a Text the provider could not keep as it
	// is (46elks reads " 4670…" as "+4670…").
	Fix func(string) string
}

// NewGen returns a Gen on a PCG seeded with (seed, stream), so that a
// failing case is found again by its seed.
func NewGen(seed, stream uint64, runes []rune) Gen {
	return Gen{R: rand.New(rand.NewPCG(seed, stream)), Runes: runes}
}

// Text is any text of up to 11 runes, possibly empty, possibly with spaces
// around it.
func (g *Gen) Text() string {
	b := make([]rune, g.R.IntN(12))
	for i := range b {
		b[i] = g.Runes[g.R.IntN(len(g.Runes))]
	}
	if g.Fix != nil {
		return g.Fix(string(b))
	}
	return string(b)
}

// Word is non-empty text without surrounding spaces.
func (g *Gen) Word() string {
	if s := strings.TrimSpace(g.Text()); s != "" {
		return s
	}
	return fmt.Sprintf("w%d", g.R.IntN(1000))
}

// Hex is n lower-case hexadecimal digits.
func (g *Gen) Hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.R.IntN(16)]
	}
	return string(b)
}

// Maybe returns f's value or, half of the time, T's zero value.
func Maybe[T any](g *Gen, f func() T) T {
	var zero T
	if g.R.IntN(2) == 0 {
		return zero
	}
	return f()
}

// Pick returns one of list.
func Pick[T any](g *Gen, list ...T) T { return list[g.R.IntN(len(list))] }

// Peek returns req's body and puts it back.
func Peek(t testing.TB, req *http.Request) string {
	t.Helper()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(strings.NewReader(string(b)))
	return string(b)
}

// PanicOf runs f and returns the error it panicked with; an error saying
// so when it panicked with something else, or did not panic.
func PanicOf(f func()) (err error) {
	defer func() {
		switch p := recover().(type) {
		case nil:
		case error:
			err = p
		default:
			err = fmt.Errorf("panic with a %T, not an error: %v", p, p)
		}
	}()
	f()
	return errors.New("no panic")
}
