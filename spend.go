package kassa

import "time"

// SpendLimits are a tenant's monthly ceilings on self-service spend (SPEC
// §12): what people are charged for purchases, added licenses and
// renewals of the subscriptions they pay for, VAT included, in a calendar
// month (UTC). A purchase or increase that would pass a ceiling is
// refused; renewals are never refused but count. nil is no ceiling.
type SpendLimits struct {
	Organization *Money // the whole tenant
	PerPerson    *Money // each person, unless People says otherwise
	People       []PersonLimit
}

// PersonLimit is one person's exception to the default ceiling; Monthly
// nil lifts it for them.
type PersonLimit struct {
	UserID, Name, Email string
	Monthly             *Money
}

// Spend is a month's spend against the limits, as an admin reads it.
type Spend struct {
	Month        time.Time // its first instant, UTC
	Organization Money
	People       map[string]Money // by user id: everyone with a limit of their own, and whoever spent
}

// SpendWarnAt is the share of a ceiling, in percent, at which the person
// and the admins are told.
const SpendWarnAt = 80

// MonthOf returns the calendar month (UTC) that holds t: its first instant
// and the next month's.
func MonthOf(t time.Time) (from, to time.Time) {
	t = t.UTC()
	from = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(0, 1, 0)
}
