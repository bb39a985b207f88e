package redisstore_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// server is a redis-server process of one test, on a free localhost
// port, for what a test must not do to the shared Redis of
// TELHOOK_REDIS_ADDR: kill it, restart it, pause it, or reconfigure it.
// Its data directory is t.TempDir().
type server struct {
	t    testing.TB
	addr string
	dir  string   // its data directory and log
	args []string // of redis-server, but the port
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// startServer starts a redis-server with persistence off, or with aof
// an append-only file fsynced before each write is answered
// (appendfsync always), and stops it when t ends. Like every Redis test it
// needs TELHOOK_REDIS_ADDR (the switch that turns them on); it also needs
// redis-server on PATH, and skips without it, except under CI=true, where
// it fails.
func startServer(t testing.TB, aof bool) *server {
	t.Helper()
	redisOptions(t) // skips, or fails under CI, without TELHOOK_REDIS_ADDR
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is not on PATH, and CI=true: %v", err)
		}
		t.Skipf("redis-server is not on PATH: %v", err)
	}
	dir := t.TempDir()
	appendonly := "no"
	if aof {
		appendonly = "yes"
	}
	s := &server{t: t, addr: closedAddr(t), dir: dir, args: []string{
		"--bind", "127.0.0.1", "--save", "", "--appendonly", appendonly, "--appendfsync", "always",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log"), "--daemonize", "no",
	}}
	s.cmd = exec.Command(bin) // replaced by start; keeps its path
	t.Cleanup(s.kill)
	s.start()
	return s
}

// start starts the server on its port and waits until it answers.
func (s *server) start() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.addr)
	s.cmd = exec.Command(s.cmd.Path, append([]string{"--port", port}, s.args...)...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(s.cmd, s.done)
	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) { // refused, or still loading its append-only file
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.t.Fatalf("redis-server on %s does not answer: %v; its log:\n%s", s.addr, err, log)
		}
	}
}

// kill stops the server at once (SIGKILL, as a crash or an OOM kill
// would), and waits until it has exited.
func (s *server) kill() {
	if s.done == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.done = nil
}

// restart kills the server and starts it again on the same port, with
// the same data directory.
func (s *server) restart() {
	s.t.Helper()
	s.kill()
	s.start()
}

// client returns a client on the server, as newClient does on the shared
// one, that t closes when it ends.
func (s *server) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.addr, ContextTimeoutEnabled: true})
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}
