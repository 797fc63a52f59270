package scenarios

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/oidclab/oidclab/lab"
)

// TextOptions tune the text report.
type TextOptions struct {
	// Trace prints the hop trace of passing scenarios too (failures always have it).
	Trace bool
}

// WriteText writes one line per scenario and, for a failure (or with Trace), what happened:
// the steps, each browser request with its cookies, the gateway's and the IdP's hops with
// their reasons and explanations, and the diagnosis.
func WriteText(w io.Writer, rep *Report, opts TextOptions) error {
	var b strings.Builder
	for _, r := range rep.Scenarios {
		mark := "✓"
		if !r.Passed {
			mark = "✗"
		}
		fmt.Fprintf(&b, "%s %s  %s", mark, r.Name, round(r.Duration))
		if r.Description != "" {
			fmt.Fprintf(&b, "  %s", lab.Clean(r.Description))
		}
		b.WriteString("\n")
		if r.Error != "" {
			fmt.Fprintf(&b, "    %s\n", lab.Clean(r.Error))
		}
		if !r.Passed || opts.Trace {
			writeDetail(&b, r)
		}
	}
	fmt.Fprintf(&b, "%d passed, %d failed (%s, %s browser)\n", rep.Passed, rep.Failed, round(rep.Duration), rep.Browser)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDetail(b *strings.Builder, r Result) {
	b.WriteString("    steps:\n")
	for _, s := range r.Steps {
		state := "ok"
		switch {
		case s.Skipped:
			state = "skipped"
		case !s.Passed:
			state = "FAILED"
		}
		fmt.Fprintf(b, "      %d. %-13s line %-3d %-7s", s.Index, s.Kind, s.Line, state)
		if s.Status != 0 {
			fmt.Fprintf(b, " status %d", s.Status)
		}
		if s.Error != "" {
			fmt.Fprintf(b, "  %s", lab.Clean(s.Error))
		}
		b.WriteString("\n")
	}
	if len(r.Trace) > 0 {
		b.WriteString("    browser trace:\n")
		for i, h := range r.Trace {
			fmt.Fprintf(b, "      %2d. [step %d] %s %s → %d", i+1, h.Step, lab.Clean(h.Method), lab.Clean(h.URL), h.Status)
			if h.Note != "" {
				fmt.Fprintf(b, " (%s)", lab.Clean(h.Note))
			}
			b.WriteString("\n")
			for _, part := range []struct {
				label string
				list  []string
			}{{"sent", h.CookiesSent}, {"set", h.CookiesSet}, {"withheld", h.CookiesNotSent}, {"refused", h.CookiesRejected}, {"form", h.FormFields}} {
				if len(part.list) > 0 {
					fmt.Fprintf(b, "          %s: %s\n", part.label, lab.Clean(strings.Join(part.list, "; ")))
				}
			}
		}
	}
	if len(r.Cookies) > 0 {
		b.WriteString("    cookies held at the end:\n")
		for _, c := range r.Cookies {
			var attrs []string
			if c.Secure {
				attrs = append(attrs, "Secure")
			}
			if c.HTTPOnly {
				attrs = append(attrs, "HttpOnly")
			}
			if c.SameSite != "" {
				attrs = append(attrs, "SameSite="+c.SameSite)
			}
			fmt.Fprintf(b, "      %s  %s%s  %d bytes  %s\n", lab.Clean(c.Name), lab.Clean(c.Domain), lab.Clean(c.Path), c.Size, strings.Join(attrs, " "))
		}
	}
	if len(r.Hops) > 0 {
		b.WriteString("    gateway and IdP:\n")
		for _, h := range r.Hops {
			for _, line := range strings.SplitAfter(strings.TrimSuffix(h.Text(), "\n"), "\n") {
				fmt.Fprintf(b, "      %s", line)
			}
			b.WriteString("\n")
		}
	}
	if len(r.Diagnosis) > 0 {
		b.WriteString("    diagnosis:\n")
		for _, d := range r.Diagnosis {
			fmt.Fprintf(b, "      - %s\n", lab.Clean(d))
		}
	}
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
