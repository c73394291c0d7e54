package protocol_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
)

// CometBFT's side of a validator story (staking review): the validator set
// of each height, as the genesis and the blocks' updates make it (the
// updates of block H apply from H+2), which of its keys run, whether a
// block can commit (more than two thirds of the set's power signs it), and
// the last commit each block hands FinalizeBlock (DecidedLastCommit):
//
//	offline key=V,...: from now on nobody runs V (its votes are absent)
//	online key=V,...: V runs again
//	misses key=V,...: the misses V's record counts over the last downtime_window heights
//	comet: the set of the running height, its total, the largest share, the power online and whether the block can commit
//	finalize-block ...: stops with "halted" at a block the set cannot commit
//
// Only stories whose genesis names validators= have a set.

// cometSet is one height's validator set: key name -> power.
type cometSet map[string]int64

func (c cometSet) total() int64 {
	var n int64
	for _, p := range c {
		n += p
	}
	return n
}

// names are the set's key names in order, for determinism.
func (c cometSet) names() []string {
	out := make([]string, 0, len(c))
	for n := range c {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (s *scenario) handleComet(c *cmd) (string, bool) {
	switch c.d.Cmd {
	case "offline", "online":
		if s.vals.sets == nil {
			c.fail("%s needs a genesis with validators=", c.d.Cmd)
		}
		if s.vals.offline == nil {
			s.vals.offline = map[string]bool{}
		}
		for _, k := range c.list("key") {
			s.vals.offline[k] = c.d.Cmd == "offline"
		}
		return "ok", true
	case "misses": // misses key=V,...: the misses counted in V's window
		var out []string
		for _, k := range c.list("key") {
			n, err := protocol.MissedBlocks(s.tree.Working(), s.env.Params, s.consAddr(k))
			if err != nil {
				return "error: " + err.Error(), true
			}
			out = append(out, fmt.Sprintf("%s=%d", k, n))
		}
		return "misses " + strings.Join(out, " "), true
	case "comet":
		if s.vals.sets == nil {
			c.fail("comet needs a genesis with validators=")
		}
		return s.showComet(s.env.Height), true
	}
	return "", false
}

// startComet sets the genesis's validators as the set of heights 1 and 2.
func (s *scenario) startComet(powers []protocol.GenesisPower) {
	s.vals.sets = nil
	if powers == nil {
		return
	}
	g := cometSet{}
	for _, p := range powers {
		g[s.vals.names[fmt.Sprintf("%X", protocol.ConsensusAddress(p.PubKey))]] = p.Power
	}
	s.vals.sets = map[int64]cometSet{1: g, 2: g}
}

// online is the power of set that runs.
func (s *scenario) online(set cometSet) int64 {
	var n int64
	for name, p := range set {
		if !s.vals.offline[name] {
			n += p
		}
	}
	return n
}

// cannotCommit says why the set of height cannot commit its block, or "".
func (s *scenario) cannotCommit(height int64) string {
	set := s.vals.sets[height]
	if set == nil {
		return ""
	}
	if on, total := s.online(set), set.total(); 3*on <= 2*total {
		return fmt.Sprintf("halted: height %d cannot commit: %d of the set's %d power signs, not more than two thirds", height, on, total)
	}
	return ""
}

// applyUpdates makes the set of height+2 from height+1's and block
// height's updates.
func (s *scenario) applyUpdates(height int64, us []protocol.ValidatorUpdate) {
	if s.vals.sets == nil {
		return
	}
	next := cometSet{}
	for n, p := range s.vals.sets[height+1] {
		next[n] = p
	}
	for _, u := range us {
		name := s.vals.names[fmt.Sprintf("%X", protocol.ConsensusAddress(u.PubKey))]
		if u.Power == 0 {
			delete(next, name)
		} else {
			next[name] = u.Power
		}
	}
	s.vals.sets[height+2] = next
	delete(s.vals.sets, height-1)
}

// lastCommit is what block height's DecidedLastCommit says of the set of
// height-1: who signed.
func (s *scenario) lastCommit(height int64) []protocol.Signature {
	set := s.vals.sets[height-1]
	var out []protocol.Signature
	for _, name := range set.names() {
		out = append(out, protocol.Signature{ConsensusAddress: s.consAddr(name), Signed: !s.vals.offline[name]})
	}
	return out
}

// recordCommit hands the running block its last commit.
func (s *scenario) recordCommit(t testing.TB) []string {
	if s.vals.sets == nil {
		return nil
	}
	evs, err := protocol.RecordSignatures(s.tree.Working(), s.env, s.lastCommit(s.env.Height))
	if err != nil {
		t.Fatal(err)
	}
	return s.formatEvents(evs)
}

func (s *scenario) showComet(height int64) string {
	set := s.vals.sets[height]
	var parts []string
	var top string
	for _, name := range set.names() {
		p := set[name]
		state := ""
		if s.vals.offline[name] {
			state = "(offline)"
		}
		parts = append(parts, fmt.Sprintf("%s=%d%s", name, p, state))
		if top == "" || p > set[top] {
			top = name
		}
	}
	total, on := set.total(), s.online(set)
	commits := "yes"
	if 3*on <= 2*total {
		commits = "no"
	}
	return fmt.Sprintf("set at height %d: %s\ntotal=%d largest=%s %d/%d (under a third: %v) online=%d commits=%s",
		height, strings.Join(parts, " "), total, top, set[top], total, 3*set[top] < total, on, commits)
}
