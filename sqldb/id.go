package sqldb

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// newID returns a random id with a prefix that says what it names, like
// "usr_8f3k2m9q4t7v1x5z0c6b". Random ids reveal nothing about how many
// objects a tenant has.
func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// newGUID returns a random GUID (a version 4 UUID) in its usual form,
// "6a1f0c52-8d3e-4b7a-9f21-0c4d5e6f7a8b": what other systems expect of a
// directory's or a SKU's id (Entra, Microsoft Graph).
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])  // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// validID reports whether s could be an id with the prefix: a cheap check
// that keeps junk out of queries and answers it with not_found.
func validID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 20 {
		return false
	}
	for _, c := range rest {
		if !strings.ContainsRune("0123456789abcdefghjkmnpqrstvwxyz", c) {
			return false
		}
	}
	return true
}
