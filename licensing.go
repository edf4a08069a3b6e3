package kassa

// MaxAssignBatch is the most users one assign request may name (SPEC §2).
const MaxAssignBatch = 20

// ValidateUserIDs checks the users of an assign (or unassign) request: at
// least one, at most max, each once.
func ValidateUserIDs(ids []string, max int) error {
	if len(ids) == 0 || len(ids) > max {
		return InvalidE("user_ids", "error.user_ids.count", "Max", max)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return InvalidE("user_ids", "error.user_ids.duplicate", "UserID", id)
		}
		seen[id] = true
	}
	return nil
}
