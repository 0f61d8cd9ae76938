"""Two throwaway CAs for the TLS tests, each with a server certificate for 127.0.0.1 and localhost:
a homelab CA ("A") the code under test is told to trust, and another ("B") nobody trusts. Made
once per test run, in a temporary directory, never anywhere else; each CA and each server
certificate when first asked for (a real-hub run needs CA A and certificates of its own only).

They are made in the process, with `cryptography` (a JupyterHub dependency, so in the hub image
and its venv, and the hub zygote has imported cryptography.x509 already): an EC P-256 key and a
certificate take well under a millisecond of CPU here, where each `openssl` process this used to
run took ~28 ms (four per CA and server certificate, ~3 CPU-s over a whole test run). The files
are what the openssl CLI wrote: PEM certificates and PKCS#8 keys ("BEGIN PRIVATE KEY"), whose
paths callers give to servers and clients.

The certificates satisfy the strict checks of newer Pythons (VERIFY_X509_STRICT from 3.13):
CA basicConstraints critical with keyCertSign, key identifiers on both sides, the server's
names in subjectAltName. They are valid for two days from an hour ago (a little clock skew).

`python throwaway_ca.py` prints both CAs as JSON ({"a": {"ca", "cert", "key"}, "b": ...}, the PEM
texts), for the jest tests that need them.
"""
import atexit
import datetime
import functools
import ipaddress
import json
import os
import shutil
import tempfile

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:
    x509 = None

_extra = []
_DAYS = 2
_SKEW = datetime.timedelta(hours=1)


def available():
    """Whether certificates can be made here: `cryptography` imports."""
    return x509 is not None


def _validity():
    start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - _SKEW
    return start, start + _SKEW + datetime.timedelta(days=_DAYS)


def _write(directory, name, certificate, key):
    """`name`.pem (the certificate) and `name`.key (the key, PKCS#8, unencrypted, 0600) in directory."""
    cert_path, key_path = os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")
    with open(cert_path, "wb") as handle:
        handle.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def _key_usage(**granted):
    """keyUsage with only the `granted` uses (cryptography's KeyUsage takes all nine)."""
    uses = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
            "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{use: granted.get(use, False) for use in uses})


def _signed(subject, issuer, key, signer, extensions):
    """A certificate for `key`, `issuer` signing with `signer`: random serial, _validity(), and the
    extensions ((extension, critical) pairs) in order."""
    start, end = _validity()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signer, hashes.SHA256())


def _ca(directory, name):
    """A self-signed CA: (certificate, key) objects, and its files, `name`-ca.pem and `name`-ca.key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"jupyterhub-pulumi throwaway CA {name}")])
    certificate = _signed(subject, subject, key, key, [
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (_key_usage(key_cert_sign=True, crl_sign=True), True),
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
        # As openssl's default v3_ca section adds it: the CA's own key identifier.
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False),
    ])
    return certificate, key, _write(directory, f"{name}-ca", certificate, key)


def _san(entry):
    """One subjectAltName entry in openssl's config syntax: "IP:127.0.0.1" or "DNS:localhost"."""
    kind, _, value = entry.partition(":")
    if kind == "IP":
        return x509.IPAddress(ipaddress.ip_address(value))
    if kind == "DNS":
        return x509.DNSName(value)
    raise ValueError(f"a subjectAltName entry this does not make: {entry}")


def _server(directory, name, ca_certificate, ca_key, sans=("IP:127.0.0.1", "DNS:localhost")):
    """A server certificate (CN localhost, the given names) signed by the CA: its (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca_key_id = ca_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = _signed(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), ca_certificate.subject, key, ca_key, [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(digital_signature=True), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (x509.SubjectAlternativeName([_san(entry) for entry in sans]), False),
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
        (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id), False),
    ])
    return _write(directory, f"{name}-server", certificate, key)


class _Authority:
    """One CA: .ca (PEM path) made at once, .server ((cert, key) paths) when first read."""

    def __init__(self, directory, name):
        self._directory, self._name = directory, name
        self._certificate, self._key, (self.ca, _) = _ca(directory, name)

    @functools.cached_property
    def server(self):
        return _server(self._directory, self._name, self._certificate, self._key)

    def extra_server(self, name, sans):
        return _server(self._directory, name, self._certificate, self._key, sans)


class _Authorities:
    """.a and .b (each an _Authority, made when first read) and .directory."""

    def __init__(self, directory):
        self.directory = directory

    @functools.cached_property
    def a(self):
        return _Authority(self.directory, "a")

    @functools.cached_property
    def b(self):
        return _Authority(self.directory, "b")


@functools.lru_cache(maxsize=None)
def cas():
    """The two CAs: .a and .b, each with .ca (PEM path) and .server ((cert, key) paths)."""
    directory = tempfile.mkdtemp(prefix="throwaway-ca-")
    atexit.register(shutil.rmtree, directory, True)
    return _Authorities(directory)


def server_cert(ca="a", ips=(), dns=()):
    """Another server certificate (cert, key) from CA `ca`, for 127.0.0.1 and localhost plus the
    given IP addresses and DNS names (a fake bound elsewhere than 127.0.0.1, or reached by name)."""
    sans = ["IP:127.0.0.1", "DNS:localhost", *(f"IP:{ip}" for ip in ips), *(f"DNS:{name}" for name in dns)]
    name = f"{ca}-extra{len(_extra)}"
    _extra.append(name)
    return getattr(cas(), ca).extra_server(name, sans)


def main():
    made = cas()

    def read(path):
        with open(path, encoding="ascii") as handle:
            return handle.read()

    print(json.dumps({n: {"ca": read(getattr(made, n).ca), "cert": read(getattr(made, n).server[0]), "key": read(getattr(made, n).server[1])} for n in ("a", "b")}))


if __name__ == "__main__":
    main()
