package prover

import (
	"encoding/hex"
	"os"
	"testing"
)

// TestJobStoreSurvivesReopen: what the daemon keeps about its jobs comes
// back after a restart, holds capacity only while proving or proved, and
// is gone with its files once dropped.
func TestJobStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := openJobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	w1, w2 := make([]byte, 32), make([]byte, 32)
	w2[0] = 1
	jobs := []*job{
		{Workload: hex.EncodeToString(w1), Slot: 1, State: jobProved, Identities: map[string]string{"aa": "id-a"}},
		{Workload: hex.EncodeToString(w1), Slot: 0, State: jobProving, SentHeight: 7},
		{Workload: hex.EncodeToString(w2), Slot: 0, State: jobSubmitted},
	}
	for _, j := range jobs {
		if err := s.save(j); err != nil {
			t.Fatal(err)
		}
	}
	proof := s.path(jobs[0], "proof")
	if err := os.WriteFile(proof, []byte("p"), 0o600); err != nil {
		t.Fatal(err)
	}
	jobs[0].Proof = proof
	if err := s.save(jobs[0]); err != nil {
		t.Fatal(err)
	}

	s, err = openJobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.active(); n != 2 {
		t.Fatalf("active %d, want 2 (proving and proved)", n)
	}
	got := s.forWorkload(w1)
	if len(got) != 2 || got[0].Slot != 0 || got[1].Slot != 1 || got[0].SentHeight != 7 || got[1].Identities["aa"] != "id-a" {
		t.Fatalf("jobs of w1 after reopening: %+v", got)
	}
	if err := s.drop(got[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(proof); !os.IsNotExist(err) {
		t.Fatalf("the dropped job's proof is still there: %v", err)
	}
	if s, err = openJobs(dir); err != nil {
		t.Fatal(err)
	}
	if len(s.jobs) != 2 || s.get(w1, 1) != nil || s.get(w2, 0) == nil {
		t.Fatalf("after a drop and a reopen: %v", s.jobs)
	}
}

// TestIdentityForCommit: a reveal sends the identity of the file that
// landed, whichever of the job's submissions it was.
func TestIdentityForCommit(t *testing.T) {
	j := job{Identity: "last", Identities: map[string]string{"0102": "first", "0304": "last"}}
	for commit, want := range map[string]string{"0102": "first", "0304": "last", "ffff": "last"} {
		c, _ := hex.DecodeString(commit)
		if got := j.identityFor(c); got != want {
			t.Errorf("commit %s: %q, want %q", commit, got, want)
		}
	}
	old := job{Identity: "only"} // saved before identities were kept by commit
	if got := old.identityFor([]byte{1}); got != "only" {
		t.Errorf("an old job: %q", got)
	}
}
