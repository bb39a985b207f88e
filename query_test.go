package telhook_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/schema"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/elks/elkstest"
)

type tenant struct {
	ID       int    `schema:"tenant,required"`
	Campaign string `schema:"campaign"`
}

// serveSMS sends 46elks' sample SMS to a handler with opts, at target's
// query, and returns what the callback saw.
func serveSMS(t *testing.T, query string, opts ...telhook.Option) (got tenant, q url.Values, err error) {
	t.Helper()
	reached := false
	h := elks.NewHandler(elks.Callbacks{OnSMS: func(ctx context.Context, _ *elks.SMS) (elks.Reply, error) {
		reached = true
		q = telhook.Query(ctx)
		err = telhook.BindQuery(ctx, &got)
		return elks.Reply{}, nil
	}}, append(opts, telhook.WithLogger(slog.New(slog.DiscardHandler)))...)
	r := elkstest.NewRequest(elkstest.SMS())
	r.URL.RawQuery = query
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !reached {
		t.Fatalf("query %q: the callback was not reached", query)
	}
	return got, q, err
}

func TestBindQuery(t *testing.T) {
	tests := []struct {
		query  string
		opts   []telhook.Option
		want   tenant
		query2 url.Values
		err    string // the field gorilla/schema names, "" for none
		reason string
	}{
		{"tenant=42&campaign=spring", nil, tenant{42, "spring"}, url.Values{"tenant": {"42"}, "campaign": {"spring"}}, "",
			"the user's own parameters, into the user's struct"},
		{"tenant=42&key=s3cret", []telhook.Option{telhook.WithVerifier(telhook.QueryToken("key", "s3cret"))}, tenant{ID: 42},
			url.Values{"tenant": {"42"}}, "", "a QueryToken's secret is never among them"},
		{"tenant=42&utm_source=x", nil, tenant{ID: 42}, url.Values{"tenant": {"42"}, "utm_source": {"x"}}, "",
			"parameters without a field are ignored"},
		{"tenant=forty-two", nil, tenant{}, url.Values{"tenant": {"forty-two"}}, "tenant", "a conversion error names its parameter"},
		{"campaign=spring", nil, tenant{Campaign: "spring"}, url.Values{"campaign": {"spring"}}, "tenant", "a required parameter missing"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			got, q, err := serveSMS(t, tt.query, tt.opts...)
			if diff := cmp.Diff(tt.query2, q); diff != "" {
				t.Errorf("Query (-want +got):\n%s", diff)
			}
			if tt.err == "" {
				if err != nil {
					t.Fatalf("BindQuery: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("bound (-want +got):\n%s", diff)
				}
				return
			}
			var multi schema.MultiError
			if !errors.As(err, &multi) || multi[tt.err] == nil {
				t.Errorf("BindQuery error %v, want a schema.MultiError naming %q", err, tt.err)
			}
		})
	}
	if err := telhook.BindQuery(context.Background(), &tenant{}); err == nil {
		t.Error("BindQuery outside a callback: no error")
	}
	if telhook.Query(context.Background()) != nil {
		t.Error("Query outside a callback is not nil")
	}
}

// A multi-tenant receiver: one handler for every customer, each of whom
// points 46elks at its own URL, https://hooks.example.com/elks?tenant=42.
func ExampleBindQuery() {
	type tenant struct {
		ID int `schema:"tenant,required"`
	}
	h := elks.NewHandler(elks.Callbacks{
		OnSMS: func(ctx context.Context, sms *elks.SMS) (elks.Reply, error) {
			var t tenant
			if err := telhook.BindQuery(ctx, &t); err != nil {
				return elks.Reply{}, err // 500: 46elks retries while the URL is fixed
			}
			fmt.Printf("tenant %d: SMS from %s: %q\n", t.ID, sms.From, sms.Message)
			return elks.Reply{}, nil
		},
	}, telhook.WithVerifier(telhook.QueryToken("key", "s3cret")), telhook.WithLogger(slog.New(slog.DiscardHandler)))

	r := elkstest.NewRequest(elkstest.SMS())
	r.URL.RawQuery = "tenant=42&key=s3cret"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Code)
	// Output:
	// tenant 42: SMS from +46706861004: "Hello how are you?"
	// 204
}

// BenchmarkBindQuery is what BindQuery costs a callback that calls it:
// gorilla/schema binding two parameters into a struct (the parse of the
// query included). Nothing pays it unless the callback asks.
func BenchmarkBindQuery(b *testing.B) {
	var ctx context.Context
	h := elks.NewHandler(elks.Callbacks{OnSMS: func(c context.Context, _ *elks.SMS) (elks.Reply, error) { ctx = c; return elks.Reply{}, nil }},
		telhook.WithLogger(slog.New(slog.DiscardHandler)), telhook.WithDeduplicator(nil))
	r := elkstest.NewRequest(elkstest.SMS())
	r.URL.RawQuery = "tenant=42&campaign=spring"
	h.ServeHTTP(httptest.NewRecorder(), r)
	b.ReportAllocs()
	for b.Loop() {
		var t tenant
		if err := telhook.BindQuery(ctx, &t); err != nil {
			b.Fatal(err)
		}
	}
}
