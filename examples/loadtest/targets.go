package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

// idWidth is the number of decimal digits of the per-request counter written
// into every body: 10^12 requests are never reached, so an id never repeats
// within a run and the default deduplicator never answers a duplicate.
const idWidth = 12

// idMark stands for the counter in the templates below.
const idMark = "{ID}"

// target is one provider under load: a realistic body with a counter in it,
// the request line and headers its webhook arrives with, the status its
// handler answers a handled webhook with, and its SDK handler.
type target struct {
	name        string
	path        string
	contentType string
	tmpl        []byte // the body, with idWidth '0's wherever idMark was
	idAt        []int  // offsets of the counter's digits in tmpl
	status      int    // what both the SDK handler and the bare one answer
	// sdk returns the handler under test, built as a user would: default
	// options, a discarding logger, callbacks that only count their calls.
	sdk func(calls *atomic.Uint64, opts ...telhook.Option) http.Handler
}

// discard is the logger of every SDK handler: the load test measures the
// handler, not a log sink.
var discard = slog.New(slog.DiscardHandler)

var targets = []*target{
	newTarget("elks", "application/x-www-form-urlencoded", http.StatusNoContent,
		// An incoming SMS, as on 46elks.com/docs/receive-sms (testdata/elks/sms-docs.form),
		// with a 33-character id as 46elks sends.
		"direction=incoming&id=sf8425555e5d8db61dda7"+idMark+"&from=%2B46706861004&to=%2B46706860000"+
			"&created=2018-07-13T13%3A57%3A23.741000&message=Hello%20how%20are%20you%3F",
		func(calls *atomic.Uint64, opts ...telhook.Option) http.Handler {
			return elks.NewHandler(elks.Callbacks{
				OnSMS: func(context.Context, *elks.SMS) (elks.Reply, error) { calls.Add(1); return elks.Reply{}, nil },
				OnMMS: func(context.Context, *elks.MMS) error { calls.Add(1); return nil },
				OnDeliveryReport: func(context.Context, *elks.DeliveryReport) error {
					calls.Add(1)
					return nil
				},
				OnCall:      func(context.Context, *elks.CallEvent) (elks.Action, error) { calls.Add(1); return nil, nil },
				OnRecording: func(context.Context, *elks.Recording) error { calls.Add(1); return nil },
				OnCallEnd:   func(context.Context, *elks.CallEnd) error { calls.Add(1); return nil },
			}, append([]telhook.Option{telhook.WithLogger(discard)}, opts...)...)
		}),
	newTarget("obd", "application/json", http.StatusOK,
		// A Mobtexting OBD report as it really arrives: valid JSON, numbers
		// as JSON numbers (testdata/obd/obd-real-digits.json), a new mid and
		// recording per call. The strict path: no repair.
		`{"bridge": 918068281234, "from": 918919521234, "to": 918867131234, "source": "OBD", `+
			`"mid": "5f1c-77aa-`+idMark+`", "flow_id": 123, "start_at": "2021-04-09 16:27:39", `+
			`"end_at": "2021-04-09 16:27:55", "duration": "23", "status": "ANSWER", `+
			`"recording_url": "https://media.example.com/rec/5f1c-77aa-`+idMark+`.mp3", "webhook_id": "wh_991"}`,
		func(calls *atomic.Uint64, opts ...telhook.Option) http.Handler {
			return obd.NewHandler(obd.Callbacks{
				OnReport: func(context.Context, *obd.Report) error { calls.Add(1); return nil },
			}, append([]telhook.Option{telhook.WithLogger(discard)}, opts...)...)
		}),
	newTarget("pbx3cx", "application/json", http.StatusOK,
		// A K2M end-of-call event (testdata/pbx3cx/k2m-end-transfer.txt), the
		// add-on's richest JSON event, with a new call id per request.
		`{"Event":"incoming","Callerid":"05552221133","User":"117","Finishtype":"Ok","Transfer":"True",`+
			`"Did":"","Duration":"00:14","Id":"`+idMark+`_40-1"}`,
		func(calls *atomic.Uint64, opts ...telhook.Option) http.Handler {
			return pbx3cx.NewHandler(pbx3cx.Callbacks{
				OnEvent: func(context.Context, *pbx3cx.Event) error { calls.Add(1); return nil },
			}, append([]telhook.Option{telhook.WithLogger(discard)}, opts...)...)
		}),
	newTarget("oncall", "application/json", http.StatusOK,
		// Wavix's OnCallEvent as in its QA docs (testdata/oncall/docs-qa.json),
		// a new call uuid per request.
		`{"uuid":"5dccb6b0-f35c-488c-867b-`+idMark+`","event_type":"call_setup","event_time":"2025-09-22T12:56:38.547Z",`+
			`"event_payload":{"type":"audio","payload":{"status":"completed","playback_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}},`+
			`"from":"+18045961058","to":"17653889567","call_started":"2025-09-22T12:56:38.547Z",`+
			`"call_answered":"2023-11-07T05:31:56Z","call_completed":"2023-11-07T05:31:56Z",`+
			`"machine_detected":false,"tag":"marketing-campaign","direction":"inbound"}`,
		func(calls *atomic.Uint64, opts ...telhook.Option) http.Handler {
			return oncall.NewHandler(oncall.Callbacks{
				OnCallEvent: func(context.Context, *oncall.CallEvent) error { calls.Add(1); return nil },
				OnPostCall:  func(context.Context, *oncall.PostCall) error { calls.Add(1); return nil },
			}, append([]telhook.Option{telhook.WithLogger(discard)}, opts...)...)
		}),
}

func newTarget(name, contentType string, status int, body string, sdk func(*atomic.Uint64, ...telhook.Option) http.Handler) *target {
	t := &target{name: name, path: "/" + name, contentType: contentType, status: status, sdk: sdk}
	zeros := bytes.Repeat([]byte{'0'}, idWidth)
	b := []byte(body)
	for {
		i := bytes.Index(b, []byte(idMark))
		if i < 0 {
			break
		}
		b = append(b[:i], append(zeros, b[i+len(idMark):]...)...)
		t.idAt = append(t.idAt, i)
	}
	t.tmpl = b
	return t
}

func lookupTarget(name string) (*target, error) {
	for _, t := range targets {
		if t.name == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("unknown provider %q (elks, obd, pbx3cx, oncall or all)", name)
}

// body returns a new copy of the template with n in every id: the same cost
// (one allocation and a copy of a few hundred bytes) whichever handler is
// measured.
func (t *target) body(n uint64) []byte {
	b := make([]byte, len(t.tmpl))
	copy(b, t.tmpl)
	putID(b, t.idAt, n)
	return b
}

// putID writes n as idWidth decimal digits at every offset in at.
func putID(b []byte, at []int, n uint64) {
	for _, p := range at {
		v := n
		for i := p + idWidth - 1; i >= p; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
}

// bare is the floor the SDK handler is measured against: a plain net/http
// handler that reads the whole body and answers what the provider's handler
// answers, with no verification, decoding, de-duplication or callback.
func (t *target) bare() http.Handler {
	status := t.status
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
	})
}
