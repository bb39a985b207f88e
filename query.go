package telhook

import (
	"context"
	"errors"
	"net/url"

	"github.com/gorilla/schema"

	"github.com/telhook/telhook/internal/config"
)

// Query returns the query parameters of the URL the webhook was posted
// to, from the context a handler gives its callbacks: your own parameters
// (https://hooks.example.com/elks?tenant=42&campaign=spring), and, for
// webhooks sent as a GET (the 3CX legacy scheme, Mobtexting's composed
// GETs), the provider's fields as well. The request was verified before,
// and a QueryToken's parameter is never among them. Outside a callback it
// returns nil.
func Query(ctx context.Context) url.Values {
	raw, ok := ctx.Value(config.QueryKey{}).(string)
	if !ok {
		return nil
	}
	v, _ := url.ParseQuery(raw) // what cannot be read is left out
	return v
}

// BindQuery decodes Query(ctx) into dst, a pointer to your struct, with
// gorilla/schema: a field is filled from the parameter its `schema` tag
// names (or its name), converted to the field's type; parameters without a
// field are ignored, so the provider's own fields in a GET do no harm. An
// error is gorilla/schema's: a schema.MultiError of a
// schema.ConversionError (or EmptyFieldError, for a `schema:",required"`
// field) per parameter, which errors.As reaches. Outside a callback dst is
// left as it is and the error says so.
//
//	type tenant struct {
//		ID       int    `schema:"tenant,required"`
//		Campaign string `schema:"campaign"`
//	}
//	OnSMS: func(ctx context.Context, sms *elks.SMS) (elks.Reply, error) {
//		var t tenant
//		if err := telhook.BindQuery(ctx, &t); err != nil {
//			return elks.Reply{}, err // 500: a URL misconfigured in the provider's console
//		}
//		...
//	}
func BindQuery(ctx context.Context, dst any) error {
	v := Query(ctx)
	if v == nil {
		return errNoQuery
	}
	return queryDecoder.Decode(dst, v)
}

var errNoQuery = errors.New("telhook: BindQuery: the context is not a webhook callback's")

// queryDecoder is configured once and safe for concurrent use.
var queryDecoder = func() *schema.Decoder {
	d := schema.NewDecoder()
	d.IgnoreUnknownKeys(true) // the provider's own fields, in a GET
	d.MaxSize(64)             // no slice indexed past this from a hostile URL
	return d
}()
