package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/wire/address"
)

type keyInfo struct {
	Name      string `json:"name"`
	Address   string `json:"address"`
	PublicKey string `json:"public_key"`
	Encrypted bool   `json:"encrypted,omitempty"` // at rest, with a passphrase
}

func infoOf(k *client.Key) keyInfo {
	return keyInfo{Name: k.Name, Address: k.Address(), PublicKey: fmt.Sprintf("%x", k.PublicKey()), Encrypted: k.Locked()}
}

// publicKey loads a key for its address and public key only: an encrypted
// one needs no passphrase.
func (g *globals) publicKey(name string) (*client.Key, error) {
	k, err := g.loadKeyFile(name)
	if errors.Is(err, client.ErrKeyLocked) {
		return k, nil
	}
	return k, err
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage account keys (files under HOME/keys, mode 0600)"}
	var encrypt bool
	add := &cobra.Command{
		Use: "add NAME", Short: "Create a new key (--encrypt: encrypted at rest with a passphrase)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := client.GenerateKey(args[0])
			if err != nil {
				return err
			}
			save := func() error { return client.SaveKey(client.DefaultKeysDir(g.home), k) }
			if encrypt {
				p, err := g.passphrase(k.Name, true)
				if err != nil {
					return err
				}
				save = func() error { return client.SaveKeyEncrypted(client.DefaultKeysDir(g.home), k, p) }
			}
			if err := save(); err != nil {
				if errors.Is(err, client.ErrKeyExists) {
					return cli.WithHint(err, "pick another name; `provernet keys list` shows the existing ones")
				}
				return err
			}
			info := infoOf(k)
			info.Encrypted = encrypt
			return g.emit(info, func(w io.Writer) {
				fmt.Fprintf(w, "created key %s\n  address  %s\n", k.Name, k.Address())
				if encrypt {
					fmt.Fprintf(w, "  encrypted with your passphrase: commands that sign ask for it (or read %s)\n", passphraseEnv)
				}
			})
		},
	}
	add.Flags().BoolVar(&encrypt, "encrypt", false, "encrypt the key at rest with a passphrase (asked twice, or "+passphraseEnv+")")
	cmd.AddCommand(add, &cobra.Command{
		Use: "encrypt NAME", Short: "Encrypt a plain key at rest with a passphrase", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := g.loadKeyFile(args[0])
			if errors.Is(err, client.ErrKeyLocked) {
				return cli.WithHint(err, "it is encrypted already")
			}
			if err != nil {
				return err
			}
			p, err := g.passphrase(k.Name, true)
			if err != nil {
				return err
			}
			if err := client.EncryptKeyFile(client.DefaultKeysDir(g.home), k.Name, p); err != nil {
				return err
			}
			info := infoOf(k)
			info.Encrypted = true
			return g.emit(info, func(w io.Writer) { fmt.Fprintf(w, "key %s (%s) is now encrypted at rest\n", k.Name, k.Address()) })
		},
	}, &cobra.Command{
		Use: "list", Short: "List keys", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keys, err := client.ListKeys(client.DefaultKeysDir(g.home))
			if err != nil {
				return err
			}
			infos := make([]keyInfo, 0, len(keys))
			for _, k := range keys {
				infos = append(infos, infoOf(k))
			}
			return g.emit(infos, func(w io.Writer) {
				if len(infos) == 0 {
					fmt.Fprintf(w, "no keys in %s (create one with `provernet keys add NAME`)\n", client.DefaultKeysDir(g.home))
				}
				for _, k := range infos {
					enc := ""
					if k.Encrypted {
						enc = "  (encrypted)"
					}
					fmt.Fprintf(w, "%-12s %s%s\n", k.Name, k.Address, enc)
				}
			})
		},
	}, &cobra.Command{
		Use: "show NAME", Short: "Show a key's address and public key", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := g.publicKey(args[0])
			if err != nil {
				return err
			}
			info := infoOf(k)
			return g.emit(info, func(w io.Writer) {
				fmt.Fprintf(w, "name        %s\naddress     %s\npublic key  %s\n", info.Name, info.Address, info.PublicKey)
			})
		},
	})
	cmd.AddCommand(newKeysConsentCmd(g)) // issue 19: a hot key's consent
	return cmd
}

// loadKey loads a key to sign with, asking for its passphrase if it is
// encrypted at rest.
func (g *globals) loadKey(name string) (*client.Key, error) {
	k, err := g.loadKeyFile(name)
	if errors.Is(err, client.ErrKeyLocked) {
		return g.unlock(name)
	}
	return k, err
}

// loadKeyFile is client.LoadKey with a hint for a missing key.
func (g *globals) loadKeyFile(name string) (*client.Key, error) {
	k, err := client.LoadKey(client.DefaultKeysDir(g.home), name)
	if errors.Is(err, client.ErrNoKey) {
		return nil, cli.WithHint(err, "`provernet --home "+g.home+" keys list` shows the keys; devnet keys live in the devnet's --home")
	}
	return k, err
}

// resolveAddress accepts a bech32 address or the name of a local key.
func (g *globals) resolveAddress(s string) (string, error) {
	if _, err := address.Parse(s); err == nil {
		return s, nil
	}
	k, err := client.LoadKey(client.DefaultKeysDir(g.home), s)
	if err != nil && !errors.Is(err, client.ErrKeyLocked) {
		return "", cli.WithHint(fmt.Errorf("%q is neither an address nor a key name in %s", s, client.DefaultKeysDir(g.home)), "addresses start with prv1")
	}
	return k.Address(), nil
}
