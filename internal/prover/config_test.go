package prover

import (
	"strings"
	"testing"

	"github.com/provernet/provernet/wire"
)

// TestRegistrationValidate checks that the daemon refuses, at start, a
// declaration the chain would refuse (a bad GPU), and sends GPUs it
// declares.
func TestRegistrationValidate(t *testing.T) {
	r := &Registration{CPUCores: 2, MemoryMB: 2048, MaxConcurrent: 1,
		GPUs: []wire.GPU{{Model: "rtx-4090", MemoryMB: 24576}}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if hw := r.Hardware(); len(hw.Gpus) != 1 || hw.Gpus[0].Model != "rtx-4090" || hw.Gpus[0].MemoryMb != 24576 {
		t.Fatalf("declared %v", hw)
	}
	for name, bad := range map[string]*Registration{
		"gpu without memory": {CPUCores: 1, MemoryMB: 1, MaxConcurrent: 1, GPUs: []wire.GPU{{Model: "a"}}},
		"gpu without model":  {CPUCores: 1, MemoryMB: 1, MaxConcurrent: 1, GPUs: []wire.GPU{{MemoryMB: 1}}},
		"no cores":           {MemoryMB: 1, MaxConcurrent: 1},
	} {
		if err := bad.Validate(); err == nil || !strings.HasPrefix(err.Error(), "prover: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
