// Package cli is the plumbing the provernet binaries (provernet,
// provernet-bench, provernet-sandbox) share, so that they behave alike: a
// cobra root run with SIGINT and SIGTERM cancelling its context, failures
// printed as an `error:` line and, when there is advice, a `hint:` line
// (age's style), exit codes, and the build version they report.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// hinted is an error with a suggestion of what to do about it.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

// WithHint attaches a hint to err (nil stays nil).
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hinted{err: err, hint: hint}
}

// Hint is the hint WithHint attached to err or to an error it wraps, or "".
func Hint(err error) string {
	var h *hinted
	if errors.As(err, &h) {
		return h.hint
	}
	return ""
}

// CheckOutput refuses an --output format other than text and json, the
// two every command of the binaries prints.
func CheckOutput(format string) error {
	if format != "text" && format != "json" {
		return WithHint(fmt.Errorf("unknown output format %q", format), "use --output text or --output json")
	}
	return nil
}

// ExitError ends the program with Code after the command printed its own
// report: Execute prints nothing for it.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Execute runs root on args and returns the exit code: 0 on success, an
// ExitError's code, else 1 after printing `error: ...` and the hint, which
// is the one WithHint attached or, failing that, hint(err) when hint is
// not nil.
func Execute(root *cobra.Command, args []string, stdout, stderr io.Writer, hint func(error) string) int {
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ex *ExitError
	if errors.As(err, &ex) {
		return ex.Code
	}
	fmt.Fprintf(stderr, "error: %v\n", err)
	h := Hint(err)
	if h == "" && hint != nil {
		h = hint(err)
	}
	if h != "" {
		fmt.Fprintf(stderr, "hint: %s\n", h)
	}
	return 1
}

// BuildVersion is the commit the binary was built from (12 hex digits),
// else its module version, else "dev".
func BuildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
		if bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "dev"
}
