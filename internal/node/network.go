package node

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// NetworkOptions describe a multi-validator network on one machine.
type NetworkOptions struct {
	Dir        string // homes are Dir/node0, Dir/node1, ...
	Validators int
	ChainID    string
	// Ports returns the p2p, rpc and api ports of validator i.
	Ports func(i int) (p2p, rpc, api int)
	// Configure may adjust each validator's config before it is written.
	Configure func(i int, c *Config)
}

// InitNetwork creates the homes of a network of validators on 127.0.0.1
// that share one genesis (each with its VRF key) and know each other as
// persistent peers. It returns the homes.
func InitNetwork(o NetworkOptions, opts InitOptions) ([]string, error) {
	if o.Validators < 1 || o.Ports == nil {
		return nil, errors.New("a network needs at least one validator and a port plan")
	}
	homes := make([]string, o.Validators)
	members := make([]*member, o.Validators)
	cfgs := make([]Config, o.Validators)
	for i := range homes {
		homes[i] = filepath.Join(o.Dir, fmt.Sprintf("node%d", i))
		p2p, rpc, api := o.Ports(i)
		c := DefaultConfig()
		c.Moniker = fmt.Sprintf("node%d", i)
		c.P2P.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", p2p)
		c.P2P.AllowLoopback = true
		c.RPC.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
		c.API.Listen = fmt.Sprintf("127.0.0.1:%d", api)
		if o.Configure != nil {
			o.Configure(i, &c)
		}
		m, err := prepareHome(homes[i], c)
		if err != nil {
			return nil, err
		}
		members[i], cfgs[i] = m, c
	}
	for i := range homes { // now that every node id is known
		var peers []string
		for j, m := range members {
			if j != i {
				peers = append(peers, string(m.nodeKey.ID())+"@"+strings.TrimPrefix(cfgs[j].P2P.Listen, "tcp://"))
			}
		}
		cfgs[i].P2P.PersistentPeers = strings.Join(peers, ",")
		if err := WriteConfig(homes[i], cfgs[i]); err != nil {
			return nil, err
		}
	}
	if opts.ChainID == "" {
		opts.ChainID = o.ChainID
	}
	_, err := writeGenesis(homes, opts, members)
	return homes, err
}
