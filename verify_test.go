package telhook

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// failBody fails the test when a verifier reads the request body.
type failBody struct{ t *testing.T }

func (b failBody) Read([]byte) (int, error) {
	b.t.Error("Verify read the request body")
	return 0, io.ErrUnexpectedEOF
}

func (b failBody) Close() error { return nil }

// request describes one request to verify.
type request struct {
	target string      // default "/hook"
	remote string      // default "192.0.2.1:1234"
	header http.Header // added to the request
	basic  []string    // user, pass for SetBasicAuth
}

func (q request) build(t *testing.T) *http.Request {
	t.Helper()
	target := q.target
	if target == "" {
		target = "/hook"
	}
	r := httptest.NewRequest(http.MethodPost, "http://example.com"+target, nil)
	r.Body = failBody{t}
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	for k, vs := range q.header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	if q.basic != nil {
		r.SetBasicAuth(q.basic[0], q.basic[1])
	}
	return r
}

// outcome is what a test compares for one verification.
type outcome struct {
	Accepted     bool
	Unauthorized bool // errors.Is(err, ErrUnauthorized)
}

type verifyCase struct {
	reason  string
	v       Verifier
	req     request
	want    bool     // accepted
	wantMsg string   // a part of the refusal's message
	secrets []string // must not appear in the refusal's message
}

func runVerifyCases(t *testing.T, cases []verifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			err := tc.v.Verify(tc.req.build(t))
			got := outcome{Accepted: err == nil, Unauthorized: errors.Is(err, ErrUnauthorized)}
			want := outcome{Accepted: tc.want, Unauthorized: !tc.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("Verify: outcome mismatch (-want +got):\n%s\nerr: %v", diff, err)
			}
			if err == nil {
				return
			}
			msg := err.Error()
			if tc.wantMsg != "" && !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("refusal %q does not contain %q", msg, tc.wantMsg)
			}
			for _, s := range tc.secrets {
				if s != "" && strings.Contains(msg, s) {
					t.Errorf("refusal %q reveals %q", msg, s)
				}
			}
		})
	}
}

func authz(v string) http.Header { return http.Header{"Authorization": {v}} }

func TestBasicAuth(t *testing.T) {
	const user, pass = "elksuser", "s3cret-pass"
	v := BasicAuth(user, pass)
	secrets := []string{pass, "wr0ng-pass", "wr0ng-user"}
	runVerifyCases(t, []verifyCase{
		{reason: "correct credentials", v: v, req: request{basic: []string{user, pass}}, want: true},
		{reason: "wrong password", v: v, req: request{basic: []string{user, "wr0ng-pass"}}, wantMsg: "do not match", secrets: secrets},
		{reason: "wrong user", v: v, req: request{basic: []string{"wr0ng-user", pass}}, wantMsg: "do not match", secrets: secrets},
		{reason: "both wrong", v: v, req: request{basic: []string{"wr0ng-user", "wr0ng-pass"}}, secrets: secrets},
		{reason: "password prefix", v: v, req: request{basic: []string{user, pass[:4]}}, secrets: secrets},
		{reason: "password with suffix", v: v, req: request{basic: []string{user, pass + "x"}}, secrets: secrets},
		{reason: "user and password swapped", v: v, req: request{basic: []string{pass, user}}, secrets: secrets},
		{reason: "missing credentials", v: v, req: request{}, wantMsg: "missing", secrets: secrets},
		{reason: "bearer scheme instead of basic", v: v, req: request{header: authz("Bearer " + pass)}, wantMsg: "missing", secrets: secrets},
		{reason: "basic scheme is case-insensitive", v: v, req: request{header: authz("basic ZWxrc3VzZXI6czNjcmV0LXBhc3M=")}, want: true},
		{reason: "malformed base64", v: v, req: request{header: authz("Basic !!!")}, secrets: secrets},
		{reason: "credentials in query are not basic auth", v: v, req: request{target: "/hook?user=elksuser&pass=s3cret-pass"}, secrets: secrets},
		{reason: "empty user configured accepts empty user", v: BasicAuth("", pass), req: request{basic: []string{"", pass}}, want: true},
		{reason: "empty user configured refuses other user", v: BasicAuth("", pass), req: request{basic: []string{"x", pass}}, secrets: secrets},
		{reason: "empty password configured refuses matching empty password", v: BasicAuth(user, ""), req: request{basic: []string{user, ""}}, wantMsg: "no password configured"},
		{reason: "empty password configured refuses any password", v: BasicAuth(user, ""), req: request{basic: []string{user, "anything"}}, secrets: []string{"anything"}},
		{reason: "all empty configured refuses empty credentials", v: BasicAuth("", ""), req: request{basic: []string{"", ""}}},
	})
}

