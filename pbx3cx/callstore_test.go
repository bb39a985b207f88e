package pbx3cx_test

import (
	"testing"

	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/pbx3cx/pbx3cxtest"
)

func TestMemoryCallStore(t *testing.T) {
	pbx3cxtest.TestCallStore(t, func(*testing.T) pbx3cx.CallStore { return pbx3cx.NewMemoryCallStore() })
}
