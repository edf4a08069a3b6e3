package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
)

// License requests (SPEC §12): where a product's policy forbids buying it
// (kassa.CanRequest), a person asks the admins for licenses, for
// themselves and others; an admin approves all, some or none and assigns
// the approved licenses of an admin-managed subscription of the product,
// in the transaction that records the decision.

// MaxListedRequests bounds a list of requests; the newest come first.
const MaxListedRequests = 200

// FindRequestSettings returns how the actor's tenant takes requests:
// kassa's own requests unless an admin chose otherwise.
func (db *DB) FindRequestSettings(ctx context.Context) (*kassa.RequestSettings, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	st := &kassa.RequestSettings{Mode: kassa.RequestModeRequests}
	err = db.reader(ctx).QueryRowContext(ctx, `SELECT mode, message, url FROM license_request_settings WHERE tenant_id = $1`,
		a.Tenant.ID).Scan(&st.Mode, &st.Message, &st.URL)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("find request settings: %w", err)
	}
	return st, nil
}

// SetRequestSettings saves how the admin's tenant takes requests. Mode
// external needs a message or an https link (Invalid naming the field).
func (db *DB) SetRequestSettings(ctx context.Context, st kassa.RequestSettings) error {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.requests"))
	if err != nil {
		return err
	}
	st.Message, st.URL = strings.TrimSpace(st.Message), strings.TrimSpace(st.URL)
	switch {
	case st.Mode != kassa.RequestModeRequests && st.Mode != kassa.RequestModeExternal:
		return kassa.InvalidE("mode", "error.requests.mode")
	case utf8.RuneCountInString(st.Message) > kassa.MaxRequestMessage:
		return kassa.InvalidE("message", "error.requests.message_long", "Field", "message", "Max", kassa.MaxRequestMessage)
	case st.URL != "" && (!strings.HasPrefix(st.URL, "https://") || len(st.URL) > 2000 || strings.ContainsAny(st.URL, " \t\r\n<>\"")):
		return kassa.InvalidE("url", "error.requests.url")
	case st.Mode == kassa.RequestModeExternal && st.Message == "" && st.URL == "":
		return kassa.InvalidE("message", "error.requests.external_empty")
	}
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO license_request_settings (tenant_id, mode, message, url) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id) DO UPDATE SET mode = $2, message = $3, url = $4`,
			a.Tenant.ID, st.Mode, st.Message, st.URL); err != nil {
			return fmt.Errorf("save request settings: %w", err)
		}
		return tx.audit(ctx, a.Tenant.ID, "license_request_settings.updated", "license_request_settings", a.Tenant.ID, nil,
			map[string]any{"mode": st.Mode, "message": st.Message, "url": st.URL})
	})
}

// CreateLicenseRequest records the actor's request for licenses of the
// product for the users (themselves among them or not), with a message,
// and tells the admins. Errors: Invalid naming product_id (none such, or
// one the actor may buy), user_ids (1 to MaxRequestUsers active members,
// each once; refused ones named) or message; Conflict when the tenant
// takes requests elsewhere (external); Forbidden for guests.
func (db *DB) CreateLicenseRequest(ctx context.Context, productID string, userIDs []string, message string) (*kassa.LicenseRequest, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if !a.User.CanBuy() {
		return nil, kassa.E(kassa.Forbidden, "error.requests.guest")
	}
	message = strings.TrimSpace(message)
	switch {
	case len(userIDs) == 0 || len(userIDs) > kassa.MaxRequestUsers:
		return nil, kassa.InvalidE("user_ids", "error.requests.users", "Max", kassa.MaxRequestUsers)
	case utf8.RuneCountInString(message) > kassa.MaxRequestMessage:
		return nil, kassa.InvalidE("message", "error.requests.message_long", "Field", "message", "Max", kassa.MaxRequestMessage)
	}
	for i, id := range userIDs {
		if slices.Contains(userIDs[:i], id) {
			return nil, kassa.InvalidE("user_ids", "error.requests.twice", "User", id)
		}
	}
	settings, err := db.FindRequestSettings(ctx)
	if err != nil {
		return nil, err
	}
	if settings.Mode == kassa.RequestModeExternal {
		return nil, kassa.E(kassa.Conflict, "error.requests.external")
	}
	prod, err := db.FindProductByID(ctx, productID)
	if kassa.ErrorCode(err) == kassa.NotFound || (err == nil && prod.Retired) {
		return nil, kassa.InvalidE("product_id", "error.requests.product", "Product", productID)
	} else if err != nil {
		return nil, err
	}
	if !kassa.CanRequest(prod.Policy) {
		return nil, kassa.InvalidE("product_id", "error.requests.buy_instead")
	}
	req := &kassa.LicenseRequest{ID: newID("lrq"), TenantID: a.Tenant.ID, ProductID: prod.ID, ProductName: prod.Name,
		Requester: kassa.Holder{ID: a.User.ID, Name: a.User.Name, Email: a.User.Email}, Message: message,
		Status: kassa.RequestPending}
	err = db.write(ctx, func(tx *Tx) error {
		req.Users = nil
		var refused []kassa.Refused
		for _, id := range userIDs {
			u, err := scanUserTx(ctx, tx, id)
			r := kassa.Refused{UserID: id}
			switch {
			case err != nil || u.TenantID != a.Tenant.ID:
				r.Reason = kassa.RefusedNotFound
			case u.LicenseRefusal() != "":
				r.Name, r.Reason = u.Name, u.LicenseRefusal()
			default:
				req.Users = append(req.Users, kassa.RequestedUser{Holder: kassa.Holder{ID: u.ID, Name: u.Name, Email: u.Email}})
				continue
			}
			refused = append(refused, r)
		}
		if len(refused) > 0 {
			return kassa.InvalidE("user_ids", "error.requests.refused", "Count", len(refused)).WithRefused(refused)
		}
		req.CreatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO license_requests (id, tenant_id, product_id, requester_id, message, status, created_at)
			VALUES ($1, $2, $3, $4, $5, 'pending', $6)`, req.ID, a.Tenant.ID, prod.ID, a.User.ID, message, tx.now); err != nil {
			return fmt.Errorf("record request: %w", err)
		}
		for _, u := range req.Users {
			if _, err := tx.ExecContext(ctx, `INSERT INTO license_request_users (request_id, user_id) VALUES ($1, $2)`,
				req.ID, u.ID); err != nil {
				return fmt.Errorf("record request: %w", err)
			}
		}
		if err := tx.notifyRequest(ctx, req, true); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "license_request.created", "license_request", req.ID, nil,
			map[string]any{"product_id": prod.ID, "user_ids": userIDs})
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// notifyRequest tells the admins of a new request (toAdmins), or its
// requester of the decision.
func (tx *Tx) notifyRequest(ctx context.Context, req *kassa.LicenseRequest, toAdmins bool) error {
	kind, cond, args := kassa.NotifyLicenseRequest, `u.role = 'admin'`, []any{req.TenantID}
	if !toAdmins {
		kind, cond, args = kassa.NotifyLicenseRequestDecided, `u.id = $2`, append(args, req.Requester.ID)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT u.id, u.email, t.locale FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.tenant_id = $1 AND u.status = 'active' AND `+cond+` ORDER BY u.id`, args...)
	if err != nil {
		return fmt.Errorf("find whom to tell: %w", err)
	}
	type recipient struct{ id, email, locale string }
	var to []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.id, &r.email, &r.locale); err != nil {
			rows.Close()
			return fmt.Errorf("find whom to tell: %w", err)
		}
		to = append(to, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	approved := 0
	for _, u := range req.Users {
		if u.Approved {
			approved++
		}
	}
	for _, r := range to {
		d := kassa.NotificationData{Product: req.ProductName, PurchaserName: req.Requester.Name,
			PurchaserEmail: req.Requester.Email, Quantity: len(req.Users), Holders: approved, Message: req.Message,
			Reason: string(req.Status), RequestID: req.ID, ForPurchaser: !toAdmins}
		if !toAdmins {
			d.Message = req.Decision
			if req.DecidedBy != nil {
				d.ActorName = req.DecidedBy.Name
			}
		}
		if err := tx.enqueue(ctx, &kassa.Notification{TenantID: req.TenantID, Kind: kind, RecipientID: r.id, To: r.email,
			Locale: r.locale, Data: d}); err != nil {
			return err
		}
	}
	return nil
}

const requestColumns = `r.id, r.tenant_id, r.product_id, p.name_en, p.name_sv, p.name_de, u.id, u.name, u.email,
	r.message, r.status, COALESCE(d.id, ''), COALESCE(d.name, ''), r.decision_message, COALESCE(r.subscription_id, ''),
	r.created_at, r.decided_at`

const requestFrom = ` FROM license_requests r JOIN products p ON p.id = r.product_id
	JOIN users u ON u.id = r.requester_id LEFT JOIN users d ON d.id = r.decided_by`

func scanRequest(rs row) (*kassa.LicenseRequest, error) {
	req := &kassa.LicenseRequest{}
	var decider kassa.Person
	var decidedAt sql.NullTime
	err := rs.Scan(&req.ID, &req.TenantID, &req.ProductID, &req.ProductName.En, &req.ProductName.Sv, &req.ProductName.De,
		&req.Requester.ID, &req.Requester.Name, &req.Requester.Email, &req.Message, &req.Status, &decider.ID, &decider.Name,
		&req.Decision, &req.SubscriptionID, &req.CreatedAt, &decidedAt)
	if decider.ID != "" {
		req.DecidedBy = &decider
	}
	req.CreatedAt = req.CreatedAt.UTC()
	if decidedAt.Valid {
		t := decidedAt.Time.UTC()
		req.DecidedAt = &t
	}
	return req, err
}

// loadRequestUsers reads whom each request asks licenses for, by name.
func loadRequestUsers(ctx context.Context, q querier, reqs []*kassa.LicenseRequest) error {
	for _, req := range reqs {
		rows, err := q.QueryContext(ctx, `
			SELECT u.id, u.name, u.email, ru.approved FROM license_request_users ru JOIN users u ON u.id = ru.user_id
			WHERE ru.request_id = $1 ORDER BY u.name, u.id`, req.ID)
		if err != nil {
			return fmt.Errorf("find requested users: %w", err)
		}
		for rows.Next() {
			var u kassa.RequestedUser
			if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.Approved); err != nil {
				rows.Close()
				return fmt.Errorf("find requested users: %w", err)
			}
			req.Users = append(req.Users, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// FindLicenseRequests returns the requests the actor may see, newest
// first, at most MaxListedRequests: an admin's tenant's, anyone else's
// own; status "" is every status.
func (db *DB) FindLicenseRequests(ctx context.Context, status kassa.RequestStatus) ([]*kassa.LicenseRequest, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	args := []any{a.Tenant.ID}
	cond := `r.tenant_id = $1`
	if !a.User.IsAdmin() {
		args = append(args, a.User.ID)
		cond += fmt.Sprintf(` AND r.requester_id = $%d`, len(args))
	}
	if status != "" {
		args = append(args, status)
		cond += fmt.Sprintf(` AND r.status = $%d`, len(args))
	}
	q := db.reader(ctx)
	rows, err := q.QueryContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE `+cond+`
		ORDER BY r.created_at DESC, r.id DESC LIMIT `+fmt.Sprint(MaxListedRequests), args...)
	if err != nil {
		return nil, fmt.Errorf("find requests: %w", err)
	}
	var out []*kassa.LicenseRequest
	for rows.Next() {
		req, err := scanRequest(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("find requests: %w", err)
		}
		out = append(out, req)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, loadRequestUsers(ctx, q, out)
}

// FindLicenseRequest returns one request the actor may see: NotFound for
// any other.
func (db *DB) FindLicenseRequest(ctx context.Context, id string) (*kassa.LicenseRequest, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	q := db.reader(ctx)
	req, err := scanRequest(q.QueryRowContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.id = $1 AND r.tenant_id = $2`,
		id, a.Tenant.ID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.User.IsAdmin() && req.Requester.ID != a.User.ID) {
		return nil, kassa.E(kassa.NotFound, "error.requests.not_found", "ID", id)
	} else if err != nil {
		return nil, fmt.Errorf("find request %s: %w", id, err)
	}
	return req, loadRequestUsers(ctx, q, []*kassa.LicenseRequest{req})
}

// DecideLicenseRequest records an admin's decision on a pending request,
// in one transaction: the users approved (a subset of those asked for)
// each get a license of subID — an admin-managed live subscription of the
// request's product — unless they hold one already, counted in one
// conditional statement; the request becomes approved, partially_approved
// or declined; the requester is told. Errors: NotFound, Forbidden,
// Conflict (decided already; too few free licenses, saying how many),
// Invalid naming approve_user_ids, subscription_id or message.
func (db *DB) DecideLicenseRequest(ctx context.Context, id string, approve []string, subID, message string) (*kassa.LicenseRequest, error) {
	a, err := adminOf(ctx, kassa.E(kassa.Forbidden, "error.admin.requests"))
	if err != nil {
		return nil, err
	}
	message = strings.TrimSpace(message)
	if utf8.RuneCountInString(message) > kassa.MaxRequestMessage {
		return nil, kassa.InvalidE("message", "error.requests.message_long", "Field", "message", "Max", kassa.MaxRequestMessage)
	}
	req, err := db.FindLicenseRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	for i, uid := range approve {
		if slices.Contains(approve[:i], uid) || !slices.ContainsFunc(req.Users, func(u kassa.RequestedUser) bool { return u.ID == uid }) {
			return nil, kassa.InvalidE("approve_user_ids", "error.requests.not_asked", "User", uid)
		}
	}
	if len(approve) > 0 && subID == "" {
		return nil, kassa.InvalidE("subscription_id", "error.requests.subscription")
	}
	status := kassa.RequestDeclined
	switch {
	case len(approve) == len(req.Users):
		status = kassa.RequestApproved
	case len(approve) > 0:
		status = kassa.RequestPartiallyApproved
	}
	err = db.write(ctx, func(tx *Tx) error {
		var sub any
		if len(approve) > 0 {
			sub = subID
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE license_requests SET status = $3, decided_by = $4, decision_message = $5, subscription_id = $6, decided_at = $7
			WHERE id = $1 AND tenant_id = $2 AND status = 'pending'`,
			id, a.Tenant.ID, status, a.User.ID, message, sub, tx.now)
		if err != nil {
			return fmt.Errorf("decide request %s: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return kassa.E(kassa.Conflict, "error.requests.decided")
		}
		if len(approve) > 0 {
			if err := tx.grantRequested(ctx, a, req, approve, subID); err != nil {
				return err
			}
			args := []any{id}
			for _, uid := range approve {
				args = append(args, uid)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE license_request_users SET approved = TRUE
				WHERE request_id = $1 AND user_id IN (`+marks(2, len(approve))+`)`, args...); err != nil {
				return fmt.Errorf("approve: %w", err)
			}
		}
		decided := *req
		decided.Status, decided.Decision, decided.SubscriptionID = status, message, subID
		decided.DecidedBy = &kassa.Person{ID: a.User.ID, Name: a.User.Name}
		decided.Users = slices.Clone(req.Users)
		for i := range decided.Users {
			decided.Users[i].Approved = slices.Contains(approve, decided.Users[i].ID)
		}
		if err := tx.notifyRequest(ctx, &decided, false); err != nil {
			return err
		}
		return tx.audit(ctx, a.Tenant.ID, "license_request.decided", "license_request", id,
			map[string]any{"status": kassa.RequestPending}, map[string]any{"status": status, "approve_user_ids": approve, "subscription_id": subID})
	})
	if err != nil {
		return nil, err
	}
	return db.FindLicenseRequest(ctx, id)
}

// grantRequested gives the approved users licenses of subID, within the
// decision's transaction.
func (tx *Tx) grantRequested(ctx context.Context, a *kassa.Actor, req *kassa.LicenseRequest, approve []string, subID string) error {
	args := []any{subID}
	for _, uid := range approve {
		args = append(args, uid)
	}
	rows, err := tx.QueryContext(ctx, `SELECT u.id, `+licenseHolder+`,
			EXISTS (SELECT 1 FROM licenses l WHERE l.subscription_id = $1 AND l.user_id = u.id)
		FROM users u WHERE u.id IN (`+marks(2, len(approve))+`) ORDER BY u.id`, args...)
	if err != nil {
		return fmt.Errorf("find users to license: %w", err)
	}
	var give []string
	var refused []kassa.Refused
	for rows.Next() {
		var uid string
		var ok, has bool
		if err := rows.Scan(&uid, &ok, &has); err != nil {
			rows.Close()
			return fmt.Errorf("find users to license: %w", err)
		}
		switch {
		case !ok:
			refused = append(refused, kassa.Refused{UserID: uid, Reason: kassa.RefusedDisabled})
		case !has:
			give = append(give, uid)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(refused) > 0 {
		return kassa.InvalidE("approve_user_ids", "error.requests.cannot_hold", "Count", len(refused)).WithRefused(refused)
	}
	if took, err := tx.takeManagedSeats(ctx, a.Tenant.ID, subID, req.ProductID, len(give)); err != nil {
		return err
	} else if !took {
		t, err := findSubscriptionTx(ctx, tx, subID)
		switch {
		case kassa.ErrorCode(err) == kassa.NotFound, err == nil && (t.TenantID != a.Tenant.ID || t.ProductID != req.ProductID ||
			t.Channel != kassa.AdminManaged || !t.Status.Live()):
			return kassa.InvalidE("subscription_id", "error.requests.subscription")
		case err != nil:
			return err
		}
		return kassa.E(kassa.Conflict, "error.requests.not_enough", "Count", len(give)-t.Available(), "Free", t.Available())
	}
	for _, uid := range give {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO licenses (subscription_id, user_id, tenant_id, assigned_at, assigned_by, holder_name)
			VALUES ($1, $2, $3, $4, $5, (SELECT u.name FROM users u WHERE u.id = $2))`,
			subID, uid, a.Tenant.ID, tx.now, a.User.ID); err != nil {
			return fmt.Errorf("assign %s: %w", uid, err)
		}
	}
	if len(give) == 0 {
		return nil
	}
	return tx.audit(ctx, a.Tenant.ID, "license.assigned", "subscription", subID, nil,
		map[string]any{"user_ids": give, "license_request": req.ID})
}

// DeleteLicenseRequestsBefore removes the requests made before t, and
// returns how many: they are kept 12 months (the billing clock's
// reconciler calls it).
func (db *DB) DeleteLicenseRequestsBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM license_request_users WHERE request_id IN
			(SELECT id FROM license_requests WHERE created_at < $1)`, t); err != nil {
			return fmt.Errorf("delete old requests: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM license_requests WHERE created_at < $1`, t)
		if err != nil {
			return fmt.Errorf("delete old requests: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
