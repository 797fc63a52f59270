package admin

import (
	"net/url"
	"testing"
)

// FuzzDecodeForm: the admin API's form decoder never panics.
func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{"a=1", "config.a=1&config.a=2", "a[]=1&a=2", "a=1&a.b=2", "a..b=1", ".=x", "a[=1", "config.x.y.z[3]=q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		vals, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		_, _ = decodeForm(vals)
	})
}
