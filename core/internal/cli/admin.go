package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

func newAdminCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer the state directly, without the API (for when nobody can sign in)",
	}
	cmd.AddCommand(newResetPasswordCmd(g))
	return cmd
}

func newResetPasswordCmd(g *globals) *cobra.Command {
	var data, passwordFile string
	cmd := &cobra.Command{
		Use:   "reset-password USERNAME",
		Short: "Set a user's password and end all their sessions",
		Long: `Set a user's password and end all their sessions.

The new password is read from --password-file (a file readable by its owner
only), else from standard input: typed twice without echo on a terminal, or
the first line of piped input. It is never taken from the command line.
This works while dbkeep serve runs on the same data directory.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			username := args[0]
			password, err := readNewPassword(cmd, username, passwordFile)
			if err != nil {
				return err
			}
			logger := g.logger(cmd, hclog.Warn)
			st, err := openState(ctx, data, logger)
			if err != nil {
				return err
			}
			defer st.Close()
			return resetPassword(ctx, cmd, st, logger, username, password)
		},
	}
	cmd.Flags().StringVar(&data, "data", envOr(EnvData, "./data"), "state directory (env "+EnvData+")")
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the new password from this file (mode 0600 or stricter)")
	return cmd
}

func resetPassword(ctx context.Context, cmd *cobra.Command, st *store.Store, logger hclog.Logger, username, password string) error {
	svc, err := auth.New(ctx, auth.Options{Store: st, Logger: logger})
	if err != nil {
		return err
	}
	u, err := svc.ResetPassword(ctx, username, password)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no user is named %q", username)
	}
	if err != nil {
		return err
	}
	if _, err := st.Audit().Record(ctx, store.AuditEntry{Actor: "dbkeep admin (command line)", Action: "users.set_password",
		TargetType: "user", TargetID: fmt.Sprint(u.ID), Details: map[string]any{"username": u.Username}}); err != nil {
		logger.Error("audit entry not recorded", "error", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Password of %s set; all their sessions have ended.\n", u.Username)
	if u.Disabled {
		fmt.Fprintf(cmd.OutOrStdout(), "Note: %s is disabled; an admin can enable the account in the web UI.\n", u.Username)
	}
	return nil
}

// readNewPassword reads the password from the file, a terminal (twice,
// without echo) or piped standard input.
func readNewPassword(cmd *cobra.Command, username, file string) (string, error) {
	if file != "" {
		return readPasswordFile(file)
	}
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		errOut := cmd.ErrOrStderr()
		fmt.Fprintf(errOut, "New password for %s: ", username)
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(errOut)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(errOut, "Repeat it: ")
		second, err := term.ReadPassword(fd)
		fmt.Fprintln(errOut)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if !bytes.Equal(first, second) {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		return string(first), nil
	}
	line, err := bufio.NewReaderSize(io.LimitReader(in, auth.MaxPasswordLen+2), auth.MaxPasswordLen+2).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	return trimNewline(line), nil
}

func readPasswordFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("password file %s has mode %04o: others may read it; chmod 600 it first", path, info.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, auth.MaxPasswordLen+2))
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	return trimNewline(string(b)), nil
}

// trimNewline drops the one line ending an editor or echo adds; other
// whitespace is part of the password.
func trimNewline(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}