// TestBasicAuthURLUserinfo checks what 46elks relies on: a URL with user
// information is called with those credentials in an Authorization header.
func TestBasicAuthURLUserinfo(t *testing.T) {
	v := BasicAuth("elks", "s3cret")
	var got error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = v.Verify(r)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://elks:s3cret@", 1) + "/sms"
	resp, err := srv.Client().Post(u, "application/x-www-form-urlencoded", strings.NewReader("from=%2B46700000000"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got != nil {
		t.Errorf("Verify of a request to %s: %v, want nil", u, got)
	}
}

func TestBearerToken(t *testing.T) {
	const tok = "mobt-t0ken-123"
	v := BearerToken(tok)
	secrets := []string{tok, "wr0ng-t0ken"}
	runVerifyCases(t, []verifyCase{
		{reason: "correct token", v: v, req: request{header: authz("Bearer " + tok)}, want: true},
		{reason: "lower-case scheme", v: v, req: request{header: authz("bearer " + tok)}, want: true},
		{reason: "upper-case scheme", v: v, req: request{header: authz("BEARER " + tok)}, want: true},
		{reason: "surrounding spaces", v: v, req: request{header: authz("  Bearer    " + tok + "  ")}, want: true},
		{reason: "tab after scheme", v: v, req: request{header: authz("Bearer\t" + tok)}, want: true},
		{reason: "wrong token", v: v, req: request{header: authz("Bearer wr0ng-t0ken")}, wantMsg: "does not match", secrets: secrets},
		{reason: "token prefix", v: v, req: request{header: authz("Bearer " + tok[:5])}, secrets: secrets},
		{reason: "token with suffix", v: v, req: request{header: authz("Bearer " + tok + "0")}, secrets: secrets},
		{reason: "token case differs", v: v, req: request{header: authz("Bearer " + strings.ToUpper(tok))}, secrets: secrets},
		{reason: "missing header", v: v, req: request{}, wantMsg: "missing", secrets: secrets},
		{reason: "blank header", v: v, req: request{header: authz("   ")}, wantMsg: "missing", secrets: secrets},
		{reason: "basic scheme", v: v, req: request{basic: []string{"user", tok}}, wantMsg: "scheme", secrets: secrets},
		{reason: "token without scheme", v: v, req: request{header: authz(tok)}, wantMsg: "scheme", secrets: secrets},
		{reason: "other scheme", v: v, req: request{header: authz("Token " + tok)}, wantMsg: "scheme", secrets: secrets},
		{reason: "scheme glued to token", v: v, req: request{header: authz("Bearer" + tok)}, wantMsg: "scheme", secrets: secrets},
		{reason: "scheme without token", v: v, req: request{header: authz("Bearer")}, wantMsg: "empty token", secrets: secrets},
		{reason: "scheme with blank token", v: v, req: request{header: authz("Bearer    ")}, wantMsg: "empty token", secrets: secrets},
		{reason: "token in query is not a bearer token", v: v, req: request{target: "/hook?access_token=" + tok}, secrets: secrets},
		{reason: "empty token configured refuses empty bearer", v: BearerToken(""), req: request{header: authz("Bearer ")}, wantMsg: "no token configured"},
		{reason: "empty token configured refuses any bearer", v: BearerToken(""), req: request{header: authz("Bearer anything")}, secrets: []string{"anything"}},
	})
}

func TestQueryToken(t *testing.T) {
	const tok = "q-s3cret+1"
	v := QueryToken("key", tok)
	secrets := []string{tok, "wr0ng"}
	runVerifyCases(t, []verifyCase{
		{reason: "correct token", v: v, req: request{target: "/hook?key=q-s3cret%2B1"}, want: true},
		{reason: "correct token among other parameters", v: v, req: request{target: "/hook?a=1&key=q-s3cret%2B1&b=2"}, want: true},
		{reason: "plus decodes to space", v: v, req: request{target: "/hook?key=q-s3cret+1"}, secrets: secrets},
		{reason: "wrong token", v: v, req: request{target: "/hook?key=wr0ng"}, wantMsg: `parameter "key" does not match`, secrets: secrets},
		{reason: "empty value", v: v, req: request{target: "/hook?key="}, wantMsg: "does not match", secrets: secrets},
		{reason: "parameter without value", v: v, req: request{target: "/hook?key"}, secrets: secrets},
		{reason: "missing parameter", v: v, req: request{target: "/hook"}, wantMsg: `missing parameter "key"`, secrets: secrets},
		{reason: "other parameter holds the token", v: v, req: request{target: "/hook?token=q-s3cret%2B1"}, wantMsg: "missing", secrets: secrets},
		{reason: "parameter name is case-sensitive", v: v, req: request{target: "/hook?KEY=q-s3cret%2B1"}, secrets: secrets},
		{reason: "repeated parameter all matching", v: v, req: request{target: "/hook?key=q-s3cret%2B1&key=q-s3cret%2B1"}, want: true},
		{reason: "repeated parameter one wrong after", v: v, req: request{target: "/hook?key=q-s3cret%2B1&key=wr0ng"}, secrets: secrets},
		{reason: "repeated parameter one wrong before", v: v, req: request{target: "/hook?key=wr0ng&key=q-s3cret%2B1"}, secrets: secrets},
		{reason: "token in header is not a query token", v: v, req: request{header: authz("Bearer " + tok)}, secrets: secrets},
		{reason: "empty token configured refuses empty value", v: QueryToken("key", ""), req: request{target: "/hook?key="}, wantMsg: "no parameter or token configured"},
		{reason: "empty token configured refuses any value", v: QueryToken("key", ""), req: request{target: "/hook?key=anything"}, secrets: []string{"anything"}},
		{reason: "empty parameter configured", v: QueryToken("", tok), req: request{target: "/hook?=q-s3cret%2B1"}, secrets: secrets},
	})
}

func mustSourceIP(t testing.TB, allow, trusted []string) Verifier {
	t.Helper()
	v, err := SourceIP(allow, trusted)
	if err != nil {
		t.Fatalf("SourceIP(%q, %q): %v", allow, trusted, err)
	}
	return v
}

func xff(vs ...string) http.Header { return http.Header{"X-Forwarded-For": vs} }

func TestSourceIP(t *testing.T) {
	proxies := []string{"10.0.0.0/24", "2001:db8:ffff::/48"}
	v4 := mustSourceIP(t, []string{"192.0.2.10", "198.51.100.0/24"}, proxies)
	v6 := mustSourceIP(t, []string{"2001:db8::1", "2001:db8:abcd::/48"}, proxies)
	mapped := mustSourceIP(t, []string{"::ffff:192.0.2.10", "::ffff:198.51.100.0/120"}, nil)
	noProxy := mustSourceIP(t, []string{"192.0.2.10"}, nil)
	proxyAllowed := mustSourceIP(t, []string{"10.0.0.3"}, proxies)
	empty := mustSourceIP(t, nil, proxies)

	runVerifyCases(t, []verifyCase{
		// Direct peers.
		{reason: "ipv4 address allowed", v: v4, req: request{remote: "192.0.2.10:1234"}, want: true},
		{reason: "ipv4 address not allowed", v: v4, req: request{remote: "192.0.2.11:1234"}, wantMsg: "192.0.2.11 not allowed"},
		{reason: "ipv4 in cidr", v: v4, req: request{remote: "198.51.100.200:80"}, want: true},
		{reason: "ipv4 outside cidr", v: v4, req: request{remote: "198.51.101.1:80"}},
		{reason: "ipv6 address allowed", v: v6, req: request{remote: "[2001:db8::1]:443"}, want: true},
		{reason: "ipv6 address not allowed", v: v6, req: request{remote: "[2001:db8::2]:443"}, wantMsg: "2001:db8::2 not allowed"},
		{reason: "ipv6 in cidr", v: v6, req: request{remote: "[2001:db8:abcd:12::5]:443"}, want: true},
		{reason: "ipv6 outside cidr", v: v6, req: request{remote: "[2001:db8:abce::5]:443"}},
		{reason: "ipv6 zone ignored", v: v6, req: request{remote: "[2001:db8::1%eth0]:443"}, want: true},
		{reason: "ipv4 client against ipv6 list", v: v6, req: request{remote: "192.0.2.10:1234"}},
		{reason: "ipv4-mapped client matches ipv4 entry", v: v4, req: request{remote: "[::ffff:192.0.2.10]:1234"}, want: true},
		{reason: "ipv4-mapped client matches ipv4 cidr", v: v4, req: request{remote: "[::ffff:198.51.100.7]:1234"}, want: true},
		{reason: "ipv4-mapped client not allowed", v: v4, req: request{remote: "[::ffff:192.0.2.11]:1234"}},
		{reason: "ipv4-mapped entry matches ipv4 client", v: mapped, req: request{remote: "192.0.2.10:1234"}, want: true},
		{reason: "ipv4-mapped cidr entry matches ipv4 client", v: mapped, req: request{remote: "198.51.100.99:1234"}, want: true},
		{reason: "ipv4-mapped cidr entry refuses outside", v: mapped, req: request{remote: "198.51.101.99:1234"}},
		{reason: "remote address without port", v: v4, req: request{remote: "192.0.2.10"}, want: true},
		{reason: "unparsable remote address", v: v4, req: request{remote: "pipe"}, wantMsg: "unparsable remote address"},
		{reason: "empty remote address", v: v4, req: request{remote: " "}, wantMsg: "unparsable remote address"},

		// X-Forwarded-For from peers that are not trusted.
		{reason: "spoofed xff from untrusted peer", v: v4, req: request{remote: "203.0.113.5:1234", header: xff("192.0.2.10")}, wantMsg: "203.0.113.5 not allowed"},
		{reason: "spoofed xff with no trusted proxies", v: noProxy, req: request{remote: "10.0.0.1:1234", header: xff("192.0.2.10")}},
		{reason: "allowed peer with garbage xff", v: v4, req: request{remote: "192.0.2.10:1234", header: xff("garbage, 203.0.113.5")}, want: true},

		// X-Forwarded-For through trusted proxies.
		{reason: "one trusted proxy, allowed client", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("192.0.2.10")}, want: true},
		{reason: "one trusted proxy, client not allowed", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("203.0.113.5")}, wantMsg: "203.0.113.5 not allowed"},
		{reason: "one trusted proxy, spoofed leftmost hop", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("192.0.2.10, 203.0.113.5")}, wantMsg: "203.0.113.5 not allowed"},
		{reason: "two trusted proxies in one header", v: v4, req: request{remote: "10.0.0.2:1234", header: xff("192.0.2.10, 10.0.0.1")}, want: true},
		{reason: "two trusted proxies in two headers", v: v4, req: request{remote: "10.0.0.2:1234", header: xff("192.0.2.10", "10.0.0.1")}, want: true},
		{reason: "two trusted proxies, spoofed hops left of client", v: v4, req: request{remote: "10.0.0.2:1234", header: xff("198.51.100.1, 203.0.113.5", "10.0.0.1")}, wantMsg: "203.0.113.5 not allowed"},
		{reason: "garbage left of client is never read", v: v4, req: request{remote: "10.0.0.2:1234", header: xff("garbage", "192.0.2.10,10.0.0.1")}, want: true},
		{reason: "ipv6 trusted proxy", v: v4, req: request{remote: "[2001:db8:ffff::9]:443", header: xff("192.0.2.10")}, want: true},
		{reason: "ipv6 client through trusted proxy", v: v6, req: request{remote: "10.0.0.1:1234", header: xff("2001:db8::1")}, want: true},
		{reason: "bracketed ipv6 hop with port", v: v6, req: request{remote: "10.0.0.1:1234", header: xff("[2001:db8::1]:5555")}, want: true},
		{reason: "bracketed ipv6 hop", v: v6, req: request{remote: "10.0.0.1:1234", header: xff("[2001:db8::1]")}, want: true},
		{reason: "bracketed ipv4 hop", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("[192.0.2.10]")}, wantMsg: "unparsable X-Forwarded-For"},
		{reason: "unterminated bracket hop", v: v6, req: request{remote: "10.0.0.1:1234", header: xff("[2001:db8::1")}, wantMsg: "unparsable X-Forwarded-For"},
		{reason: "ipv4 hop with port", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("192.0.2.10:5555")}, want: true},
		{reason: "ipv4-mapped hop", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("::ffff:192.0.2.10")}, want: true},
		{reason: "all hops trusted: leftmost is the client", v: proxyAllowed, req: request{remote: "10.0.0.1:1234", header: xff("10.0.0.3, 10.0.0.2")}, want: true},
		{reason: "all hops trusted: leftmost not allowed", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("10.0.0.3, 10.0.0.2")}, wantMsg: "10.0.0.3 not allowed"},
		{reason: "trusted peer without xff is the client", v: proxyAllowed, req: request{remote: "10.0.0.3:1234"}, want: true},
		{reason: "trusted peer without xff not allowed", v: v4, req: request{remote: "10.0.0.1:1234"}, wantMsg: "10.0.0.1 not allowed"},
		{reason: "garbage rightmost hop", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("192.0.2.10, garbage")}, wantMsg: "unparsable X-Forwarded-For"},
		{reason: "garbage hop between proxies", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("192.0.2.10, 300.1.1.1, 10.0.0.2")}, wantMsg: "unparsable X-Forwarded-For"},
		{reason: "obfuscated hop", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("unknown")}, wantMsg: "unparsable X-Forwarded-For"},
		{reason: "empty hop", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("192.0.2.10, ")}, wantMsg: "unparsable X-Forwarded-For"},
		{reason: "empty header", v: v4, req: request{remote: "10.0.0.1:1234", header: xff("")}, wantMsg: "unparsable X-Forwarded-For"},

		// Empty allow list.
		{reason: "empty allow list refuses direct peer", v: empty, req: request{remote: "192.0.2.10:1234"}, wantMsg: "allow list is empty"},
		{reason: "empty allow list refuses through proxy", v: empty, req: request{remote: "10.0.0.1:1234", header: xff("192.0.2.10")}},
		{reason: "nil lists refuse", v: mustSourceIP(t, nil, nil), req: request{remote: "127.0.0.1:1"}},
	})
}

