package echo

import (
	"bytes"
	"flag"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func multipartBody(t *testing.T) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.SetBoundary("BOUNDARY")
	_ = mw.WriteField("name", "alice")
	fw, _ := mw.CreateFormFile("upload", "a.txt")
	_, _ = fw.Write([]byte("file content"))
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// TestGolden compares the echo's answers with httpbin-shaped goldens (go test -update rewrites).
func TestGolden(t *testing.T) {
	mpType, mpBody := multipartBody(t)
	tests := []struct {
		name, method, target, ctype, body string
		hdr                               map[string]string
		wantStatus                        int
	}{
		{name: "anything-get", method: "GET", target: "/anything?a=1&a=2&b=3", wantStatus: 200,
			hdr: map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https", "Authorization": "Bearer t0k3n"}},
		{name: "anything-json", method: "POST", target: "/anything/sub/path", ctype: "application/json", body: `{"x":[1,true,null]}`, wantStatus: 200},
		{name: "anything-form", method: "PUT", target: "/anything", ctype: "application/x-www-form-urlencoded", body: "a=1&a=2&b=%3C3%3E", wantStatus: 200},
		{name: "anything-multipart", method: "POST", target: "/anything", ctype: mpType, body: string(mpBody), wantStatus: 200},
		{name: "anything-binary", method: "POST", target: "/anything", ctype: "application/octet-stream", body: "\xff\xfe\x00", wantStatus: 200},
		{name: "get", method: "GET", target: "/get?q=1", wantStatus: 200},
		{name: "post", method: "POST", target: "/post", ctype: "text/plain", body: "hello", wantStatus: 200},
		{name: "headers-show-env", method: "GET", target: "/headers?show_env=1", hdr: map[string]string{"X-Forwarded-For": "10.0.0.1", "Via": "1.1 kong"}, wantStatus: 200},
		{name: "headers-hide-env", method: "GET", target: "/headers", hdr: map[string]string{"X-Forwarded-For": "10.0.0.1", "Via": "1.1 kong"}, wantStatus: 200},
	}
	h := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://httpbin.konghq.com"+tt.target, strings.NewReader(tt.body))
			req.Header.Set("User-Agent", "curl/8.5.0")
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, rec.Body.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("body differs from %s:\n got: %s\nwant: %s", golden, rec.Body, want)
			}
		})
	}
}

func TestStatusAndLimits(t *testing.T) {
	h := New()
	tests := []struct {
		method, target string
		body           string
		want           int
	}{
		{"GET", "/status/418", "", 418},
		{"POST", "/status/201", "", 201},
		{"GET", "/status/abc", "", 400},
		{"GET", "/status/1000", "", 400},
		{"POST", "/get", "", 405},
		{"GET", "/post", "", 405},
		{"GET", "/nothing-here", "", 404},
		{"POST", "/anything", strings.Repeat("x", MaxBodyBytes+1), 413},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body)))
		if rec.Code != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.target, rec.Code, tt.want)
		}
	}
}

func TestMalformedMultipartIs400(t *testing.T) {
	req := httptest.NewRequest("POST", "/anything", strings.NewReader("--B\r\nbroken"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	rec := httptest.NewRecorder()
	New().ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status %d, want 400", rec.Code)
	}
}
