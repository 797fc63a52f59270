// Command plainproxy is the baseline of bench/wrk.sh: a bare httputil.ReverseProxy to one
// upstream, with the same connection pool size as the gateway's, and nothing else.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8100", "address to serve on")
	target := flag.String("target", "", "upstream base URL, e.g. http://127.0.0.1:8200")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		log.Fatalf("plainproxy: -target %q: want an absolute URL", *target)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: 60 * time.Second}
	srv := &http.Server{Addr: *listen, Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
