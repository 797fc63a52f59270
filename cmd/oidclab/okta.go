package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta"
)

// envAPIToken names the variable the Okta commands read their API token from; nothing else
// in oidclab reads it.
const envAPIToken = "OKTA_API_TOKEN"

// defaultOktaEnvFile is where setup writes the tutorial's DECK_* variables, and where `up -c`
// finds them.
const defaultOktaEnvFile = ".oidclab/okta.env"

// oktaOptions are the flags and environment every okta subcommand shares.
type oktaOptions struct {
	IO        *ioStreams
	StateFile string
	JSON      bool

	// lookupEnv reads OKTA_API_TOKEN (default os.LookupEnv; tests replace it).
	lookupEnv func(string) (string, bool)
	// clientOpts tunes the API client (tests shorten timeouts).
	clientOpts okta.ClientOptions
}

func newOktaCmd(io *ioStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "okta",
		Short: "Create, check and remove the Okta app and authorization server the tutorial needs",
		Long: `Drive an Okta org through its Management API (an API token in ` + envAPIToken + `, made under
Security → API → Tokens) so the tutorial's login works without clicking through the Admin
Console: setup creates an OIDC web app, assigns a user, and creates a custom authorization
server with an access policy and rule for the app; sync updates the redirect URIs; doctor
checks every setting a login depends on; cleanup removes what setup created.

The same commands work offline against 'oidclab idp', which serves the Management API too
and prints an API token for it.`,
		Example: `  export OKTA_API_TOKEN=...
  oidclab okta setup --org-url https://dev-123.okta.com --user alice@example.com \
    --redirect-uri https://demo.ngrok-free.dev/anything
  oidclab up -c kong.yaml
  oidclab okta doctor
  oidclab okta cleanup`,
		Args: noArgs,
	}
	cmd.AddCommand(newOktaSetupCmd(io), newOktaSyncCmd(io), newOktaDoctorCmd(io), newOktaCleanupCmd(io))
	return cmd
}

func (o *oktaOptions) stateFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.StateFile, "state", okta.DefaultStateFile, "state file recording what setup created")
}

// client builds the API client; a missing token or a bad org URL is a usage error.
func (o *oktaOptions) client(orgURL string) (*okta.Client, error) {
	lookup := o.lookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	tok, _ := lookup(envAPIToken)
	c, err := okta.NewClient(orgURL, strings.TrimSpace(tok), o.clientOpts)
	switch {
	case errors.Is(err, okta.ErrNoToken):
		return nil, usageErrorf("%s is not set: create a token under Security → API → Tokens in the Okta Admin Console (for `oidclab idp`, the API token it prints with --show-secrets) and export %s=...", envAPIToken, envAPIToken)
	case err != nil:
		return nil, asUsage(err)
	}
	return c, nil
}

// withFix adds what to do to an error from package okta.
func withFix(err error) error {
	if fix := okta.FixFor(err); fix != "" {
		return fmt.Errorf("%w\n  fix: %s", err, fix)
	}
	return err
}

func (o *oktaOptions) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.IO.Out, string(b))
	return err
}

// ---- setup ----

type oktaSetupOptions struct {
	oktaOptions
	OrgURL       string
	User         string
	RedirectURIs []string
	Name         string
	EnvFile      string
}

// oktaSetupResult is setup's --json line: ids and where things were written, never the secret.
type oktaSetupResult struct {
	OrgURL       string   `json:"org_url"`
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"client_id"`
	AppID        string   `json:"app_id"`
	UserID       string   `json:"user_id"`
	AuthServerID string   `json:"auth_server_id"`
	PolicyID     string   `json:"policy_id"`
	RuleID       string   `json:"rule_id"`
	RedirectURIs []string `json:"redirect_uris"`
	StateFile    string   `json:"state_file"`
	EnvFile      string   `json:"env_file"`
}

func newOktaSetupCmd(io *ioStreams) *cobra.Command {
	opts := &oktaSetupOptions{oktaOptions: oktaOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "setup --org-url URL --user LOGIN --redirect-uri URI",
		Short: "Create the OIDC app, user assignment, authorization server, policy and rule",
		Long: `Create what the tutorial needs in an Okta org: an OIDC web app (authorization code grant,
client_secret_basic, the redirect URIs and their origins as sign-out URIs), the user's
assignment to it, and a custom authorization server with an access policy for the app and a
rule allowing the authorization code grant for assigned users and any scope.

The created ids go to the state file (no secrets); DECK_ISSUER_URL, DECK_OKTA_CLIENT_ID,
DECK_OKTA_CLIENT_SECRET and DECK_NGROK_HOST (the first redirect URI) go to the env file, mode
0600, which 'oidclab up -c kong.yaml' reads. A failure half-way removes what was created.`,
		Example: `  oidclab okta setup --org-url https://dev-123.okta.com --user alice@example.com \
    --redirect-uri https://demo.ngrok-free.dev/anything

  # Offline, against 'oidclab idp' (OKTA_API_TOKEN: the token it prints with --show-secrets)
  oidclab okta setup --org-url http://127.0.0.1:9000 --user demo@example.com \
    --redirect-uri http://127.0.0.1:8000/anything`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return oktaSetupRun(cmd.Context(), opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.OrgURL, "org-url", "", "the org's URL, https://ORG.okta.com (http only on loopback)")
	f.StringVar(&opts.User, "user", "", "Okta username of the user to assign")
	f.StringArrayVar(&opts.RedirectURIs, "redirect-uri", nil, "sign-in redirect URI (repeatable): the gateway's route, e.g. https://TUNNEL/anything")
	f.StringVar(&opts.Name, "name", okta.DefaultName, "label of the app and name of the authorization server")
	f.StringVar(&opts.EnvFile, "env-file", defaultOktaEnvFile, "file to write the DECK_* variables to (mode 0600)")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON line with the issuer, client id and created ids (never the secret)")
	opts.stateFlag(cmd)
	return cmd
}

