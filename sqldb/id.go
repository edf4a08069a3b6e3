package sqldb

import (
	"crypto/rand"
	"encoding/base32"
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
