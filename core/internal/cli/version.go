package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dbkeep/dbkeep/core/internal/buildinfo"
)

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the versions of dbkeep, its SDK and the plugin protocol",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Get()
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), info)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dbkeep %s\nsdk %s\nplugin protocol %s\n%s\n",
				info.Version, info.SDKVersion, info.Protocol, info.GoVersion)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
