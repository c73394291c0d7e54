package zkhost

import "github.com/provernet/provernet/sdk/zkabi"

// chargeTable is provernet_zk_v1's calibrated table (charge.go says how
// it was made; docs/HOST_ABI.md lists it).
var chargeTable = map[backendKey]coefficients{
	{zkabi.Groth16, zkabi.BN254}: {
		ParseSystem: 17 * 16, ParseProvingKey: 17 * 16, ParseVerifyingKey: 17 * 16 * 64,
		ProveBase: 17_000_000, PerConstraint: 17 * 300, PerDomainLog: 17 * 100, PerG1: 17 * 2500, PerG2: 17 * 7500,
		VerifyBase: 17 * 1_500_000, PerPublic: 17 * 100_000,
	},
}

// fallbackCoefficients price a backend missing from the table: the most
// expensive entry, so that no backend is under-priced.
var fallbackCoefficients = coefficients{
	ParseSystem: 17 * 32, ParseProvingKey: 17 * 32, ParseVerifyingKey: 17 * 16 * 128,
	ProveBase: 34_000_000, PerConstraint: 17 * 600, PerDomainLog: 17 * 300, PerG1: 17 * 6000, PerG2: 17 * 18000,
	VerifyBase: 17 * 4_000_000, PerPublic: 17 * 200_000,
}
