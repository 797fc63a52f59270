package oidc

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
)

// Kong's deprecated names, mapped to the field that replaced them (Kong's shorthand_fields).
var kongAliases = map[string]string{
	"authorization_cookie_lifetime": "authorization_rolling_timeout",
	"authorization_cookie_samesite": "authorization_cookie_same_site",
	"authorization_cookie_httponly": "authorization_cookie_http_only",
	"session_cookie_lifetime":       "session_rolling_timeout",
	"session_cookie_idletime":       "session_idling_timeout",
	"session_cookie_samesite":       "session_cookie_same_site",
	"session_cookie_httponly":       "session_cookie_http_only",
}

// Kong accepts these and ignores them (lua-resty-session v4 dropped them); so do we.
var kongIgnored = []string{
	"session_cookie_renew", "session_cookie_maxsize", "session_strategy", "session_compressor",
	// Redis/memcache settings only matter with session_storage other than cookie, which is
	// refused below; decK dumps carry them with their defaults.
	"redis", "session_redis_prefix", "session_redis_socket", "session_redis_host", "session_redis_port",
	"session_redis_username", "session_redis_password", "session_redis_connect_timeout",
	"session_redis_read_timeout", "session_redis_send_timeout", "session_redis_ssl",
	"session_redis_ssl_verify", "session_redis_server_name", "session_redis_cluster_nodes",
	"session_redis_cluster_max_redirections", "session_memcache_prefix", "session_memcache_socket",
	"session_memcache_host", "session_memcache_port", "session_memcached_prefix",
	"session_memcached_socket", "session_memcached_host", "session_memcached_port",
	"cluster_cache_redis",
}

// kongUnsupported lists Kong fields oidclab does not implement, with Kong's default. Such a field
// is accepted when absent, null or equal to its default (decK dumps list every field), and is a
// "not supported by oidclab" problem otherwise.
var kongUnsupported = map[string]any{
	"using_pseudo_issuer":       false,
	"discovery_headers_names":   nil,
	"discovery_headers_values":  nil,
	"extra_jwks_uris":           nil,
	"verify_parameters":         false,
	"issuers_allowed":           nil,
	"keepalive":                 true,
	"http_version":              1.1,
	"http_proxy":                nil,
	"http_proxy_authorization":  nil,
	"https_proxy":               nil,
	"https_proxy_authorization": nil,
	"no_proxy":                  nil,
	"client_auth":               nil,
	"client_alg":                nil,
	"client_jwk":                nil,
	"pushed_authorization_request_endpoint_auth_method": nil,
	"pushed_authorization_request_endpoint":             nil,
	"require_pushed_authorization_requests":             nil,
	"require_signed_request_object":                     nil,
	"response_type":                                     []any{"code"},
	"domains":                                           nil,
	"authorization_query_args_client":                   nil,
	"disable_session":                                   nil,
	"login_methods":                                     []any{"authorization_code"},
	"session_storage":                                   "cookie",
	"session_audience":                                  "default",
	"session_remember":                                  false,
	"session_remember_cookie_name":                      "remember",
	"session_remember_rolling_timeout":                  604800,
	"session_remember_absolute_timeout":                 2592000,
	"session_store_metadata":                            false,
	"session_enforce_same_subject":                      false,
	"session_hash_subject":                              false,
	"session_hash_storage_key":                          false,
	"session_request_headers":                           nil,
	"session_response_headers":                          nil,
	"session_bind":                                      nil,
	"ignore_signature":                                  []any{},
	"reverify":                                          false,
	"roles_required":                                    nil,
	"roles_claim":                                       []any{"roles"},
	"claims_forbidden":                                  nil,
	"authenticated_groups_claim":                        nil,
	"consumer_claim":                                    nil,
	"consumer_by":                                       []any{"username", "custom_id"},
	"by_username_ignore_case":                           false,
	"consumer_optional":                                 false,
	"credential_claim":                                  []any{"sub"},
	"consumer_groups_claim":                             nil,
	"consumer_groups_optional":                          false,
	"search_user_info":                                  false,
	"anonymous":                                         nil,
	"id_token_param_name":                               nil,
	"id_token_param_type":                               []any{"header", "query", "body"},
	"refresh_token_param_name":                          nil,
	"refresh_token_param_type":                          []any{"header", "query", "body"},
	"client_credentials_param_type":                     []any{"header", "query", "body"},
	"password_param_type":                               []any{"header", "query", "body"},
	"bearer_token_cookie_name":                          nil,
	"introspection_hint":                                "access_token",
	"introspection_token_param_name":                    "token",
	"introspection_accept":                              "application/json",
	"introspection_check_active":                        true,
	"introspect_jwt_tokens":                             false,
	"introspection_headers_names":                       nil,
	"introspection_headers_values":                      nil,
	"introspection_headers_client":                      nil,
	"introspection_post_args_names":                     nil,
	"introspection_post_args_values":                    nil,
	"introspection_post_args_client":                    nil,
	"cache_introspection":                               true,
	"cache_tokens":                                      true,
	"cache_user_info":                                   true,
	"cache_token_exchange":                              true,
	"cache_ttl":                                         3600,
	"cache_ttl_max":                                     nil,
	"cache_ttl_min":                                     nil,
	"cache_ttl_neg":                                     nil,
	"cache_ttl_resurrect":                               nil,
	"cache_tokens_salt":                                 nil,
	"token_cache_key_include_scope":                     false,
	"cluster_cache_strategy":                            "off",
	"token_post_args_names":                             nil,
	"token_post_args_values":                            nil,
	"token_post_args_client":                            nil,
	"token_headers_names":                               nil,
	"token_headers_values":                              nil,
	"token_headers_client":                              nil,
	"token_headers_replay":                              nil,
	"token_headers_prefix":                              nil,
	"token_headers_grants":                              nil,
	"token_exchange_endpoint":                           nil,
	"userinfo_accept":                                   "application/json",
	"userinfo_headers_names":                            nil,
	"userinfo_headers_values":                           nil,
	"userinfo_headers_client":                           nil,
	"userinfo_query_args_names":                         nil,
	"userinfo_query_args_values":                        nil,
	"userinfo_query_args_client":                        nil,
	"hide_credentials":                                  false,
	"upstream_access_token_jwk_header":                  nil,
	"upstream_id_token_jwk_header":                      nil,
	"upstream_refresh_token_header":                     nil,
	"upstream_introspection_header":                     nil,
	"upstream_introspection_jwt_header":                 nil,
	"upstream_user_info_jwt_header":                     nil,
	"upstream_session_id_header":                        nil,
	"downstream_access_token_header":                    nil,
	"downstream_access_token_jwk_header":                nil,
	"downstream_id_token_header":                        nil,
	"downstream_id_token_jwk_header":                    nil,
	"downstream_refresh_token_header":                   nil,
	"downstream_introspection_header":                   nil,
	"downstream_introspection_jwt_header":               nil,
	"downstream_user_info_header":                       nil,
	"downstream_user_info_jwt_header":                   nil,
	"downstream_session_id_header":                      nil,
	"downstream_headers_claims":                         nil,
	"downstream_headers_names":                          nil,
	"tls_client_auth_cert_id":                           nil,
	"tls_client_auth_ssl_verify":                        true,
	"mtls_token_endpoint":                               nil,
	"mtls_introspection_endpoint":                       nil,
	"mtls_revocation_endpoint":                          nil,
	"proof_of_possession_mtls":                          "off",
	"proof_of_possession_auth_methods_validation":       true,
	"proof_of_possession_dpop":                          "off",
	"dpop_use_nonce":                                    false,
	"dpop_proof_lifetime":                               300,
	"resolve_distributed_claims":                        false,
	"expose_error_code_for_unauthorized":                nil,
}

