// Package telhook receives, parses and answers telephony webhooks.
//
// Telephony providers call your service over HTTP for every SMS, call step,
// recording and delivery report. telhook gives each provider a package with
// typed events, tolerant decoders and an http.Handler that takes your
// callbacks; this root package holds what they share: options, verifiers,
// errors and de-duplication. It knows no provider.
//
// The whole idea, for 46elks:
//
//	verifier := telhook.BasicAuth("elks", os.Getenv("ELKS_HOOK_SECRET"))
//	http.Handle("POST /elks", elks.NewHandler(elks.Callbacks{
//		OnSMS: func(ctx context.Context, sms *elks.SMS) (elks.Reply, error) {
//			return elks.Reply{Text: "Thanks, " + sms.From}, nil
//		},
//		OnCall: func(ctx context.Context, call *elks.CallEvent) (elks.Action, error) {
//			return elks.Connect{To: "+46704508449"}, nil
//		},
//	}, telhook.WithVerifier(verifier), elks.WithFallback(elks.Hangup{Reason: "busy"})))
//
// # What every handler does
//
// Every provider's NewHandler handles a request in the same order, and
// answers failures with the same statuses (through DefaultErrorHandler, or
// your WithErrorHandler):
//
//  1. A method the provider never uses: 405 (ErrMethodNotAllowed).
//  2. The Verifier from WithVerifier, before anything is read: 401
//     (ErrUnauthorized), with no detail in the body.
//  3. The body, read through http.MaxBytesReader up to WithMaxBodyBytes
//     (64 KiB by default): 413 (ErrTooLarge, also *http.MaxBytesError).
//  4. Decoding: 400 (ErrMalformed) with a *DecodeError that names the
//     provider and the field. A well-formed webhook of a kind the package
//     does not know is acknowledged and handed to OnUnknown
//     (ErrUnknownEvent).
//  5. De-duplication with the Deduplicator (by default an in-memory one per
//     handler): a retry of a webhook already handled is acknowledged without
//     calling the callback again; a retry that arrives while the first
//     delivery's callback still runs gets 503 with Retry-After
//     (ErrInFlight), so nothing is acknowledged before it is handled.
//  6. Your callback, with the request's context. An error, a panic or an
//     aborted response answers 500 (or aborts) so that the provider
//     retries, and releases the webhook's de-duplication key so that the
//     retry reaches the callback; a panic is recovered and logged with its
//     stack.
//  7. The answer the provider expects: 46elks call actions and SMS replies,
//     Mobtexting's exact 200, plain 2xx elsewhere.
//
// # Verification
//
// None of the providers signs its webhooks. The verifiers check what they
// can send: BasicAuth (credentials in the webhook URL), BearerToken (a
// shared secret in the Authorization header), QueryToken (a secret query
// parameter) and SourceIP (the sender's address, with X-Forwarded-For
// believed only from proxies you name). AllOf and AnyOf combine them. Every
// secret comparison is constant-time.
//
// # Errors
//
// Every error matches at most one of the sentinels with errors.Is, and a
// decoding failure is a *DecodeError:
//
//	ev, err := elks.Parse(r)
//	var de *telhook.DecodeError
//	if errors.As(err, &de) {
//		log.Printf("%s sent a bad %q", de.Provider, de.Field)
//	}
package telhook
