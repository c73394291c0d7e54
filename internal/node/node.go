// Package node wires one provernet node together: CometBFT with the chain
// application on a local ABCI client, the committed store, and the HTTP
// API. It is the only place that starts goroutines, opens listeners and
// touches the home directory at run time.
package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/client/local"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/provernet/provernet/internal/blob"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/explorer"
	"github.com/provernet/provernet/internal/httpapi"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/internal/vrf"
)

// Options adjust how a node starts.
type Options struct {
	// Log receives CometBFT's and the app's logs; nil means os.Stderr.
	Log io.Writer
	// Configure, if set, may change the loaded configuration (tests pick
	// free ports this way).
	Configure func(*Config)
	// AfterCommit is passed to the chain application (tests).
	AfterCommit func(height int64, state store.Reader) error
	// App, if set, replaces the provernet application and the HTTP API
	// (the chain benchmark runs CometBFT's kvstore example this way).
	App abci.Application
}

// Node is a running provernet node.
type Node struct {
	home  string
	cfg   Config
	cmt   *nm.Node
	app   *chain.App
	tree  *iavltree.Tree
	rpc   *local.Local
	api   *http.Server
	apiA  string
	dbs   dbTracker
	blobs *blob.Store

	blobSrv *http.Server // blobs.listen's, if set
	blobA   string
	stopGC  context.CancelFunc
	metrics *prometheus.Registry // the node's own, served at /metrics (metrics.go)
	cometM  bool                 // it holds CometBFT's metrics (comet_metrics.go)
}

// Blobs is the node's blob store.
func (n *Node) Blobs() *blob.Store { return n.blobs }

// Start starts the node in home and returns once it is serving.
func Start(ctx context.Context, home string, opts Options) (*Node, error) {
	cfg, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	if opts.Configure != nil {
		opts.Configure(&cfg)
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	cc := cometConfig(home, cfg)
	logger, err := newLogger(opts.Log, cfg.Log)
	if err != nil {
		return nil, err
	}
	pv, nodeKey, vrfKey, err := loadKeys(home, cc)
	if err != nil {
		return nil, err
	}
	n := &Node{home: home, cfg: cfg}
	app := opts.App
	if app == nil {
		if app, err = n.openApp(pv, vrfKey, logger, opts); err != nil {
			return nil, err
		}
	}
	if err := n.startChain(ctx, cc, pv, nodeKey, app, logger); err != nil {
		_ = n.Stop()
		return nil, err
	}
	if opts.App != nil {
		return n, nil
	}
	if err := n.startAPI(); err != nil {
		_ = n.Stop()
		return nil, err
	}
	return n, nil
}

func loadKeys(home string, cc *cmtcfg.Config) (*privval.FilePV, *p2p.NodeKey, *vrf.Key, error) {
	for _, f := range []string{cc.PrivValidatorKeyFile(), cc.NodeKeyFile(), cc.GenesisFile()} {
		if _, err := os.Stat(f); err != nil {
			return nil, nil, nil, fmt.Errorf("%s is missing (run `provernet init --home %s` first): %w", f, home, err)
		}
	}
	if err := os.MkdirAll(cc.DBDir(), 0o700); err != nil {
		return nil, nil, nil, err
	}
	filePV := privval.LoadFilePV(cc.PrivValidatorKeyFile(), cc.PrivValidatorStateFile())
	nodeKey, err := p2p.LoadNodeKey(cc.NodeKeyFile())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("failed to load node key: %w", err)
	}
	var vk *vrf.Key
	if _, err := os.Stat(VRFKeyFile(home)); err == nil {
		if vk, err = vrf.LoadKeyFile(VRFKeyFile(home)); err != nil {
			return nil, nil, nil, err
		}
	}
	return filePV, nodeKey, vk, nil
}

