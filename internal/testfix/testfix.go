// Package testfix reads the fixtures under testdata/<provider>/ and
// compares output with golden files, for every provider's tests. Test
// code only.
package testfix

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Dir is testdata/<provider>, seen from a package directory.
func Dir(provider string) string { return filepath.Join("..", "testdata", provider) }

// Read returns testdata/<provider>/<name><ext>.
func Read(t testing.TB, provider, name, ext string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(provider), name+ext))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Names returns the names (without ext) of testdata/<provider>/*<ext>,
// failing when there is none.
func Names(t testing.TB, provider, ext string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(Dir(provider), "*"+ext))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no %s fixtures in %s: %v", ext, Dir(provider), err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(p), ext)
	}
	return names
}

// Golden compares v, as indented JSON, with the file at path; with update
// it rewrites the file first. A missing golden file fails the test.
func Golden(t testing.TB, path string, v any, update bool) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file %s (rerun the test with -update): %v", path, err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", path, diff)
	}
}
