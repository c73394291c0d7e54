package node

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// FullNodes describe the non-validator nodes of a network on one machine:
// nodes that share the validators' genesis and peer with them, but are not
// in the validator set (a localnet's prover daemons run beside them).
type FullNodes struct {
	Homes []string // one home per full node
	// Ports returns the p2p, rpc and api ports of full node i.
	Ports func(i int) (p2p, rpc, api int)
	// Configure may adjust each full node's config before it is written.
	Configure func(i int, c *Config)
}

// InitNetworkWithFullNodes creates the homes of o's validators, as
// InitNetwork does, and those of full: every home gets the one genesis
// (and the challenge program's modules, if any), but only the validators
// are in its validator set. Validators peer with each other; full nodes
// peer with every validator. It returns the validators' homes.
func InitNetworkWithFullNodes(o NetworkOptions, full FullNodes, opts InitOptions) ([]string, error) {
	if o.Validators < 1 || o.Ports == nil || (len(full.Homes) > 0 && full.Ports == nil) {
		return nil, errors.New("a network needs at least one validator and a port plan")
	}
	vals := make([]netHome, o.Validators)
	for i := range vals {
		h, err := newNetHome(filepath.Join(o.Dir, fmt.Sprintf("node%d", i)), fmt.Sprintf("node%d", i), o.Ports, i, o.Configure)
		if err != nil {
			return nil, err
		}
		vals[i] = h
	}
	fulls := make([]netHome, len(full.Homes))
	for i, home := range full.Homes {
		h, err := newNetHome(home, "", full.Ports, i, full.Configure)
		if err != nil {
			return nil, err
		}
		fulls[i] = h
	}
	for i := range vals { // now that every node id is known
		vals[i].cfg.P2P.PersistentPeers = peerList(vals, i)
	}
	for i := range fulls {
		fulls[i].cfg.P2P.PersistentPeers = peerList(vals, -1)
	}
	all := append(append([]netHome{}, vals...), fulls...)
	homes := make([]string, len(all))
	members := make([]*member, len(vals))
	for i, h := range all {
		if err := WriteConfig(h.home, h.cfg); err != nil {
			return nil, err
		}
		homes[i] = h.home
		if i < len(vals) {
			members[i] = h.m
		}
	}
	if opts.ChainID == "" {
		opts.ChainID = o.ChainID
	}
	if _, err := writeGenesis(homes, opts, members); err != nil {
		return nil, err
	}
	return homes[:len(vals)], nil
}

// netHome is one home of a network while it is being created.
type netHome struct {
	home string
	cfg  Config
	m    *member
}

// newNetHome prepares a home listening on 127.0.0.1 at ports(i).
func newNetHome(home, moniker string, ports func(int) (int, int, int), i int, configure func(int, *Config)) (netHome, error) {
	p2p, rpc, api := ports(i)
	c := DefaultConfig()
	if moniker != "" {
		c.Moniker = moniker
	}
	c.P2P.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", p2p)
	c.P2P.AllowLoopback = true
	c.RPC.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
	c.API.Listen = fmt.Sprintf("127.0.0.1:%d", api)
	if configure != nil {
		configure(i, &c)
	}
	m, err := prepareHome(home, c)
	if err != nil {
		return netHome{}, err
	}
	return netHome{home: home, cfg: c, m: m}, nil
}

// peerList is id@host:port of every node in hs but hs[skip].
func peerList(hs []netHome, skip int) string {
	var peers []string
	for j, h := range hs {
		if j != skip {
			peers = append(peers, string(h.m.nodeKey.ID())+"@"+strings.TrimPrefix(h.cfg.P2P.Listen, "tcp://"))
		}
	}
	return strings.Join(peers, ",")
}
