// Command login drives complete logins (redirect -> IdP form -> callback -> token -> session)
// through a relying party with oidclab's HTTP browser driver, for bench/run.sh.
//
//	login -url http://127.0.0.1:18000/anything -cookie-out FILE
//	    logs in once and writes the "Cookie: ..." header a browser would send to the URL into
//	    FILE (mode 0600; the values are session secrets, so they are never printed);
//	login -url URL -n 200 -rp-pid PID [-idp-pid PID]
//	    runs n sequential logins, each in a fresh browser session (so the IdP's form is filled
//	    every time), and prints logins per second and the relying party's (and the IdP's) CPU
//	    time per login, read from /proc/PID/stat before and after.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/oidclab/oidclab/scenarios/browser"
)

func main() {
	target := flag.String("url", "", "protected URL on the relying party")
	user := flag.String("user", "demo@example.com", "login")
	password := flag.String("password", "oidclab-demo", "password")
	cookieOut := flag.String("cookie-out", "", "log in once and write the Cookie header for -url to this file")
	n := flag.Int("n", 100, "logins to run")
	warm := flag.Int("warmup", 5, "logins before measuring (discovery, JWKS, connection pools)")
	rpPID := flag.Int("rp-pid", 0, "relying party's process id, for its CPU time")
	idpPID := flag.Int("idp-pid", 0, "IdP's process id, for its CPU time")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Parse()
	if *target == "" {
		fatal("-url is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	creds := browser.Credentials{Username: *user, Password: *password}

	if *cookieOut != "" {
		d := newDriver()
		defer d.Close()
		login(ctx, d, *target, creds)
		u, _ := url.Parse(*target)
		var parts []string
		for _, c := range d.Jar().CookiesFor(u, browser.Navigation{Method: "GET", TopLevel: true}) {
			parts = append(parts, c.Name+"="+c.Value)
		}
		if len(parts) == 0 {
			fatal("logged in, but the browser holds no cookie for " + *target)
		}
		if err := os.WriteFile(*cookieOut, []byte("Cookie: "+strings.Join(parts, "; ")), 0o600); err != nil {
			fatal(err.Error())
		}
		return
	}

	for range *warm {
		d := newDriver()
		login(ctx, d, *target, creds)
		d.Close()
	}
	rp0, idp0 := cpu(*rpPID), cpu(*idpPID)
	start := time.Now()
	for range *n {
		d := newDriver()
		login(ctx, d, *target, creds)
		d.Close()
	}
	elapsed := time.Since(start)
	rp1, idp1 := cpu(*rpPID), cpu(*idpPID)
	fmt.Printf("logins %d in %.2f s: %.1f logins/s", *n, elapsed.Seconds(), float64(*n)/elapsed.Seconds())
	if *rpPID > 0 {
		fmt.Printf(", RP CPU %.2f ms/login", (rp1-rp0).Seconds()*1000/float64(*n))
	}
	if *idpPID > 0 {
		fmt.Printf(", IdP CPU %.2f ms/login", (idp1-idp0).Seconds()*1000/float64(*n))
	}
	fmt.Println()
}

func newDriver() *browser.HTTP {
	d, err := browser.NewHTTP(browser.HTTPOptions{})
	if err != nil {
		fatal(err.Error())
	}
	return d
}

// login runs one login and insists it ended on the relying party with a 200.
func login(ctx context.Context, d *browser.HTTP, target string, creds browser.Credentials) {
	res, err := d.Login(ctx, target, creds)
	if err != nil {
		fatal(fmt.Sprintf("login: %v", err))
	}
	if res.Status != 200 {
		fatal(fmt.Sprintf("login ended on %s with HTTP %d", res.URL, res.Status))
	}
}

// cpu is the process's user+system CPU time so far (0 without a pid).
func cpu(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		fatal(err.Error())
	}
	// The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
	return time.Duration(ut+st) * time.Second / clkTck
}

// clkTck is USER_HZ, 100 on every Linux Go supports.
const clkTck = 100

func fatal(msg string) {
	fmt.Fprintln(os.Stderr, "login:", msg)
	os.Exit(1)
}
