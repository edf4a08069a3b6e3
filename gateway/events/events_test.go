package events

import (
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

// FuzzVerify feeds Verify any payload, signed rightly or not: it never
// panics; a payload signed with another secret, or changed after signing,
// is refused as Invalid; and one it takes names the id and type it has.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","object":"payment_intent"}}}`), true)
	f.Add([]byte(`{"id":"evt_2","object":"event","type":"charge.dispute.created","data":{"object":{"object":"dispute","payment_intent":{"id":"pi_2"},"reason":"fraudulent"}}}`), true)
	f.Add([]byte(`{"id":"evt_3","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs_1","object":"checkout.session","setup_intent":"seti_1"}}}`), false)
	f.Add([]byte(`{"object":"event","data":null}`), true)
	f.Add([]byte(`[]`), true)
	f.Add([]byte{}, true)
	const secret = "whsec_fuzz"
	f.Fuzz(func(t *testing.T, payload []byte, right bool) {
		now := time.Now()
		header := Sign(payload, secret, now)
		if !right {
			header = Sign(payload, "whsec_other", now)
		}
		ev, err := Verify(payload, header, secret)
		if !right {
			if kassa.ErrorCode(err) != kassa.Invalid {
				t.Fatalf("another secret's signature: %v", err)
			}
			return
		}
		if err == nil && (ev.ID == "" || ev.Type == "") {
			t.Fatalf("taken without an id or type: %+v", ev)
		}
		if err != nil && kassa.ErrorCode(err) != kassa.Invalid {
			t.Fatalf("refused as %v, want Invalid", err)
		}
		if len(payload) > 0 {
			changed := append([]byte{}, payload...)
			changed[len(changed)/2] ^= 1
			if _, err := Verify(changed, header, secret); kassa.ErrorCode(err) != kassa.Invalid {
				t.Fatalf("a changed payload: %v", err)
			}
		}
	})
}
