package kassa

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "2606:2800:21f:cb07:6820:80da:af6b:8b2c": true, "8.8.8.8": true,
		"127.0.0.1": false, "127.8.9.10": false, "::1": false, "10.0.0.1": false, "172.16.5.4": false,
		"172.31.255.255": false, "192.168.1.1": false, "169.254.169.254": false, "fe80::1": false,
		"fc00::1": false, "fd12:3456::1": false, "0.0.0.0": false, "::": false, "100.64.0.1": false,
		"224.0.0.1": false, "ff02::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"::ffff:8.8.8.8": true, "198.18.0.1": false, "172.32.0.1": true,
	} {
		if got := PublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckEndpoint(t *testing.T) {
	t.Parallel()
	ok := &WebhookEndpoint{URL: " https://hooks.example.com/kassa?x=1 ", Events: []string{EventLicenseUnassigned, EventLicenseAssigned}}
	if err := ok.CheckEndpoint(false); err != nil {
		t.Fatal(err)
	}
	if ok.URL != "https://hooks.example.com/kassa?x=1" || !slices.Equal(ok.Events, []string{EventLicenseAssigned, EventLicenseUnassigned}) {
		t.Errorf("checked: %+v", ok)
	}
	for _, c := range []struct {
		url          string
		events       []string
		allowPrivate bool
		field        string
	}{
		{"http://hooks.example.com", []string{"*"}, false, "url"},
		{"https://127.0.0.1/", []string{"*"}, false, "url"},
		{"https://LOCALHOST./", []string{"*"}, false, "url"},
		{"https://api.localhost/", []string{"*"}, false, "url"},
		{"https://[fe80::1%25eth0]/", []string{"*"}, false, "url"},
		{"https://a:b@hooks.example.com", []string{"*"}, false, "url"},
		{"https://hooks.example.com/#x", []string{"*"}, false, "url"},
		{"https:///path", []string{"*"}, false, "url"},
		{"https://hooks.example.com/" + strings.Repeat("a", 2048), []string{"*"}, false, "url"},
		{"ftp://hooks.example.com", []string{"*"}, true, "url"},
		{"https://hooks.example.com", nil, false, "events"},
		{"https://hooks.example.com", []string{"*", EventUserCreated}, false, "events"},
		{"https://hooks.example.com", []string{EventUserCreated, EventUserCreated}, false, "events"},
		{"https://hooks.example.com", []string{"ping"}, false, "events"},
		{"https://hooks.example.com", []string{"user.deleted"}, false, "events"},
	} {
		e := &WebhookEndpoint{URL: c.url, Events: c.events}
		err := e.CheckEndpoint(c.allowPrivate)
		if ke, isE := err.(*Error); !isE || ke.Field != c.field {
			t.Errorf("%s %v: %v, want an error naming %s", c.url, c.events, err, c.field)
		}
	}
	dev := &WebhookEndpoint{URL: "http://127.0.0.1:9000/hooks", Events: []string{"*"}}
	if err := dev.CheckEndpoint(true); err != nil {
		t.Errorf("with private addresses allowed: %v", err)
	}
}

// FuzzCheckEndpoint: whatever an admin types, an accepted URL is https,
// with a host that is no loopback, private or link-local address, and the
// events are known.
func FuzzCheckEndpoint(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/x", "https://127.0.0.1", "https://[::ffff:7f00:1]/", "http://x", "https://0x7f.1/", "https://%31%32%37.0.0.1/"} {
		f.Add(s, "license.assigned")
	}
	f.Fuzz(func(t *testing.T, raw, event string) {
		e := &WebhookEndpoint{URL: raw, Events: []string{event}}
		if e.CheckEndpoint(false) != nil {
			return
		}
		u, err := url.Parse(e.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			t.Fatalf("accepted %q", e.URL)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !PublicAddr(ip) {
			t.Fatalf("accepted the private address of %q", e.URL)
		}
		if !slices.Contains(append(WebhookEvents, WebhookAll), e.Events[0]) {
			t.Fatalf("accepted the event %q", event)
		}
	})
}
