package sqldb

import (
	"context"
	"fmt"
	"strings"

	"github.com/kassa-billing/kassa"
)

// emailsPerQuery bounds the emails one query looks up, far below either
// engine's limit of bound values.
const emailsPerQuery = 500

// ImportPeople adds the people of lines (a parsed file, package people) to
// the admin's tenant, each with an invitation, all in one transaction: one
// line at fault and nobody is added. Each good line's Outcome is set to
// what the import does: kassa.ImportAdd, or kassa.ImportExists for someone
// already in the tenant (left as they are); an email another tenant's user
// has refuses its line. With dryRun nothing is written: the lines tell
// what an import would do. Errors: Forbidden, Invalid naming each line and
// field (kassa.ImportProblems), Conflict when an email was taken meanwhile.
func (db *DB) ImportPeople(ctx context.Context, lines []*kassa.ImportLine, dryRun bool) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.users"))
	if err != nil {
		return err
	}
	if dryRun {
		if err := classifyImport(ctx, db.reader(ctx), a, lines); err != nil {
			return err
		}
		return kassa.ImportProblems(lines)
	}
	return db.write(ctx, func(tx *Tx) error {
		if err := classifyImport(ctx, tx, a, lines); err != nil {
			return err
		}
		if err := kassa.ImportProblems(lines); err != nil {
			return err
		}
		for _, l := range lines {
			if l.Outcome != kassa.ImportAdd {
				continue
			}
			if err := tx.invite(ctx, a, l.User); err != nil {
				return err
			}
		}
		return nil
	})
}

// classifyImport marks each good line of lines as an addition, or as
// someone the tenant has already, or refuses it when another tenant's user
// has its email.
func classifyImport(ctx context.Context, q querier, a *kassa.Actor, lines []*kassa.ImportLine) error {
	byEmail := make(map[string]*kassa.ImportLine, len(lines))
	var emails []any
	for _, l := range lines {
		if l.User != nil {
			l.Outcome = kassa.ImportAdd
			byEmail[l.User.Email] = l
			emails = append(emails, l.User.Email)
		}
	}
	for start := 0; start < len(emails); start += emailsPerQuery {
		chunk := emails[start:min(start+emailsPerQuery, len(emails))]
		marks := make([]string, len(chunk))
		for i := range chunk {
			marks[i] = fmt.Sprintf("$%d", i+1)
		}
		rows, err := q.QueryContext(ctx, `SELECT email, tenant_id FROM users WHERE email IN (`+
			strings.Join(marks, ", ")+`)`, chunk...)
		if err != nil {
			return fmt.Errorf("find imported emails: %w", err)
		}
		for rows.Next() {
			var email, tenantID string
			if err := rows.Scan(&email, &tenantID); err != nil {
				rows.Close()
				return fmt.Errorf("find imported emails: %w", err)
			}
			l := byEmail[email]
			if tenantID == a.Tenant.ID {
				l.Outcome = kassa.ImportExists
			} else {
				l.Refuse("email", "error.user.email_taken", "Email", email)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find imported emails: %w", err)
		}
	}
	return nil
}
