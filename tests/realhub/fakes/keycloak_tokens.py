"""JSON Web Tokens as Keycloak signs them: RS256 (RSASSA-PKCS1-v1_5
with SHA-256, RFC 7518 3.3) for access and ID tokens, with the key published as a JWK at the
realm's /certs (RFC 7517), and HS512 for refresh tokens, which Keycloak signs with the realm's
HMAC key and never publishes (keys/GeneratedHmacKeyProviderFactory; TokenManager: refresh tokens
are "Refresh"-typed JWTs). The key comes from `cryptography` (JupyterHub's own dependency, so in
every hub venv): its OpenSSL makes the primes in a tenth of the time a pure-Python search took,
which each real-hub run with Keycloak paid (2048 bits, e = 65537, Keycloak's rsa-generated
defaults), and signs with it: RSASSA-PKCS1-v1_5 is deterministic, so its signature is the one
RFC 8017 8.2.1 gives (RsaKey.verify checks it that way), in a twentieth of the time of Python's
own modular exponentiation.
"""

import base64
import hashlib
import hmac
import json
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# DER of the SHA-256 AlgorithmIdentifier before the digest (RFC 8017 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class RsaKey:
    def __init__(self, bits=2048, e=65537):
        self._key = rsa.generate_private_key(public_exponent=e, key_size=bits)
        numbers = self._key.private_numbers()
        self.n, self.e = numbers.public_numbers.n, e
        self.d = numbers.d
        self.size = (self.n.bit_length() + 7) // 8
        # Keycloak's kid is a hash of the key; any stable string names it.
        self.kid = b64url(hashlib.sha256(self.n.to_bytes(self.size, "big")).digest()[:20])

    def sign(self, message):
        return self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def verify(self, message, signature):
        if len(signature) != self.size:
            return False
        digest = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        expected = b"\x00\x01" + b"\xff" * (self.size - len(digest) - 3) + b"\x00" + digest
        return hmac.compare_digest(pow(int.from_bytes(signature, "big"), self.e, self.n).to_bytes(self.size, "big"), expected)

    def jwk(self):
        return {
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": b64url(self.n.to_bytes(self.size, "big")),
            "e": b64url(self.e.to_bytes((self.e.bit_length() + 7) // 8, "big")),
        }


class Signer:
    """The realm's keys: RS256 for what clients may verify, HS512 for refresh tokens."""

    def __init__(self, rsa_bits=2048):
        self.rsa = RsaKey(rsa_bits)
        self.hmac_key = secrets.token_bytes(64)
        self.hmac_kid = secrets.token_hex(16)

    def encode(self, claims, alg="RS256"):
        header = {"alg": alg, "typ": "JWT", "kid": self.rsa.kid if alg == "RS256" else self.hmac_kid}
        signing_input = f"{b64url(json.dumps(header, separators=(',', ':')).encode())}.{b64url(json.dumps(claims, separators=(',', ':')).encode())}".encode()
        if alg == "RS256":
            signature = self.rsa.sign(signing_input)
        elif alg == "HS512":
            signature = hmac.new(self.hmac_key, signing_input, hashlib.sha512).digest()
        else:
            raise ValueError(alg)
        return f"{signing_input.decode()}.{b64url(signature)}"

    def decode(self, token, alg):
        """The claims of a token this realm signed with `alg`, or None (malformed, other key, forged)."""
        try:
            header_part, claims_part, signature_part = token.split(".")
            header = json.loads(b64url_decode(header_part))
            claims = json.loads(b64url_decode(claims_part))
            signature = b64url_decode(signature_part)
        except (ValueError, AttributeError):
            return None
        if header.get("alg") != alg:
            return None
        signing_input = f"{header_part}.{claims_part}".encode()
        if alg == "RS256":
            valid = header.get("kid") == self.rsa.kid and self.rsa.verify(signing_input, signature)
        else:
            valid = header.get("kid") == self.hmac_kid and hmac.compare_digest(hmac.new(self.hmac_key, signing_input, hashlib.sha512).digest(), signature)
        return claims if valid and isinstance(claims, dict) else None


def at_hash(access_token):
    """OIDC Core 3.1.3.6: the left half of SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return b64url(digest[: len(digest) // 2])
