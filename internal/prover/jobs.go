package prover

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/provernet/provernet/wire/pb"
)

// jobState is how far the daemon got with one slot.
type jobState string

const (
	jobProving   jobState = "proving"   // a worker is running (or was, before a restart)
	jobProved    jobState = "proved"    // the result is on disk, not yet submitted
	jobSubmitted jobState = "submitted" // SubmitResult sent; the identity is kept for the reveal
	jobRevealed  jobState = "revealed"  // RevealKey sent
	jobFailed    jobState = "failed"    // written by earlier versions (the program could not run); such a job is left alone. Now a program that gives no proof is answered with fail
)

// job is one slot the daemon works on, as kept on disk.
type job struct {
	Workload   string     `json:"workload"` // hex id
	Slot       uint32     `json:"slot"`
	State      jobState   `json:"state"`
	Open       bool       `json:"open"` // filling an open slot rather than an allocated one
	Outcome    pb.Outcome `json:"outcome,omitempty"`
	CyclesUsed uint64     `json:"cycles_used,omitempty"`
	Identity   string     `json:"identity,omitempty"` // the temporary age identity, secret until revealed
	// Identities keeps every identity a sealed file was ever sent with, by
	// commit (hex): a resent result has a new one, and whichever file lands
	// must be revealable.
	Identities map[string]string `json:"identities,omitempty"`
	SentHeight int64             `json:"sent_height,omitempty"` // the tip when the last Accept, SubmitResult or RevealKey went out
	RetryAt    int64             `json:"retry_at,omitempty"`    // after an infrastructure error, prove again from this height
	// MissingSince is the height at which an input blob was first found
	// missing everywhere (0: never, or found since).
	MissingSince int64  `json:"missing_since,omitempty"`
	Sealed       string `json:"sealed,omitempty"` // path of the sealed file
	Proof        string `json:"proof,omitempty"`  // path of the proof
	Error        string `json:"error,omitempty"`
}

func (j job) key() string { return jobKey(j.Workload, j.Slot) }

// holdsCapacity reports whether the job counts against the daemon's
// capacity: it is being proved, or proved and not yet submitted.
func (j job) holdsCapacity() bool { return j.State == jobProving || j.State == jobProved }

// identityFor is the temporary identity that opens the sealed file with
// the given commit: the chain keeps whichever of the job's submissions
// landed. A job saved before identities were kept by commit has only its
// last one.
func (j job) identityFor(commit []byte) string {
	if id, ok := j.Identities[hex.EncodeToString(commit)]; ok {
		return id
	}
	return j.Identity
}

func jobKey(workload string, slot uint32) string { return fmt.Sprintf("%s-%d", workload, slot) }

// jobStore keeps the jobs under dir/jobs, one JSON file each, written
// atomically (temp file, rename).
type jobStore struct {
	dir  string
	jobs map[string]*job
}

func openJobs(dir string) (*jobStore, error) {
	s := &jobStore{dir: filepath.Join(dir, "jobs"), jobs: map[string]*job{}}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var j job
		if err := json.Unmarshal(b, &j); err != nil {
			return nil, fmt.Errorf("job file %s: %w", e.Name(), err)
		}
		s.jobs[j.key()] = &j
	}
	return s, nil
}

func (s *jobStore) get(workload []byte, slot uint32) *job {
	return s.jobs[jobKey(hex.EncodeToString(workload), slot)]
}

// forWorkload returns the jobs of one workload.
func (s *jobStore) forWorkload(workload []byte) []*job {
	prefix := hex.EncodeToString(workload) + "-"
	var out []*job
	for k, j := range s.jobs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, j)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Slot < out[b].Slot })
	return out
}

// active counts the jobs that hold capacity (proving or proved).
func (s *jobStore) active() int {
	n := 0
	for _, j := range s.jobs {
		if j.holdsCapacity() {
			n++
		}
	}
	return n
}

func (s *jobStore) save(j *job) error {
	s.jobs[j.key()] = j
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir, j.key()+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.dir, j.key()+".json"))
}

func (s *jobStore) drop(j *job) error {
	delete(s.jobs, j.key())
	for _, p := range []string{j.Sealed, j.Proof, filepath.Join(s.dir, j.key()+".json")} {
		if p != "" {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// path names a file of job j.
func (s *jobStore) path(j *job, suffix string) string {
	return filepath.Join(s.dir, j.key()+"."+suffix)
}
