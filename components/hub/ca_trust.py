"""A homelab's own CA, trusted by the hub next to the public CAs.

Some of the hub's HTTPS clients can add one CA file to the system's CAs, but the login client
cannot: OAuthenticator (>= 16) passes `http_request_kwargs` to every tornado HTTPRequest it
makes, and tornado turns `ca_certs` into `ssl.create_default_context(cafile=ca_certs)`
(tornado/simple_httpclient.py, _get_ssl_options), or into curl's CAINFO when JupyterHub picked
the pycurl client (tornado/curl_httpclient.py) - both trust only that one file. So at hub start
this writes a combined bundle, the hub image's own public CAs followed by the homelab CA, points
OAuthenticator at it, and sets SSL_CERT_FILE and REQUESTS_CA_BUNDLE to it for the clients made
later in the hub process (ssl.create_default_context, requests). The Vault hook adds the CA
itself (custom.vault.caFile).

The hub loads this file as a module from `hub.extraConfig` (components/hub/hubPythonModule.ts),
as the first entry, and calls `ca_trust.install(c, <the CA as mounted>, <where the bundle goes>)`.
A CA file that is missing or holds no certificate stops the hub with a message naming it.
Standard library only: it runs inside the hub image.
"""

import logging
import os
import re
import ssl
import tempfile

log = logging.getLogger("JupyterHub").getChild("ca_trust")

PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.DOTALL)


class CaTrustError(Exception):
    """The CA or the system bundle cannot be used; the hub must not start half-trusting."""


def system_ca_bundle(exclude=None):
    """The public CA bundle of this image: OpenSSL's default file, else certifi's.

    ssl.get_default_verify_paths() gives SSL_CERT_FILE when it is set and names a file, else
    OpenSSL's compiled-in file (on Debian, as in the hub image, /usr/lib/ssl/cert.pem, a link to
    /etc/ssl/certs/ca-certificates.crt); `exclude` (our own bundle, which a second install in
    the same process would find in SSL_CERT_FILE) is skipped.
    """
    paths = ssl.get_default_verify_paths()
    excluded = os.path.realpath(exclude) if exclude else None
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and os.path.isfile(candidate) and os.path.realpath(candidate) != excluded:
            return candidate
    try:
        import certifi
    except ImportError:
        return None
    return certifi.where()


def pem_certificates(path):
    """The PEM certificate blocks of `path`, each checked to parse; nothing else of the file."""
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError as error:
        raise CaTrustError(f"the CA file {path} cannot be read: {error.strerror or error}") from None
    blocks = PEM_CERTIFICATE.findall(text)
    if not blocks:
        raise CaTrustError(f"the CA file {path} holds no PEM certificate (-----BEGIN CERTIFICATE----- ...)")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata="\n".join(blocks))
    except (ssl.SSLError, ValueError) as error:
        raise CaTrustError(f"the CA file {path} holds a certificate that does not parse: {error}") from None
    return [block.replace("\r\n", "\n") for block in blocks]


def write_bundle(ca_file, bundle_path, system_bundle=None):
    """Write the system bundle followed by the certificates of ca_file to bundle_path."""
    certificates = pem_certificates(ca_file)
    system_bundle = system_bundle or system_ca_bundle(exclude=bundle_path)
    if not system_bundle:
        raise CaTrustError("found no public CA bundle in this image (ssl.get_default_verify_paths(), certifi)")
    try:
        with open(system_bundle, encoding="ascii", errors="replace") as handle:
            public = handle.read()
    except OSError as error:
        raise CaTrustError(f"the public CA bundle {system_bundle} cannot be read: {error.strerror or error}") from None
    if not PEM_CERTIFICATE.search(public):
        raise CaTrustError(f"the public CA bundle {system_bundle} holds no PEM certificate")
    text = public.rstrip("\n") + f"\n\n# Added by ca_trust.py from {ca_file}\n" + "\n".join(certificates) + "\n"
    directory = os.path.dirname(os.path.abspath(bundle_path))
    try:
        os.makedirs(directory, exist_ok=True)
        # Written next to its place and renamed over it, so no client ever reads half a bundle.
        handle, temporary = tempfile.mkstemp(prefix=".ca-bundle-", dir=directory)
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, bundle_path)
    except OSError as error:
        raise CaTrustError(f"cannot write the CA bundle {bundle_path}: {error.strerror or error}") from None
    return system_bundle


def install(c, ca_file, bundle_path, system_bundle=None):
    """Trust ca_file in the hub next to the public CAs; returns the bundle's path.

    Writes the bundle (system_bundle, default the image's own, then ca_file) to bundle_path, sets
    `c.OAuthenticator.http_request_kwargs["ca_certs"]` to it, keeping the other keys already set,
    and points SSL_CERT_FILE and REQUESTS_CA_BUNDLE at it. Raises CaTrustError, naming the path,
    when ca_file is missing or holds no PEM certificate.
    """
    public = write_bundle(ca_file, bundle_path, system_bundle)
    section = c.OAuthenticator
    current = getattr(section, "http_request_kwargs", None)
    if isinstance(current, dict):
        section.http_request_kwargs = {**current, "ca_certs": bundle_path}
    elif callable(getattr(current, "update", None)):
        # Reading an unset key of a traitlets Config gives a LazyConfigValue: update() merges
        # into whatever the trait ends up with, other config included.
        current.update({"ca_certs": bundle_path})
    else:
        section.http_request_kwargs = {"ca_certs": bundle_path}
    os.environ["SSL_CERT_FILE"] = bundle_path
    os.environ["REQUESTS_CA_BUNDLE"] = bundle_path
    log.info("Trusting the CA in %s next to %s, bundled in %s", ca_file, public, bundle_path)
    return bundle_path
