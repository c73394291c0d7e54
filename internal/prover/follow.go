package prover

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"

	abci "github.com/cometbft/cometbft/abci/types"
)

// Following the chain: which heights were read, and which workloads are
// worth looking at. Both survive a restart in DIR/state.json.

// savedState is what survives a restart besides the jobs.
type savedState struct {
	Height   int64    `json:"height"`          // last height whose events were read
	Interest []string `json:"interest"`        // workloads still worth looking at
	Trees    []string `json:"trees,omitempty"` // proof trees still worth looking at
}

// read notes the workloads block h's events name.
func (d *Daemon) read(ctx context.Context, h int64) error {
	evs, err := d.chain.events(ctx, h)
	if err != nil {
		return err
	}
	for _, id := range workloadsNamed(evs) {
		d.interest[id] = true
	}
	d.noteTrees(evs)
	return nil
}

// workloadsNamed lists the workload ids (hex) that events of a block name:
// a run's, an allocation's, a slot's or a challenge's.
func workloadsNamed(evs []abci.Event) []string {
	var ids []string
	for _, e := range evs {
		switch e.Type {
		case "run", "workload", "slot", "challenge":
		default:
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == "workload" || (e.Type == "workload" && a.Key == "id") {
				ids = append(ids, a.Value)
			}
		}
	}
	return ids
}

// sortedInterest lists, once each and in order, the workloads to tend:
// those of interest and those of every job (jobs always stay of interest).
func (d *Daemon) sortedInterest() []string {
	ids := maps.Clone(d.interest)
	if ids == nil {
		ids = map[string]bool{}
	}
	for _, j := range d.jobs.jobs {
		ids[j.Workload] = true
	}
	return slices.Sorted(maps.Keys(ids))
}

func (d *Daemon) statePath() string { return filepath.Join(d.cfg.Dir, "state.json") }

func (d *Daemon) loadState() error {
	b, err := os.ReadFile(d.statePath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &d.saved); err != nil {
		return fmt.Errorf("daemon state %s: %w", d.statePath(), err)
	}
	for _, id := range d.saved.Interest {
		d.interest[id] = true
	}
	if d.trees == nil {
		d.trees = map[string]*treeWork{}
	}
	for _, id := range d.saved.Trees {
		d.trees[id] = newTreeWork()
	}
	return nil
}

func (d *Daemon) saveState() error {
	d.saved.Interest = d.saved.Interest[:0]
	for id := range d.interest {
		d.saved.Interest = append(d.saved.Interest, id)
	}
	sort.Strings(d.saved.Interest)
	d.saved.Trees = d.sortedTrees()
	b, err := json.Marshal(d.saved)
	if err != nil {
		return err
	}
	tmp := d.statePath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, d.statePath())
}

func decodeID(id string) ([]byte, error) {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("bad workload id %q", id)
	}
	return b, nil
}
