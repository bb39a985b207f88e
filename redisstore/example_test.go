package redisstore_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/normalize"
	"github.com/telhook/telhook/pbx3cx"
	"github.com/telhook/telhook/redisstore"
)

// Every instance of the receiver de-duplicates against the same Redis, so a
// retry that lands on another instance than the first delivery is
// acknowledged, not handled twice. (No Output: it needs a Redis server.)
func ExampleNewDeduplicator() {
	rdb := redis.NewClient(&redis.Options{
		Addr: os.Getenv("REDIS_ADDR"),
		// Without it a hung Redis holds each webhook for the ReadTimeout
		// (5 s) instead of the request's deadline.
		ContextTimeoutEnabled: true,
	})
	dedup := redisstore.NewDeduplicator(rdb, redisstore.WithPrefix("myapp:"))

	http.Handle("POST /elks", elks.NewHandler(elks.Callbacks{
		OnSMS: func(ctx context.Context, sms *elks.SMS) (elks.Reply, error) {
			return elks.Reply{Text: "Thanks, " + sms.From}, nil
		},
	}, telhook.WithDeduplicator(dedup)))
}

// Claim and Release are what a handler does with each webhook; the same
// works by hand for webhooks received some other way. (No Output: it needs
// a Redis server.)
func ExampleDeduplicator_Claim() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR"), ContextTimeoutEnabled: true})
	dedup := redisstore.NewDeduplicator(rdb, redisstore.WithLease(time.Minute))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	const key = "myprovider:event-42"
	claim, err := dedup.Claim(ctx, key)
	switch {
	case err != nil:
		fmt.Println("Redis is unreachable: handle it anyway:", err)
	case claim == telhook.Duplicate:
		fmt.Println("handled before: acknowledge")
		return
	case claim == telhook.InFlight:
		fmt.Println("being handled elsewhere: answer 503 so that it is retried")
		return
	}
	handleErr := handleWebhook()
	if claim == telhook.Claimed {
		// Not bounded by ctx: the outcome must reach Redis.
		_ = dedup.Release(context.WithoutCancel(ctx), key, handleErr == nil)
	}
}

func handleWebhook() error { return nil }

// Every instance's Tracker keeps the open 3CX calls in the same Redis, so
// that a call whose events reach different instances is still one call,
// printed once (at least once: a consumer de-duplicates on Call.ID). The
// mux answers 500 to a 3CX event the store cannot record, so that it is
// sent again rather than lost. (No Output: it needs a Redis server.)
func ExampleNewCallStore() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR"), ContextTimeoutEnabled: true})
	ctx := context.Background()

	mux := normalize.NewMux(func(ctx context.Context, ev normalize.Event) error {
		if call, ok := ev.Source.(*pbx3cx.Call); ok {
			fmt.Println("whole call", call.ID, call.Answered) // store it keyed by call.ID
		}
		return nil
	},
		normalize.WithSharedOptions(telhook.WithDeduplicator(redisstore.NewDeduplicator(rdb))),
		// Every instance runs its Tracker, which sweeps the shared calls.
		normalize.WithTracking(func(t *pbx3cx.Tracker) { go t.Run(ctx) },
			pbx3cx.WithCallStore(redisstore.NewCallStore(rdb))),
	)
	http.Handle("/hooks/", http.StripPrefix("/hooks", mux))
}
