package deck

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

func BenchmarkLoadTutorial(b *testing.B) {
	src, err := os.ReadFile(tutorialFile)
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Plugins: oidcOnly, LookupEnv: fakeEnv(testEnv)}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(bytes.NewReader(src), "tutorial.yaml", opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadLarge loads 500 services, each with two routes and a plugin (about 100 KB).
func BenchmarkLoadLarge(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("_format_version: \"3.0\"\nservices:\n")
	for i := range 500 {
		fmt.Fprintf(&sb, "  - name: svc-%d\n    url: http://upstream-%d.example.com/v1\n    routes:\n", i, i)
		fmt.Fprintf(&sb, "      - name: r-%d-a\n        paths: [/svc-%d/a]\n        methods: [GET, POST]\n", i, i)
		fmt.Fprintf(&sb, "      - name: r-%d-b\n        paths: [\"~/svc-%d/b/\\\\d+$\"]\n", i, i)
		fmt.Fprintf(&sb, "    plugins:\n      - name: openid-connect\n        config:\n          issuer: ${{ env \"DECK_ISSUER_URL\" }}\n          client_id: [${{ env \"DECK_OKTA_CLIENT_ID\" }}]\n")
	}
	src := []byte(sb.String())
	opts := Options{Plugins: oidcOnly, LookupEnv: fakeEnv(testEnv)}
	if _, err := Load(bytes.NewReader(src), "large.yaml", opts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(bytes.NewReader(src), "large.yaml", opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalLarge(b *testing.B) {
	cfg := &Config{}
	for i := range 500 {
		name := fmt.Sprintf("svc-%d", i)
		cfg.Services = append(cfg.Services, Service{ID: DeriveID(name), Name: name, Protocol: "http", Host: "example.com", Port: 80,
			ConnectTimeout: 60000, ReadTimeout: 60000, WriteTimeout: 60000, Retries: 5, Enabled: true})
		cfg.Routes = append(cfg.Routes, Route{ID: DeriveID("r" + name), Name: "r-" + name, Service: name, Paths: []string{"/" + name},
			Protocols: []string{"http", "https"}, StripPath: true, PathHandling: "v0"})
		cfg.Plugins = append(cfg.Plugins, Plugin{ID: DeriveID("p" + name), Name: "openid-connect", Service: name, Enabled: true,
			Protocols: []string{"http"}, Config: map[string]any{"issuer": "https://issuer.example.com", "client_id": []any{"x"}}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cfg.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