func TestSourceIPConstruction(t *testing.T) {
	tests := []struct {
		reason       string
		allow, trust []string
		wantErr      string // "" for success
	}{
		{reason: "addresses and prefixes", allow: []string{"192.0.2.1", "2001:db8::/32", "::ffff:10.0.0.0/104"}, trust: []string{"10.0.0.1", "fd00::/8"}},
		{reason: "spaces around entries", allow: []string{" 192.0.2.1 ", "\t198.51.100.0/24"}},
		{reason: "unmasked prefix", allow: []string{"192.0.2.77/24"}},
		{reason: "zone in address", allow: []string{"fe80::1%eth0"}},
		{reason: "nil lists", allow: nil, trust: nil},
		{reason: "bad ipv4 octet", allow: []string{"192.0.2.1", "192.0.2.300"}, wantErr: `allow entry "192.0.2.300"`},
		{reason: "ipv4 prefix too long", allow: []string{"10.0.0.0/33"}, wantErr: `allow entry "10.0.0.0/33"`},
		{reason: "ipv6 prefix too long", allow: []string{"2001:db8::/129"}, wantErr: `allow entry "2001:db8::/129"`},
		{reason: "host name", allow: []string{"api.46elks.com"}, wantErr: `allow entry "api.46elks.com"`},
		{reason: "empty entry", allow: []string{""}, wantErr: `allow entry ""`},
		{reason: "double prefix", allow: []string{"10.0.0.0/8/9"}, wantErr: `allow entry "10.0.0.0/8/9"`},
		{reason: "address with port", allow: []string{"192.0.2.1:80"}, wantErr: `allow entry "192.0.2.1:80"`},
		{reason: "ipv4 leading zeros", allow: []string{"192.0.2.01"}, wantErr: `allow entry "192.0.2.01"`},
		{reason: "bad trusted proxy", allow: []string{"192.0.2.1"}, trust: []string{"10.0.0.1", "proxy"}, wantErr: `trusted proxy entry "proxy"`},
		{reason: "bad trusted prefix", allow: []string{"192.0.2.1"}, trust: []string{"10.0.0.0/-1"}, wantErr: `trusted proxy entry "10.0.0.0/-1"`},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			v, err := SourceIP(tc.allow, tc.trust)
			type result struct {
				Verifier bool
				Err      bool
			}
			got := result{Verifier: v != nil, Err: err != nil}
			want := result{Verifier: tc.wantErr == "", Err: tc.wantErr != ""}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("SourceIP(%q, %q) mismatch (-want +got):\n%s\nerr: %v", tc.allow, tc.trust, diff, err)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not name %s", err, tc.wantErr)
			}
		})
	}
}

