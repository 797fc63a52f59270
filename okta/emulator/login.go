package emulator

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// sessionCookie is the IdP session. Okta calls its cookie "sid"; cookies do not keep ports
	// apart, so on a laptop where the gateway and the IdP share 127.0.0.1 a generic name could
	// collide with the application's own cookie.
	sessionCookie    = "oidclab_idp_sid"
	browserCookie    = "oidclab_idp_browser"
	maxLoginAttempts = 10
	msgSignInFailed  = "Unable to sign in"
	msgTxExpired     = "This sign-in request has expired or was already used. Start again from the application."
)

// sessionFrom returns the IdP session named by the request's cookie, if it is live.
func (s *Server) sessionFrom(r *http.Request, now time.Time) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return session{}, false
	}
	return s.store.session(c.Value, now)
}

// startLogin parks the authorization request in a login transaction and sends the browser to
// the sign-in page. The transaction id travels in the URL and the form; its CSRF token only in
// the form; and the transaction is bound to this browser by a cookie. The cookie is what stops
// login CSRF: someone who starts a login in their own browser and makes a victim's browser submit
// that form with their own password would otherwise sign the victim in to the IdP as themselves.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, req authRequest, now time.Time) {
	browser := ""
	if c, err := r.Cookie(browserCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		browser = c.Value // one value per browser, so logins in two tabs do not displace each other
	} else {
		browser = randomToken(32)
	}
	txID := randomToken(24)
	tx := &loginTx{Req: req, CSRF: randomToken(24), Browser: hashKey(browser), Expires: now.Add(loginTxLifetime)}
	if err := s.store.putTx(txID, tx, now); err != nil {
		s.deliverAuthorizeError(w, r, req, redirectError("temporarily_unavailable", err.Error()))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: browserCookie, Value: browser, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r)})
	w.Header().Set("Cache-Control", "no-cache, no-store")
	http.Redirect(w, r, "/login?tx="+url.QueryEscape(txID), http.StatusFound)
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request, _ *AuthServer) {
	txID := r.Form.Get("tx")
	tx, ok := s.store.tx(txID, s.now())
	if !ok {
		writeErrorPage(w, r, http.StatusBadRequest, "invalid_request", msgTxExpired)
		return
	}
	recordFrom(r).ClientID = tx.Req.ClientID
	s.renderIdentifier(w, http.StatusOK, txID, tx, tx.Req.LoginHint, "")
}

func (s *Server) renderIdentifier(w http.ResponseWriter, status int, txID string, tx loginTx, identifier, msg string) {
	renderPage(w, status, identifierPage, loginView{Title: "Sign In", Action: "/login", Tx: txID, CSRF: tx.CSRF, Identifier: identifier, Error: msg})
}

func (s *Server) renderPassword(w http.ResponseWriter, status int, txID string, tx loginTx, identifier, msg string) {
	renderPage(w, status, passwordPage, loginView{Title: "Sign In", Action: "/login", Tx: txID, CSRF: tx.CSRF, Identifier: identifier, Error: msg})
}

// handleLoginSubmit takes the identifier step, the password step, or a single form with
// username + password, all on one URL.
func (s *Server) handleLoginSubmit(w http.ResponseWriter, r *http.Request, _ *AuthServer) {
	now := s.now()
	f := r.PostForm
	txID := f.Get("tx")
	tx, ok := s.store.tx(txID, now)
	if !ok {
		writeErrorPage(w, r, http.StatusBadRequest, "invalid_request", msgTxExpired)
		return
	}
	rec := recordFrom(r)
	rec.ClientID = tx.Req.ClientID
	if subtle.ConstantTimeCompare([]byte(f.Get("csrf")), []byte(tx.CSRF)) != 1 {
		writeErrorPage(w, r, http.StatusForbidden, "invalid_request", "The sign-in form is not valid for this request (CSRF token mismatch). Start again from the application.")
		return
	}
	if c, err := r.Cookie(browserCookie); err != nil || subtle.ConstantTimeCompare([]byte(hashKey(c.Value)), []byte(tx.Browser)) != 1 {
		writeErrorPage(w, r, http.StatusForbidden, "invalid_request", "The sign-in form was sent from another browser than the one that started the sign-in, or without cookies. Enable cookies and start again from the application.")
		return
	}
	identifier := strings.TrimSpace(truncate(f.Get("username"), maxIDLen))
	password := f.Get("password")
	single := f.Has("username") || f.Has("password")
	if !single {
		identifier = strings.TrimSpace(truncate(f.Get("identifier"), maxIDLen))
		password = f.Get("credentials.passcode")
		if !f.Has("credentials.passcode") {
			// Identifier step. Like Okta with user enumeration protection, it moves to the
			// password step whether or not the user exists.
			if identifier == "" {
				s.renderIdentifier(w, http.StatusBadRequest, txID, tx, "", "Please enter a username")
				return
			}
			s.renderPassword(w, http.StatusOK, txID, tx, identifier, "")
			return
		}
	}
	u, ok := s.checkPassword(identifier, password)
	if !ok {
		rec.Error = "authentication_failed"
		left := s.store.failTx(txID, maxLoginAttempts)
		s.log.Info("emulator sign-in failed", "client_id", tx.Req.ClientID, "attempts_left", left)
		if left == 0 {
			writeErrorPage(w, r, http.StatusTooManyRequests, "access_denied", "Too many failed sign-in attempts. Start again from the application.")
			return
		}
		if identifier == "" {
			s.renderIdentifier(w, http.StatusUnauthorized, txID, tx, "", msgSignInFailed)
			return
		}
		s.renderPassword(w, http.StatusUnauthorized, txID, tx, identifier, msgSignInFailed)
		return
	}
	if !s.store.takeTx(txID) { // a concurrent submit already completed it
		writeErrorPage(w, r, http.StatusBadRequest, "invalid_request", msgTxExpired)
		return
	}
	sid := randomToken(32)
	if err := s.store.putSession(sid, &session{UserID: u.ID, AuthTime: now, Expires: now.Add(s.tokens.Session)}, now); err != nil {
		s.deliverAuthorizeError(w, r, tx.Req, redirectError("temporarily_unavailable", err.Error()))
		return
	}
	if old, err := r.Cookie(sessionCookie); err == nil && len(old.Value) <= 128 {
		s.store.dropSession(old.Value) // a new sign-in replaces the old session
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secureCookies(r),
	})
	s.log.Info("emulator sign-in", "user", u.Login, "client_id", tx.Req.ClientID)
	s.completeAuthorize(w, r, tx.Req, u, now)
}

// secureCookies reports whether the IdP's cookies get the Secure attribute: when browsers reach
// it over https, directly or through a tunnel.
func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.baseFor(r), "https://")
}

// checkPassword takes the same time whether or not the user exists.
func (s *Server) checkPassword(login, password string) (*User, bool) {
	s.mu.RLock()
	u, ok := s.users[strings.ToLower(login)]
	s.mu.RUnlock()
	want := ""
	if ok {
		want = u.Password
	}
	match := secretsEqual(password, want)
	if !ok || !match || password == "" {
		return nil, false
	}
	return u, true
}
