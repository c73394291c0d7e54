package node

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/provernet/provernet/internal/httpapi"
)

// Config is the node's own configuration, home/config/config.toml. The
// CometBFT configuration is derived from it in memory (cometConfig), so an
// operator edits one file in one format.
type Config struct {
	Moniker string    `toml:"moniker"`
	P2P     P2P       `toml:"p2p"`
	RPC     Listen    `toml:"rpc"` // CometBFT's own RPC
	API     API       `toml:"api"` // provernet's HTTP JSON API
	Chain   Consensus `toml:"consensus"`
	Mempool Mempool   `toml:"mempool"`
	State   State     `toml:"state"`
	Sync    StateSync `toml:"state_sync"`
	Blobs   Blobs     `toml:"blobs"`
	Log     Log       `toml:"log"`
}

// Blobs configures the node's content-addressed blob store and its
// uploads (docs/OPERATIONS.md, docs/SECURITY.md).
type Blobs struct {
	// MaxSize caps one blob (bytes).
	MaxSize int64 `toml:"max_size"`
	// Peers are other nodes' API URLs to fetch missing blobs from.
	Peers []string `toml:"peers"`
	// Listen, if set, is a listener of its own for uploads (PUT
	// /v1/blobs); the API listener then redirects uploads there (307) and
	// serves only downloads. Empty: uploads share the API listener.
	Listen string `toml:"listen"`
	// URL is the upload listener's base URL as clients reach it, for the
	// redirect; empty means http://<listen>.
	URL string `toml:"url"`
	// Quota caps the bytes of blobs no Run or Deploy references;
	// ClientQuota those one client IP uploaded.
	Quota       int64 `toml:"quota"`
	ClientQuota int64 `toml:"client_quota"`
	// Grace is how long an unreferenced blob is kept before collection;
	// GCInterval how often the collector looks.
	Grace      Duration `toml:"grace"`
	GCInterval Duration `toml:"gc_interval"`
	// UploadsPerSecond and UploadBurst rate-limit uploads per client IP;
	// UploadBytesPerSecond and UploadBytesBurst their bytes.
	UploadsPerSecond     float64 `toml:"uploads_per_second"`
	UploadBurst          float64 `toml:"upload_burst"`
	UploadBytesPerSecond int64   `toml:"upload_bytes_per_second"`
	UploadBytesBurst     int64   `toml:"upload_bytes_burst"`
	// MaxUploads bounds the uploads in flight; UploadsPerClient one
	// client IP's.
	MaxUploads       int `toml:"max_uploads"`
	UploadsPerClient int `toml:"uploads_per_client"`
	// MinUploadRate (bytes a second) is the slowest average an upload may
	// keep after its first 10 s before it is cut.
	MinUploadRate int64 `toml:"min_upload_rate"`
}

// P2P configures peer-to-peer networking.
type P2P struct {
	Listen          string `toml:"listen"`
	ExternalAddress string `toml:"external_address"`
	PersistentPeers string `toml:"persistent_peers"` // id@host:port,...
	// AllowLoopback lets peers on 127.0.0.1 connect (devnets, tests).
	AllowLoopback bool `toml:"allow_loopback"`
}

// Listen is a TCP listen address.
type Listen struct {
	Listen string `toml:"listen"`
}

// API configures provernet's HTTP JSON API.
type API struct {
	Listen string `toml:"listen"`
	// MaxEventStreams bounds the event streams (GET /v1/events) served at
	// once; 503 past it (0: httpapi.DefaultMaxEventStreams).
	MaxEventStreams int `toml:"max_event_streams"`
}

// Consensus tunes block production.
type Consensus struct {
	// BlockTime is CometBFT's timeout_commit: the pause after a commit.
	BlockTime Duration `toml:"block_time"`
	// EmptyBlocks keeps producing blocks with no transactions; the beacon
	// and every deadline measured in blocks rely on it.
	EmptyBlocks bool `toml:"empty_blocks"`
}

// Mempool sizes the mempool.
type Mempool struct {
	Size     int   `toml:"size"`
	MaxBytes int64 `toml:"max_bytes"`
}

// State configures the committed store.
type State struct {
	// KeepVersions prunes state versions older than this many blocks; 0
	// keeps all (queries at old heights need them).
	KeepVersions int64 `toml:"keep_versions"`
	// SnapshotInterval takes a state sync snapshot of every this many
	// heights into home/data/snapshots (0: none); SnapshotKeep keeps the
	// newest this many (0 means 2). See docs/OPERATIONS.md, "State sync".
	SnapshotInterval int64 `toml:"snapshot_interval"`
	SnapshotKeep     int   `toml:"snapshot_keep"`
}