// verifierFunc adapts a function to Verifier and counts its calls.
type verifierFunc struct {
	f     func(*http.Request) error
	calls *atomic.Int32
}

func (v verifierFunc) Verify(r *http.Request) error {
	v.calls.Add(1)
	return v.f(r)
}

func TestAllOfAnyOf(t *testing.T) {
	errA := fmt.Errorf("%w: reason A", ErrUnauthorized)
	errB := fmt.Errorf("%w: reason B", ErrUnauthorized)
	errPlain := errors.New("plain reason") // does not match ErrUnauthorized

	type stubs struct{ accept, refuseA, refuseB, plain verifierFunc }
	newStubs := func() stubs {
		mk := func(err error) verifierFunc {
			return verifierFunc{f: func(*http.Request) error { return err }, calls: new(atomic.Int32)}
		}
		return stubs{accept: mk(nil), refuseA: mk(errA), refuseB: mk(errB), plain: mk(errPlain)}
	}
	type calls struct{ Accept, RefuseA, RefuseB, Plain int32 }

	tests := []struct {
		reason    string
		build     func(s stubs) Verifier
		want      bool
		wantIs    []error // errors the refusal matches
		wantMsg   []string
		wantCalls calls
	}{
		{reason: "AllOf with no verifiers refuses", build: func(stubs) Verifier { return AllOf() }, wantMsg: []string{"no verifiers configured"}},
		{reason: "AllOf with only nil refuses", build: func(stubs) Verifier { return AllOf(nil, nil) }, wantMsg: []string{"no verifiers configured"}},
		{reason: "AllOf skips nil", build: func(s stubs) Verifier { return AllOf(nil, s.accept, nil) }, want: true, wantCalls: calls{Accept: 1}},
		{reason: "AllOf all accept", build: func(s stubs) Verifier { return AllOf(s.accept, s.accept) }, want: true, wantCalls: calls{Accept: 2}},
		{reason: "AllOf one refuses", build: func(s stubs) Verifier { return AllOf(s.accept, s.refuseA) }, wantIs: []error{errA}, wantMsg: []string{"reason A"}, wantCalls: calls{Accept: 1, RefuseA: 1}},
		{reason: "AllOf returns first refusal and stops", build: func(s stubs) Verifier { return AllOf(s.refuseA, s.refuseB, s.accept) }, wantIs: []error{errA}, wantMsg: []string{"reason A"}, wantCalls: calls{RefuseA: 1}},
		{reason: "AllOf wraps a plain error", build: func(s stubs) Verifier { return AllOf(s.plain) }, wantIs: []error{errPlain}, wantMsg: []string{"plain reason"}, wantCalls: calls{Plain: 1}},
		{reason: "AnyOf with no verifiers refuses", build: func(stubs) Verifier { return AnyOf() }, wantMsg: []string{"no verifiers configured"}},
		{reason: "AnyOf with only nil refuses", build: func(stubs) Verifier { return AnyOf(nil) }, wantMsg: []string{"no verifiers configured"}},
		{reason: "AnyOf skips nil", build: func(s stubs) Verifier { return AnyOf(nil, s.refuseA, nil, s.accept) }, want: true, wantCalls: calls{RefuseA: 1, Accept: 1}},
		{reason: "AnyOf first acceptance wins", build: func(s stubs) Verifier { return AnyOf(s.accept, s.refuseA) }, want: true, wantCalls: calls{Accept: 1}},
		{reason: "AnyOf all refuse joins reasons", build: func(s stubs) Verifier { return AnyOf(s.refuseA, s.refuseB) }, wantIs: []error{errA, errB}, wantMsg: []string{"reason A", "reason B", "no verifier accepted"}, wantCalls: calls{RefuseA: 1, RefuseB: 1}},
		{reason: "AnyOf with a plain error", build: func(s stubs) Verifier { return AnyOf(s.plain) }, wantIs: []error{errPlain}, wantMsg: []string{"plain reason"}, wantCalls: calls{Plain: 1}},
		{reason: "nested", build: func(s stubs) Verifier { return AllOf(AnyOf(s.refuseA, s.accept), AnyOf(s.refuseB)) }, wantIs: []error{errB}, wantCalls: calls{RefuseA: 1, Accept: 1, RefuseB: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			s := newStubs()
			err := tc.build(s).Verify(request{}.build(t))
			got := outcome{Accepted: err == nil, Unauthorized: errors.Is(err, ErrUnauthorized)}
			want := outcome{Accepted: tc.want, Unauthorized: !tc.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("outcome mismatch (-want +got):\n%s\nerr: %v", diff, err)
			}
			gotCalls := calls{Accept: s.accept.calls.Load(), RefuseA: s.refuseA.calls.Load(), RefuseB: s.refuseB.calls.Load(), Plain: s.plain.calls.Load()}
			if diff := cmp.Diff(tc.wantCalls, gotCalls); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			for _, target := range tc.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			for _, m := range tc.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("refusal %q does not contain %q", err, m)
				}
			}
		})
	}
}

