package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kassa-billing/kassa"
)

func (m *Main) auditCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Work with the audit log", Args: cobra.NoArgs}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check every tenant's audit chain; exit 1 naming each break",
		Args:  cobra.NoArgs,
	}
	dsn := m.dbFlag(verify)
	verify.RunE = func(cmd *cobra.Command, _ []string) error {
		db, err := openDB(cmd.Context(), *dsn, kassa.SystemClock{})
		if err != nil {
			return err
		}
		defer db.Close()
		events, chains, breaks, err := db.VerifyAudit(cmd.Context())
		if err != nil {
			return err
		}
		for _, b := range breaks {
			fmt.Fprintf(m.Stdout, "tenant %s, event %d: %s\n", b.TenantID, b.Seq, b.Reason)
		}
		if len(breaks) > 0 {
			return errors.New("the audit log has been tampered with")
		}
		fmt.Fprintf(m.Stdout, "The audit log is intact: %d events in %d chains.\n", events, chains)
		return nil
	}
	cmd.AddCommand(verify)
	return cmd
}
