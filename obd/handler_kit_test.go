package obd_test

// The handler tests that send webhooks built with obdtest, as Mobtexting
// sends them. They are in package obd_test because obdtest imports obd: the
// tests in package obd cannot import it.

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/obd/obdtest"
)

// TestHandlerMethods: a report Mobtexting sends as a composed GET is
// refused by the standard handler, which takes POSTs only.
func TestHandlerMethods(t *testing.T) {
	h := obd.NewHandler(obd.Callbacks{}, telhook.WithLogger(slog.New(slog.DiscardHandler)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, obdtest.NewComposedRequest(http.MethodGet, obd.Fields{}, &obd.Report{To: "918867131234", Status: "ANSWER"}))
	if rec.Code != 405 || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET on the standard handler: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}
