package seal

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// A malicious sealer's toolkit: Poly1305 key recovery and a one-block
// ciphertext valid under two keys (invisible salamanders).

// polyKey returns r (clamped) and s of ChaCha20-Poly1305's one-time key.
func polyKey(key []byte) (r, s *big.Int) {
	c, _ := chacha20.NewUnauthenticatedCipher(key, make([]byte, 12))
	k := make([]byte, 32)
	c.XORKeyStream(k, k)
	rb := append([]byte(nil), k[:16]...)
	rb[3] &= 15
	rb[7] &= 15
	rb[11] &= 15
	rb[15] &= 15
	rb[4] &= 252
	rb[8] &= 252
	rb[12] &= 252
	return le(rb), le(k[16:32])
}
func le(b []byte) *big.Int {
	x := make([]byte, len(b))
	for i := range b {
		x[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(x)
}
func leBytes(x *big.Int, n int) []byte {
	b := x.FillBytes(make([]byte, n))
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

// collide finds a 16-byte ciphertext block whose ChaCha20-Poly1305 tag is
// the same under k1 and k2 (empty AAD, zero nonce): the body is valid under
// both keys. ok=false means try another pair of keys.
func collide(k1, k2 []byte) ([]byte, bool) {
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 130), big.NewInt(5))
	two128 := new(big.Int).Lsh(big.NewInt(1), 128)
	r1, s1 := polyKey(k1)
	r2, s2 := polyKey(k2)
	lens := make([]byte, 16)
	binary.LittleEndian.PutUint64(lens[8:], 16)
	n2 := new(big.Int).Add(le(lens), two128)
	acc := func(x, r *big.Int) *big.Int { // x*r^2 + n2*r mod p
		t := new(big.Int).Mul(x, r)
		t.Mul(t, r)
		u := new(big.Int).Mul(n2, r)
		t.Add(t, u)
		return t.Mod(t, p)
	}
	den := new(big.Int).Sub(new(big.Int).Mul(r1, r1), new(big.Int).Mul(r2, r2))
	den.Mod(den, p)
	inv := new(big.Int).ModInverse(den, p)
	if inv == nil {
		return nil, false
	}
	for j := int64(-5); j <= 5; j++ {
		d := new(big.Int).Sub(s2, s1)
		d.Add(d, new(big.Int).Mul(big.NewInt(j), two128))
		num := new(big.Int).Sub(d, new(big.Int).Mul(n2, new(big.Int).Sub(r1, r2)))
		x := new(big.Int).Mul(num.Mod(num, p), inv)
		x.Mod(x, p)
		if x.Cmp(two128) < 0 || x.Cmp(new(big.Int).Lsh(two128, 1)) >= 0 {
			continue
		}
		t1 := new(big.Int).Add(acc(x, r1), s1)
		t1.Mod(t1, two128)
		t2 := new(big.Int).Add(acc(x, r2), s2)
		t2.Mod(t2, two128)
		if t1.Cmp(t2) != 0 {
			continue
		}
		return leBytes(new(big.Int).Sub(x, two128), 16), true
	}
	return nil, false
}

func wrapKey(eph *ecdh.PrivateKey, to []byte) []byte {
	pub, _ := ecdh.X25519().NewPublicKey(to)
	shared, _ := eph.ECDH(pub)
	salt := append(append([]byte(nil), eph.PublicKey().Bytes()...), to...)
	k, _ := hkdf.Key(sha256.New, shared, salt, x25519Label, 32)
	return k
}

// maliciousSeal builds a file whose temporary stanza comes first and also
// decrypts, under the user's key, to a wrong file key; the derived user
// stanza that follows is correct.
func maliciousSeal(t *testing.T, h Header, proof []byte, user *age.X25519Identity, temp *age.X25519Identity) []byte {
	tempPub, _ := x25519Key(temp.Recipient().String())
	userPub, _ := x25519Key(user.Recipient().String())
	var eph *ecdh.PrivateKey
	var ct, k1 []byte
	for tries := 0; ; tries++ {
		eph, _ = ecdh.X25519().GenerateKey(rand.Reader)
		k1 = wrapKey(eph, tempPub)
		k2 := wrapKey(eph, userPub)
		var ok bool
		if ct, ok = collide(k1, k2); ok {
			t.Logf("collision after %d ephemeral keys", tries+1)
			break
		}
	}
	// the file key is whatever ct decrypts to under k1
	c, _ := chacha20.NewUnauthenticatedCipher(k1, make([]byte, 12))
	c.SetCounter(1)
	fileKey := make([]byte, 16)
	c.XORKeyStream(fileKey, ct)
	a1, _ := chacha20poly1305.New(k1)
	body := a1.Seal(nil, make([]byte, 12), fileKey, nil)
	if !bytes.Equal(body[:16], ct) {
		t.Fatal("ct mismatch")
	}
	userStanza, err := boundRecipient{user: userPub, identity: temp.String()}.Wrap(fileKey)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawStdEncoding
	var hdr bytes.Buffer
	hdr.WriteString("age-encryption.org/v1\n")
	hdr.WriteString("-> X25519 " + b64.EncodeToString(eph.PublicKey().Bytes()) + "\n" + b64.EncodeToString(body) + "\n")
	hdr.WriteString("-> X25519 " + userStanza[0].Args[0] + "\n" + b64.EncodeToString(userStanza[0].Body) + "\n")
	hdr.WriteString("---")
	hk, _ := hkdf.Key(sha256.New, fileKey, nil, "header", 32)
	m := hmac.New(sha256.New, hk)
	m.Write(hdr.Bytes())
	hdr.WriteString(" " + b64.EncodeToString(m.Sum(nil)) + "\n")
	nonce := make([]byte, 16)
	rand.Read(nonce)
	sk, _ := hkdf.Key(sha256.New, fileKey, nonce, "payload", 32)
	a, _ := chacha20poly1305.New(sk)
	n12 := make([]byte, 12)
	n12[11] = 1
	plain := append(h.Marshal(), proof...)
	out := append(hdr.Bytes(), nonce...)
	return a.Seal(out, n12, plain, nil)
}

// TestUserStanzaMustComeFirst: a prover can build a file whose own stanza
// comes first and, under the user's key too, unwraps to a wrong file key
// (ChaCha20-Poly1305 does not commit to its key), followed by a correct
// derived user stanza. The user's age stops at the first stanza and fails
// the header MAC, so the user is denied the file; CheckUserStanza must
// refuse it, which it does by requiring the derived stanza first.
func TestUserStanzaMustComeFirst(t *testing.T) {
	user := mustIdentity(t)
	temp := mustIdentity(t)
	h, proof := testHeader(), testProof(300)
	file := maliciousSeal(t, h, proof, user, temp)
	if err := CheckFile(file, 1<<21); err != nil {
		t.Fatalf("CheckFile: %v", err)
	}
	mustOpen(t, file, temp.String(), h, proof) // the chain opens it at reveal
	if _, _, err := Open(file, user.String(), testMaxProof); err == nil || !strings.Contains(err.Error(), "MAC") {
		t.Fatalf("the attack's premise: the user should fail on the header MAC, got %v", err)
	}
	if err := CheckUserStanza(file, temp.String(), user.Recipient().String()); !errors.Is(err, ErrUserStanza) {
		t.Fatalf("CheckUserStanza = %v on a file the user cannot open, want ErrUserStanza", err)
	}
}
