// Command upstream serves oidclab's httpbin-compatible echo on a loopback port: the upstream
// both proxies of bench/wrk.sh talk to over the network.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/oidclab/oidclab/gateway/echo"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8200", "address to serve on")
	flag.Parse()
	srv := &http.Server{Addr: *listen, Handler: echo.New(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
