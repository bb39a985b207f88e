package obd

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/telhook/telhook"
)

// TestWithFieldsChecked: a Fields that cannot map a composed webhook is
// refused when the handler is built, naming the fields, not discovered
// when a report arrives.
func TestWithFieldsChecked(t *testing.T) {
	tests := []struct {
		f      Fields
		panic  string
		reason string
	}{
		{Fields{}, "", "Mobtexting's names"},
		{Fields{StartAt: "start", EndAt: "endat"}, "", "the 2020 GET callback's names"},
		{Fields{From: "caller", To: "caller"}, `obd.WithFields: From and To both map to the key "caller"`, "two fields on one key"},
		{Fields{To: "from"}, `obd.WithFields: From and To both map to the key "from"`, "a field mapped onto another's default name"},
		{Fields{Status: "st&x"}, `obd.WithFields: Status: key "st&x" holds one of & = ? #`, "a key a query cannot carry"},
	}
	for _, tt := range tests {
		got := ""
		func() {
			defer func() {
				if p := recover(); p != nil {
					got = fmt.Sprint(p)
				}
			}()
			NewHandler(Callbacks{}, WithFields(tt.f), telhook.WithLogger(slog.New(slog.DiscardHandler)))
		}()
		if got != tt.panic {
			t.Errorf("%s: panic %q, want %q", tt.reason, got, tt.panic)
		}
	}
}
