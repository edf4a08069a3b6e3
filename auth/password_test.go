package auth

import (
	"strings"
	"testing"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("kassa-demo")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q lacks argon2id with 19 MiB", h)
	}
	h2, _ := HashPassword("kassa-demo")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"kassa-demo": true, "kassa-demO": false, "": false, "kassa-demo ": false} {
		if ok, err := VerifyPassword(h, pw); ok != want || err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5"} {
		if ok, err := VerifyPassword(bad, "kassa-demo"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

// FuzzVerifyPassword checks that no stored string, however mangled, makes
// verification panic, take unbounded memory, or match.
func FuzzVerifyPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5", "pw")
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$", "")
	f.Fuzz(func(t *testing.T, hash, password string) {
		if ok, err := VerifyPassword(hash, password); ok && err != nil {
			t.Fatalf("VerifyPassword(%q) matched with an error", hash)
		}
	})
}
