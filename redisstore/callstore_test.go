package redisstore_test

import (
	"testing"

	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/pbx3cx/pbx3cxtest"
	"github.com/telhook/telhook/redisstore"
)

// TestCallStore runs the conformance suite of pbx3cx.CallStore against a
// CallStore on a real Redis, each subtest under a prefix of its own.
func TestCallStore(t *testing.T) {
	c := newClient(t)
	pbx3cxtest.TestCallStore(t, func(t *testing.T) pbx3cx.CallStore {
		return redisstore.NewCallStore(c, redisstore.WithPrefix(newPrefix(t, c)))
	})
}
