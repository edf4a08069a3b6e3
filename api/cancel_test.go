package api

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

type cancelOut struct {
	subscriptionOut
	CancelAtTermEnd bool    `json:"cancel_at_term_end"`
	AutoRenew       bool    `json:"auto_renew"`
	CancelReason    *string `json:"cancel_reason"`
	CancelFeedback  *string `json:"cancel_feedback"`
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := newBuyer(ts, "erik@nordvik.example")
	buy := func(t *testing.T) string {
		t.Helper()
		var sub subscriptionOut
		mustUnmarshal(t, ts.do("POST", "/api/v1/subscriptions", erik.token, erik.order("ANALYTICS_PRO", 4)).body, &sub)
		return "/api/v1/subscriptions/" + sub.ID
	}
	cancel := func(t *testing.T, path string, body any) cancelOut {
		t.Helper()
		res := ts.do("POST", path+"/cancel", erik.token, body)
		if res.status != 200 {
			t.Fatalf("cancel = %d %s", res.status, res.body)
		}
		var c cancelOut
		mustUnmarshal(t, res.body, &c)
		return c
	}

	t.Run("WithinSevenDaysEndsNowWithARefund", func(t *testing.T) {
		path := buy(t)
		ts.clock.Set(ts.clock.Now().Add(3 * 24 * time.Hour))
		c := cancel(t, path, map[string]string{"reason": "unused", "feedback": "Vi använder det inte längre."})
		if c.Status != "canceled" || c.CancelAtTermEnd || c.CancelReason == nil || *c.CancelReason != "unused" {
			t.Fatalf("cancelled = %+v", c)
		}
		var l struct{ Data []invoiceOut }
		mustUnmarshal(t, ts.do("GET", "/api/v1/invoices", erik.token, nil).body, &l)
		// 4 × 239 kr × 27/30 = 860,40 kr + VAT 215,10 = 1 075,50 kr back.
		if len(l.Data) != 2 || l.Data[0].Type != "credit_note" || l.Data[0].Total.Amount != -107550 || l.Data[0].Tax.Amount != -21510 {
			t.Fatalf("invoices = %+v", l.Data)
		}
		var p profileOut
		mustUnmarshal(t, ts.do("GET", "/api/v1/billing-profiles/"+erik.profile, erik.token, nil).body, &p)
		if p.Balance.Amount != 0 {
			t.Errorf("balance = %d: the refund went to the card, not the balance", p.Balance.Amount)
		}
		wantError(t, ts.do("POST", path+"/cancel", erik.token, map[string]string{"reason": "unused"}), 409, kassa.Conflict, "")
	})

	t.Run("LaterEndsWithTheTermAndCanBeUndone", func(t *testing.T) {
		path := buy(t)
		ts.clock.Set(ts.clock.Now().Add(8 * 24 * time.Hour))
		c := cancel(t, path, map[string]string{"reason": "too_expensive"})
		if c.Status != "active" || !c.CancelAtTermEnd || c.AutoRenew {
			t.Fatalf("cancelled = %+v", c)
		}
		res := ts.do("POST", path+"/reactivate", erik.token, nil)
		var r cancelOut
		mustUnmarshal(t, res.body, &r)
		if res.status != 200 || r.CancelAtTermEnd || !r.AutoRenew || r.CancelReason != nil {
			t.Fatalf("reactivated = %d %s", res.status, res.body)
		}
		wantError(t, ts.do("POST", path+"/reactivate", erik.token, nil), 409, kassa.Conflict, "")
	})

	t.Run("BadInputNamesTheField", func(t *testing.T) {
		path := buy(t)
		wantError(t, ts.do("POST", path+"/cancel", erik.token, map[string]string{"reason": "bored"}), 422, kassa.Invalid, "reason")
		wantError(t, ts.do("POST", path+"/cancel", erik.token, map[string]string{}), 422, kassa.Invalid, "reason")
		long := map[string]string{"reason": "other", "feedback": strings.Repeat("å", 5001)}
		wantError(t, ts.do("POST", path+"/cancel", erik.token, long), 422, kassa.Invalid, "feedback")
		res := ts.do("POST", path+"/cancel", ts.login("astrid@nordvik.example"), map[string]string{"reason": "other"})
		wantError(t, res, 403, kassa.Forbidden, "")
		long["feedback"] = strings.Repeat("å", 5000)
		if c := cancel(t, path, long); c.CancelFeedback == nil || len([]rune(*c.CancelFeedback)) != 5000 {
			t.Errorf("5 000 characters of feedback were not kept")
		}
	})
}
