package hostile_test

// The holes an attack on the receiver found (issue 10), each as a case
// against every provider over real HTTP.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/normalize"
)

// TestAutoCannotBypassProviderVerifier: a webhook refused on its
// provider's path is refused on /auto too, and reaches no callback.
func TestAutoCannotBypassProviderVerifier(t *testing.T) {
	paths := map[string]normalize.Provider{"elks": normalize.Elks, "obd": normalize.OBD, "pbx3cx": normalize.PBX3CX, "oncall": normalize.OnCall}
	for _, p := range allProviders() {
		prov, ok := paths[p.name]
		if !ok {
			continue // composed Mobtexting webhooks are not served on /auto
		}
		t.Run(p.name, func(t *testing.T) {
			reached := 0
			var mu sync.Mutex
			mux := normalize.NewMux(func(context.Context, normalize.Event) error { mu.Lock(); reached++; mu.Unlock(); return nil },
				normalize.WithSharedOptions(telhook.WithLogger(slog.New(slog.DiscardHandler))),
				normalize.WithOptions(prov, telhook.WithVerifier(telhook.BearerToken("s3cret"))))
			srv := httptest.NewServer(mux)
			defer srv.Close()
			good := p.good(t)
			for _, path := range []string{"/" + string(prov), "/auto"} {
				for _, auth := range []string{"", "Bearer wrong"} {
					target := path
					if i := strings.IndexByte(good.target, '?'); i >= 0 {
						target += good.target[i:]
					}
					req, _ := http.NewRequest(good.method, srv.URL+target, strings.NewReader(good.body))
					if good.ctype != "" {
						req.Header.Set("Content-Type", good.ctype)
					}
					if auth != "" {
						req.Header.Set("Authorization", auth)
					}
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != 401 {
						t.Errorf("%s with %q: status %d, want 401", path, auth, resp.StatusCode)
					}
				}
			}
			if reached != 0 {
				t.Errorf("refused requests reached the callback %d times", reached)
			}
		})
	}
}

// TestRetryRacingFirstDeliveryNotAcknowledged: a copy of a webhook that
// arrives while the first delivery's callback runs gets 503, never the
// provider's 2xx; when the first delivery then fails, the next copy is
// handled.
func TestRetryRacingFirstDeliveryNotAcknowledged(t *testing.T) {
	for _, p := range allProviders() {
		t.Run(p.name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			c := &calls{}
			c.hook = func() error {
				first := false
				once.Do(func() { first = true })
				if !first {
					return nil
				}
				close(entered)
				<-release
				return errors.New("database down")
			}
			srv := httptest.NewServer(p.build(c, telhook.WithLogger(slog.New(slog.DiscardHandler))))
			defer srv.Close()
			good := p.good(t)
			send := func() int {
				req, _ := http.NewRequest(good.method, srv.URL+good.target, strings.NewReader(good.body))
				if good.ctype != "" {
					req.Header.Set("Content-Type", good.ctype)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return 0
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			first := make(chan int)
			go func() { first <- send() }()
			<-entered
			if s := send(); s != http.StatusServiceUnavailable {
				t.Errorf("copy during the first delivery: status %d, want 503", s)
			}
			close(release)
			if s := <-first; s != 500 {
				t.Errorf("failed first delivery: status %d, want 500", s)
			}
			if s := send(); s != good.status {
				t.Errorf("retry after the failure: status %d, want %d", s, good.status)
			}
			if s := send(); s != good.status {
				t.Errorf("duplicate after success: status %d, want %d", s, good.status)
			}
			if n := len(c.all()); n != 2 {
				t.Errorf("callback reached %d times, want 2 (the failed delivery and the handled retry)", n)
			}
		})
	}
}

// TestDeclaredLengthReservesNoMemory: clients that declare a large body
// and send one byte do not make the handler hold buffers of the declared
// size while they wait.
func TestDeclaredLengthReservesNoMemory(t *testing.T) {
	const conns, declared = 40, 900 << 10 // under a 1 MiB limit
	for _, p := range allProviders() {
		if p.name != "elks" && p.name != "oncall" {
			continue // one form and one JSON provider: the read is the core's, the same for all
		}
		t.Run(p.name, func(t *testing.T) {
			srv := httptest.NewServer(p.build(&calls{}, telhook.WithLogger(slog.New(slog.DiscardHandler)), telhook.WithMaxBodyBytes(1<<20)))
			defer srv.Close()
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			var open []net.Conn
			defer func() {
				for _, c := range open {
					c.Close()
				}
			}()
			for range conns {
				c, err := net.Dial("tcp", srv.Listener.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				open = append(open, c)
				fmt.Fprintf(c, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n{", p.ctype, declared)
			}
			time.Sleep(300 * time.Millisecond) // every handler is waiting in its read
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			if grown > conns*declared/4 {
				t.Errorf("heap grew %d KiB for %d clients that sent one byte of a declared %d KiB", grown>>10, conns, declared>>10)
			}
		})
	}
}
