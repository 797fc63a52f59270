// Command profile serves a decK file through the same lab `oidclab up -c FILE --idp none`
// starts, with net/http/pprof on a second loopback address, so bench/run.sh can take CPU and
// allocation profiles of the gateway under wrk. The log level is warn (no access log), as in
// the measured runs.
//
//	profile -c kong.yaml -listen 127.0.0.1:18000 -pprof 127.0.0.1:18099
//	go tool pprof -top http://127.0.0.1:18099/debug/pprof/profile?seconds=8
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/oidclab/oidclab/lab"
)

func main() {
	file := flag.String("c", "", "decK state file")
	listen := flag.String("listen", "127.0.0.1:18000", "proxy address")
	pprofAddr := flag.String("pprof", "127.0.0.1:18099", "pprof address (loopback)")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*pprofAddr); err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("profile: -pprof %q: want a loopback HOST:PORT (profiles show request data)", *pprofAddr)
	}
	src, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := lab.Start(ctx, lab.Config{
		Deck: src, DeckName: *file, IdP: lab.IdPNone, Listen: *listen, AdminListen: "off", LookupEnv: os.LookupEnv,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Addr: *pprofAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { log.Println(srv.ListenAndServe()) }()
	<-ctx.Done()
	_ = srv.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.Shutdown(sctx)
}
