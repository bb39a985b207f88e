package telhook

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDecodeError(t *testing.T) {
	cause := errors.New("not a timestamp")
	tests := []struct {
		err    *DecodeError
		text   string
		reason string
	}{
		{&DecodeError{Provider: "elks", Field: "created", Value: "yesterday", Err: cause},
			`elks: field "created": value "yesterday": not a timestamp`, "everything named"},
		{&DecodeError{Provider: "obd", Err: cause}, `obd: not a timestamp`, "the body as a whole"},
		{&DecodeError{Provider: "oncall", Field: "uuid"}, `oncall: field "uuid": malformed`, "no cause given"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.text {
			t.Errorf("Error() = %q, want %q (%s)", got, tt.text, tt.reason)
		}
		wrapped := fmt.Errorf("while handling: %w", tt.err)
		if !errors.Is(wrapped, ErrMalformed) {
			t.Errorf("%v does not match ErrMalformed through a wrap (%s)", tt.err, tt.reason)
		}
		if errors.Is(wrapped, ErrUnauthorized) || errors.Is(wrapped, ErrTooLarge) || errors.Is(wrapped, ErrUnknownEvent) {
			t.Errorf("%v matches a sentinel other than ErrMalformed", tt.err)
		}
		if tt.err.Err != nil && !errors.Is(wrapped, cause) {
			t.Errorf("%v does not unwrap to its cause", tt.err)
		}
	}
}

func TestDefaultErrorHandler(t *testing.T) {
	tests := []struct {
		err    error
		status int
		body   string
		reason string
	}{
		{fmt.Errorf("%w: GET", ErrMethodNotAllowed), 405, "", "wrong method"},
		{fmt.Errorf("%w: bearer token does not match", ErrUnauthorized), 401, "", "no detail for a refused sender"},
		{fmt.Errorf("%w: %w", ErrTooLarge, &http.MaxBytesError{Limit: 10}), 413, "", "over the limit"},
		{&DecodeError{Provider: "elks", Field: "created", Value: "secret-ish", Err: errors.New("not a timestamp")}, 400,
			"elks: field \"created\": not a timestamp\n", "a short reason, without the value"},
		{fmt.Errorf("wrapped: %w", ErrMalformed), 400, "", "malformed without detail"},
		{errors.New("callback: db down"), 500, "", "anything else is the callback's: the provider retries"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		DefaultErrorHandler(rec, httptest.NewRequest("POST", "/", nil), tt.err)
		if rec.Code != tt.status || rec.Body.String() != tt.body {
			t.Errorf("DefaultErrorHandler(%v) = %d %q, want %d %q (%s)", tt.err, rec.Code, rec.Body.String(), tt.status, tt.body, tt.reason)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("error answers must not be sniffed (%s)", tt.reason)
		}
	}
}
