package deck

import (
	"strings"
	"testing"
)

func TestSplitServiceURL(t *testing.T) {
	tests := []struct {
		in      string
		want    ServiceURL
		wantErr string
	}{
		{in: "http://httpbin.konghq.com/anything", want: ServiceURL{"http", "httpbin.konghq.com", 80, "/anything"}},
		{in: "https://httpbin.konghq.com/anything", want: ServiceURL{"https", "httpbin.konghq.com", 443, "/anything"}},
		{in: "http://example.com", want: ServiceURL{"http", "example.com", 80, ""}},
		{in: "http://example.com/", want: ServiceURL{"http", "example.com", 80, "/"}},
		{in: "http://example.com:8080/a/b/", want: ServiceURL{"http", "example.com", 8080, "/a/b/"}},
		{in: "HTTPS://Example.com:0", want: ServiceURL{"https", "Example.com", 0, ""}},
		{in: "http://127.0.0.1:9000/x%20y", want: ServiceURL{"http", "127.0.0.1", 9000, "/x%20y"}},
		{in: "http://[::1]:8080/v6", want: ServiceURL{"http", "::1", 8080, "/v6"}},
		{in: "grpc://grpc.example.com", want: ServiceURL{"grpc", "grpc.example.com", 80, ""}},
		{in: "wss://ws.example.com", want: ServiceURL{"wss", "ws.example.com", 443, ""}},
		{in: "", wantErr: "url must not be empty"},
		{in: "example.com/path", wantErr: "must be absolute"},
		{in: "/just/a/path", wantErr: "must be absolute"},
		{in: "mailto:a@example.com", wantErr: "must be absolute"},
		{in: "http://", wantErr: "has no host"},
		{in: "http://:80/", wantErr: "has no host"},
		{in: "http://example.com:99999", wantErr: "bad port"},
		{in: "http://example.com:/", wantErr: "empty port"},
		{in: "http://example.com/?a=b", wantErr: "query string"},
		{in: "http://example.com/#frag", wantErr: "fragment"},
		{in: "http://exa mple.com", wantErr: "spaces"},
		{in: "http://%zz", wantErr: "not a valid URL"},
		{in: "http://user:s3cr3t@example.com/", wantErr: "credentials"},
		{in: "http://user:s3cr3t@exa mple.com", wantErr: "spaces"},
		{in: "http://user:s3cr3t@exa%zzmple.com", wantErr: "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitServiceURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error leaks a credential: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
