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
}

func infoOf(k *client.Key) keyInfo {
	return keyInfo{Name: k.Name, Address: k.Address(), PublicKey: fmt.Sprintf("%x", k.PublicKey())}
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage account keys (files under HOME/keys, mode 0600)"}
	cmd.AddCommand(&cobra.Command{
		Use: "add NAME", Short: "Create a new key", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := client.GenerateKey(args[0])
			if err != nil {
				return err
			}
			if err := client.SaveKey(client.DefaultKeysDir(g.home), k); err != nil {
				if errors.Is(err, client.ErrKeyExists) {
					return cli.WithHint(err, "pick another name; `provernet keys list` shows the existing ones")
				}
				return err
			}
			return g.emit(infoOf(k), func(w io.Writer) {
				fmt.Fprintf(w, "created key %s\n  address  %s\n", k.Name, k.Address())
			})
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
					fmt.Fprintf(w, "%-12s %s\n", k.Name, k.Address)
				}
			})
		},
	}, &cobra.Command{
		Use: "show NAME", Short: "Show a key's address and public key", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := g.loadKey(args[0])
			if err != nil {
				return err
			}
			info := infoOf(k)
			return g.emit(info, func(w io.Writer) {
				fmt.Fprintf(w, "name        %s\naddress     %s\npublic key  %s\n", info.Name, info.Address, info.PublicKey)
			})
		},
	})
	return cmd
}

func (g *globals) loadKey(name string) (*client.Key, error) {
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
	if err != nil {
		return "", cli.WithHint(fmt.Errorf("%q is neither an address nor a key name in %s", s, client.DefaultKeysDir(g.home)), "addresses start with prv1")
	}
	return k.Address(), nil
}
