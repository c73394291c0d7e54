package treepair

// HashForTest is the statement's MiMC, for tests.
func HashForTest(xs ...Element) (Element, error) { return hash(xs...), nil }

// CommitmentHashForTest is commitmentHash, for tests.
var CommitmentHashForTest = commitmentHash
