package node

import (
	"strings"

	cmtcfg "github.com/cometbft/cometbft/config"
)

// maxTxBytes is what CometBFT's mempool accepts; the chain's own, smaller
// limit (params.max_tx_bytes) then rejects with a readable code.
const maxTxBytes = 4 << 20

// cometConfig derives CometBFT's configuration from ours.
func cometConfig(home string, c Config) *cmtcfg.Config {
	cc := cmtcfg.DefaultConfig()
	cc.SetRoot(home)
	cc.Moniker = c.Moniker
	// One storage engine for the whole node: the app state (IAVL) lives on
	// goleveldb too. See docs/RATIONALE.md.
	cc.DBBackend = "goleveldb"
	cc.LogLevel = c.Log.Level
	cc.LogFormat = c.Log.Format
	if cc.LogFormat == "" {
		cc.LogFormat = "plain"
	}
	cc.P2P.ListenAddress = c.P2P.Listen
	cc.P2P.ExternalAddress = c.P2P.ExternalAddress
	cc.P2P.PersistentPeers = c.P2P.PersistentPeers
	if c.P2P.AllowLoopback {
		cc.P2P.AddrBookStrict = false
		cc.P2P.AllowDuplicateIP = true
	}
	cc.RPC.ListenAddress = c.RPC.Listen
	cc.RPC.MaxBodyBytes = 2 * maxTxBytes
	cc.RPC.CORSAllowedOrigins = nil
	cc.GRPC.ListenAddress = ""
	cc.Consensus.TimeoutCommit = c.Chain.BlockTime.Duration
	cc.Consensus.CreateEmptyBlocks = c.Chain.EmptyBlocks
	cc.Mempool.Size = c.Mempool.Size
	cc.Mempool.MaxTxsBytes = c.Mempool.MaxBytes
	cc.Mempool.MaxTxBytes = maxTxBytes
	cc.Instrumentation.Prometheus = false
	if s := c.Sync; s.Enable {
		cc.StateSync.Enable = true
		cc.StateSync.RPCServers = s.RPCServers
		cc.StateSync.TrustHeight = s.TrustHeight
		cc.StateSync.TrustHash = s.TrustHash
		cc.StateSync.TrustPeriod = s.TrustPeriod.Duration
		cc.StateSync.DiscoveryTime = s.DiscoveryTime.Duration
	}
	return cc
}

// httpURL turns a CometBFT listen address (tcp://host:port) into a URL.
func httpURL(listen string) string {
	return "http://" + strings.TrimPrefix(listen, "tcp://")
}
