package sqldb

import (
	"fmt"
	"strings"

	"github.com/kassa-billing/kassa"
)

// liveStatus is the condition that a subscription's status is one of
// kassa.LiveStatuses: it runs, its licenses may be assigned, it renews.
var liveStatus = "status IN (" + quoted(kassa.LiveStatuses) + ")"

// licenseHolder is the condition, on the users table under alias u, that
// the user may hold a license (kassa.User.CanHoldLicense).
var licenseHolder = fmt.Sprintf("u.type = '%s' AND u.status = '%s'", kassa.LicenseHolderType, kassa.LicenseHolderStatus)

// managedBy is the condition, on a subscription, that the actor manages it
// (kassa.Subscription.CanManage), with the actor's user id as parameter n
// and whether they are an admin as n+1. Changes check it in their
// conditional update, so that a take-over committed after the caller looked
// is honoured.
func managedBy(n int) string {
	return fmt.Sprintf(`((channel = '%s' AND purchaser_id = $%d) OR (channel = '%s' AND $%d))`,
		kassa.SelfService, n, kassa.AdminManaged, n+1)
}

// binaryOrder is the collation that makes names compare byte by byte on
// both engines, as Go compares strings (SQLite's does already).
func (db *DB) binaryOrder() string {
	if db.dialect == Postgres {
		return ` COLLATE "C"`
	}
	return ""
}

// quoted writes values as a list of SQL string literals. They are the
// domain's constants, never input.
func quoted[T ~string](values []T) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "'" + string(v) + "'"
	}
	return strings.Join(q, ", ")
}
