package zkhost

import "github.com/provernet/provernet/sdk/zkabi"

// chargeTable is provernet_zk_v1's charge table, in cycles (charge.go says
// what each coefficient prices). Fitted by TestCalibrate (-calibrate) on
// 2026-12-05 on the reference machine (2 vCPU AMD EPYC, Go 1.26): each
// backend timed natively on one core at 2^10 to 2^16 constraints (2^14
// for BLS12-377 and BW6-761), converted at CyclesPerSecond. The MSM and
// FFT coefficients are one scale per backend over a fixed template, the
// least that charges the largest sizes 1.1 times what they took; the base
// then covers the smaller sizes, which pay 1.1 to 2 times (a proof's cost
// per point falls as circuits grow). The solver's coefficients are fixed
// from systems built to be cheap in constraints and expensive to solve.
// Verification: the slowest measured, with 10% headroom, as its base.
var chargeTable = map[backendKey]coefficients{
	{zkabi.Groth16, zkabi.BN254}: {
		ParseSystem: 1749, ParseProvingKey: 689, ParseVerifyingKey: 286981, ParseVerifyingKeyBase: 7102774,
		ProveBase: 1485177064, PerConstraint: 7666, PerDomainLog: 3833, PerG1: 76661, PerG2: 229984,
		PerInstruction: 17000, PerCalldata: 425, PerWire: 2550,
		VerifyBase: 18947027, PerPublic: 947351,
	},
	{zkabi.Groth16, zkabi.BLS12381}: {
		ParseSystem: 976, ParseProvingKey: 401, ParseVerifyingKey: 307945, ParseVerifyingKeyBase: 11316978,
		ProveBase: 2361528029, PerConstraint: 13115, PerDomainLog: 6557, PerG1: 131156, PerG2: 393469,
		PerInstruction: 17000, PerCalldata: 425, PerWire: 2550,
		VerifyBase: 44279299, PerPublic: 2213964,
	},
	{zkabi.Groth16, zkabi.BLS12377}: {
		ParseSystem: 2163, ParseProvingKey: 730, ParseVerifyingKey: 427869, ParseVerifyingKeyBase: 15724175,
		ProveBase: 2713009564, PerConstraint: 12752, PerDomainLog: 6376, PerG1: 127528, PerG2: 382584,
		PerInstruction: 17000, PerCalldata: 425, PerWire: 2550,
		VerifyBase: 48534223, PerPublic: 2426711,
	},
	{zkabi.Groth16, zkabi.BW6761}: {
		ParseSystem: 1154, ParseProvingKey: 592, ParseVerifyingKey: 959945, ParseVerifyingKeyBase: 52556939,
		ProveBase: 3513881010, PerConstraint: 50504, PerDomainLog: 25252, PerG1: 505047, PerG2: 1515143,
		PerInstruction: 17000, PerCalldata: 425, PerWire: 2550,
		VerifyBase: 139742781, PerPublic: 6987139,
	},
	{zkabi.PLONK, zkabi.BN254}: {
		ParseSystem: 1566, ParseProvingKey: 1273, ParseVerifyingKey: 3015, ParseVerifyingKeyBase: 6470340,
		ProveBase: 1510139072, PerConstraint: 7736, PerDomainLog: 38683, PerG1: 77367, PerG2: 232101,
		PerInstruction: 34000, PerCalldata: 850, PerWire: 5100,
		VerifyBase: 34538432, PerPublic: 1726921,
	},
	{zkabi.PLONK, zkabi.BLS12381}: {
		ParseSystem: 1501, ParseProvingKey: 1224, ParseVerifyingKey: 2990, ParseVerifyingKeyBase: 9181082,
		ProveBase: 2639378627, PerConstraint: 11422, PerDomainLog: 57111, PerG1: 114222, PerG2: 342668,
		PerInstruction: 34000, PerCalldata: 850, PerWire: 5100,
		VerifyBase: 106503306, PerPublic: 5325165,
	},
	{zkabi.PLONK, zkabi.BLS12377}: {
		ParseSystem: 1082, ParseProvingKey: 1265, ParseVerifyingKey: 3458, ParseVerifyingKeyBase: 10619935,
		ProveBase: 2475070653, PerConstraint: 11314, PerDomainLog: 56570, PerG1: 113141, PerG2: 339425,
		PerInstruction: 34000, PerCalldata: 850, PerWire: 5100,
		VerifyBase: 99652879, PerPublic: 4982643,
	},
	{zkabi.PLONK, zkabi.BW6761}: {
		ParseSystem: 1359, ParseProvingKey: 3608, ParseVerifyingKey: 6984, ParseVerifyingKeyBase: 63897900,
		ProveBase: 8026420587, PerConstraint: 49894, PerDomainLog: 249474, PerG1: 498948, PerG2: 1496845,
		PerInstruction: 34000, PerCalldata: 850, PerWire: 5100,
		VerifyBase: 354066884, PerPublic: 17703344,
	},
}

// fallbackCoefficients price a backend missing from the table (only the
// tests' fakes): every coefficient the largest of the table's, so no
// backend is ever under-priced.
var fallbackCoefficients = func() coefficients {
	var m coefficients
	for _, c := range chargeTable {
		m.ParseSystem = max(m.ParseSystem, c.ParseSystem)
		m.ParseProvingKey = max(m.ParseProvingKey, c.ParseProvingKey)
		m.ParseVerifyingKey = max(m.ParseVerifyingKey, c.ParseVerifyingKey)
		m.ParseVerifyingKeyBase = max(m.ParseVerifyingKeyBase, c.ParseVerifyingKeyBase)
		m.ProveBase = max(m.ProveBase, c.ProveBase)
		m.PerConstraint = max(m.PerConstraint, c.PerConstraint)
		m.PerDomainLog = max(m.PerDomainLog, c.PerDomainLog)
		m.PerG1 = max(m.PerG1, c.PerG1)
		m.PerG2 = max(m.PerG2, c.PerG2)
		m.PerInstruction = max(m.PerInstruction, c.PerInstruction)
		m.PerCalldata = max(m.PerCalldata, c.PerCalldata)
		m.PerWire = max(m.PerWire, c.PerWire)
		m.VerifyBase = max(m.VerifyBase, c.VerifyBase)
		m.PerPublic = max(m.PerPublic, c.PerPublic)
	}
	return m
}()
