package cli

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
)

func newPluginsInstallCmd(g *globals) *cobra.Command {
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "install PATH",
		Short: "Copy a plugin binary into the plugin directory and pin its sum",
		Long: "Copy PATH (named dbkeep-<kind>-<name>) into the plugin directory, check that it\n" +
			"describes itself as that plugin with this core's protocol, and pin its SHA-256 in\n" +
			"plugins.lock.hcl. A different binary already installed is replaced only with --force.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := g.host(cmd, hclog.Warn)
			if err != nil {
				return err
			}
			defer h.Close()
			e, err := h.Install(cmd.Context(), args[0], force)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), e)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed %s %s as %s\npinned sha256 %s in %s\n",
				e.ID, e.Version, e.File, e.SHA256, h.Config().LockFile)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace a different binary already installed")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPluginsLockCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Pin every binary in the plugin directory as it is now",
		Long: "Rewrite plugins.lock.hcl with the SHA-256 of every binary now in the plugin\n" +
			"directory: the way to trust first-party builds. Enabled binaries are run with\n" +
			"`describe` to record their version; if any fails, nothing is pinned.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := g.host(cmd, hclog.Warn)
			if err != nil {
				return err
			}
			defer h.Close()
			entries, err := h.LockAll(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if entries == nil {
					entries = []pluginhost.Entry{}
				}
				for i := range entries {
					entries[i].Description = nil
				}
				return writeJSON(cmd.OutOrStdout(), entries)
			}
			w := cmd.OutOrStdout()
			for _, e := range entries {
				fmt.Fprintf(w, "pinned %s %s sha256 %s\n", e.ID, orDash(e.Version), e.SHA256)
			}
			fmt.Fprintf(w, "wrote %s (%d plugins)\n", h.Config().LockFile, len(entries))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// errVerify is returned by `plugins verify` when a binary fails.
var errVerify = errors.New("plugin verification failed")

func newPluginsVerifyCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check every plugin binary against its pin; fail on any problem",
		Long: "Exit non-zero when a binary's sum differs from its pin, a binary is not pinned,\n" +
			"a pinned binary is missing, or a trusted binary cannot describe itself.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := g.host(cmd, hclog.Warn)
			if err != nil {
				return err
			}
			defer h.Close()
			inv, err := h.Inventory(cmd.Context())
			if err != nil {
				return err
			}
			problems := inv.Problems()
			if asJSON {
				out := listOutput{PluginDir: h.Config().Dir, LockFile: h.Config().LockFile,
					Plugins: []pluginhost.Entry{}, Ignored: []pluginhost.Ignored{}}
				for _, e := range inv.Plugins {
					e.Description = nil
					out.Plugins = append(out.Plugins, e)
				}
				out.Ignored = append(out.Ignored, inv.Ignored...)
				if err := writeJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				for _, e := range inv.Plugins {
					switch e.State {
					case pluginhost.StateOK, pluginhost.StateDisabled:
						fmt.Fprintf(w, "%-17s %s sha256 %s\n", e.State, e.ID, e.SHA256)
					default:
						fmt.Fprintf(w, "%-17s %s\n", e.State, e.Error)
					}
				}
			}
			if len(problems) > 0 {
				return fmt.Errorf("%w: %d of %d plugins", errVerify, len(problems), len(inv.Plugins))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
