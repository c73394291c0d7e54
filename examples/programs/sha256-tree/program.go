package sha256tree

// The four programs' entry points on the contract's arguments (input
// paths), for progcore.ProverMain and progcore.VerifierMain.

// BaseProver reads a base node's files and returns its node result.
func BaseProver(paths []string) ([]byte, error) {
	f, err := ReadFiles(paths, BaseLimits(false))
	if err != nil {
		return nil, err
	}
	outputs, proof, err := ProveBase(f)
	if err != nil {
		return nil, err
	}
	return EncodeNodeResult(outputs, proof), nil
}

// BaseVerifier reads a base node's files and the claimed outputs and
// checks proof.
func BaseVerifier(paths []string, proof []byte) error {
	f, err := ReadFiles(paths, BaseLimits(true))
	if err != nil {
		return err
	}
	return VerifyBase(f, proof)
}

// MergeProver reads a merge node's files and returns its node result.
func MergeProver(paths []string) ([]byte, error) {
	f, err := ReadFiles(paths, MergeLimits(false))
	if err != nil {
		return nil, err
	}
	outputs, proof, err := ProveMerge(f)
	if err != nil {
		return nil, err
	}
	return EncodeNodeResult(outputs, proof), nil
}

// MergeVerifier reads a merge node's files and the claimed outputs and
// checks proof.
func MergeVerifier(paths []string, proof []byte) error {
	f, err := ReadFiles(paths, MergeLimits(true))
	if err != nil {
		return err
	}
	return VerifyMerge(f, proof)
}