// applyAliases moves deprecated names onto their replacements, reporting a conflict when both
// are set to different values.
func applyAliases(d *decoder) {
	for old, repl := range kongAliases {
		v, ok := d.m[old]
		d.seen[old] = true
		if !ok || v == nil {
			continue
		}
		if cur, set := d.m[repl]; set && cur != nil && !sameValue(cur, v) {
			d.problem(old, "is Kong's deprecated name for %s, which is also set to a different value: keep only %s", repl, repl)
			continue
		}
		if _, ok := d.lines[repl]; !ok {
			d.lines[repl] = d.lines[old]
		}
		d.m[repl] = v
	}
}

// checkRemaining reports every field not read by ParseConfig: Kong fields oidclab does not
// implement (unless at their default) and names Kong does not know.
func checkRemaining(d *decoder) {
	keys := make([]string, 0, len(d.m))
	for k := range d.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if d.seen[k] || slices.Contains(kongIgnored, k) {
			continue
		}
		def, known := kongUnsupported[k]
		v := coerceLike(d.m[k], def)
		switch {
		case !known:
			d.problem(k, "unknown field: Kong's openid-connect plugin has no field %q", k)
		case v == nil || sameValue(v, def):
			// At Kong's default: nothing to do.
		default:
			d.problem(k, "not supported by oidclab: remove it or set it to Kong's default (%s)", describeDefault(def))
		}
	}
}

// coerceLike applies Kong's admin API coercion of form input to v, taking the field's type from
// its default: "false" for a boolean, "3600" for a number, a lone string for an array, "" for null.
func coerceLike(v, def any) any {
	s, isStr := v.(string)
	if !isStr {
		return v
	}
	if s == "" {
		return nil
	}
	switch def.(type) {
	case bool:
		if b, ok := toBool(s); ok {
			return b
		}
	case []any:
		return []any{s}
	default:
		if _, isNum := toFloat(def); isNum {
			if f, ok := toNumber(s); ok {
				return f
			}
		}
	}
	return v
}

// sameValue compares decoded YAML/JSON values, treating all numbers alike.
func sameValue(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	la, okA := a.([]any)
	lb, okB := b.([]any)
	if okA && okB {
		if len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !sameValue(la[i], lb[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func describeDefault(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return `"` + x + `"`
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		s := "["
		for i, e := range x {
			if i > 0 {
				s += ", "
			}
			s += describeDefault(e)
		}
		return s + "]"
	}
	return fmt.Sprint(v)
}