// StateSync makes a new node start from a snapshot served by its peers
// instead of replaying every block (CometBFT's statesync section). The
// snapshot is checked by a light client against TrustHeight and
// TrustHash, read from RPCServers (two at least).
type StateSync struct {
	Enable      bool     `toml:"enable"`
	RPCServers  []string `toml:"rpc_servers"`
	TrustHeight int64    `toml:"trust_height"`
	TrustHash   string   `toml:"trust_hash"` // hex block hash at TrustHeight
	TrustPeriod Duration `toml:"trust_period"`
	// DiscoveryTime is how long the node looks for snapshots before it
	// picks one (at least 5s).
	DiscoveryTime Duration `toml:"discovery_time"`
}

// check refuses a state sync that cannot start.
func (s *StateSync) check() []error {
	if !s.Enable {
		return nil
	}
	var errs []error
	if len(s.RPCServers) < 2 {
		errs = append(errs, errors.New("state_sync.rpc_servers needs two servers at least"))
	}
	if s.TrustHeight <= 0 {
		errs = append(errs, errors.New("state_sync.trust_height must be positive"))
	}
	if b, err := hex.DecodeString(s.TrustHash); err != nil || len(b) != 32 {
		errs = append(errs, fmt.Errorf("state_sync.trust_hash %q: want 32 bytes in hex", s.TrustHash))
	}
	if s.DiscoveryTime.Duration != 0 && s.DiscoveryTime.Duration < 5*time.Second {
		errs = append(errs, errors.New("state_sync.discovery_time must be 5s at least"))
	}
	return errs
}

// Log configures logging.
type Log struct {
	Level  string `toml:"level"`  // debug, info, error, none
	Format string `toml:"format"` // plain or json
}

