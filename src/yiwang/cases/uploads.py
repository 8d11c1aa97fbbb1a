"""Material uploads: the type is sniffed from the content (never trusted from the name or the
browser), the size is limited, and a pluggable virus-scan hook sees every file before it is kept.

``CASE_UPLOAD_SCANNER`` names a callable ``scan(data: bytes, name: str) -> None`` that raises
:class:`InfectedFile`; the default refuses the EICAR test signature, so the hook is exercised end
to end. A deployment points it at ClamAV (clamd) or the provincial scanning service.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
ALLOWED = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class InfectedFile(ValidationFailed):
    code = "upload_infected"


def sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def eicar_scanner(data: bytes, name: str) -> None:
    if EICAR in data:
        raise InfectedFile(_("文件“%(name)s”未通过病毒检查，已拒收。") % {"name": name})


def scan(data: bytes, name: str) -> None:
    path = getattr(settings, "CASE_UPLOAD_SCANNER", "yiwang.cases.uploads.eicar_scanner")
    import_string(path)(data, name)


def max_bytes() -> int:
    return int(getattr(settings, "CASE_UPLOAD_MAX_BYTES", MAX_UPLOAD_BYTES))


def check_size(size: int, name: str) -> None:
    limit = max_bytes()
    if size > limit:
        raise ValidationFailed(
            _("文件“%(name)s”超过 %(limit)s，请压缩后再上传。") % {"name": name, "limit": _human(limit)},
            code="upload_too_large", fields={"file": [_("上限 %(limit)s。") % {"limit": _human(limit)}]},
        )


def _human(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} B"


def check(data: bytes, name: str) -> tuple[str, str]:
    """(content type, sha256) of an acceptable file; ValidationFailed with a precise code otherwise."""
    if not data:
        raise ValidationFailed(_("文件“%(name)s”是空的。") % {"name": name}, code="upload_empty")
    check_size(len(data), name)
    content_type = sniff(data)
    if content_type is None:
        raise ValidationFailed(
            _("文件“%(name)s”不是 PDF、JPG 或 PNG 文件（以文件内容判断，与扩展名无关）。") % {"name": name},
            code="upload_type_not_allowed",
        )
    scan(data, name)
    return content_type, hashlib.sha256(data).hexdigest()


def as_file(data: bytes, content_type: str) -> ContentFile:
    return ContentFile(data, name=f"{secrets.token_hex(12)}.{ALLOWED[content_type]}")
