package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/stats"
	"github.com/provernet/provernet/wire"
)

// SmokeReport is what `provernet devnet --smoke` prints.
type SmokeReport struct {
	OK              bool    `json:"ok"`
	Reason          string  `json:"reason,omitempty"`
	ChainID         string  `json:"chain_id"`
	Home            string  `json:"home"`
	Log             string  `json:"log"`
	Accounts        int     `json:"accounts"`
	Transfers       int     `json:"transfers"`
	Committed       int     `json:"committed"`
	FirstHeight     int64   `json:"first_height"`
	LastHeight      int64   `json:"last_height"`
	Seconds         float64 `json:"seconds"`
	CommitP50MS     int64   `json:"commit_latency_p50_ms"`
	CommitMaxMS     int64   `json:"commit_latency_max_ms"`
	FeesBurned      uint64  `json:"fees_burned_uprv"`
	BalancesChecked int     `json:"balances_checked"`
	SupplyConserved bool    `json:"supply_conserved"`
	BeaconHeight    int64   `json:"beacon_height"`
	BeaconChainOK   bool    `json:"beacon_chain_ok"`
	// Workloads, with Programs set: one workload of each example program.
	Workloads []SmokeWorkload `json:"workloads,omitempty"`
	// Trees, with provers running: one proof tree of four inputs
	// (smoke_trees.go).
	Trees []SmokeTree `json:"trees,omitempty"`
}

// SmokeOptions size the smoke test.
type SmokeOptions struct {
	Home       string // empty: a fresh temporary directory, removed on success
	Accounts   int
	PerAccount int // transfers each account sends
	Timeout    time.Duration
	KeepHome   bool
	// Programs, if set, is the directory of the built example programs
	// (build/programs): the smoke then also starts Provers prover daemons,
	// deploys the programs and runs one workload of each with K provers.
	Programs string
	Provers  int
	K        int
	// ProverLog receives the prover daemons' logs (nil: the node log).
	ProverLog io.Writer
}

// Smoke starts a fresh devnet, sends transfers between its dev accounts,
// waits for them to commit and checks balances, supply and the beacon. The
// report says ok only if every check passed.
func Smoke(ctx context.Context, o SmokeOptions) *SmokeReport {
	rep := &SmokeReport{Accounts: o.Accounts}
	if err := smoke(ctx, o, rep); err != nil {
		rep.OK, rep.Reason = false, err.Error()
		return rep
	}
	rep.OK = true
	if !o.KeepHome && o.Home == "" {
		_ = os.RemoveAll(rep.Home)
		rep.Home, rep.Log = "", ""
	}
	return rep
}

func smoke(ctx context.Context, o SmokeOptions, rep *SmokeReport) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	home := o.Home
	if home == "" {
		var err error
		if home, err = os.MkdirTemp("", "provernet-smoke-"); err != nil {
			return err
		}
	}
	rep.Home, rep.Log = home, filepath.Join(home, "node.log")
	logf, err := os.Create(rep.Log)
	if err != nil {
		return err
	}
	defer logf.Close()
	onLoopback, err := OnLoopback()
	if err != nil {
		return err
	}
	provers := o.Provers // they prove the smoke's tree
	if o.Programs != "" {
		provers = max(o.Provers, o.K)
	}
	d, err := StartDevnet(ctx, DevnetOptions{
		Home: home, Accounts: o.Accounts, Provers: provers, Balance: DevnetDefaults.Balance, BlockTime: 200 * time.Millisecond,
		Node: Options{Log: logf, Configure: onLoopback},
	})
	if err != nil {
		return fmt.Errorf("failed to start devnet: %w", err)
	}
	defer d.Stop()
	if provers > 0 {
		plog := o.ProverLog
		if plog == nil {
			plog = logf
		}
		if _, err := client.New(d.APIURL()).WaitHeight(ctx, 2); err != nil {
			return err
		}
		ps, err := StartProvers(d.Node, d.ProverKeys, ProverOptions{Log: slog.New(slog.NewTextHandler(plog, nil)), TreeFeeBurn: SmokeTreeFeeBurn})
		if err != nil {
			return err
		}
		defer ps.Stop()
	}
	if err := runSmoke(ctx, d, o, rep); err != nil {
		return err
	}
	if provers > 0 {
		if err := smokeTrees(ctx, d, rep); err != nil {
			return err
		}
		if err := checkSmokeSupply(ctx, client.New(d.APIURL()), append(slices.Clone(d.Keys), d.ProverKeys...), rep); err != nil {
			return err
		}
	}
	if o.Programs == "" {
		return nil
	}
	return smokeWorkloads(ctx, d, o, rep)
}

