package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
)

// discovery is the metadata document; both well-known URLs serve it, like Okta's custom
// servers (Okta does not advertise authorization_response_iss_parameter_supported, so neither
// do we). Advertised values follow a document captured from a real org; grant types, response
// types and auth methods list what Okta advertises even where the emulator implements less, so a
// relying party configures itself exactly as it would against Okta.
type discovery struct {
	Issuer                                    string   `json:"issuer"`
	AuthorizationEndpoint                     string   `json:"authorization_endpoint"`
	TokenEndpoint                             string   `json:"token_endpoint"`
	UserinfoEndpoint                          string   `json:"userinfo_endpoint,omitempty"`
	RegistrationEndpoint                      string   `json:"registration_endpoint"`
	JWKSURI                                   string   `json:"jwks_uri"`
	ResponseTypesSupported                    []string `json:"response_types_supported"`
	ResponseModesSupported                    []string `json:"response_modes_supported"`
	GrantTypesSupported                       []string `json:"grant_types_supported"`
	SubjectTypesSupported                     []string `json:"subject_types_supported,omitempty"`
	IDTokenSigningAlgValuesSupported          []string `json:"id_token_signing_alg_values_supported,omitempty"`
	ScopesSupported                           []string `json:"scopes_supported"`
	TokenEndpointAuthMethodsSupported         []string `json:"token_endpoint_auth_methods_supported"`
	ClaimsSupported                           []string `json:"claims_supported,omitempty"`
	CodeChallengeMethodsSupported             []string `json:"code_challenge_methods_supported"`
	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpoint                        string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	EndSessionEndpoint                        string   `json:"end_session_endpoint"`
	RequestParameterSupported                 bool     `json:"request_parameter_supported"`
	RequestObjectSigningAlgValuesSupported    []string `json:"request_object_signing_alg_values_supported"`
}

var (
	oktaAuthMethods   = []string{"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"}
	oktaResponseTypes = []string{"code", "id_token", "code id_token", "code token", "id_token token", "code id_token token"}
	oktaResponseModes = []string{"query", "fragment", "form_post", "okta_post_message"}
	// Okta's custom servers do not list client_credentials here, yet accept it.
	oktaGrantTypes = []string{"authorization_code", "implicit", "refresh_token", "password",
		"urn:ietf:params:oauth:grant-type:device_code"}
	oktaOIDCScopes = []string{"openid", "profile", "email", "address", "phone", "offline_access", "device_sso"}
	oktaClaims     = []string{"iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp", "nonce",
		"name", "nickname", "preferred_username", "given_name", "middle_name", "family_name", "email",
		"email_verified", "profile", "zoneinfo", "locale", "address", "phone_number", "picture", "website",
		"gender", "birthdate", "updated_at", "at_hash", "c_hash"}
)

func (s *Server) discoveryFor(r *http.Request, as *AuthServer, oidc bool) discovery {
	base := s.baseFor(r)
	iss := base + "/oauth2/" + as.ID
	scopes := slices.Clone(oktaOIDCScopes)
	for _, sc := range as.Scopes {
		if sc.Publish {
			scopes = append(scopes, sc.Name)
		}
	}
	d := discovery{
		Issuer:                                    iss,
		AuthorizationEndpoint:                     iss + "/v1/authorize",
		TokenEndpoint:                             iss + "/v1/token",
		RegistrationEndpoint:                      base + "/oauth2/v1/clients",
		JWKSURI:                                   iss + "/v1/keys",
		ResponseTypesSupported:                    oktaResponseTypes,
		ResponseModesSupported:                    oktaResponseModes,
		GrantTypesSupported:                       oktaGrantTypes,
		ScopesSupported:                           scopes,
		TokenEndpointAuthMethodsSupported:         oktaAuthMethods,
		CodeChallengeMethodsSupported:             []string{"S256"},
		IntrospectionEndpoint:                     iss + "/v1/introspect",
		IntrospectionEndpointAuthMethodsSupported: oktaAuthMethods,
		RevocationEndpoint:                        iss + "/v1/revoke",
		RevocationEndpointAuthMethodsSupported:    oktaAuthMethods,
		EndSessionEndpoint:                        iss + "/v1/logout",
		RequestParameterSupported:                 true,
		RequestObjectSigningAlgValuesSupported:    []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512"},
	}
	if oidc {
		d.UserinfoEndpoint = iss + "/v1/userinfo"
		d.SubjectTypesSupported = []string{"public"}
		d.IDTokenSigningAlgValuesSupported = []string{"RS256"}
		d.ClaimsSupported = oktaClaims
	}
	return d
}

func (s *Server) handleOIDCDiscovery(w http.ResponseWriter, r *http.Request, as *AuthServer) {
	writeJSON(w, http.StatusOK, s.discoveryFor(r, as, true))
}

func (s *Server) handleOAuthDiscovery(w http.ResponseWriter, r *http.Request, as *AuthServer) {
	writeJSON(w, http.StatusOK, s.discoveryFor(r, as, false))
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request, _ *AuthServer) {
	w.Header().Set("Content-Type", "application/json")
	// Okta caches keys for days; the emulator's rotate on demand, so clients should refetch.
	w.Header().Set("Cache-Control", "max-age=60, must-revalidate")
	_ = json.NewEncoder(w).Encode(s.keys.jwks())
}
