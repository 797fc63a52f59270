package gateway

import "strings"

// upstreamPath joins a service path and a request path exactly as Kong does (the table in
// Kong's spec/fixtures/router_path_handling_tests.lua; see upstream_path_test.go).
//
// servicePath is the service's path ("/" when empty), reqPath the normalized request path,
// prefix the part of reqPath the route matched ("" when the route has no paths, in which case
// strip_path has nothing to strip).
func upstreamPath(servicePath, reqPath, prefix string, stripPath bool, pathHandling string) string {
	base := servicePath
	if base == "" {
		base = "/"
	}
	// Without a matched path the postfix is the whole request path minus its leading slash.
	postfix := strings.TrimPrefix(reqPath, "/")
	if stripPath && prefix != "" {
		postfix = sanitizePostfix(reqPath[len(prefix):])
	}
	baseSlash := strings.HasSuffix(base, "/")

	if pathHandling == "v1" {
		if stripPath {
			if baseSlash && strings.HasPrefix(postfix, "/") {
				return base[:len(base)-1] + postfix
			}
			return base + postfix
		}
		return base + strings.TrimPrefix(reqPath, "/")
	}

	// v0
	if !stripPath {
		if baseSlash {
			return base + strings.TrimPrefix(reqPath, "/")
		}
		if reqPath == "/" {
			return base
		}
		return base + reqPath
	}
	switch {
	case postfix == "":
		if base == "/" {
			return "/"
		}
		return strings.TrimSuffix(base, "/")
	case strings.HasPrefix(postfix, "/"):
		if baseSlash {
			return base[:len(base)-1] + postfix
		}
		return base + postfix
	default:
		if baseSlash {
			return base + postfix
		}
		return base + "/" + postfix
	}
}

// sanitizePostfix drops a leading dot segment left over after stripping, as Kong's
// sanitize_uri_postfix does, so "/a/../b" stripped of "/a/" cannot climb above the service path.
func sanitizePostfix(p string) string {
	switch {
	case p == "." || p == "..":
		return ""
	case strings.HasPrefix(p, "./"):
		return p[2:]
	case strings.HasPrefix(p, "../"):
		return p[3:]
	}
	return p
}

// normalizePath removes dot segments and merges repeated slashes, keeping a trailing slash, so
// routing and stripping see one canonical form of the path (Kong normalizes the same way).
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] == '/' && !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p // already canonical: the common case, no allocation
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	res := "/" + strings.Join(out, "/")
	last := segs[len(segs)-1]
	if (last == "" || last == "." || last == "..") && res != "/" {
		res += "/"
	}
	return res
}
