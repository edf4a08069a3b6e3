package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("kassa-demo")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=12288,t=3,p=1$") {
		t.Errorf("hash %q lacks argon2id with 12 MiB and 3 passes", h)
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

// TestPasswordOfEarlierParameters verifies a hash made with earlier kassa's
// parameters (19 MiB, 2 passes): stored passwords keep working.
func TestPasswordOfEarlierParameters(t *testing.T) {
	salt := []byte("sixteen byte salt")[:16]
	key := argon2.IDKey([]byte("kassa-demo"), salt, 2, 19*1024, 1, 32)
	b64 := base64.RawStdEncoding
	h := "$argon2id$v=19$m=19456,t=2,p=1$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
	for pw, want := range map[string]bool{"kassa-demo": true, "kassa-demO": false} {
		if ok, err := VerifyPassword(h, pw); ok != want || err != nil {
			t.Errorf("VerifyPassword(19 MiB hash, %q) = %v, %v; want %v", pw, ok, err, want)
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
