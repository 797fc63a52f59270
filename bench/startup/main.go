// Command startup measures how long a server command takes from exec to its first answered
// HTTP request: it starts the command, polls the URL every millisecond and prints the elapsed
// time of the first response (any status), then stops the command. With -n it repeats and
// prints every run and the median.
//
//	startup -url http://127.0.0.1:18300/anything -n 10 -- oidclab up --listen 127.0.0.1:18300 ...
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

func main() {
	url := flag.String("url", "", "URL whose first answer ends the measurement")
	n := flag.Int("n", 5, "runs")
	timeout := flag.Duration("timeout", 10*time.Second, "give up on a run after this long")
	flag.Parse()
	if *url == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: startup -url URL [-n RUNS] -- COMMAND [ARGS...]")
		os.Exit(2)
	}
	// No redirects followed and no keep-alive: the first answer of the server itself counts.
	client := &http.Client{
		Timeout:       time.Second,
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var runs []time.Duration
	for i := 0; i < *n; i++ {
		d, status, err := once(client, *url, *timeout, flag.Args())
		if err != nil {
			fmt.Fprintf(os.Stderr, "run %d: %v\n", i+1, err)
			os.Exit(1)
		}
		fmt.Printf("run %d: %.1f ms (HTTP %d)\n", i+1, float64(d.Microseconds())/1000, status)
		runs = append(runs, d)
	}
	slices.Sort(runs)
	fmt.Printf("median %.1f ms, min %.1f ms, max %.1f ms over %d runs\n",
		ms(runs[len(runs)/2]), ms(runs[0]), ms(runs[len(runs)-1]), len(runs))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func once(client *http.Client, url string, timeout time.Duration, argv []string) (time.Duration, int, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = nil, nil
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	for time.Since(start) < timeout {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return time.Since(start), resp.StatusCode, nil
		}
		time.Sleep(time.Millisecond)
	}
	return 0, 0, fmt.Errorf("no answer from %s within %s", url, timeout)
}
