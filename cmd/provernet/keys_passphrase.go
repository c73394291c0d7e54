package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
)

// passphraseEnv names the environment variable a passphrase may come from
// when no terminal can ask for it (a service, a script).
const passphraseEnv = "PROVERNET_PASSPHRASE"

// passphrase reads the passphrase of key name: from PROVERNET_PASSPHRASE,
// else asked on the terminal (twice when confirm, for a new one).
func (g *globals) passphrase(name string, confirm bool) (string, error) {
	if p := os.Getenv(passphraseEnv); p != "" {
		return p, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", cli.WithHint(fmt.Errorf("key %s needs a passphrase and there is no terminal to ask it on", name),
			"set "+passphraseEnv+" in the environment (a service's environment file, mode 0600)")
	}
	fmt.Fprintf(g.stderr, "passphrase for key %s: ", name)
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(g.stderr)
	if err != nil {
		return "", err
	}
	if confirm {
		fmt.Fprintf(g.stderr, "again: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(g.stderr)
		if err != nil {
			return "", err
		}
		if string(again) != string(p) {
			return "", errors.New("the two passphrases differ")
		}
	}
	return string(p), nil
}

// unlock opens a key encrypted at rest with its passphrase.
func (g *globals) unlock(name string) (*client.Key, error) {
	p, err := g.passphrase(name, false)
	if err != nil {
		return nil, err
	}
	k, err := client.UnlockKey(client.DefaultKeysDir(g.home), name, p)
	if errors.Is(err, client.ErrBadPassphrase) {
		return nil, cli.WithHint(err, "check "+passphraseEnv+", or type it again")
	}
	return k, err
}
