package seal

import "testing"

func TestJudge(t *testing.T) {
	user := mustIdentity(t)
	temp := mustIdentity(t)
	other := mustIdentity(t)
	want := testHeader()
	seal := func(h Header) []byte {
		f, err := Seal(h, testProof(300), user.Recipient().String(), temp)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	relabel := func(f func(*Header)) Header { h := want; f(&h); return h }
	cases := []struct {
		name     string
		file     []byte
		identity string
		want     Judgement
	}{
		{"sound", seal(want), temp.String(), Sound},
		{"another prover's header", seal(relabel(func(h *Header) { h.Prover[0] ^= 1 })), temp.String(), Copied},
		{"another slot", seal(relabel(func(h *Header) { h.Slot++ })), temp.String(), Invalid},
		{"another workload", seal(relabel(func(h *Header) { h.Workload[5] ^= 1 })), temp.String(), Invalid},
		{"other cycles", seal(relabel(func(h *Header) { h.CyclesUsed-- })), temp.String(), Invalid},
		{"other outcome", seal(relabel(func(h *Header) { h.Outcome = OutcomeFail })), temp.String(), Invalid},
		{"wrong identity", seal(want), other.String(), Invalid},
		{"garbage", []byte("age-encryption.org/v1\nnot a file"), temp.String(), Invalid},
	}
	for _, c := range cases {
		got, proof, err := Judge(c.file, c.identity, want, user.Recipient().String(), testMaxProof)
		if got != c.want {
			t.Errorf("%s: Judge = %v (%v); want %v", c.name, got, err, c.want)
		}
		if (got == Sound) != (err == nil) || (got == Sound) != (len(proof) == 300) {
			t.Errorf("%s: judgement %v with err %v and %d proof bytes", c.name, got, err, len(proof))
		}
	}
}

func TestJudgeCatchesADeniedUser(t *testing.T) {
	user, temp := mustIdentity(t), mustIdentity(t)
	f, err := Seal(testHeader(), testProof(10), user.Recipient().String(), temp)
	if err != nil {
		t.Fatal(err)
	}
	// The file is sound for its own user; judged for another user (as if
	// the prover had wrapped the file key to someone else), it is not.
	if got, _, _ := Judge(f, temp.String(), testHeader(), mustIdentity(t).Recipient().String(), testMaxProof); got != Invalid {
		t.Fatalf("Judge for another user = %v; want invalid", got)
	}
}