// openApp opens the committed store and the provernet application on it.
func (n *Node) openApp(pv *privval.FilePV, vk *vrf.Key, logger cmtlog.Logger, opts Options) (abci.Application, error) {
	tree, err := iavltree.OpenDisk(appDir(n.home), n.cfg.State.KeepVersions)
	if err != nil {
		return nil, err
	}
	n.tree = tree
	appOpts := chain.Options{Store: tree, Logger: logger.With("module", "app"), AfterCommit: opts.AfterCommit,
		MempoolBytes: n.cfg.Mempool.MaxBytes, MempoolTxs: int64(n.cfg.Mempool.Size), Metrics: chain.NewMetrics(n.registry()),
		SnapshotDir: SnapshotDir(n.home), SnapshotInterval: n.cfg.State.SnapshotInterval, SnapshotKeep: n.cfg.State.SnapshotKeep}
	if vk != nil {
		appOpts.ValidatorAddress = pv.Key.Address
		appOpts.VRFSecret = vk.Secret
	}
	if n.app, err = chain.New(appOpts); err != nil {
		return nil, err
	}
	return n.app, nil
}

func (n *Node) startChain(ctx context.Context, cc *cmtcfg.Config, pv *privval.FilePV, nodeKey *p2p.NodeKey, app abci.Application, logger cmtlog.Logger) error {
	cmt, err := nm.NewNode(ctx, cc, pv, nodeKey, clientCreator(app, n.app != nil),
		nm.DefaultGenesisDocProviderFunc(cc), n.dbs.provide,
		cometMetricsProvider(&n.cometM), logger)
	if err != nil {
		return fmt.Errorf("failed to create CometBFT node: %w", err)
	}
	if err := cmt.Start(); err != nil {
		return fmt.Errorf("failed to start CometBFT node: %w", err)
	}
	n.cmt, n.rpc = cmt, local.New(cmt)
	return nil
}

func (n *Node) startAPI() error {
	c := n.cfg.Blobs
	blobs, err := blob.OpenWith(BlobDir(n.home), blob.Options{MaxSize: c.MaxSize, Quota: c.Quota, ClientQuota: c.ClientQuota,
		Grace: c.Grace.Duration, Referenced: func(h blob.Hash) bool { return n.app.Referenced(h) }})
	if err != nil {
		return err
	}
	n.blobs = blobs
	fetch := &blob.Fetcher{Store: blobs, Peers: func() []string { return n.cfg.Blobs.Peers }}
	limits := blob.Limits{Requests: blob.NewLimiter(c.UploadsPerSecond, c.UploadBurst, nil),
		Bytes:      blob.NewLimiter(float64(c.UploadBytesPerSecond), float64(c.UploadBytesBurst), nil),
		MaxUploads: c.MaxUploads, PerClient: c.UploadsPerClient, MinRate: float64(c.MinUploadRate)}
	var uploadsAt string
	if c.Listen != "" {
		if uploadsAt, err = n.startBlobListener(blob.NewHandler(blobs, fetch, blob.HandlerOptions{Limits: limits})); err != nil {
			return err
		}
	}
	blobHandler := blob.NewHandler(blobs, fetch, blob.HandlerOptions{Limits: limits, UploadsAt: uploadsAt})
	mux := http.NewServeMux()
	mux.Handle("/v1/blobs", blobHandler)
	mux.Handle("/v1/blobs/", blobHandler)
	mux.Handle("GET /metrics", n.metricsHandler())
	mux.Handle("/v1/", httpapi.HandlerWith(n.rpc, httpapi.Options{MaxEventStreams: n.cfg.API.MaxEventStreams}))
	mux.Handle("/", explorer.Handler())
	ln, err := net.Listen("tcp", n.cfg.API.Listen)
	if err != nil {
		return fmt.Errorf("failed to listen for the API on %s: %w", n.cfg.API.Listen, err)
	}
	n.apiA = ln.Addr().String()
	// Requests live in ctx, which Stop cancels before it shuts the
	// listener down: event streams, which never go idle, end at once.
	ctx, cancel := context.WithCancel(context.Background())
	n.stopGC = cancel
	n.api = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: maxHeaderBytes, IdleTimeout: time.Minute,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() { _ = n.api.Serve(ln) }()
	go blobs.RunGC(ctx, c.GCInterval.Duration, nil)
	return nil
}

