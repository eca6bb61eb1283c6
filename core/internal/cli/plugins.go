package cli

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
)

func newPluginsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List, inspect, install and verify plugins",
	}
	cmd.AddCommand(newPluginsListCmd(g), newPluginsInspectCmd(g), newPluginsInstallCmd(g),
		newPluginsLockCmd(g), newPluginsVerifyCmd(g))
	return cmd
}

// listOutput is `plugins list --json`.
type listOutput struct {
	PluginDir string               `json:"pluginDir"`
	LockFile  string               `json:"lockFile"`
	Plugins   []pluginhost.Entry   `json:"plugins"`
	Ignored   []pluginhost.Ignored `json:"ignored"`
}

func newPluginsListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the plugin binaries, their versions, sums and trust state",
		Long: "List every dbkeep-<kind>-<name> binary in the plugin directory. Trusted binaries are\n" +
			"run with `describe` to read their version; others are never executed.",
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
			if asJSON {
				out := listOutput{PluginDir: h.Config().Dir, LockFile: h.Config().LockFile,
					Plugins: []pluginhost.Entry{}, Ignored: []pluginhost.Ignored{}}
				for _, e := range inv.Plugins {
					e.Description = nil // `plugins inspect` shows it
					out.Plugins = append(out.Plugins, e)
				}
				out.Ignored = append(out.Ignored, inv.Ignored...)
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
			if len(inv.Plugins) == 0 {
				fmt.Fprintf(w, "no plugins in %s\n", h.Config().Dir)
			} else {
				tw := newTable(w)
				fmt.Fprintln(tw, "ID\tKIND\tVERSION\tPROTOCOL\tSTATE\tSHA256")
				for _, e := range inv.Plugins {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Kind, orDash(e.Version), orDash(e.Protocol), e.State, short(e.SHA256))
				}
				tw.Flush()
			}
			for _, e := range inv.Plugins {
				if e.Error != "" {
					fmt.Fprintf(w, "\n%s: %s", e.ID, e.Error)
				}
			}
			for _, ig := range inv.Ignored {
				fmt.Fprintf(w, "\nignored %s: %s", ig.Path, ig.Reason)
			}
			if len(inv.Problems()) > 0 || len(inv.Ignored) > 0 {
				fmt.Fprintln(w)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPluginsInspectCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect NAME",
		Short: "Show a plugin's description: capabilities and configuration schema",
		Long:  "NAME is the plugin id (storage-local) or its binary name (dbkeep-storage-local).",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := g.host(cmd, hclog.Warn)
			if err != nil {
				return err
			}
			defer h.Close()
			e, err := h.Inspect(cmd.Context(), strings.TrimPrefix(args[0], pluginhost.BinaryPrefix))
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), e); err != nil {
					return err
				}
			} else {
				printEntry(cmd, e)
			}
			if e.State != pluginhost.StateOK && e.State != pluginhost.StateDisabled {
				return fmt.Errorf("%s", e.Error)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printEntry(cmd *cobra.Command, e pluginhost.Entry) {
	w := cmd.OutOrStdout()
	tw := newTable(w)
	d := e.Description
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("Plugin", e.ID)
	if d != nil {
		row("Name", d.DisplayName)
		if d.Summary != "" {
			row("Summary", d.Summary)
		}
	}
	row("Kind", string(e.Kind))
	row("Version", orDash(e.Version))
	row("Protocol", orDash(e.Protocol))
	if d != nil {
		row("SDK", d.SDKVersion)
		caps := make([]string, len(d.Capabilities))
		for i, c := range d.Capabilities {
			caps[i] = string(c)
		}
		row("Capabilities", orDash(strings.Join(caps, ", ")))
	}
	row("File", e.File)
	row("SHA256", orDash(e.SHA256))
	row("State", string(e.State))
	tw.Flush()
	if d == nil {
		return
	}
	fmt.Fprintln(w, "\nConfiguration:")
	if len(d.Schema.Fields) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	tw = newTable(w)
	fmt.Fprintln(tw, "  FIELD\tTYPE\tREQUIRED\tDEFAULT\tGROUP\tLABEL\tHELP")
	for _, f := range d.Schema.Fields {
		req := "no"
		if f.Required {
			req = "yes"
		}
		typ := string(f.Type)
		if len(f.Options) > 0 {
			vals := make([]string, len(f.Options))
			for i, o := range f.Options {
				vals[i] = o.Value
			}
			typ += " (" + strings.Join(vals, "|") + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, typ, req, orDash(f.Default), orDash(f.Group), f.Label, f.Help)
	}
	tw.Flush()
}
