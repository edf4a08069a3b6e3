package sqldb

// Groups returns how many transactions the group committer committed and
// how many writes they held.
func (db *DB) Groups() (groups, writes int64) { return db.groups.Load(), db.grouped.Load() }
