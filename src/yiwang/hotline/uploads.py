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


def human_size(n: int) -> str:
    """5 MB, 512 KB, 4.88 KB: two decimals at most, trailing zeros dropped."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.2f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n} B"


def too_large_message(name: str) -> str:
    return _("照片“%(name)s”超过 %(limit)s，请压缩后再上传。") % {"name": name, "limit": human_size(max_bytes())}


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


# -- metadata ----------------------------------------------------------------------------------
_JPEG_DROP = {0xE1, 0xEC, 0xED, 0xFE}  # APP1 (Exif, XMP), APP12 (Ducky), APP13 (IPTC/Photoshop), COM
_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}
_WEBP_DROP = {b"EXIF", b"XMP "}


def _strip_jpeg(data: bytes) -> bytes:
    out, i = bytearray(data[:2]), 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError("not a marker")
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the image data follows, keep the rest as it is
            return bytes(out + data[i:])
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:  # markers without a length
            out += data[i:i + 2]
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            raise ValueError("bad segment length")
        if marker not in _JPEG_DROP:
            out += data[i:i + 2 + length]
        i += 2 + length
    raise ValueError("no image data")


def _strip_png(data: bytes) -> bytes:
    out, i = bytearray(data[:8]), 8
    while i + 12 <= len(data):
        length = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8]
        end = i + 12 + length
        if end > len(data):
            raise ValueError("bad chunk length")
        if kind not in _PNG_DROP:
            out += data[i:end]
        i = end
        if kind == b"IEND":
            return bytes(out)
    raise ValueError("no IEND")


def _strip_webp(data: bytes) -> bytes:
    chunks, i = [], 12
    while i + 8 <= len(data):
        kind, length = data[i:i + 4], int.from_bytes(data[i + 4:i + 8], "little")
        end = i + 8 + length + (length & 1)
        if i + 8 + length > len(data):
            raise ValueError("bad chunk length")
        if kind not in _WEBP_DROP:
            chunk = bytearray(data[i:min(end, len(data))])
            if kind == b"VP8X" and length >= 1:
                chunk[8] &= ~0x0C & 0xFF  # the EXIF and XMP flags
            chunks.append(bytes(chunk))
        i = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """The photo without its metadata (Exif with the camera's serial number, its owner's name and
    where it was taken; XMP; IPTC; text chunks), losslessly: the image data is not re-encoded.
    For an anonymous reporter's photos, which departments see: the file must not name them.
    A file whose structure cannot be walked is re-encoded instead (which drops everything)."""
    try:
        return {"image/jpeg": _strip_jpeg, "image/png": _strip_png, "image/webp": _strip_webp}[content_type](data)
    except (ValueError, IndexError, KeyError):
        pass
    try:
        import io

        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            buffer = io.BytesIO()
            image.save(buffer, format={"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[content_type])
            return buffer.getvalue()
    except Exception:  # noqa: BLE001 - not decodable either: there is no metadata we could read out of it
        return data


def as_file(data: bytes, content_type: str) -> ContentFile:
    return ContentFile(data, name=f"{secrets.token_hex(12)}.{EXTENSIONS[content_type]}")
