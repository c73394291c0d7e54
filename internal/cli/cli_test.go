package cli

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/spf13/cobra"
)

func TestExecute(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		hint   func(error) string
		code   int
		stderr string
	}{
		{"success", nil, nil, 0, ""},
		{"exit code, nothing printed", &ExitError{Code: 7}, nil, 7, ""},
		{"error without hint", errors.New("boom"), nil, 1, "error: boom\n"},
		{"attached hint", fmt.Errorf("wrapped: %w", WithHint(errors.New("boom"), "try this")), nil, 1, "error: wrapped: boom\nhint: try this\n"},
		{"fallback hint", errors.New("boom"), func(error) string { return "from the binary" }, 1, "error: boom\nhint: from the binary\n"},
		{"attached hint wins", WithHint(errors.New("boom"), "attached"), func(error) string { return "fallback" }, 1, "error: boom\nhint: attached\n"},
	} {
		root := &cobra.Command{Use: "x", SilenceErrors: true, SilenceUsage: true, RunE: func(*cobra.Command, []string) error { return c.err }}
		var out, errb bytes.Buffer
		if code := Execute(root, nil, &out, &errb, c.hint); code != c.code || errb.String() != c.stderr {
			t.Errorf("%s: code %d stderr %q, want %d %q", c.name, code, errb.String(), c.code, c.stderr)
		}
	}
	if WithHint(nil, "x") != nil {
		t.Error("WithHint(nil) is not nil")
	}
}

func TestCheckOutput(t *testing.T) {
	for format, ok := range map[string]bool{"text": true, "json": true, "yaml": false, "": false} {
		if err := CheckOutput(format); (err == nil) != ok || (!ok && Hint(err) == "") {
			t.Errorf("CheckOutput(%q) = %v", format, err)
		}
	}
}
