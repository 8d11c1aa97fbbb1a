"""The platform's licence-signing authority and PAdES signatures (pyHanko).

On the embedded default, ``ensure_ca()`` (run by ``manage.py init_licence_ca``, part of ``make
run``) creates a root CA and a signing certificate under ``var/licence-ca/``: ECDSA P-256 keys,
the root valid 10 years, the signing certificate 5 years. A deployment instead points
``LICENCE_CA_DIR`` at the keys and certificates issued by the provincial CA (same file names).

``sign_pdf`` adds a PAdES baseline signature covering the whole file. ``verify_pdf`` answers
whether a PDF is intact, signed by a certificate chaining to our root, and which licence it says
it is (the identifier is stored in the PDF's metadata).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger("yiwang.licences")
_lock = threading.Lock()

ROOT_KEY, ROOT_CERT, SIGN_KEY, SIGN_CERT = "root-key.pem", "root-cert.pem", "signing-key.pem", "signing-cert.pem"


def ca_dir() -> Path:
    return Path(getattr(settings, "LICENCE_CA_DIR", None) or (settings.VAR_DIR / "licence-ca"))


def _name(cn: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, getattr(settings, "LICENCE_CA_ORG", "云溪区电子证照平台")),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _certificate(subject, key, issuer, issuer_key, *, ca: bool, days: int):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = dt.datetime.now(dt.timezone.utc)
    usage = x509.KeyUsage(digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                          encipher_only=False, decipher_only=False)
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def ensure_ca() -> bool:
    """Create the CA and the signing certificate if they do not exist. Returns True if created."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder = ca_dir()
    with _lock:
        if (folder / SIGN_CERT).exists():
            return False
        folder.mkdir(parents=True, exist_ok=True)
        pem = serialization.Encoding.PEM
        root_key = ec.generate_private_key(ec.SECP256R1())
        root = _certificate(_name("云溪区电子证照根证书 (Yiwang Demo Root CA)"), root_key,
                            _name("云溪区电子证照根证书 (Yiwang Demo Root CA)"), root_key, ca=True, days=3650)
        sign_key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(_name("云溪区电子证照签发"), sign_key, root.subject, root_key, ca=False, days=1825)
        for filename, data in (
            (ROOT_KEY, root_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
            (ROOT_CERT, root.public_bytes(pem)),
            (SIGN_KEY, sign_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
            (SIGN_CERT, cert.public_bytes(pem)),
        ):
            path = folder / filename
            path.write_bytes(data)
            if filename.endswith("key.pem"):
                path.chmod(0o600)
        _materials.cache_clear()
        logger.info("licence CA created in %s", folder)
        return True


@lru_cache(maxsize=1)
def _materials():
    from asn1crypto import keys as akeys
    from asn1crypto import pem as apem
    from asn1crypto import x509 as ax509

    ensure_ca()
    folder = ca_dir()

    def cert(name):
        _, _, der = apem.unarmor((folder / name).read_bytes())
        return ax509.Certificate.load(der)

    _, _, key_der = apem.unarmor((folder / SIGN_KEY).read_bytes())
    return cert(ROOT_CERT), cert(SIGN_CERT), akeys.PrivateKeyInfo.load(key_der)


def root_certificate():
    return _materials()[0]


def sign_pdf(pdf: bytes, *, reason: str = "电子证照签发", location: str = "") -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    root, cert, key = _materials()
    signer = signers.SimpleSigner(signing_cert=cert, signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs([root]))
    meta = signers.PdfSignatureMetadata(field_name="LicenceSignature", subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason, location=location)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


@dataclass
class PdfCheck:
    ok: bool
    code: str  # valid | unreadable | unsigned | altered | untrusted | partial
    message: str
    identifier: str = ""


def verify_pdf(data: bytes) -> PdfCheck:
    """Check an uploaded licence PDF: readable, signed, unaltered, covering the whole file, by our CA."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        identifier = ""
        info = reader.trailer_view.get("/Info")
        if info is not None:
            identifier = str(info.get_object().get("/Subject", "") or "")
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - any parse failure: not a readable PDF
        return PdfCheck(False, "unreadable", _("无法读取该文件，它不是完整的 PDF 文件。"))
    if not signatures:
        return PdfCheck(False, "unsigned", _("该文件没有电子签名，不能作为电子证照使用。"), identifier)
    try:
        status = validate_pdf_signature(signatures[-1], ValidationContext(trust_roots=[root_certificate()]))
    except Exception:  # noqa: BLE001 - a mangled signature structure counts as altered
        return PdfCheck(False, "altered", _("签名数据已损坏，文件可能被篡改。"), identifier)
    if not status.intact or not status.valid:
        return PdfCheck(False, "altered", _("文件内容在签名后被修改过，签名校验失败。"), identifier)
    if not status.trusted:
        return PdfCheck(False, "untrusted", _("签名不是由本平台的证照签发机构作出的。"), identifier)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return PdfCheck(False, "partial", _("签名之后文件又被追加了内容。"), identifier)
    return PdfCheck(True, "valid", _("签名有效，文件自签发后未被修改。"), identifier)