// Slog is a log/slog logger writing to w in this format and at this level,
// for what runs beside the node (the prover daemon), so that one log
// pipeline reads both.
func (c Log) Slog(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	switch c.Level {
	case "debug":
		opts.Level = slog.LevelDebug
	case "error":
		opts.Level = slog.LevelError
	case "none":
		opts.Level = slog.Level(1 << 20)
	}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Duration is a time.Duration written as "1s" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: %w", b, err)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultConfig is the configuration `provernet init` writes.
func DefaultConfig() Config {
	return Config{
		Moniker: "provernet-node",
		P2P:     P2P{Listen: "tcp://0.0.0.0:26656"},
		RPC:     Listen{Listen: "tcp://127.0.0.1:26657"},
		API:     API{Listen: "127.0.0.1:1317", MaxEventStreams: httpapi.DefaultMaxEventStreams},
		Chain:   Consensus{BlockTime: Duration{time.Second}, EmptyBlocks: true},
		// 64 MiB: sixteen 4 MiB blocks. CometBFT offers PrepareProposal the
		// whole mempool (block.max_bytes -1), which it decodes through the
		// 128 MiB admitted-transaction cache; a mempool that fits the cache
		// never makes a proposal check signatures again.
		Mempool: Mempool{Size: 50_000, MaxBytes: 64 << 20},
		State:   State{KeepVersions: 0, SnapshotInterval: 500, SnapshotKeep: 2},
		Sync:    StateSync{TrustPeriod: Duration{168 * time.Hour}, DiscoveryTime: Duration{15 * time.Second}},
		Blobs: Blobs{MaxSize: 64 << 20, Quota: 1 << 30, ClientQuota: 256 << 20, Grace: Duration{time.Hour}, GCInterval: Duration{time.Minute},
			UploadsPerSecond: 5, UploadBurst: 100, UploadBytesPerSecond: 16 << 20, UploadBytesBurst: 512 << 20,
			MaxUploads: 8, UploadsPerClient: 2, MinUploadRate: 16 << 10},
		Log: Log{Level: "info", Format: "plain"},
	}
}

// Validate fills defaults for unset fields and checks the rest.
func (c *Config) Validate() error {
	d := DefaultConfig()
	if c.Moniker == "" {
		c.Moniker = d.Moniker
	}
	if c.P2P.Listen == "" {
		c.P2P.Listen = d.P2P.Listen
	}
	if c.RPC.Listen == "" {
		c.RPC.Listen = d.RPC.Listen
	}
	if c.API.Listen == "" {
		c.API.Listen = d.API.Listen
	}
	if c.Mempool.Size == 0 {
		c.Mempool.Size = d.Mempool.Size
	}
	if c.Mempool.MaxBytes == 0 {
		c.Mempool.MaxBytes = d.Mempool.MaxBytes
	}
	if c.Log.Level == "" {
		c.Log.Level = d.Log.Level
	}
	c.Blobs.fillDefaults(d.Blobs)
	c.State.SnapshotKeep = cmp.Or(c.State.SnapshotKeep, d.State.SnapshotKeep)
	c.Sync.TrustPeriod = cmp.Or(c.Sync.TrustPeriod, d.Sync.TrustPeriod)
	c.Sync.DiscoveryTime = cmp.Or(c.Sync.DiscoveryTime, d.Sync.DiscoveryTime)
	var errs []error
	errs = append(errs, c.Blobs.check()...)
	errs = append(errs, c.Sync.check()...)
	if c.Chain.BlockTime.Duration < 0 {
		errs = append(errs, errors.New("consensus.block_time must not be negative"))
	}
	if c.API.MaxEventStreams < 0 {
		errs = append(errs, errors.New("api.max_event_streams must not be negative"))
	}
	if c.State.KeepVersions < 0 || c.State.SnapshotInterval < 0 || c.State.SnapshotKeep < 0 {
		errs = append(errs, errors.New("state.keep_versions, snapshot_interval and snapshot_keep must not be negative"))
	}
	switch c.Log.Format {
	case "", "plain", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want plain or json", c.Log.Format))
	}
	return errors.Join(errs...)
}

// LoadConfig reads home/config/config.toml.
func LoadConfig(home string) (Config, error) {
	var c Config
	path := ConfigFile(home)
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return c, fmt.Errorf("failed to read %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return c, fmt.Errorf("%s: unknown setting %q", path, und[0].String())
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// WriteConfig writes c to home/config/config.toml.
func WriteConfig(home string, c Config) error {
	path := ConfigFile(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString("# provernet node configuration; see docs/OPERATIONS.md\n\n"); err != nil {
		return err
	}
	return toml.NewEncoder(f).Encode(c)
}

// fillDefaults sets every unset (zero) blob setting to d's. Zero means
// "the default" in the file, so a limit cannot be switched off from it.
func (b *Blobs) fillDefaults(d Blobs) {
	b.MaxSize, b.Quota, b.ClientQuota = cmp.Or(b.MaxSize, d.MaxSize), cmp.Or(b.Quota, d.Quota), cmp.Or(b.ClientQuota, d.ClientQuota)
	b.Grace, b.GCInterval = cmp.Or(b.Grace, d.Grace), cmp.Or(b.GCInterval, d.GCInterval)
	b.UploadsPerSecond, b.UploadBurst = cmp.Or(b.UploadsPerSecond, d.UploadsPerSecond), cmp.Or(b.UploadBurst, d.UploadBurst)
	b.UploadBytesPerSecond, b.UploadBytesBurst = cmp.Or(b.UploadBytesPerSecond, d.UploadBytesPerSecond), cmp.Or(b.UploadBytesBurst, d.UploadBytesBurst)
	b.MaxUploads, b.UploadsPerClient = cmp.Or(b.MaxUploads, d.MaxUploads), cmp.Or(b.UploadsPerClient, d.UploadsPerClient)
	b.MinUploadRate = cmp.Or(b.MinUploadRate, d.MinUploadRate)
}

// check refuses negative blob settings.
func (b *Blobs) check() []error {
	var errs []error
	for _, f := range []struct {
		name string
		v    float64
	}{{"max_size", float64(b.MaxSize)}, {"quota", float64(b.Quota)}, {"client_quota", float64(b.ClientQuota)}, {"grace", float64(b.Grace.Duration)},
		{"gc_interval", float64(b.GCInterval.Duration)}, {"uploads_per_second", b.UploadsPerSecond},
		{"upload_burst", b.UploadBurst}, {"upload_bytes_per_second", float64(b.UploadBytesPerSecond)},
		{"upload_bytes_burst", float64(b.UploadBytesBurst)}, {"max_uploads", float64(b.MaxUploads)},
		{"uploads_per_client", float64(b.UploadsPerClient)}, {"min_upload_rate", float64(b.MinUploadRate)}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("blobs.%s must not be negative", f.name))
		}
	}
	return errs
}
