package kassa

import "time"

// Unused licenses come back (SPEC §12): an admin sets "reclaim licenses not
// used for N days"; use is a sign-in to kassa or a registered app's report
// (POST /api/v1/license-activity). Holders and purchasers are warned
// ReclaimWarnDays before; then the license is unassigned. Licenses a linked
// group gave follow the group, not their use: they are listed as idle, never
// reclaimed.

// The reclaim policy's bounds, and the warning's lead, in days.
const (
	MinReclaimDays  = 14
	MaxReclaimDays  = 730
	ReclaimWarnDays = 7
)

// CheckReclaimDays checks a reclaim policy's days; nil turns it off.
// Errors: Invalid naming days.
func CheckReclaimDays(days *int) error {
	if days != nil && (*days < MinReclaimDays || *days > MaxReclaimDays) {
		return InvalidE("days", "error.reclaim.days", "Min", MinReclaimDays, "Max", MaxReclaimDays)
	}
	return nil
}

// IdleLicense is a license nobody has used for a while.
type IdleLicense struct {
	UserID, UserName, UserEmail string
	SubscriptionID              string
	Product                     Text
	LastUsedAt                  time.Time // the latest of a sign-in, an app's report, the assignment
	IdleDays                    int
	MonthlyCost                 Money // the license's price per month, VAT excluded
	ViaGroup                    bool  // a linked group gave it: never reclaimed
	WarnedAt                    *time.Time
}

// MonthlyCost is what one license at unitPrice a term costs a month: the
// price itself for a monthly term, a twelfth of it (rounded half up) for
// an annual one.
func MonthlyCost(unitPrice Money, term Term) Money {
	if term == Annual {
		return Money{Amount: (unitPrice.Amount*2 + 12) / 24, Currency: unitPrice.Currency}
	}
	return unitPrice
}
