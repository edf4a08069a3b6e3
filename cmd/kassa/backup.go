package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kassa-billing/kassa"
)

// backupCommand is `kassa backup`: a consistent copy of a SQLite database
// while kassa serves it (SPEC §11).
func (m *Main) backupCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Copy a SQLite database, consistent to one commit, while kassa serves it",
		Long: `backup writes a copy of the SQLite database --db to the new file --out while
kassa serves: it holds every commit made before the copy began and none
after. The copy is a database: serve it with --db sqlite:FILE to restore.
An existing --out is never overwritten (exit 1). PostgreSQL is copied with
pg_dump; the README gives the commands.`,
		Args: cobra.NoArgs,
	}
	dsn := m.dbFlag(cmd)
	out := cmd.Flags().String("out", "", "the file to write (must not exist)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if *out == "" {
			return usagef("--out is required: the file to write the copy to")
		}
		db, err := openDB(cmd.Context(), *dsn, kassa.SystemClock{})
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.Backup(cmd.Context(), *out); err != nil {
			return err
		}
		info, err := os.Stat(*out)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Backed up to %s (%d bytes).\n", *out, info.Size())
		return nil
	}
	return cmd
}
