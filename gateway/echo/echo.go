// Package echo is an httpbin-compatible echo upstream: the upstream of Kong's tutorials
// (httpbin.konghq.com, httpbin.org), served in-process so they run offline.
//
// It answers /anything (and /anything/...), /get, /post, /put, /patch, /delete, /headers, /ip,
// /user-agent and /status/{code} with the JSON shapes httpbin gives.
package echo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBodyBytes caps the request body the echo reads; larger bodies get 413.
const MaxBodyBytes = 1 << 20

// envHeaders are headers httpbin hides (they describe its hosting, not the client) unless the
// request asks for them with ?show_env=1.
var envHeaders = map[string]bool{
	"X-Varnish": true, "X-Request-Start": true, "X-Heroku-Queue-Depth": true, "X-Real-Ip": true,
	"X-Forwarded-Proto": true, "X-Forwarded-Protocol": true, "X-Forwarded-Ssl": true,
	"X-Heroku-Queue-Wait-Time": true, "X-Forwarded-For": true, "X-Heroku-Dynos-In-Use": true,
	"X-Forwarded-Port": true, "X-Request-Id": true, "Via": true, "Total-Route-Time": true,
	"Connect-Time": true,
}

// New returns the echo handler.
func New() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/anything", anything)
	mux.HandleFunc("/anything/", anything)
	mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, getResponse{Args: args(r), Headers: headers(r), Origin: origin(r), URL: fullURL(r)})
	})
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		mux.HandleFunc(m+" /"+strings.ToLower(m), bodyEcho)
	}
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"headers": headers(r)})
	})
	mux.HandleFunc("/ip", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"origin": origin(r)})
	})
	mux.HandleFunc("/user-agent", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"user-agent": r.Header.Get("User-Agent")})
	})
	mux.HandleFunc("/status/{code}", status)
	return mux
}

// bodyResponse is httpbin's /anything and, without method, /post, /put, /patch and /delete:
// keys in httpbin's (sorted) order.
type bodyResponse struct {
	Args    map[string]any `json:"args"`
	Data    string         `json:"data"`
	Files   map[string]any `json:"files"`
	Form    map[string]any `json:"form"`
	Headers map[string]any `json:"headers"`
	JSON    any            `json:"json"`
	Method  string         `json:"method,omitempty"`
	Origin  string         `json:"origin"`
	URL     string         `json:"url"`
}

type getResponse struct {
	Args    map[string]any `json:"args"`
	Headers map[string]any `json:"headers"`
	Origin  string         `json:"origin"`
	URL     string         `json:"url"`
}

func anything(w http.ResponseWriter, r *http.Request) { echoBody(w, r, r.Method) }

func bodyEcho(w http.ResponseWriter, r *http.Request) { echoBody(w, r, "") }

func echoBody(w http.ResponseWriter, r *http.Request, method string) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, bodyResponse{
		Args: args(r), Data: b.data, Files: b.files, Form: b.form, Headers: headers(r),
		JSON: b.json, Method: method, Origin: origin(r), URL: fullURL(r),
	})
}

func status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 100 || code > 599 {
		http.Error(w, "Invalid status code", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
}

type body struct {
	data  string
	files map[string]any
	form  map[string]any
	json  any
}

// readBody decodes the request body as httpbin does: form fields and files for form content
// types, otherwise the raw text in data and, when it parses, the JSON value in json.
func readBody(w http.ResponseWriter, r *http.Request) (body, bool) {
	b := body{files: map[string]any{}, form: map[string]any{}}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body larger than 1 MiB", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "cannot read request body", http.StatusBadRequest)
		}
		return b, false
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		if vals, err := url.ParseQuery(string(raw)); err == nil {
			b.form = flatten(vals)
		}
	case "multipart/form-data":
		if err := readMultipart(raw, params["boundary"], &b); err != nil {
			http.Error(w, "malformed multipart body", http.StatusBadRequest)
			return b, false
		}
	default:
		b.data = textOrDataURL(raw)
		if len(raw) > 0 {
			var v any
			if json.Unmarshal(raw, &v) == nil {
				b.json = v
			}
		}
	}
	return b, true
}

func readMultipart(raw []byte, boundary string, b *body) error {
	if boundary == "" {
		return errors.New("no boundary")
	}
	form, err := multipart.NewReader(bytes.NewReader(raw), boundary).ReadForm(MaxBodyBytes)
	if err != nil {
		return err
	}
	defer func() { _ = form.RemoveAll() }()
	b.form = flatten(form.Value)
	for name, fhs := range form.File {
		for _, fh := range fhs {
			f, err := fh.Open()
			if err != nil {
				return err
			}
			content, err := io.ReadAll(f)
			_ = f.Close()
			if err != nil {
				return err
			}
			b.files[name] = textOrDataURL(content)
		}
	}
	return nil
}

// textOrDataURL returns text as is and anything else as a base64 data URL, as httpbin does.
func textOrDataURL(p []byte) string {
	if utf8.Valid(p) {
		return string(p)
	}
	return "data:application/octet-stream;base64," + base64.StdEncoding.EncodeToString(p)
}

// flatten turns single values into strings and repeated ones into lists (httpbin's semiflatten).
func flatten(vals map[string][]string) map[string]any {
	out := make(map[string]any, len(vals))
	for k, v := range vals {
		if len(v) == 1 {
			out[k] = v[0]
		} else {
			out[k] = v
		}
	}
	return out
}

func args(r *http.Request) map[string]any { return flatten(r.URL.Query()) }

func headers(r *http.Request) map[string]any {
	showEnv := r.URL.Query().Get("show_env") != ""
	out := make(map[string]any, len(r.Header)+1)
	for k, v := range r.Header {
		if envHeaders[k] && !showEnv {
			continue
		}
		out[k] = strings.Join(v, ",")
	}
	if r.Host != "" {
		out["Host"] = r.Host
	}
	if r.ContentLength > 0 {
		out["Content-Length"] = strconv.FormatInt(r.ContentLength, 10)
	}
	return out
}

// origin is the client address httpbin reports: X-Forwarded-For when a proxy set it.
func origin(r *http.Request) string {
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		return strings.Join(xff, ", ")
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// fullURL rebuilds the URL the client asked for, with the scheme a proxy reported.
func fullURL(r *http.Request) string {
	scheme := r.Header.Get("X-Forwarded-Proto")
	if scheme == "" {
		scheme = r.Header.Get("X-Forwarded-Protocol")
	}
	if scheme == "" && r.Header.Get("X-Forwarded-Ssl") == "on" {
		scheme = "https"
	}
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		http.Error(w, "cannot encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}
