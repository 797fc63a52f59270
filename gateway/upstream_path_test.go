package gateway

import (
	"fmt"
	"testing"
)

// TestUpstreamPath is Kong's own table, spec/fixtures/router_path_handling_tests.lua, expanded:
// service path × route path × strip_path × path_handling × request path → upstream path.
// A nil route path (`noPath`) means the route matched on something other than its paths.
func TestUpstreamPath(t *testing.T) {
	const noPath = "<none>"
	both := []bool{false, true}
	v01 := []string{"v0", "v1"}
	type row struct {
		service, route string
		strip          []bool
		handling       []string
		request, want  string
	}
	f, tr := []bool{false}, []bool{true}
	v0, v1 := []string{"v0"}, []string{"v1"}
	rows := []row{
		{"/", "/", both, v01, "/", "/"},
		{"/", "/", both, v01, "/route", "/route"},
		{"/", "/", both, v01, "/route/", "/route/"},
		{"/", "/", both, v01, "/routereq", "/routereq"},
		{"/", "/", both, v01, "/route/req", "/route/req"},
		// 5
		{"/", "/route", f, v01, "/route", "/route"},
		{"/", "/route", f, v01, "/route/", "/route/"},
		{"/", "/route", f, v01, "/routereq", "/routereq"},
		{"/", "/route", tr, v01, "/route", "/"},
		{"/", "/route", tr, v01, "/route/", "/"},
		{"/", "/route", tr, v01, "/routereq", "/req"},
		// 11
		{"/", "/route/", f, v01, "/route/", "/route/"},
		{"/", "/route/", f, v01, "/route/req", "/route/req"},
		{"/", "/route/", tr, v01, "/route/", "/"},
		{"/", "/route/", tr, v01, "/route/req", "/req"},
		// 15
		{"/srv", "/rou", f, v0, "/roureq", "/srv/roureq"},
		{"/srv", "/rou", f, v1, "/roureq", "/srvroureq"},
		{"/srv", "/rou", tr, v0, "/roureq", "/srv/req"},
		{"/srv", "/rou", tr, v1, "/roureq", "/srvreq"},
		// 19
		{"/srv/", "/rou", f, v01, "/rou", "/srv/rou"},
		{"/srv/", "/rou", tr, v0, "/rou", "/srv"},
		{"/srv/", "/rou", tr, v1, "/rou", "/srv/"},
		// 22
		{"/service", "/", both, v01, "/", "/service"},
		{"/service", "/", both, v0, "/route", "/service/route"},
		{"/service", "/", both, v1, "/route", "/serviceroute"},
		{"/service", "/", both, v0, "/route/", "/service/route/"},
		{"/service", "/", both, v1, "/route/", "/serviceroute/"},
		// 27
		{"/service", "/", both, v0, "/routereq", "/service/routereq"},
		{"/service", "/", both, v1, "/routereq", "/serviceroutereq"},
		{"/service", "/", both, v0, "/route/req", "/service/route/req"},
		{"/service", "/", both, v1, "/route/req", "/serviceroute/req"},
		// 31
		{"/service", "/route", f, v0, "/route", "/service/route"},
		{"/service", "/route", f, v1, "/route", "/serviceroute"},
		{"/service", "/route", f, v0, "/route/", "/service/route/"},
		{"/service", "/route", f, v1, "/route/", "/serviceroute/"},
		{"/service", "/route", f, v0, "/routereq", "/service/routereq"},
		{"/service", "/route", f, v1, "/routereq", "/serviceroutereq"},
		{"/service", "/route", tr, v01, "/route", "/service"},
		{"/service", "/route", tr, v01, "/route/", "/service/"},
		{"/service", "/route", tr, v0, "/routereq", "/service/req"},
		{"/service", "/route", tr, v1, "/routereq", "/servicereq"},
		// 41
		{"/service", "/route/", f, v0, "/route/", "/service/route/"},
		{"/service", "/route/", f, v1, "/route/", "/serviceroute/"},
		{"/service", "/route/", f, v0, "/route/req", "/service/route/req"},
		{"/service", "/route/", f, v1, "/route/req", "/serviceroute/req"},
		{"/service", "/route/", tr, v01, "/route/", "/service"},
		{"/service", "/route/", tr, v0, "/route/req", "/service/req"},
		{"/service", "/route/", tr, v1, "/route/req", "/servicereq"},
		// 48
		{"/service/", "/", f, v01, "/", "/service/"},
		{"/service/", "/", tr, v0, "/", "/service"},
		{"/service/", "/", tr, v1, "/", "/service/"},
		{"/service/", "/", both, v01, "/route/", "/service/route/"},
		{"/service/", "/", both, v01, "/route", "/service/route"},
		{"/service/", "/", both, v01, "/routereq", "/service/routereq"},
		{"/service/", "/", both, v01, "/route/req", "/service/route/req"},
		// 55
		{"/service/", "/route", f, v01, "/route", "/service/route"},
		{"/service/", "/route", f, v01, "/route/", "/service/route/"},
		{"/service/", "/route", f, v01, "/routereq", "/service/routereq"},
		{"/service/", "/route", tr, v0, "/route", "/service"},
		{"/service/", "/route", tr, v1, "/route", "/service/"},
		{"/service/", "/route", tr, v01, "/route/", "/service/"},
		{"/service/", "/route", tr, v01, "/routereq", "/service/req"},
		// 62
		{"/service/", "/route/", f, v01, "/route/", "/service/route/"},
		{"/service/", "/route/", f, v01, "/route/req", "/service/route/req"},
		{"/service/", "/route/", tr, v0, "/route/", "/service"},
		{"/service/", "/route/", tr, v1, "/route/", "/service/"},
		{"/service/", "/route/", tr, v01, "/route/req", "/service/req"},
		// 67: routes matching on host, not paths
		{"/", noPath, both, v01, "/", "/"},
		{"/", noPath, both, v01, "/route", "/route"},
		{"/", noPath, both, v01, "/route/", "/route/"},
		// 70
		{"/service", noPath, both, v01, "/", "/service"},
		{"/service", noPath, both, v0, "/route", "/service/route"},
		{"/service", noPath, both, v1, "/route", "/serviceroute"},
		{"/service", noPath, both, v0, "/route/", "/service/route/"},
		{"/service", noPath, both, v1, "/route/", "/serviceroute/"},
		// 75
		{"/service/", noPath, f, v01, "/", "/service/"},
		{"/service/", noPath, tr, v0, "/", "/service"},
		{"/service/", noPath, tr, v1, "/", "/service/"},
		{"/service/", noPath, both, v01, "/route", "/service/route"},
		{"/service/", noPath, both, v01, "/route/", "/service/route/"},
	}
	for i, r := range rows {
		for _, strip := range r.strip {
			for _, handling := range r.handling {
				prefix := r.route
				if prefix == noPath {
					prefix = ""
				}
				name := fmt.Sprintf("%d/%s+%s/strip=%v/%s/%s", i, r.service, r.route, strip, handling, r.request)
				t.Run(name, func(t *testing.T) {
					if got := upstreamPath(r.service, r.request, prefix, strip, handling); got != r.want {
						t.Errorf("got %q, want %q", got, r.want)
					}
				})
			}
		}
	}
}
