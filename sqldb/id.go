package sqldb

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync/atomic"
	"time"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// newID returns an id with a prefix that says what it names, like
// "usr_0ct8m2qv1k7gd3x9fz5a". Its first seven bytes are the microsecond it
// was made (one past the last id's when this process makes two in the same
// microsecond), the other five random: ids made later sort later, as ULIDs
// and version 7 UUIDs do, so a table's new rows land at the end of its
// indexes instead of on a page chosen at random, and work taken in time
// order (renewals falling due) reads rows stored side by side. An id says
// when its object was made (as created_at does), never how many a tenant
// has. Ids that stand for a capability use randomID.
func newID(prefix string) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], nextMicro()<<8) // the time in b[:7]
	_, _ = rand.Read(b[7:])                           // never fails (crypto/rand)
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// lastMicro is the time in the last id this process made, in microseconds
// since 1970.
var lastMicro atomic.Uint64

// nextMicro returns the current time in microseconds, or one past the last
// it returned if the clock has not moved on (or went back).
func nextMicro() uint64 {
	for {
		last, now := lastMicro.Load(), uint64(time.Now().UnixMicro())
		next := max(now, last+1)
		if lastMicro.CompareAndSwap(last, next) {
			return next
		}
	}
}

// randomID returns an id all of whose twelve bytes are random, for an id
// that should not be guessed (a card page's).
func randomID(prefix string) string {
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
