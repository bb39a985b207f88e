package elkstest_test

// The test the README's "Testing your callbacks" shows: a table-driven test
// of an IVR flow and an SMS reply, written as a user would, with the kit.

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/elks/elkstest"
)

// callbacks is the code under test: an IVR that sends 1 to sales and
// anything else to voicemail, and an SMS auto-reply.
func callbacks() elks.Callbacks {
	return elks.Callbacks{
		OnCall: func(ctx context.Context, call *elks.CallEvent) (elks.Action, error) {
			switch call.Result {
			case "": // the call just came in
				return elks.IVR{Prompt: "https://example.com/menu.mp3", Next: elks.URL("https://example.com/elks/next")}, nil
			case "1":
				return elks.Connect{To: "+46704508449"}, nil
			}
			return elks.Record{To: "https://example.com/elks/voicemail"}, nil
		},
		OnSMS: func(ctx context.Context, sms *elks.SMS) (elks.Reply, error) {
			if strings.EqualFold(strings.TrimSpace(sms.Message), "stop") {
				return elks.Reply{}, nil // no reply
			}
			return elks.Reply{Text: "Thanks, we will call you back."}, nil
		},
	}
}

func TestIVRAndReply(t *testing.T) {
	h := elks.NewHandler(callbacks(), telhook.WithLogger(slog.New(slog.DiscardHandler)))
	call := func(result string) *elks.CallEvent {
		return &elks.CallEvent{CallID: "c1", From: "+46723175800", To: "+46101994214", Direction: "incoming", Result: result}
	}
	tests := []struct {
		name   string
		event  elks.Event
		status int
		body   string
	}{
		{"a call comes in: the menu", call(""), 200, `{"ivr":"https://example.com/menu.mp3","next":"https://example.com/elks/next"}`},
		{"1: sales", call("1"), 200, `{"connect":"+46704508449"}`},
		{"anything else: voicemail", call("9"), 200, `{"record":"https://example.com/elks/voicemail"}`},
		{"an SMS: the reply", &elks.SMS{ID: "s1", From: "+46706861004", To: "+46706860000", Message: "Call me"}, 200, "Thanks, we will call you back."},
		{"STOP: no reply", &elks.SMS{ID: "s2", From: "+46706861004", To: "+46706860000", Message: "STOP"}, 204, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, elkstest.NewRequest(tt.event))
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Errorf("answer %d %q, want %d %q", rec.Code, rec.Body.String(), tt.status, tt.body)
			}
		})
	}
}

// TestReadmeShowsThisTest: the README quotes this file from callbacks on;
// a change to either without the other fails here.
func TestReadmeShowsThisTest(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	from := func(s string) string { _, rest, _ := strings.Cut(s, "\nfunc callbacks()"); return rest }
	shown := from(string(readme))
	shown, _, _ = strings.Cut(shown, "```")
	mine, _, _ := strings.Cut(from(string(self)), "\n// TestReadmeShowsThisTest")
	if shown == "" || strings.TrimSpace(shown) != strings.TrimSpace(mine) {
		t.Errorf("README.md's test of the kit differs from elks/elkstest/readme_test.go:\n%s", shown)
	}
}
