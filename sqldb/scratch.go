package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Scratch makes a new, empty database beside the one dsn names and returns
// its address and what removes it: for SQLite a file in a new directory next
// to dsn's file (in the system's temporary directory when dsn is ""), for
// PostgreSQL a new schema named prefix_… in dsn's database. Tests and
// `kassa bench` work in one, so that they never touch anyone's data.
func Scratch(ctx context.Context, dsn, prefix string) (string, func() error, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	if dsn == "" || strings.HasPrefix(dsn, "sqlite:") {
		parent := ""
		if path := strings.TrimPrefix(dsn, "sqlite:"); path != "" {
			parent = filepath.Dir(path)
		}
		dir, err := os.MkdirTemp(parent, "."+name)
		if err != nil {
			return "", nil, fmt.Errorf("scratch database: %w", err)
		}
		return "sqlite:" + filepath.Join(dir, "kassa.db"), func() error { return os.RemoveAll(dir) }, nil
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("scratch database: %q is neither sqlite:PATH nor postgres://…", dsn)
	}
	run := func(ctx context.Context, stmt string) error {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, stmt)
		return err
	}
	if err := run(ctx, `CREATE SCHEMA `+name); err != nil {
		return "", nil, fmt.Errorf("scratch database: %w", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	drop := func() error { return run(context.Background(), `DROP SCHEMA `+name+` CASCADE`) }
	return u.String(), drop, nil
}
