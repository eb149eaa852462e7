"""HTTPS for ``nvrd serve``: the configured certificate, or a self-signed one made once.

``[server] tls_cert``/``tls_key`` name PEM files. With ``tls_self_signed = true``
and no files named, a certificate for ``localhost``, the listen address and
the host name is made in the data dir on first start (``tls-cert.pem``,
``tls-key.pem``, the key 0600) and reused afterwards.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
from pathlib import Path
from typing import Any

from nvrd.auth.bootstrap import write_private
from nvrd.cli.common import CliError
from nvrd.config import Settings

CERT_FILE = "tls-cert.pem"
KEY_FILE = "tls-key.pem"
VALID_DAYS = 3650


def tls_files(settings: Settings) -> tuple[Path, Path] | None:
    server = settings.server
    if server.tls_cert or server.tls_key:
        if not (server.tls_cert and server.tls_key):
            raise CliError("server.tls_cert and server.tls_key must be given together")
        for path in (server.tls_cert, server.tls_key):
            if not path.is_file():
                raise CliError(f"{path}: no such file")
        return server.tls_cert, server.tls_key
    if not server.tls_self_signed:
        return None
    cert, key = server.data_dir / CERT_FILE, server.data_dir / KEY_FILE
    if not (cert.is_file() and key.is_file()):
        make_self_signed(cert, key, [server.host, "localhost", socket.gethostname()])
    return cert, key


def tls_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's ``ssl_certfile``/``ssl_keyfile`` (empty without TLS)."""
    files = tls_files(settings)
    if files is None:
        return {}
    return {"ssl_certfile": str(files[0]), "ssl_keyfile": str(files[1])}


def make_self_signed(cert_path: Path, key_path: Path, names: list[str]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = []
    for name in dict.fromkeys(n for n in names if n and n not in ("0.0.0.0", "::")):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    alt.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nvrd")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(list(dict.fromkeys(alt))), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(key_path, pem_key.decode("ascii"))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
