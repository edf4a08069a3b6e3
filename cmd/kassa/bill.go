package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

func (m *Main) billCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bill",
		Short: "Run the renewals and dunning due at a time (default: now)",
		Args:  cobra.NoArgs,
	}
	dsn := m.dbFlag(cmd)
	gateway := m.gatewayFlag(cmd)
	at := cmd.Flags().String("at", "", "run what is due up to this time, RFC 3339 (default: now)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		until := time.Now().UTC()
		if *at != "" {
			t, err := time.Parse(time.RFC3339, *at)
			if err != nil || t.UTC().Year() > 9999 { // beyond, by its offset: storage cannot compare it
				return kassa.InvalidE("at", "error.cli.at")
			}
			until = t.UTC()
		}
		// Each piece of work happens at the moment it fell due: the clock
		// steps forward to it.
		clock := kassa.NewTestClock(time.Time{})
		gw, err := m.gateway(*gateway, clock)
		if err != nil {
			return err
		}
		db, err := openDB(cmd.Context(), *dsn, clock)
		if err != nil {
			return err
		}
		defer db.Close()
		log := m.logger()
		n, err := billing.New(db, gw, clock, log).RunDue(cmd.Context(), until, clock.Set)
		fmt.Fprintf(m.Stdout, "Ran %d pieces of billing work due by %s.\n", n, until.Format(time.RFC3339))
		return err
	}
	return cmd
}