func oktaSetupRun(ctx context.Context, opts *oktaSetupOptions) error {
	var missing []string
	if opts.OrgURL == "" {
		missing = append(missing, "--org-url")
	}
	if opts.User == "" {
		missing = append(missing, "--user")
	}
	if len(opts.RedirectURIs) == 0 {
		if uris, ok := redirectFromTunnel(opts.IO); ok {
			opts.RedirectURIs = uris
		} else {
			missing = append(missing, "--redirect-uri (the gateway's route as the browser reaches it, e.g. https://TUNNEL/anything; left out, the URL of a tunnel `oidclab up` or `oidclab tunnel` holds open here)")
		}
	}
	if len(missing) > 0 {
		return usageErrorf("okta setup needs %s", strings.Join(missing, ", "))
	}
	if _, err := os.Stat(opts.StateFile); err == nil {
		return usageErrorf("%s exists: this directory is already set up; run `oidclab okta cleanup` first, or pass another --state", opts.StateFile)
	}
	req := okta.SetupRequest{UserLogin: opts.User, RedirectURIs: opts.RedirectURIs, Name: opts.Name}
	if err := req.Validate(); err != nil {
		return asUsage(err)
	}
	c, err := opts.client(opts.OrgURL)
	if err != nil {
		return err
	}
	res, err := okta.Setup(ctx, c, req)
	if err != nil {
		return withFix(err)
	}
	st := res.State
	err = okta.SaveState(opts.StateFile, st)
	if err == nil {
		err = writeEnvFile(opts.EnvFile, map[string]string{
			tutorial.EnvIssuer:       st.Issuer,
			tutorial.EnvClientID:     st.ClientID,
			tutorial.EnvClientSecret: res.ClientSecret,
			tutorial.EnvRedirectURI:  st.RedirectURIs[0],
		})
	}
	if err != nil {
		// Without the files nothing could find or use what was created: take it back.
		rbErr := okta.Cleanup(context.WithoutCancel(ctx), c, st)
		_ = os.Remove(opts.StateFile)
		if rbErr != nil {
			return fmt.Errorf("writing the state and env files: %w; removing what was created in Okta also failed: %v (app %s, authorization server %s)", err, rbErr, st.AppID, st.AuthServerID)
		}
		return fmt.Errorf("writing the state and env files: %w; what was created in Okta has been removed", err)
	}
	if opts.JSON {
		return opts.printJSON(oktaSetupResult{OrgURL: st.OrgURL, Issuer: st.Issuer, ClientID: st.ClientID, AppID: st.AppID, UserID: st.UserID,
			AuthServerID: st.AuthServerID, PolicyID: st.PolicyID, RuleID: st.RuleID, RedirectURIs: st.RedirectURIs,
			StateFile: opts.StateFile, EnvFile: opts.EnvFile})
	}
	w := opts.IO.ErrOut
	fmt.Fprintf(w, "Okta is set up for the tutorial in %s\n", st.OrgURL)
	fmt.Fprintf(w, "  app                  %s (client id %s), %s assigned\n", st.Name, st.ClientID, st.UserLogin)
	fmt.Fprintf(w, "  redirect URIs        %s\n", strings.Join(st.RedirectURIs, ", "))
	fmt.Fprintf(w, "  authorization server %s, issuer %s\n", st.AuthServerID, st.Issuer)
	fmt.Fprintf(w, "  access policy        %s, rule %s (authorization code, any scope, assigned users)\n", st.PolicyID, st.RuleID)
	fmt.Fprintf(w, "  state                %s\n", opts.StateFile)
	fmt.Fprintf(w, "  env file             %s (DECK_* variables with the client secret, mode 0600)\n", opts.EnvFile)
	fmt.Fprintln(w, "Next: oidclab up -c kong.yaml   (it reads "+defaultOktaEnvFile+"); check with: oidclab okta doctor")
	return nil
}