// TestCombinedSecrets checks the refusals of combined real verifiers: they
// match ErrUnauthorized, give the reasons, and reveal no secret.
func TestCombinedSecrets(t *testing.T) {
	src := mustSourceIP(t, []string{"192.0.2.0/24"}, nil)
	anyV := AnyOf(BasicAuth("elks", "pa55word"), QueryToken("key", "qu3ry-key"), BearerToken("be4rer"))
	all := AllOf(src, BasicAuth("elks", "pa55word"))
	secrets := []string{"pa55word", "qu3ry-key", "be4rer", "pr3sented"}
	runVerifyCases(t, []verifyCase{
		{reason: "any: basic", v: anyV, req: request{basic: []string{"elks", "pa55word"}}, want: true},
		{reason: "any: query", v: anyV, req: request{target: "/hook?key=qu3ry-key"}, want: true},
		{reason: "any: bearer", v: anyV, req: request{header: authz("Bearer be4rer")}, want: true},
		{reason: "any: all wrong", v: anyV, req: request{target: "/hook?key=pr3sented", header: authz("Bearer pr3sented")},
			wantMsg: `basic auth: missing or malformed credentials; query token: parameter "key" does not match; bearer token: token does not match`, secrets: secrets},
		{reason: "all: right address and credentials", v: all, req: request{remote: "192.0.2.9:1", basic: []string{"elks", "pa55word"}}, want: true},
		{reason: "all: wrong address", v: all, req: request{remote: "203.0.113.9:1", basic: []string{"elks", "pa55word"}}, wantMsg: "not allowed", secrets: secrets},
		{reason: "all: wrong password", v: all, req: request{remote: "192.0.2.9:1", basic: []string{"elks", "pr3sented"}}, wantMsg: "basic auth", secrets: secrets},
	})
}

