"""Photos attached to work orders (现场照片, 整改照片): JPEG, PNG or WebP, recognised from the
content (never the name), at most ``HOTLINE_PHOTO_MAX_BYTES`` (5 MB by default), through the same
virus-scan hook as case materials (``CASE_UPLOAD_SCANNER``)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 6
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def max_bytes() -> int:
    return int(getattr(settings, "HOTLINE_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def too_large_message(name: str) -> str:
    return _("照片“%(name)s”超过 %(mb)d MB，请压缩后再上传。") % {"name": name, "mb": max_bytes() // (1024 * 1024)}


def check_size(size: int, name: str, field: str = "photos") -> None:
    """Refuse an oversized photo before reading it."""
    if size > max_bytes():
        message = too_large_message(name)
        raise ValidationFailed(message, code="photo_too_large", fields={field: [message]})


def check_photo(data: bytes, name: str, field: str = "photos") -> tuple[str, str]:
    """(content type, sha256) of an acceptable photo, or ValidationFailed with a precise code."""
    if not data:
        message = _("照片“%(name)s”是空文件。") % {"name": name}
        raise ValidationFailed(message, code="photo_empty", fields={field: [message]})
    check_size(len(data), name, field)
    content_type = sniff(data)
    if content_type is None:
        message = _("“%(name)s”不是 JPG、PNG 或 WebP 照片（以文件内容判断，与扩展名无关）。") % {"name": name}
        raise ValidationFailed(message, code="photo_type_not_allowed", fields={field: [message]})
    from yiwang.cases.uploads import scan

    scan(data, name)
    return content_type, hashlib.sha256(data).hexdigest()


def as_file(data: bytes, content_type: str) -> ContentFile:
    return ContentFile(data, name=f"{secrets.token_hex(12)}.{EXTENSIONS[content_type]}")
