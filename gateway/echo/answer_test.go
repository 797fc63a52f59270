package echo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// What the echo writes, ParseAnswer reads back.
func TestParseAnswer(t *testing.T) {
	srv := httptest.NewServer(New())
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/anything/x", nil)
	req.Header.Set("Authorization", "Bearer abc")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	a, ok := ParseAnswer(body)
	if !ok || a.Method != http.MethodPost || a.Header("authorization") != "Bearer abc" || a.Header("X-Multi") != "one,two" || a.Header("X-None") != "" {
		t.Errorf("ParseAnswer = %+v, %v", a, ok)
	}
	if _, ok := ParseAnswer([]byte(`<html>login</html>`)); ok {
		t.Error("a page that is not the echo parsed as one")
	}
}
