package httpapi

import (
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// validatorList answers GET /v1/validators?limit=&cursor= (issue 19): the validator records, a
// page in consensus address order: bonded, unbonding and jailed.
func (s *server) validatorList(w http.ResponseWriter, r *http.Request) {
	req, ok := listRequest(w, r)
	if !ok {
		return
	}
	list, resp, ok := queryAs[pb.ValidatorList](s, w, r, chain.PathValidators, req.Encode())
	if !ok {
		return
	}
	out := wire.ValidatorPage{Validators: make([]wire.Validator, 0, len(list.Validators)), Next: resp.Info}
	for _, v := range list.Validators {
		out.Validators = append(out.Validators, ValidatorOf(v))
	}
	reply(w, out)
}

// ValidatorOf converts a stored validator to the API's form.
func ValidatorOf(v *pb.Validator) wire.Validator {
	out := wire.Validator{
		Address: fmt.Sprintf("%X", v.ConsensusAddress), PubKey: hex.EncodeToString(v.ConsensusPublicKey),
		Power: v.Power, Stake: v.Stake, Slashed: v.Slashed, CreatedHeight: v.CreatedHeight, UnbondHeight: v.UnbondHeight, UnbondTime: v.UnbondTime,
		Status: "unbonding",
	}
	switch {
	case v.Jailed:
		out.Status, out.JailedFor = "jailed", "double_sign"
		if v.JailedForDowntime {
			out.JailedFor = "downtime"
		}
	case v.Withdrawn:
		out.Status = "withdrawn"
	case v.Power > 0:
		out.Status = "bonded"
	}
	if a, err := address.FromBytes(v.Operator); err == nil {
		out.Operator = a.String()
	}
	return out
}
