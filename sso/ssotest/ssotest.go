// Package ssotest starts a real OpenID provider on 127.0.0.1 for tests:
// zitadel's example provider (github.com/zitadel/oidc/v3/example/server),
// with the people and the one confidential client a test gives it. The
// provider is reached through a reverse proxy that is its issuer, so that a
// test can rewrite the ID tokens it hands out (an expired one, another
// audience, another key's signature) and show kassa refusing them.
package ssotest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// User is one of the provider's people.
type User struct {
	ID, Username, Password string
	FirstName, LastName    string
	Email                  string
	EmailVerified          bool
	PreferredLanguage      string // BCP 47
}

// Provider is a running OpenID provider.
type Provider struct {
	Issuer string // with the trailing slash, as its discovery document says

	key      *rsa.PrivateKey // the provider's signing key
	keyID    string
	mu       sync.Mutex
	rewriter func(claims map[string]any) *rsa.PrivateKey
}

// Start starts the provider with its people and one confidential client
// (client_secret_basic) whose only redirect URI is redirectURI. It stops
// when the test ends.
func Start(t testing.TB, users []User, clientID, clientSecret, redirectURI string) *Provider {
	t.Helper()
	file := map[string]User{}
	for _, u := range users {
		file[u.ID] = u
	}
	b, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	us, err := storage.StoreFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{Issuer: "http://" + front.Addr().String() + "/"}
	st := storage.NewStorageWithClients(us, map[string]*storage.Client{
		clientID: storage.WebClient(clientID, clientSecret, redirectURI)})
	sk, err := st.SigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.key, p.keyID = sk.Key().(*rsa.PrivateKey), sk.ID()

	// The provider makes its logger the default of every package: a quiet one.
	op := httptest.NewServer(exampleop.SetupServer(p.Issuer, st, slog.New(slog.DiscardHandler), false))
	t.Cleanup(op.Close)
	target, _ := url.Parse(op.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = p.modify
	srv := httptest.NewUnstartedServer(proxy)
	srv.Listener.Close()
	srv.Listener = front
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

// RewriteIDTokens makes the provider hand out ID tokens whose claims f has
// changed, signed with the key f returns (the provider's own when nil).
// RewriteIDTokens(nil) hands out the provider's tokens again.
func (p *Provider) RewriteIDTokens(f func(claims map[string]any) *rsa.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rewriter = f
}

// modify rewrites the ID token in a token endpoint's answer.
func (p *Provider) modify(res *http.Response) error {
	p.mu.Lock()
	f := p.rewriter
	p.mu.Unlock()
	if f == nil || res.Request.URL.Path != "/oauth/token" || res.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	var answer map[string]any
	if err := json.Unmarshal(body, &answer); err != nil {
		return err
	}
	if raw, ok := answer["id_token"].(string); ok {
		if answer["id_token"], err = p.rewrite(raw, f); err != nil {
			return err
		}
	}
	if body, err = json.Marshal(answer); err != nil {
		return err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

func (p *Provider) rewrite(raw string, f func(map[string]any) *rsa.PrivateKey) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return raw, nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", err
	}
	key := f(claims)
	if key == nil {
		key = p.key
	}
	if payload, err = json.Marshal(claims); err != nil {
		return "", err
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": p.keyID, "typ": "JWT"})
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
