package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters of new hashes: 12 MiB and 3 passes, one of the
// configurations OWASP lists as equally strong (19 MiB and 2 passes is
// another; they trade memory for passes). Memory is what a burst of sign-ins
// spends, so kassa takes the smaller. Verify reads the parameters from each
// hash, so hashes made with others — earlier kassa's 19 MiB ones — still
// verify, and they can be raised later without invalidating stored passwords.
const (
	argonMemoryKiB = 12 * 1024
	argonPasses    = 3
	argonLanes     = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// hashSlots bounds the argon2 hashes computed at once (12 MiB each).
var hashSlots = make(chan struct{}, 2)

// HashPassword returns the argon2id hash of password in PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := derive(password, salt, argonPasses, argonMemoryKiB, argonLanes, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		argonMemoryKiB, argonPasses, argonLanes, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the hash. A malformed hash
// is an error, never a match.
func VerifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("verify password: not an argon2id hash")
	}
	var version int
	var mem, passes uint32
	var lanes uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("verify password: unsupported argon2 version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &lanes); err != nil {
		return false, fmt.Errorf("verify password: bad parameters %q", parts[3])
	}
	if mem > 64*1024 || passes > 10 || lanes == 0 || passes == 0 {
		return false, fmt.Errorf("verify password: parameters out of range %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("verify password: bad salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false, fmt.Errorf("verify password: bad key")
	}
	got := derive(password, salt, passes, mem, lanes, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func derive(password string, salt []byte, passes, mem uint32, lanes uint8, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(password), salt, passes, mem, lanes, keyLen)
}