func BenchmarkSourceIP(b *testing.B) {
	v := mustSourceIP(b, []string{"192.0.2.0/24", "198.51.100.7", "2001:db8::/32"}, []string{"10.0.0.0/8"})
	bench := func(name string, r *http.Request, wantOK bool) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(r); (err == nil) != wantOK {
					b.Fatal(err)
				}
			}
		})
	}
	r := httptest.NewRequest(http.MethodPost, "/hook", nil)
	r.RemoteAddr = "198.51.100.7:40000"
	bench("direct", r, true)

	r = httptest.NewRequest(http.MethodPost, "/hook", nil)
	r.RemoteAddr = "[2001:db8::7]:40000"
	bench("direct-ipv6", r, true)

	r = httptest.NewRequest(http.MethodPost, "/hook", nil)
	r.RemoteAddr = "10.0.0.1:40000"
	r.Header.Set("X-Forwarded-For", "203.0.113.1, 192.0.2.55, 10.1.2.3")
	bench("two-proxies", r, true)

	r = httptest.NewRequest(http.MethodPost, "/hook", nil)
	r.RemoteAddr = "203.0.113.1:40000"
	bench("refused", r, false)
}

// TestQueryTokenStripsItsParameter: the secret must not reach a decoder.
// The rest of the query, unescaped text included, is left byte for byte.
func TestQueryTokenStripsItsParameter(t *testing.T) {
	tests := []struct {
		raw      string
		accepted bool
		want     string
		reason   string
	}{
		{"key=s3cret&event=ringing&id=1", true, "event=ringing&id=1", "first"},
		{"event=incoming&title=Call from +420 (0:07)&key=s3cret", true, "event=incoming&title=Call from +420 (0:07)", "last, raw text untouched"},
		{"event=ringing&k%65y=s3cret&title=a%20b", true, "event=ringing&title=a%20b", "an escaped key is still the key; escapes elsewhere kept"},
		{"key=s3cret", true, "", "only the key"},
		{"key=s3cret&event=ringing&key=s3cret", true, "event=ringing", "every occurrence goes"},
		{"key=wrong&event=ringing", false, "event=ringing", "a refused request loses the parameter too: its URL may reach an error handler"},
		{"key=s3cret&key=wrong&event=ringing", false, "event=ringing", "refused for its second value, both go"},
		{"event=ringing&key", false, "event=ringing", "a bare key goes"},
		{"event=ringing&KEY=s3cret", false, "event=ringing&KEY=s3cret", "another parameter (names are case-sensitive) stays"},
	}
	v := QueryToken("key", "s3cret")
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/3cx", nil)
		r.URL.RawQuery = tt.raw
		if err := v.Verify(r); (err == nil) != tt.accepted {
			t.Errorf("%s: Verify = %v, want accepted %t", tt.reason, err, tt.accepted)
		}
		if r.URL.RawQuery != tt.want {
			t.Errorf("RawQuery after Verify = %q, want %q (%s)", r.URL.RawQuery, tt.want, tt.reason)
		}
	}
}

// TestQueryTokenWithoutTokenStrips: a QueryToken whose token is unset (an
// environment variable missing) refuses everything, and still keeps what
// the provider sends in the parameter out of the events when another
// verifier accepts.
func TestQueryTokenWithoutTokenStrips(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/3cx?event=ringing&key=s3cret", nil)
	if err := QueryToken("key", "").Verify(r); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Verify = %v, want a refusal", err)
	}
	if diff := cmp.Diff("event=ringing", r.URL.RawQuery); diff != "" {
		t.Errorf("RawQuery (-want +got):\n%s", diff)
	}
}

// stripCase is one verification whose query must lose its secrets.
type stripCase struct {
	reason   string
	v        Verifier
	req      request
	rawQuery string // the request's raw query, unescaped text allowed
	accepted bool
	want     string // RawQuery after Verify
}

func runStripCases(t *testing.T, cases []stripCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			r := tc.req.build(t)
			r.URL.RawQuery = tc.rawQuery
			err := tc.v.Verify(r)
			if (err == nil) != tc.accepted {
				t.Errorf("Verify = %v, want accepted %t", err, tc.accepted)
			}
			if diff := cmp.Diff(tc.want, r.URL.RawQuery); diff != "" {
				t.Errorf("RawQuery after Verify (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAnyOfStripsQuerySecret is the regression test of "a query-string
// secret reaches events": AnyOf stopped at the first member that accepted,
// so a QueryToken behind it never removed its parameter, and the secret
// reached pbx3cx.Event.Extra and obd.Report.Extra.
func TestAnyOfStripsQuerySecret(t *testing.T) {
	src := mustSourceIP(t, []string{"192.0.2.0/24"}, nil)
	const (
		pbx      = "192.0.2.7:5060"
		stranger = "203.0.113.9:1"
	)
	rotation := AnyOf(QueryToken("key", "old-s3cret"), QueryToken("key", "new-s3cret"))
	runStripCases(t, []stripCase{
		{reason: "accepted by SourceIP first, right secret too",
			v: AnyOf(src, QueryToken("key", "s3cret")), req: request{remote: pbx},
			rawQuery: "event=ringing&key=s3cret&id=1", accepted: true, want: "event=ringing&id=1"},
		{reason: "accepted by SourceIP first, wrong secret",
			v: AnyOf(src, QueryToken("key", "s3cret")), req: request{remote: pbx},
			rawQuery: "event=ringing&key=guess", accepted: true, want: "event=ringing"},
		{reason: "accepted by the QueryToken after SourceIP refused",
			v: AnyOf(src, QueryToken("key", "s3cret")), req: request{remote: stranger},
			rawQuery: "key=s3cret&event=ringing", accepted: true, want: "event=ringing"},
		{reason: "refused by both",
			v: AnyOf(src, QueryToken("key", "s3cret")), req: request{remote: stranger},
			rawQuery: "key=guess&event=ringing", want: "event=ringing"},
		{reason: "obd.WithChallengeKey's advice: bearer accepts, the token goes",
			v: AnyOf(BearerToken("be4rer"), QueryToken("token", "9012XXXX")), req: request{header: authz("Bearer be4rer")},
			rawQuery: "token=9012XXXX&mid=1", accepted: true, want: "mid=1"},
		{reason: "repeated and escaped occurrences all go, raw text kept",
			v: AnyOf(src, QueryToken("key", "s3cret")), req: request{remote: pbx},
			rawQuery: "key=s3cret&title=Call from +420 (0:07)&k%65y=s3cret&key=other&b=%zz", accepted: true, want: "title=Call from +420 (0:07)&b=%zz"},
		{reason: "two QueryTokens on two parameters, the first accepts",
			v: AnyOf(QueryToken("key", "s3cret"), QueryToken("token", "t0ken")), req: request{},
			rawQuery: "key=s3cret&token=t0ken&id=1", accepted: true, want: "id=1"},
		{reason: "a change of secret: the new one is read after the old refused",
			v: rotation, rawQuery: "key=new-s3cret&id=1", accepted: true, want: "id=1"},
		{reason: "a change of secret: the old one",
			v: rotation, rawQuery: "id=1&key=old-s3cret", accepted: true, want: "id=1"},
		{reason: "nested: the QueryToken two levels down, an outer member accepts",
			v:        AnyOf(AllOf(src, BasicAuth("pbx", "pa55word")), AnyOf(BearerToken("be4rer"), QueryToken("key", "s3cret"))),
			req:      request{remote: pbx, basic: []string{"pbx", "pa55word"}},
			rawQuery: "event=ringing&key=s3cret", accepted: true, want: "event=ringing"},
		{reason: "a QueryToken without a token still strips",
			v: AnyOf(src, QueryToken("key", "")), req: request{remote: pbx},
			rawQuery: "event=ringing&key=s3cret", accepted: true, want: "event=ringing"},
		{reason: "no QueryToken: the query is left alone",
			v: AnyOf(src, BearerToken("be4rer")), req: request{remote: pbx},
			rawQuery: "key=s3cret&&title=a b", accepted: true, want: "key=s3cret&&title=a b"},
	})
}

// TestAllOfStripsQuerySecret: AllOf stops at the first refusal, and the
// QueryTokens it did not consult remove their parameter all the same.
func TestAllOfStripsQuerySecret(t *testing.T) {
	src := mustSourceIP(t, []string{"192.0.2.0/24"}, nil)
	const (
		pbx      = "192.0.2.7:5060"
		stranger = "203.0.113.9:1"
	)
	runStripCases(t, []stripCase{
		{reason: "both accept",
			v: AllOf(src, QueryToken("key", "s3cret")), req: request{remote: pbx},
			rawQuery: "event=ringing&key=s3cret", accepted: true, want: "event=ringing"},
		{reason: "SourceIP refuses first: the QueryToken is never consulted",
			v: AllOf(src, QueryToken("key", "s3cret")), req: request{remote: stranger},
			rawQuery: "event=ringing&key=s3cret", want: "event=ringing"},
		{reason: "the QueryToken refuses",
			v: AllOf(src, QueryToken("key", "s3cret")), req: request{remote: pbx},
			rawQuery: "key=guess&event=ringing", want: "event=ringing"},
		{reason: "two QueryTokens: the first does not remove what the second reads",
			v: AllOf(QueryToken("key", "s3cret"), QueryToken("key", "s3cret")), req: request{},
			rawQuery: "key=s3cret&id=1", accepted: true, want: "id=1"},
		{reason: "two parameters",
			v: AllOf(QueryToken("key", "s3cret"), QueryToken("token", "t0ken")), req: request{},
			rawQuery: "token=t0ken&id=1&key=s3cret", accepted: true, want: "id=1"},
		{reason: "nested AnyOf inside AllOf, accepted by SourceIP",
			v: AllOf(AnyOf(src, QueryToken("key", "s3cret")), BearerToken("be4rer")), req: request{remote: pbx, header: authz("Bearer be4rer")},
			rawQuery: "key=s3cret&event=ringing", accepted: true, want: "event=ringing"},
		{reason: "deep nesting, refused at the top before the QueryToken",
			v: AllOf(BearerToken("be4rer"), AllOf(AnyOf(src, AllOf(QueryToken("key", "s3cret"))))), req: request{remote: pbx},
			rawQuery: "key=s3cret", want: ""},
	})
}

// TestWithoutParam: every pair whose key net/url would read as param goes,
// and the rest stays byte for byte.
func TestWithoutParam(t *testing.T) {
	tests := []struct {
		raw, want, reason string
	}{
		{"", "", "empty"},
		{"key=1", "", "only the parameter"},
		{"a=1&key=x&key=y&b=2", "a=1&b=2", "repeated"},
		{"key=x&key", "", "a bare key"},
		{"a=1&&key=x&b=2", "a=1&&b=2", "an empty pair before is kept"},
		{"key=x&&a=1", "&a=1", "an empty pair after is kept"},
		{"key=x&", "", "a trailing '&' joined nothing"},
		{"keys=1&key2=2&akey=3&KEY=4", "keys=1&key2=2&akey=3&KEY=4", "other keys, however close"},
		{"k%65y=x&a=1", "a=1", "an escaped key"},
		{"ke+y=x&key%=y&a=1", "ke+y=x&key%=y&a=1", "a '+' or an invalid escape makes another key"},
		{"a=%zz&key=x&title=Call from +420 (0:07)", "a=%zz&title=Call from +420 (0:07)", "invalid escapes and raw text kept"},
		{"key;a=x&key=y", "key;a=x", "a ';' is no separator"},
	}
	for _, tt := range tests {
		if got := withoutParam(tt.raw, "key"); got != tt.want {
			t.Errorf("withoutParam(%q) = %q, want %q (%s)", tt.raw, got, tt.want, tt.reason)
		}
	}
}

// TestWithoutParamNoAllocation: every QueryToken strips every request now,
// so a query without the parameter must cost no allocation.
func TestWithoutParamNoAllocation(t *testing.T) {
	raw := "event=incoming&title=Call from +420 (0:07)&t%69tle=x&id=1"
	if n := testing.AllocsPerRun(100, func() { _ = withoutParam(raw, "key") }); n != 0 {
		t.Errorf("withoutParam allocated %v times on a query without the parameter", n)
	}
}

// FuzzWithoutParam: after withoutParam net/url does not find the
// parameter, isParam unescapes keys as net/url does, and the pairs left are
// those of raw, in order, less the dropped ones.
func FuzzWithoutParam(f *testing.F) {
	for _, s := range []string{"key=1", "a=1&key=2&b", "k%65y=1&&key", "a=%zz&key=x;y&ke+y=1", "key=x&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := withoutParam(raw, "key")
		if q, _ := url.ParseQuery(got); len(q["key"]) != 0 {
			t.Fatalf("withoutParam(%q) = %q: net/url still reads key=%q", raw, got, q["key"])
		}
		var kept []string
		for pair := range strings.SplitSeq(raw, "&") {
			k, _, _ := strings.Cut(pair, "=")
			key, err := url.QueryUnescape(k)
			if want := err == nil && key == "key"; isParam(pair, "key") != want {
				t.Fatalf("isParam(%q) = %t, want %t (net/url unescapes the key to %q, %v)", pair, !want, want, key, err)
			}
			if !isParam(pair, "key") {
				kept = append(kept, pair)
			}
		}
		if want := strings.Join(kept, "&"); got != want {
			t.Fatalf("withoutParam(%q) = %q, want %q", raw, got, want)
		}
	})
}

// TestQueryTokenStripsRequestURI: the request line as received, which
// access-log middleware prints, loses the secret too.
func TestQueryTokenStripsRequestURI(t *testing.T) {
	for _, v := range []Verifier{QueryToken("key", "s3cret"), AnyOf(BearerToken("b"), QueryToken("key", "s3cret"))} {
		r := httptest.NewRequest(http.MethodGet, "/pbx3cx?event=ringing&key=s3cret&id=1", nil)
		r.Header.Set("Authorization", "Bearer b")
		if err := v.Verify(r); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.RequestURI, "s3cret") || r.RequestURI != "/pbx3cx?event=ringing&id=1" {
			t.Errorf("RequestURI %q still holds the secret, or lost more than it", r.RequestURI)
		}
	}
}
