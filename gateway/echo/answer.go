package echo

import (
	"encoding/json"
	"strings"
)

// Answer is what a client reads back from /anything: what the upstream received.
type Answer struct {
	Method  string         `json:"method"`
	URL     string         `json:"url"`
	Headers map[string]any `json:"headers"`
}

// ParseAnswer reads an /anything answer; false when body is not one (the request did not reach
// the echo upstream).
func ParseAnswer(body []byte) (Answer, bool) {
	var a Answer
	if json.Unmarshal(body, &a) != nil || a.Method == "" || a.Headers == nil {
		return Answer{}, false
	}
	return a, true
}

// Header is a header the upstream received, its values joined by commas as httpbin does ("" when
// it got none); names are matched case-insensitively, as HTTP does.
func (a Answer) Header(name string) string {
	for k, v := range a.Headers {
		if s, ok := v.(string); ok && strings.EqualFold(k, name) {
			return s
		}
	}
	return ""
}