// maxHeaderBytes bounds a request's header on the node's listeners.
const maxHeaderBytes = 64 << 10

// startBlobListener serves uploads on blobs.listen and returns the base
// URL the API listener redirects uploads to.
func (n *Node) startBlobListener(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", n.cfg.Blobs.Listen)
	if err != nil {
		return "", fmt.Errorf("failed to listen for blob uploads on %s: %w", n.cfg.Blobs.Listen, err)
	}
	n.blobA = ln.Addr().String()
	n.blobSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: maxHeaderBytes, IdleTimeout: time.Minute}
	go func() { _ = n.blobSrv.Serve(ln) }()
	if n.cfg.Blobs.URL != "" {
		return n.cfg.Blobs.URL, nil
	}
	return "http://" + n.blobA, nil
}

// Stop shuts the node down and closes its store.
func (n *Node) Stop() error {
	var errs []error
	if n.stopGC != nil {
		n.stopGC()
	}
	for _, srv := range []*http.Server{n.api, n.blobSrv} {
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			errs = append(errs, srv.Shutdown(ctx))
			cancel()
		}
	}
	if n.cmt != nil && n.cmt.IsRunning() {
		errs = append(errs, n.cmt.Stop())
		n.cmt.Wait()
	}
	n.dbs.closeAll()
	if n.app != nil {
		n.app.WaitSnapshots()
	}
	if n.tree != nil {
		errs = append(errs, n.tree.Close())
	}
	releaseCometMetrics(&n.cometM)
	return errors.Join(errs...)
}

// Wait blocks until the node stops.
func (n *Node) Wait() { n.cmt.Wait() }

// APIURL is the HTTP API's base URL.
func (n *Node) APIURL() string { return "http://" + n.apiA }

// BlobURL is where the node takes blob uploads: blobs.listen's URL if it
// has its own listener, else the API's.
func (n *Node) BlobURL() string {
	if n.blobA == "" {
		return n.APIURL()
	}
	return "http://" + n.blobA
}

// RPCURL is CometBFT's RPC URL.
func (n *Node) RPCURL() string { return httpURL(n.cfg.RPC.Listen) }

// P2PAddress is the node's p2p address as id@host:port.
func (n *Node) P2PAddress() string {
	addr := n.cmt.NodeInfo().(p2p.DefaultNodeInfo).ListenAddr
	return string(n.cmt.NodeInfo().ID()) + "@" + strings.TrimPrefix(addr, "tcp://")
}

// Home is the node's home directory.
func (n *Node) Home() string { return n.home }

// RPC is an in-process CometBFT RPC client of the node.
func (n *Node) RPC() *local.Local { return n.rpc }

// Config is the configuration the node runs with.
func (n *Node) Config() Config { return n.cfg }

// App is the chain application (tests inspect its committed state).
func (n *Node) App() *chain.App { return n.app }

func newLogger(w io.Writer, c Log) (cmtlog.Logger, error) {
	if w == nil {
		w = os.Stderr
	}
	var l cmtlog.Logger
	if c.Format == "json" {
		l = cmtlog.NewTMJSONLogger(cmtlog.NewSyncWriter(w))
	} else {
		l = cmtlog.NewTMLogger(cmtlog.NewSyncWriter(w))
	}
	level := c.Level
	if level == "" {
		level = "info"
	}
	opt, err := cmtlog.AllowLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	return cmtlog.NewFilter(l, opt), nil
}

// clientCreator runs the provernet app, which is safe for concurrent use,
// without CometBFT's global ABCI mutex; any other app (the benchmark's
// kvstore) gets the usual serialised local client.
func clientCreator(app abci.Application, concurrent bool) proxy.ClientCreator {
	if concurrent {
		return proxy.NewUnsyncLocalClientCreator(app)
	}
	return proxy.NewLocalClientCreator(app)
}
