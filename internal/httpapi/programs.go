package httpapi

import (
	"encoding/hex"
	"net/http"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/record"
)

func (s *server) program(w http.ResponseWriter, r *http.Request) {
	id, err := hex.DecodeString(r.PathValue("id"))
	if err != nil || len(id) != 32 {
		fail(w, http.StatusBadRequest, "a program id is 64 hex digits", "`provernet query programs` lists them")
		return
	}
	p, _, ok := queryAs[pb.Program](s, w, r, chain.PathProgram, id)
	if !ok {
		return
	}
	reply(w, ProgramOf(p))
}

// ProgramOf converts a stored program to the API's form.
func ProgramOf(p *pb.Program) wire.Program {
	out := wire.Program{ID: hex.EncodeToString(p.Id), Name: p.Name, Verifier: moduleOf(p.Verifier),
		Prover: moduleOf(p.Prover), Height: p.Height, VerifyCycles: p.VerifyCycles}
	if a, err := address.FromBytes(p.Owner); err == nil {
		out.Owner = a.String()
	}
	out.MinHardware = hardwareOf(p.MinHardware)
	return out
}

func hardwareOf(hw *pb.Hardware) *wire.Hardware { return record.Hardware(hw) }

func moduleOf(m *pb.Module) *wire.Module {
	if m == nil {
		return nil
	}
	return &wire.Module{SHA256: hex.EncodeToString(m.Sha256), Size: m.Size}
}
