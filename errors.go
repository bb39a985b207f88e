package telhook

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error a telhook decoder or handler returns matches
// at most one of them with [errors.Is].
var (
	// ErrUnauthorized: a Verifier refused the request. Answered with 401.
	ErrUnauthorized = errors.New("telhook: unauthorized")
	// ErrTooLarge: the body is over the limit set by WithMaxBodyBytes. The
	// error also matches *http.MaxBytesError with errors.As. Answered with 413.
	ErrTooLarge = errors.New("telhook: body too large")
	// ErrMalformed: the request could not be read. Errors that match it are
	// *DecodeError values naming the provider and the field. Answered with 400.
	ErrMalformed = errors.New("telhook: malformed webhook")
	// ErrUnknownEvent: the request is well formed but is no webhook the
	// provider package knows. Handlers acknowledge it with the provider's 2xx
	// and hand it to OnUnknown.
	ErrUnknownEvent = errors.New("telhook: unknown event")
	// ErrMethodNotAllowed: the provider never sends this HTTP method.
	// Answered with 405.
	ErrMethodNotAllowed = errors.New("telhook: method not allowed")
	// ErrInFlight: a retry arrived while the first delivery of the same
	// webhook is still being handled (see Claimer). Answered with 503 and
	// Retry-After, so that the provider retries and nothing is acknowledged
	// before it is handled.
	ErrInFlight = errors.New("telhook: the same webhook is being handled")
)

// DecodeError reports a webhook, or one field of it, that could not be read.
// It matches [ErrMalformed] with errors.Is.
type DecodeError struct {
	Provider string // "elks", "obd", "pbx3cx", "oncall"
	Field    string // the provider's own name for the field; "" for the body as a whole
	Value    string // the offending value, cut to 64 bytes; "" when absent
	Err      error  // what was wrong with it
}

// Error reads like `elks: field "created": value "2016-13-01": month out of range`.
func (e *DecodeError) Error() string {
	b := make([]byte, 0, 64)
	b = append(b, e.Provider...)
	b = append(b, ": "...)
	if e.Field != "" {
		b = append(b, "field "...)
		b = strconv.AppendQuote(b, e.Field)
		b = append(b, ": "...)
	}
	if e.Value != "" {
		b = append(b, "value "...)
		b = strconv.AppendQuote(b, e.Value)
		b = append(b, ": "...)
	}
	if e.Err != nil {
		b = append(b, e.Err.Error()...)
	} else {
		b = append(b, "malformed"...)
	}
	return string(b)
}

// reason is the short text a handler sends back to the caller: provider,
// field and what was wrong, without repeating the value.
func (e *DecodeError) reason() string {
	s := e.Provider + ": "
	if e.Field != "" {
		s += "field " + strconv.Quote(e.Field) + ": "
	}
	if e.Err != nil {
		return s + e.Err.Error()
	}
	return s + "malformed"
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformed.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }
