package telhook

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/telhook/telhook/internal/secret"
)

// Refusals that carry no request data are made once: refusing a request
// costs no allocation, and no message can ever contain a secret.
var (
	errNoVerifiers = fmt.Errorf("%w: no verifiers configured", ErrUnauthorized)

	errBasicNoSecret = fmt.Errorf("%w: basic auth: no password configured", ErrUnauthorized)
	errBasicMissing  = fmt.Errorf("%w: basic auth: missing or malformed credentials", ErrUnauthorized)
	errBasicMismatch = fmt.Errorf("%w: basic auth: credentials do not match", ErrUnauthorized)

	errBearerNoSecret = fmt.Errorf("%w: bearer token: no token configured", ErrUnauthorized)
	errBearerMissing  = fmt.Errorf("%w: bearer token: missing Authorization header", ErrUnauthorized)
	errBearerScheme   = fmt.Errorf("%w: bearer token: Authorization scheme is not Bearer", ErrUnauthorized)
	errBearerEmpty    = fmt.Errorf("%w: bearer token: empty token", ErrUnauthorized)
	errBearerMismatch = fmt.Errorf("%w: bearer token: token does not match", ErrUnauthorized)

	errQueryNoSecret = fmt.Errorf("%w: query token: no parameter or token configured", ErrUnauthorized)
	errQueryNoURL    = fmt.Errorf("%w: query token: request has no URL", ErrUnauthorized)

	errSourceNoAllow    = fmt.Errorf("%w: source address: allow list is empty", ErrUnauthorized)
	errSourceBadRemote  = fmt.Errorf("%w: source address: unparsable remote address", ErrUnauthorized)
	errSourceBadForward = fmt.Errorf("%w: source address: unparsable X-Forwarded-For hop", ErrUnauthorized)
)

// refuseAll is the verifier of a configuration that can never accept, such
// as an empty secret.
type refuseAll struct{ err error }

// Verify implements Verifier.
func (v refuseAll) Verify(*http.Request) error { return v.err }

// BasicAuth returns a Verifier that accepts a request whose HTTP Basic
// credentials (as read by [http.Request.BasicAuth]) are user and pass.
//
// It suits 46elks: a webhook URL with user information, such as
// https://user:pass@example.com/sms, is called with those credentials in an
// Authorization header.
//
// It refuses a request without Basic credentials and one whose user name or
// password differs. Both are compared, always, in constant time. When pass
// is empty the Verifier refuses every request: an empty password is taken
// for a missing setting, never for "no password needed".
func BasicAuth(user, pass string) Verifier {
	if pass == "" {
		return refuseAll{errBasicNoSecret}
	}
	return &basicAuth{user: secret.Of(user), pass: secret.Of(pass)}
}

type basicAuth struct{ user, pass secret.Hash }

// Verify implements Verifier.
func (v *basicAuth) Verify(r *http.Request) error {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return errBasicMissing
	}
	// Both comparisons run, whatever the first one found.
	if v.user.Match(user)&v.pass.Match(pass) != 1 {
		return errBasicMismatch
	}
	return nil
}

// BearerToken returns a Verifier that accepts a request with the header
// "Authorization: Bearer <token>". The scheme is matched case-insensitively
// and spaces around the header value and the token are ignored.
//
// It suits Mobtexting, whose webhook settings can add an Authorization
// header to every call.
//
// It refuses a request without an Authorization header, with another scheme
// (Basic, ...), or with a different or empty token. The token is compared in
// constant time. BearerToken("") refuses every request.
func BearerToken(token string) Verifier {
	if token == "" {
		return refuseAll{errBearerNoSecret}
	}
	return &bearerToken{token: secret.Of(token)}
}

type bearerToken struct{ token secret.Hash }

// Verify implements Verifier.
func (v *bearerToken) Verify(r *http.Request) error {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return errBearerMissing
	}
	i := strings.IndexAny(h, " \t")
	if i < 0 {
		// One word: a scheme without a token or a token without a scheme.
		if strings.EqualFold(h, "bearer") {
			return errBearerEmpty
		}
		return errBearerScheme
	}
	if !strings.EqualFold(h[:i], "bearer") {
		return errBearerScheme
	}
	tok := strings.TrimSpace(h[i:])
	if tok == "" {
		return errBearerEmpty
	}
	if v.token.Match(tok) != 1 {
		return errBearerMismatch
	}
	return nil
}

// QueryToken returns a Verifier that accepts a request whose URL has the
// query parameter param equal to token, as in
// https://example.com/hook?key=s3cret.
//
// It suits providers whose webhook URL is all that can be configured:
// 46elks (QueryToken("key", ...) is a common choice), Wavix and 3CX.
//
// It refuses a request without the parameter and one where the parameter,
// or any of its values when it is repeated, differs from token. Values are
// compared in constant time. When param or token is empty the Verifier
// refuses every request.
//
// Whether it accepts or refuses, it removes every param=… pair from
// r.URL.RawQuery (and touches nothing else of the query, escaped or not),
// so that the secret never reaches a decoder, an event's Extra fields, an
// error handler or a log: the 3CX GET scheme and Mobtexting's composed GETs
// carry their fields in the same query string. Inside AllOf and AnyOf, at
// any depth, the removal waits until the outermost of them has decided, and
// then happens whichever member decided: AnyOf(SourceIP(…), QueryToken(…))
// removes the parameter from a request SourceIP accepted, and
// AnyOf(QueryToken("key", old), QueryToken("key", new)) sees the parameter
// in both during a change of secret. (A Verifier of your own that calls
// Verify on several QueryTokens of one parameter only lets the first see
// it: combine them with AnyOf instead.)
//
// A secret in a URL may end up in access logs of proxies and servers;
// prefer BasicAuth or BearerToken where the provider allows them.
func QueryToken(param, token string) Verifier {
	if param == "" {
		return refuseAll{errQueryNoSecret}
	}
	if token == "" {
		// Refuse everything, but still keep whatever the sender put in
		// param out of the events, as a configured token would.
		return &queryToken{param: param, unset: true}
	}
	return &queryToken{
		param:    param,
		token:    secret.Of(token),
		missing:  fmt.Errorf("%w: query token: missing parameter %q", ErrUnauthorized, param),
		mismatch: fmt.Errorf("%w: query token: parameter %q does not match", ErrUnauthorized, param),
	}
}

type queryToken struct {
	param             string
	token             secret.Hash
	missing, mismatch error
	unset             bool // no token configured: refuse every request
}

// Verify implements Verifier: it checks, then strips whatever the outcome.
func (v *queryToken) Verify(r *http.Request) error {
	err := v.check(r)
	v.strip(r)
	return err
}

// check implements stripper.
func (v *queryToken) check(r *http.Request) error {
	if v.unset {
		return errQueryNoSecret
	}
	if r.URL == nil {
		return errQueryNoURL
	}
	vals := r.URL.Query()[v.param]
	if len(vals) == 0 {
		return v.missing
	}
	ok := 1
	for _, s := range vals {
		ok &= v.token.Match(s)
	}
	if ok != 1 {
		return v.mismatch
	}
	return nil
}

// strip implements stripper.
func (v *queryToken) strip(r *http.Request) {
	if r.URL == nil {
		return
	}
	raw := withoutParam(r.URL.RawQuery, v.param)
	if raw == r.URL.RawQuery {
		return
	}
	r.URL.RawQuery = raw
	if r.RequestURI != "" { // the request line as received: keep the secret out of it too
		r.RequestURI = r.URL.RequestURI()
	}
}

// stripper is a Verifier that reads a secret from the request and removes
// it once the decision is made: QueryToken, and AllOf and AnyOf, which may
// hold one. Its Verify is check followed by strip, whatever check found.
// AllOf and AnyOf check their members without stripping, so that no member
// removes a parameter that a later member still has to read, and strip all
// of them, consulted or not, once they have decided.
type stripper interface {
	Verifier
	// check decides as Verify does, leaving the request as it is.
	check(r *http.Request) error
	// strip removes what the verifier reads from the request.
	strip(r *http.Request)
}

// checkOnly decides for v without letting it strip anything yet.
func checkOnly(v Verifier, r *http.Request) error {
	if s, ok := v.(stripper); ok {
		return s.check(r)
	}
	return v.Verify(r)
}

// stripAll strips every member of vs that strips.
func stripAll(vs []Verifier, r *http.Request) {
	for _, v := range vs {
		if s, ok := v.(stripper); ok {
			s.strip(r)
		}
	}
}

// withoutParam drops every param=… pair (a pair whose key, unescaped, is
// param, whatever its value) from a raw query, leaving the rest byte for
// byte as it was. A query without such a pair is returned as it is,
// without allocating.
func withoutParam(raw, param string) string {
	var (
		b       strings.Builder
		dropped bool // a pair was dropped: b holds the result so far
		wrote   bool // b holds at least one kept pair
		start   int  // of the current pair in raw
	)
	for {
		end := strings.IndexByte(raw[start:], '&')
		if end < 0 {
			end = len(raw)
		} else {
			end += start
		}
		pair := raw[start:end]
		if isParam(pair, param) {
			if !dropped {
				dropped = true
				b.Grow(len(raw))
				if start > 0 {
					b.WriteString(raw[:start-1]) // the pairs before, kept
					wrote = true
				}
			}
		} else if dropped {
			if wrote {
				b.WriteByte('&')
			}
			b.WriteString(pair)
			wrote = true
		}
		if end == len(raw) {
			break
		}
		start = end + 1
	}
	if !dropped {
		return raw
	}
	return b.String()
}

// isParam reports whether the key of pair (key=value or a bare key),
// unescaped as url.QueryUnescape does ('+' a space, %XX a byte, an invalid
// escape no key at all), is param. It allocates nothing.
func isParam(pair, param string) bool {
	k, _, _ := strings.Cut(pair, "=")
	j := 0
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(k) || !isHex(k[i+1]) || !isHex(k[i+2]) {
				return false
			}
			c = unhex(k[i+1])<<4 | unhex(k[i+2])
			i += 2
		}
		if j == len(param) || param[j] != c {
			return false
		}
		j++
	}
	return j == len(param)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// SourceIP returns a Verifier that accepts a request coming from an address
// in allow. Entries of allow and trustedProxies are IP addresses
// ("192.0.2.10", "2001:db8::1") or CIDR prefixes ("192.0.2.0/24",
// "2001:db8::/32"); an IPv4-mapped IPv6 address (::ffff:192.0.2.10) is the
// same as its IPv4 form, in entries and in requests. SourceIP returns an
// error naming the first entry it cannot parse.
//
// It suits 46elks, which publishes the addresses its webhooks come from,
// and any provider with a fixed set of senders; combine it with a secret
// using AllOf.
//
// The client is the host of r.RemoteAddr. Only when that peer is in
// trustedProxies (a reverse proxy or load balancer in front of the server)
// is X-Forwarded-For read: its hops, from all such headers in order, are
// walked from right to left, skipping hops that are trusted proxies
// themselves, and the first hop that is not is the client; when all of them
// are trusted the leftmost is. Hops left of the client are never looked at.
// A request from any other peer is judged by the peer's address alone and
// its X-Forwarded-For is ignored, so that no sender can choose the address
// it is judged by.
//
// It refuses a request whose client is not in allow, whose remote address
// cannot be parsed, or whose X-Forwarded-For hop to be read cannot be parsed.
// With an empty allow list it refuses every request.
func SourceIP(allow []string, trustedProxies []string) (Verifier, error) {
	al, err := parsePrefixes("allow", allow)
	if err != nil {
		return nil, err
	}
	tp, err := parsePrefixes("trusted proxy", trustedProxies)
	if err != nil {
		return nil, err
	}
	if len(al) == 0 {
		return refuseAll{errSourceNoAllow}, nil
	}
	return &sourceIP{allow: al, trusted: tp}, nil
}

type sourceIP struct{ allow, trusted []netip.Prefix }

// Verify implements Verifier.
func (v *sourceIP) Verify(r *http.Request) error {
	client, ok := parseHost(r.RemoteAddr)
	if !ok {
		return errSourceBadRemote
	}
	if contains(v.trusted, client) {
		client, ok = v.forwardedClient(r.Header.Values("X-Forwarded-For"), client)
		if !ok {
			return errSourceBadForward
		}
	}
	if !contains(v.allow, client) {
		return fmt.Errorf("%w: source address %s not allowed", ErrUnauthorized, client)
	}
	return nil
}

// forwardedClient walks the X-Forwarded-For hops right to left and returns
// the first that is not a trusted proxy, or the leftmost when all are, or
// peer when there are none. ok is false when a hop it reads is unparsable.
func (v *sourceIP) forwardedClient(headers []string, peer netip.Addr) (client netip.Addr, ok bool) {
	client = peer
	for i := len(headers) - 1; i >= 0; i-- {
		h := headers[i]
		for {
			j := strings.LastIndexByte(h, ',')
			hop := h[j+1:]
			a, parsed := parseHost(strings.TrimSpace(hop))
			if !parsed {
				return netip.Addr{}, false
			}
			client = a
			if !contains(v.trusted, a) {
				return client, true
			}
			if j < 0 {
				break
			}
			h = h[:j]
		}
	}
	return client, true
}

// parsePrefixes reads the entries of one list for SourceIP.
func parsePrefixes(list string, entries []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	for _, e := range entries {
		p, err := parsePrefix(strings.TrimSpace(e))
		if err != nil {
			return nil, fmt.Errorf("telhook: SourceIP: %s entry %q: %w", list, e, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		a = a.WithZone("").Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	// ::ffff:192.0.2.0/120 is 192.0.2.0/24: requests are matched by their
	// unmapped address, so the prefix must be unmapped too.
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// parseHost reads an address with or without a port ("192.0.2.1:80",
// "[2001:db8::1]:80", "192.0.2.1", "2001:db8::1", "[2001:db8::1]"),
// without its zone and unmapped to IPv4 when it is IPv4-mapped.
func parseHost(s string) (netip.Addr, bool) {
	// Pick the one parser that fits: a failed attempt allocates its error.
	var (
		a   netip.Addr
		err error
	)
	switch n := len(s); {
	case n > 2 && s[0] == '[' && s[n-1] == ']':
		a, err = netip.ParseAddr(s[1 : n-1])
		if err == nil && !a.Is6() {
			return netip.Addr{}, false
		}
	case n > 0 && s[0] == '[', strings.Count(s, ":") == 1:
		var ap netip.AddrPort
		ap, err = netip.ParseAddrPort(s)
		a = ap.Addr()
	default:
		a, err = netip.ParseAddr(s)
	}
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

func contains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// AllOf returns a Verifier that accepts a request when every one of vs
// accepts it, and otherwise returns the first refusal. Use it to require
// several proofs, such as SourceIP and BasicAuth for 46elks.
//
// Once it has decided, every QueryToken among vs, at any depth, removes its
// parameter from the request, also those it did not need to consult.
//
// nil entries are skipped. AllOf with no (non-nil) verifiers refuses every
// request: a Verifier that accepted everything would be easy to build by
// mistake and hard to notice.
func AllOf(vs ...Verifier) Verifier {
	vs = compact(vs)
	if len(vs) == 0 {
		return refuseAll{errNoVerifiers}
	}
	return allOf(vs)
}

type allOf []Verifier

// Verify implements Verifier.
func (vs allOf) Verify(r *http.Request) error {
	err := vs.check(r)
	vs.strip(r)
	return err
}

// check implements stripper.
func (vs allOf) check(r *http.Request) error {
	for _, v := range vs {
		if err := checkOnly(v, r); err != nil {
			return unauthorized(err)
		}
	}
	return nil
}

// strip implements stripper.
func (vs allOf) strip(r *http.Request) { stripAll(vs, r) }

// AnyOf returns a Verifier that accepts a request when one of vs accepts
// it, trying them in order and stopping at the first that accepts. Use it
// to accept several configurations during a change of secret, or a
// provider that may call either way (46elks with BasicAuth or QueryToken).
// When all refuse, the refusal joins their reasons.
//
// Once it has decided, every QueryToken among vs, at any depth, removes its
// parameter from the request, whichever member accepted: a request that
// another member accepts cannot carry the query secret into an event.
//
// nil entries are skipped. AnyOf with no (non-nil) verifiers refuses every
// request.
func AnyOf(vs ...Verifier) Verifier {
	vs = compact(vs)
	if len(vs) == 0 {
		return refuseAll{errNoVerifiers}
	}
	return anyOf(vs)
}

type anyOf []Verifier

// Verify implements Verifier.
func (vs anyOf) Verify(r *http.Request) error {
	err := vs.check(r)
	vs.strip(r)
	return err
}

// check implements stripper.
func (vs anyOf) check(r *http.Request) error {
	var errs []error
	for _, v := range vs {
		err := checkOnly(v, r)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return &anyOfError{errs: errs}
}

// strip implements stripper.
func (vs anyOf) strip(r *http.Request) { stripAll(vs, r) }

// anyOfError is the refusal of AnyOf. It matches ErrUnauthorized and, with
// errors.Is and errors.As, each of the refusals it joins.
type anyOfError struct{ errs []error }

// Error implements error.
func (e *anyOfError) Error() string {
	var b strings.Builder
	b.WriteString(ErrUnauthorized.Error())
	b.WriteString(": no verifier accepted: ")
	prefix := ErrUnauthorized.Error() + ": "
	for i, err := range e.errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimPrefix(err.Error(), prefix))
	}
	return b.String()
}

// Is reports whether target is matched.
func (e *anyOfError) Is(target error) bool { return target == ErrUnauthorized }

// Unwrap returns the wrapped errors.
func (e *anyOfError) Unwrap() []error { return e.errs }

// unauthorized makes sure err matches ErrUnauthorized: a Verifier written
// by a user may refuse with an error of its own.
func unauthorized(err error) error {
	if errors.Is(err, ErrUnauthorized) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnauthorized, err)
}

// compact returns vs without nil entries, in a new slice so that the
// caller's slice may change afterwards.
func compact(vs []Verifier) []Verifier {
	out := make([]Verifier, 0, len(vs))
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}
