package normalize

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/obd"
)

// TestOBDCallKeysFollowDecoder holds obdCallKeys, Parse's copy of what
// makes a Mobtexting body a call report, to obd.Decode: with status, each
// of them makes a report (a value it cannot read is a 400, not an unknown
// webhook), id does not, and there is one for every field of obd.Fields
// but id and status, so that a field added to obd fails here.
func TestOBDCallKeysFollowDecoder(t *testing.T) {
	if n := reflect.TypeFor[obd.Fields]().NumField(); len(obdCallKeys) != n-2 {
		t.Errorf("obdCallKeys has %d keys, obd.Fields %d fields: want all but id and status", len(obdCallKeys), n)
	}
	for _, k := range obdCallKeys {
		_, err := obd.Decode(fmt.Appendf(nil, `{"status": "ANSWER", %q: "1"}`, k))
		if errors.Is(err, telhook.ErrUnknownEvent) {
			t.Errorf("status and %s: obd.Decode says unknown, but Parse takes it for a report", k)
		}
	}
	if _, err := obd.Decode([]byte(`{"status": "ANSWER", "id": "1"}`)); !errors.Is(err, telhook.ErrUnknownEvent) {
		t.Errorf("status and id only: obd.Decode = %v, want an unknown webhook, as Parse has it", err)
	}
}
