// Package seal builds and opens the sealed result a prover submits
// (PROTOCOL.md 5.4).
//
// A sealed result is one age file (the C2SP age-encryption.org/v1 format,
// binary, never armored) whose plaintext is a fixed-size binding Header
// followed by the proof bytes. It is encrypted once, to at most two
// recipients: the user's age recipient from the Run (X25519 "age1..." or
// post-quantum hybrid "age1pq1...") and a fresh temporary X25519 identity
// the prover made for the slot. Challenge workloads have no user, so their
// results are sealed to the temporary identity alone. The user opens the file
// at once with any age tool; everyone else opens it once the prover has
// revealed the temporary identity, whose SHA-256 (Commit) the submission
// carried. An X25519 user stanza's ephemeral key is derived from the
// temporary identity (userstanza.go), so that after the reveal anyone can
// check the user was given the file key (CheckUserStanza).
//
// Invariants:
//
//   - Every file Seal makes passes CheckFile and opens with Open, with the
//     user's identity and with the temporary one, to the same header and
//     proof.
//   - Every file Seal makes for an X25519 user passes CheckUserStanza with
//     its temporary identity.
//   - Open, OpenWith, ParseHeader, ParseRecipient, CheckFile and
//     CheckUserStanza are pure
//     functions of their arguments: no clock, no randomness, no I/O. The
//     chain calls them in consensus code, so every node reaches the same
//     verdict and the same error text.
//   - Nothing panics on any input, and no allocation exceeds the input's size
//     (Open reads at most maxProof proof bytes).
//   - Open rejects every file CheckFile rejects (except for its size limit),
//     so a file that opens was also admissible.
//   - Decryption failures wrap ErrWrongIdentity (no identity matched a
//     stanza) or ErrMalformed (anything wrong with the file or its plaintext).
//
// A file sealed to a hybrid user recipient also carries the classic X25519
// stanza of the temporary identity. age refuses that mix by default because
// it voids the post-quantum protection; here the protocol publishes the
// temporary identity at reveal anyway, so the hybrid stanza is what lets a
// post-quantum-only user open the file, not what keeps it secret.
package seal
