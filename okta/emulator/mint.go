package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// accessClaims is Okta's access token, in Okta's claim order.
type accessClaims struct {
	Ver      int      `json:"ver"`
	JTI      string   `json:"jti"`
	Iss      string   `json:"iss"`
	Aud      any      `json:"aud"`
	Iat      int64    `json:"iat"`
	Exp      int64    `json:"exp"`
	CID      string   `json:"cid"`
	UID      string   `json:"uid,omitempty"`
	Scp      []string `json:"scp"`
	AuthTime int64    `json:"auth_time,omitempty"`
	Sub      string   `json:"sub"`
	Groups   []string `json:"groups,omitempty"`
}

// grant is everything a token response is minted from.
type grant struct {
	as       *AuthServer
	client   *Client
	user     *User // nil for client_credentials
	scopes   []string
	nonce    string
	authTime time.Time
	rule     Rule
	refresh  bool   // issue a refresh token
	reuseRT  string // STATIC rotation: hand back this refresh token
	family   string // the refresh token family of the login ("" starts one)
}

type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// orgIdP is the "idp" claim: the org's own identity provider id, stable per process.
var orgIdP = sync.OnceValue(func() string { return oktaID("00o") })

func (s *Server) issuerOf(base string, as *AuthServer) string { return base + "/oauth2/" + as.ID }

// mint signs the access token (and the ID and refresh tokens the grant calls for).
func (s *Server) mint(base string, g grant) (tokenResponse, error) {
	now := s.now()
	mut := s.control.currentMutation()
	iss := s.issuerOf(base, g.as)
	life := s.tokens.AccessToken
	if g.rule.AccessTokenLifetime > 0 {
		life = g.rule.AccessTokenLifetime
	}
	iat, exp := now, now.Add(life)
	if mut.Expired {
		iat, exp = now.Add(-life-time.Hour), now.Add(-time.Hour)
	}
	at := accessClaims{
		Ver: 1, JTI: "AT." + randomToken(32), Iss: iss, Aud: audience(g.as), Iat: iat.Unix(), Exp: exp.Unix(),
		CID: g.client.ID, Scp: slices.Clone(g.scopes),
	}
	if mut.WrongIssuer {
		at.Iss = iss + "-wrong"
	}
	if g.user != nil {
		at.UID, at.Sub, at.AuthTime = g.user.ID, g.user.Login, g.authTime.Unix()
		if slices.Contains(g.scopes, "groups") {
			at.Groups = slices.Clone(g.user.Groups)
		}
	} else {
		at.Sub = g.client.ID
	}
	accessToken, err := s.signJSON(at)
	if err != nil {
		return tokenResponse{}, err
	}
	if g.refresh && g.family == "" {
		g.family = randomToken(16)
	}
	if g.family != "" {
		s.store.addFamilyAccessToken(g.family, at.JTI, exp, now)
	}
	resp := tokenResponse{TokenType: "Bearer", ExpiresIn: int64(life / time.Second), AccessToken: accessToken, Scope: strings.Join(g.scopes, " ")}

	if g.user != nil && slices.Contains(g.scopes, "openid") {
		if resp.IDToken, err = s.mintIDToken(iss, g, accessToken, now, mut); err != nil {
			return tokenResponse{}, err
		}
	}
	if g.refresh {
		switch {
		case g.reuseRT != "":
			resp.RefreshToken = g.reuseRT
		default:
			// A new refresh token gets a fresh idle window.
			rt := randomToken(32)
			rg := &refreshGrant{AuthServer: g.as.ID, ClientID: g.client.ID, UserID: g.user.ID, Scopes: slices.Clone(g.scopes),
				AuthTime: g.authTime, Expires: now.Add(s.tokens.RefreshToken), IssuedAt: now, JTI: "rt." + randomToken(16), Family: g.family}
			if err := s.store.putRefresh(rt, rg, now); err != nil {
				return tokenResponse{}, err
			}
			resp.RefreshToken = rt
		}
	}
	return resp, nil
}

func audience(as *AuthServer) any {
	if len(as.Audiences) == 1 {
		return as.Audiences[0]
	}
	return slices.Clone(as.Audiences)
}

func (s *Server) mintIDToken(iss string, g grant, accessToken string, now time.Time, mut Mutation) (string, error) {
	u := g.user
	exp := now.Add(s.tokens.IDToken)
	iat := now
	if mut.Expired {
		iat, exp = now.Add(-s.tokens.IDToken-time.Hour), now.Add(-time.Hour)
	}
	if mut.IssuedInFuture {
		iat, exp = now.Add(time.Hour), now.Add(time.Hour+s.tokens.IDToken)
	}
	c := map[string]any{
		"sub": u.ID, "ver": 1, "iss": iss, "aud": g.client.ID, "iat": iat.Unix(), "exp": exp.Unix(),
		"jti": "ID." + randomToken(32), "amr": []string{"pwd"}, "idp": orgIdP(), "auth_time": g.authTime.Unix(),
		"at_hash": atHash(accessToken),
	}
	if g.nonce != "" {
		c["nonce"] = g.nonce
	}
	// Observed Okta code-flow ID tokens carry these even though an access token was issued.
	if slices.Contains(g.scopes, "profile") {
		c["name"] = u.Profile.Name
		c["preferred_username"] = u.Login
	}
	if slices.Contains(g.scopes, "email") {
		c["email"] = emailOf(u)
	}
	if slices.Contains(g.scopes, "groups") {
		c["groups"] = groupsClaim(u)
	}
	switch {
	case mut.WrongIssuer:
		c["iss"] = iss + "-wrong"
	}
	if mut.WrongAudience {
		c["aud"] = "0oaWRONGAUDIENCE00000"
	}
	if mut.WrongNonce {
		c["nonce"] = "wrong-" + randomToken(8)
	}
	if mut.WrongAtHash {
		c["at_hash"] = atHash(accessToken + "x")
	}
	if mut.UnknownKeyID {
		return s.signWithStranger(c)
	}
	tok, err := s.signJSON(c)
	if err != nil {
		return "", err
	}
	if mut.BadSignature {
		tok = corruptSignature(tok)
	}
	return tok, nil
}

func emailOf(u *User) string {
	if u.Profile.Email != "" {
		return u.Profile.Email
	}
	return u.Login
}

// groupsClaim caps groups at 100, as Okta does.
func groupsClaim(u *User) []string {
	g := slices.Clone(u.Groups)
	if g == nil {
		g = []string{}
	}
	if len(g) > 100 {
		g = g[:100]
	}
	return g
}

// atHash is OIDC's at_hash for RS256: the left half of SHA-256, base64url.
func atHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

func (s *Server) signJSON(v any) (string, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	return s.keys.sign(payload)
}

// corruptSignature changes one character in the middle of the signature, which always changes
// the decoded bytes (the last character may only carry padding bits).
func corruptSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || len(tok)-i < 20 {
		return tok
	}
	pos := i + (len(tok)-i)/2
	b := []byte(tok)
	if b[pos] == 'A' {
		b[pos] = 'B'
	} else {
		b[pos] = 'A'
	}
	return string(b)
}

// signWithStranger signs with a key that is not in the JWKS, under an unknown kid.
func (s *Server) signWithStranger(claims any) (string, error) {
	s.strangerOnce.Do(func() {
		var ks keySet
		if err := ks.rotate(nil); err == nil {
			s.stranger = &ks
		}
	})
	if s.stranger == nil {
		return "", fmt.Errorf("generate stranger key")
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return s.stranger.sign(payload)
}