func runSmoke(ctx context.Context, d *Devnet, o SmokeOptions, rep *SmokeReport) error {
	c := client.New(d.APIURL())
	st, err := c.WaitHeight(ctx, 2)
	if err != nil {
		return err
	}
	rep.ChainID, rep.FirstHeight = st.ChainID, st.Height
	before, err := balances(ctx, c, d.Keys)
	if err != nil {
		return err
	}
	fp, err := c.FeeParams(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	sent, expect, err := sendTransfers(ctx, c, d.Keys, o.PerAccount, st.ChainID, fp, before)
	if err != nil {
		return err
	}
	rep.Transfers = len(sent)
	if err := awaitCommits(ctx, c, sent, rep); err != nil {
		return err
	}
	rep.Seconds = float64(time.Since(start).Milliseconds()) / 1000
	if err := checkBalances(ctx, c, d.Keys, expect, rep); err != nil {
		return err
	}
	if err := checkSmokeSupply(ctx, c, append(slices.Clone(d.Keys), d.ProverKeys...), rep); err != nil {
		return err
	}
	return checkBeacon(ctx, c, rep)
}

type sentTx struct {
	hash string
	at   time.Time
}

func sendTransfers(ctx context.Context, c *client.Client, keys []*client.Key, per int, chainID string, fp client.FeeParams, before map[string]uint64) ([]sentTx, map[string]uint64, error) {
	expect := make(map[string]uint64, len(before))
	for k, v := range before {
		expect[k] = v
	}
	var sent []sentTx
	for j := 0; j < per; j++ {
		for i, k := range keys {
			to := keys[(i+1)%len(keys)].Address()
			amount := uint64(1000*(i+1) + j)
			m, err := client.TransferMsg(to, amount)
			if err != nil {
				return nil, nil, err
			}
			raw, err := client.SignTx(k, chainID, uint64(j), 0, fp, m)
			if err != nil {
				return nil, nil, err
			}
			res, err := c.Broadcast(ctx, raw)
			if err != nil {
				return nil, nil, fmt.Errorf("broadcast %d from %s: %w", j, k.Name, err)
			}
			sent = append(sent, sentTx{hash: res.Hash, at: time.Now()})
			fee := fp.MinFee(len(raw), []*client.Msg{m})
			expect[k.Address()] -= amount + fee
			expect[to] += amount
		}
	}
	return sent, expect, nil
}

func awaitCommits(ctx context.Context, c *client.Client, sent []sentTx, rep *SmokeReport) error {
	var lat []int64
	for _, s := range sent {
		r, err := c.WaitTx(ctx, s.hash)
		if err != nil {
			return err
		}
		if r.Code != 0 {
			return fmt.Errorf("transfer %s failed in block %d: code %d %s", s.hash, r.Height, r.Code, r.Log)
		}
		lat = append(lat, time.Since(s.at).Milliseconds())
		rep.Committed++
		rep.LastHeight = max(rep.LastHeight, r.Height)
	}
	if len(lat) > 0 {
		rep.CommitP50MS, rep.CommitMaxMS = stats.Median(lat), slices.Max(lat)
	}
	return nil
}

func balances(ctx context.Context, c *client.Client, keys []*client.Key) (map[string]uint64, error) {
	out := make(map[string]uint64, len(keys))
	for _, k := range keys {
		a, err := c.Account(ctx, k.Address())
		if err != nil {
			return nil, err
		}
		out[k.Address()] = a.Balance
	}
	return out, nil
}

func checkBalances(ctx context.Context, c *client.Client, keys []*client.Key, expect map[string]uint64, rep *SmokeReport) error {
	got, err := balances(ctx, c, keys)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if got[k.Address()] != expect[k.Address()] {
			return fmt.Errorf("balance of %s is %d uprv, want %d", k.Name, got[k.Address()], expect[k.Address()])
		}
		rep.BalancesChecked++
	}
	return nil
}

// checkSmokeSupply: the devnet's only accounts are its dev accounts, so their
// balances plus the burned fees must equal the genesis supply.
func checkSmokeSupply(ctx context.Context, c *client.Client, keys []*client.Key, rep *SmokeReport) error {
	s, err := c.Supply(ctx)
	if err != nil {
		return err
	}
	bal, err := balances(ctx, c, keys)
	if err != nil {
		return err
	}
	var sum, held uint64
	for _, b := range bal {
		sum += b
	}
	ps, err := c.Provers(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		held += p.Stake
	}
	ws, err := c.Workloads(ctx, "")
	if err != nil {
		return err
	}
	for _, w := range ws {
		held += w.Escrow
	}
	rep.FeesBurned = s.Burned
	if sum+held+s.Burned != s.Genesis+s.Minted {
		return fmt.Errorf("supply not conserved: balances %d + stake and escrow %d + burned %d != genesis %d + minted %d", sum, held, s.Burned, s.Genesis, s.Minted)
	}
	rep.SupplyConserved = true
	return nil
}

// checkBeacon recomputes seed[h] = SHA-256(seed[h-1] || beta) for the last
// few blocks and checks that the entries chain.
func checkBeacon(ctx context.Context, c *client.Client, rep *SmokeReport) error {
	latest, err := c.Beacon(ctx, 0)
	if err != nil {
		return err
	}
	rep.BeaconHeight = latest.Height
	var next *wire.Beacon
	for h := latest.Height; h > max(1, latest.Height-5); h-- {
		b, err := c.Beacon(ctx, h)
		if err != nil {
			return err
		}
		prev, _ := hex.DecodeString(b.PrevSeed)
		beta, _ := hex.DecodeString(b.Beta)
		seed, _ := hex.DecodeString(b.Seed)
		sum := sha256.Sum256(append(append([]byte{}, prev...), beta...))
		if !bytes.Equal(sum[:], seed) {
			return fmt.Errorf("beacon %d: seed is not SHA-256(prev_seed || beta)", h)
		}
		if next != nil && next.PrevSeed != b.Seed {
			return fmt.Errorf("beacon %d: seed does not match the prev_seed of block %d", h, h+1)
		}
		next = b
	}
	rep.BeaconChainOK = true
	return nil
}
