"""Two throwaway CAs made with the openssl CLI for the TLS tests, each with a server certificate
for 127.0.0.1 and localhost: a homelab CA ("A") the code under test is told to trust, and another
("B") nobody trusts. Made once per test run, in a temporary directory, never anywhere else; each
CA and each server certificate when first asked for (a real-hub run needs CA A and certificates of
its own only, and every openssl process costs tens of milliseconds of CPU).

The certificates satisfy the strict checks of newer Pythons (VERIFY_X509_STRICT from 3.13):
CA basicConstraints critical with keyCertSign, key identifiers on both sides, the server's
names in subjectAltName.
"""
import atexit
import functools
import os
import shutil
import subprocess
import tempfile

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
_extra = []


def available():
    return os.path.exists(OPENSSL)


def _run(*args, cwd):
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True)


def _ca(directory, name):
    cert, key = f"{name}-ca.pem", f"{name}-ca.key"
    _run(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN=jupyterhub-pulumi throwaway CA {name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
        cwd=directory,
    )
    return os.path.join(directory, cert), os.path.join(directory, key)


def _server(directory, name, ca_cert, ca_key, sans=("IP:127.0.0.1", "DNS:localhost")):
    cert, key, csr, ext = f"{name}-server.pem", f"{name}-server.key", f"{name}-server.csr", f"{name}-server.ext"
    with open(os.path.join(directory, ext), "w", encoding="ascii") as handle:
        handle.write(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
            f"subjectAltName={','.join(sans)}\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid\n"
        )
    _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=localhost", cwd=directory)
    _run("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-set_serial", "2",
         "-days", "2", "-extfile", ext, "-out", cert, cwd=directory)
    return os.path.join(directory, cert), os.path.join(directory, key)


class _Authority:
    """One CA: .ca (PEM path) made at once, .server ((cert, key) paths) when first read."""

    def __init__(self, directory, name):
        self._directory, self._name = directory, name
        self.ca, self._key = _ca(directory, name)

    @functools.cached_property
    def server(self):
        return _server(self._directory, self._name, self.ca, self._key)


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
    made = cas()
    sans = ["IP:127.0.0.1", "DNS:localhost", *(f"IP:{ip}" for ip in ips), *(f"DNS:{name}" for name in dns)]
    name = f"{ca}-extra{len(_extra)}"
    _extra.append(name)
    authority = getattr(made, ca)
    return _server(made.directory, name, authority.ca, authority.ca.replace("-ca.pem", "-ca.key"), sans)
