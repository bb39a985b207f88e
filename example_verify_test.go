package telhook_test

import (
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/telhook/telhook"
)

// A receiver behind a reverse proxy at 10.0.0.1 accepts webhooks from one
// provider network. X-Forwarded-For is read only from the proxy.
func ExampleSourceIP() {
	v, err := telhook.SourceIP(
		[]string{"192.0.2.0/24", "2001:db8::/32"}, // the provider's senders
		[]string{"10.0.0.1"},                      // the reverse proxy
	)
	if err != nil {
		log.Fatal(err)
	}

	check := func(what, remote, forwardedFor string) {
		r := httptest.NewRequest("POST", "/hook", nil)
		r.RemoteAddr = remote
		if forwardedFor != "" {
			r.Header.Set("X-Forwarded-For", forwardedFor)
		}
		err := v.Verify(r)
		fmt.Printf("%-22s accepted=%t unauthorized=%t\n", what, err == nil, errors.Is(err, telhook.ErrUnauthorized))
	}
	check("direct from provider", "192.0.2.7:40000", "")
	check("direct over IPv6", "[2001:db8::5]:40000", "")
	check("through the proxy", "10.0.0.1:40000", "192.0.2.7")
	check("other client, proxied", "10.0.0.1:40000", "203.0.113.9")
	check("spoofed header", "203.0.113.9:40000", "192.0.2.7")
	// Output:
	// direct from provider   accepted=true unauthorized=false
	// direct over IPv6       accepted=true unauthorized=false
	// through the proxy      accepted=true unauthorized=false
	// other client, proxied  accepted=false unauthorized=true
	// spoofed header         accepted=false unauthorized=true
}

// 46elks can be given credentials in the webhook URL either as user
// information (https://elks:s3cret@example.com/sms, sent as Basic auth) or
// as a query parameter (https://example.com/sms?key=s3cret). AnyOf accepts
// both.
func ExampleAnyOf() {
	v := telhook.AnyOf(
		telhook.BasicAuth("elks", "s3cret"),
		telhook.QueryToken("key", "s3cret"),
	)

	basic := httptest.NewRequest("POST", "/sms", nil)
	basic.SetBasicAuth("elks", "s3cret")
	fmt.Println("basic auth:", v.Verify(basic) == nil)

	query := httptest.NewRequest("POST", "/sms?key=s3cret", nil)
	fmt.Println("query key: ", v.Verify(query) == nil)

	wrong := httptest.NewRequest("POST", "/sms?key=guess", nil)
	err := v.Verify(wrong)
	fmt.Println("wrong key: ", err == nil, errors.Is(err, telhook.ErrUnauthorized))
	fmt.Println(err)
	// Output:
	// basic auth: true
	// query key:  true
	// wrong key:  false true
	// telhook: unauthorized: no verifier accepted: basic auth: missing or malformed credentials; query token: parameter "key" does not match
}

// The 3CX add-on can only be given a URL, so the secret travels in the
// query string beside the call's fields. QueryToken removes it from every
// request, also from one that AnyOf accepts through another member, so that
// it never reaches an event's Extra fields or a log.
func ExampleQueryToken() {
	pbx, err := telhook.SourceIP([]string{"192.0.2.7"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	v := telhook.AnyOf(pbx, telhook.QueryToken("key", "s3cret"))

	fromPBX := httptest.NewRequest("GET", "/3cx?event=ringing&key=s3cret&id=1", nil)
	fromPBX.RemoteAddr = "192.0.2.7:5060"
	fmt.Println("from the PBX:", v.Verify(fromPBX) == nil, fromPBX.URL.RawQuery)

	elsewhere := httptest.NewRequest("GET", "/3cx?key=s3cret&event=ringing&id=1", nil)
	elsewhere.RemoteAddr = "203.0.113.9:40000"
	fmt.Println("with the key:", v.Verify(elsewhere) == nil, elsewhere.URL.RawQuery)

	guess := httptest.NewRequest("GET", "/3cx?key=guess&event=ringing", nil)
	guess.RemoteAddr = "203.0.113.9:40000"
	fmt.Println("a guess:     ", v.Verify(guess) == nil, guess.URL.RawQuery)
	// Output:
	// from the PBX: true event=ringing&id=1
	// with the key: true event=ringing&id=1
	// a guess:      false event=ringing
}