// writeEnvFile sets the variables in a KEY=value file, keeping its other lines, mode 0600.
func writeEnvFile(path string, vars map[string]string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var out bytes.Buffer
	done := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(old))
	for sc.Scan() {
		line := sc.Text()
		key, _, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "=")
		if v, mine := vars[strings.TrimSpace(key)]; ok && mine {
			line = strings.TrimSpace(key) + "=" + v
			done[strings.TrimSpace(key)] = true
		}
		out.WriteString(line + "\n")
	}
	for _, k := range tutorial.Env {
		if v, ok := vars[k]; ok && !done[k] {
			out.WriteString(k + "=" + v + "\n")
		}
	}
	return okta.WritePrivateFile(path, out.Bytes())
}

// readEnvFile reads a KEY=value file (blank lines, # comments and "export " prefixes allowed).
func readEnvFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if ok {
			vars[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return vars, nil
}

// ---- sync ----

type oktaSyncOptions struct {
	oktaOptions
	RedirectURIs []string
	EnvFile      string
}

func newOktaSyncCmd(io *ioStreams) *cobra.Command {
	opts := &oktaSyncOptions{oktaOptions: oktaOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "sync --redirect-uri URI",
		Short: "Replace the app's redirect and sign-out URIs",
		Long: `Replace the sign-in redirect URIs of the app setup created (and its sign-out URIs, the
redirect URIs' origins), e.g. after the tunnel's URL changed. DECK_NGROK_HOST in the env file
follows.`,
		Example: `  oidclab okta sync --redirect-uri https://new-name.ngrok-free.dev/anything`,
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return oktaSyncRun(cmd.Context(), opts) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.RedirectURIs, "redirect-uri", nil, "sign-in redirect URI (repeatable; replaces the registered ones)")
	f.StringVar(&opts.EnvFile, "env-file", defaultOktaEnvFile, "env file whose DECK_NGROK_HOST to update, when it exists")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON line with the registered URIs")
	opts.stateFlag(cmd)
	return cmd
}

func oktaSyncRun(ctx context.Context, opts *oktaSyncOptions) error {
	if len(opts.RedirectURIs) == 0 {
		uris, ok := redirectFromTunnel(opts.IO)
		if !ok {
			return usageErrorf("okta sync needs --redirect-uri (or a tunnel that `oidclab up` or `oidclab tunnel` holds open here)")
		}
		opts.RedirectURIs = uris
	}
	st, err := okta.LoadState(opts.StateFile)
	if err != nil {
		return asUsage(err)
	}
	c, err := opts.client(st.OrgURL)
	if err != nil {
		return err
	}
	st, err = okta.Sync(ctx, c, st, opts.RedirectURIs, nil)
	if err != nil {
		var ae *okta.APIError
		if !errors.As(err, &ae) && !errors.Is(err, okta.ErrUnreachable) {
			return asUsage(err)
		}
		return withFix(err)
	}
	if err := okta.SaveState(opts.StateFile, st); err != nil {
		return err
	}
	if _, err := os.Stat(opts.EnvFile); err == nil {
		if err := writeEnvFile(opts.EnvFile, map[string]string{tutorial.EnvRedirectURI: st.RedirectURIs[0]}); err != nil {
			return err
		}
	}
	if opts.JSON {
		return opts.printJSON(map[string]any{"app_id": st.AppID, "redirect_uris": st.RedirectURIs, "post_logout_redirect_uris": st.PostLogoutRedirectURIs})
	}
	fmt.Fprintf(opts.IO.ErrOut, "App %s now redirects to %s (sign-out: %s)\n", st.AppID, strings.Join(st.RedirectURIs, ", "), strings.Join(st.PostLogoutRedirectURIs, ", "))
	return nil
}

// ---- doctor ----

type oktaDoctorOptions struct {
	oktaOptions
	OrgURL       string
	Issuer       string
	ClientID     string
	User         string
	RedirectURIs []string
}

func newOktaDoctorCmd(io *ioStreams) *cobra.Command {
	opts := &oktaDoctorOptions{oktaOptions: oktaOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check every Okta setting the login depends on, each with its fix",
		Long: `Check, in the order Okta evaluates a login: the API token, the app (exists, active,
authorization code grant, redirect URIs registered exactly), the user's assignment, the
authorization server (active, its issuer), an access policy covering the app, a rule allowing
the authorization code grant and the scopes, and the discovery document. Each failure says what
to change. Exits 1 when a check fails.

Without --issuer and --client-id it checks what setup recorded in the state file; with them it
checks a setup made by hand (--org-url defaults to the issuer's origin).`,
		Example: `  oidclab okta doctor
  oidclab okta doctor --issuer https://dev-123.okta.com/oauth2/default --client-id 0oa... \
    --user alice@example.com --redirect-uri https://demo.ngrok-free.dev/anything`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return oktaDoctorRun(cmd.Context(), opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.OrgURL, "org-url", "", "the org's URL (default: the state file's, or the issuer's origin)")
	f.StringVar(&opts.Issuer, "issuer", "", "issuer to check instead of the state file's (discovery URLs and trailing slashes are accepted)")
	f.StringVar(&opts.ClientID, "client-id", "", "client id to check instead of the state file's")
	f.StringVar(&opts.User, "user", "", "Okta username whose assignment to check")
	f.StringArrayVar(&opts.RedirectURIs, "redirect-uri", nil, "redirect URI that must be registered (repeatable)")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON line with every check")
	opts.stateFlag(cmd)
	return cmd
}

func oktaDoctorRun(ctx context.Context, opts *oktaDoctorOptions) error {
	var st okta.State
	if opts.Issuer != "" || opts.ClientID != "" {
		if opts.Issuer == "" || opts.ClientID == "" {
			return usageErrorf("okta doctor without a state file needs both --issuer and --client-id")
		}
		iss, err := okta.NormalizeIssuer(opts.Issuer)
		if err != nil {
			return asUsage(err)
		}
		st = okta.State{OrgURL: okta.OrgURLOf(iss), Issuer: iss, ClientID: opts.ClientID}
	} else {
		var err error
		if st, err = okta.LoadState(opts.StateFile); err != nil {
			if errors.Is(err, okta.ErrNoState) {
				return usageErrorf("%v; for a setup made by hand pass --issuer and --client-id", err)
			}
			return asUsage(err)
		}
	}
	if opts.OrgURL != "" {
		st.OrgURL = opts.OrgURL
	}
	if opts.User != "" {
		st.UserLogin, st.UserID = opts.User, ""
	}
	if len(opts.RedirectURIs) > 0 {
		st.RedirectURIs = opts.RedirectURIs
	}
	c, err := opts.client(st.OrgURL)
	if err != nil {
		return err
	}
	checks := okta.Doctor(ctx, c, okta.DoctorRequest{State: st})
	if opts.JSON {
		if err := opts.printJSON(map[string]any{"ok": !okta.Failed(checks), "checks": checks}); err != nil {
			return err
		}
	} else {
		w := opts.IO.ErrOut
		for _, ch := range checks {
			mark := "ok  "
			if !ch.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "%s %-20s %s\n", mark, ch.Name, lab.Clean(ch.Detail))
			if ch.Fix != "" {
				fmt.Fprintf(w, "     %-20s fix: %s\n", "", lab.Clean(ch.Fix))
			}
		}
	}
	if okta.Failed(checks) {
		return errSilent
	}
	return nil
}

// ---- cleanup ----

func newOktaCleanupCmd(io *ioStreams) *cobra.Command {
	opts := &oktaOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Deactivate and delete what setup created, and remove the state file",
		Long: `Deactivate and delete the app and the authorization server (with its policy and rule) that
setup recorded in the state file, then remove the state file. What is already gone is not an
error. The env file is left alone: its client secret no longer works.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return oktaCleanupRun(cmd.Context(), opts) },
	}
	opts.stateFlag(cmd)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON line with the removed ids")
	return cmd
}

func oktaCleanupRun(ctx context.Context, opts *oktaOptions) error {
	st, err := okta.LoadState(opts.StateFile)
	if err != nil {
		return asUsage(err)
	}
	c, err := opts.client(st.OrgURL)
	if err != nil {
		return err
	}
	if err := okta.Cleanup(ctx, c, st); err != nil {
		return withFix(fmt.Errorf("%w\n  the state file %s is kept: run cleanup again once fixed", err, opts.StateFile))
	}
	if err := os.Remove(opts.StateFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if opts.JSON {
		return opts.printJSON(map[string]string{"app_id": st.AppID, "auth_server_id": st.AuthServerID, "state_file": opts.StateFile})
	}
	fmt.Fprintf(opts.IO.ErrOut, "Removed app %s and authorization server %s from %s; deleted %s\n", st.AppID, st.AuthServerID, st.OrgURL, opts.StateFile)
	return nil
}
