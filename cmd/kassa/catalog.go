package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kassa-billing/kassa/catalog"
	"github.com/kassa-billing/kassa/sqldb"
)

func (m *Main) catalogCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "catalog", Short: "Apply or export the catalog of products and prices"}
	cmd.AddCommand(m.catalogApplyCommand(), m.catalogExportCommand())
	return cmd
}

func (m *Main) catalogApplyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apply FILE",
		Short: "Make the catalog hold the products of FILE (YAML; - reads standard input), all or nothing",
		Args:  cobra.ExactArgs(1),
	}
	dsn := m.dbFlag(cmd)
	dryRun := cmd.Flags().Bool("dry-run", false, "say what would change, and change nothing")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var r io.Reader = os.Stdin
		if args[0] != "-" {
			f, err := os.Open(args[0])
			if err != nil {
				return usagef("FILE: %v", err)
			}
			defer f.Close()
			r = f
		}
		products, err := catalog.Parse(r)
		if err != nil {
			return err
		}
		return withDB(cmd.Context(), *dsn, func(db *sqldb.DB) error {
			changes, err := db.ApplyCatalog(cmd.Context(), products, *dryRun)
			if err != nil {
				return err
			}
			writeChanges(m.Stdout, changes, *dryRun)
			return nil
		})
	}
	return cmd
}

// writeChanges says what applying a catalog did, or would do, to each of
// its products.
func writeChanges(w io.Writer, changes []sqldb.CatalogChange, dryRun bool) {
	verbs := map[string]string{sqldb.CatalogAdded: "added", sqldb.CatalogChanged: "changed", sqldb.CatalogUnchanged: "unchanged"}
	if dryRun {
		verbs = map[string]string{sqldb.CatalogAdded: "would add", sqldb.CatalogChanged: "would change",
			sqldb.CatalogUnchanged: "unchanged"}
	}
	counts := map[string]int{}
	for _, c := range changes {
		counts[c.Kind]++
		line := fmt.Sprintf("%-12s %s (sku_id %s)", verbs[c.Kind], c.SKU, c.SKUID)
		if len(c.Fields) > 0 {
			line += ": " + strings.Join(c.Fields, ", ")
		}
		fmt.Fprintln(w, line)
	}
	summary := fmt.Sprintf("%d added, %d changed, %d unchanged.", counts[sqldb.CatalogAdded], counts[sqldb.CatalogChanged],
		counts[sqldb.CatalogUnchanged])
	if dryRun {
		summary = "Dry run, nothing applied: " + summary
	}
	fmt.Fprintln(w, summary)
}

func (m *Main) catalogExportCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Print the catalog as a file that apply accepts unchanged", Args: cobra.NoArgs}
	dsn := m.dbFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return withDB(cmd.Context(), *dsn, func(db *sqldb.DB) error {
			products, err := db.FindCatalog(cmd.Context())
			if err != nil {
				return err
			}
			return catalog.Write(m.Stdout, products)
		})
	}
	return cmd
}
