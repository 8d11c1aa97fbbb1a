"""Render a licence as a Chinese PDF (reportlab) with a QR code that opens the verification page.

Fonts: a TrueType CJK font installed by the project's setup (Debian fonts-wqy-microhei) is
embedded; without it, reportlab's built-in STSong-Light CID font is used (readers supply it).
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path

FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
]


@lru_cache(maxsize=1)
def font_name() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path, index in FONT_CANDIDATES:
        if Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont("YiwangCJK", path, subfontIndex=index))
                return "YiwangCJK"
            except Exception:  # noqa: BLE001 - try the next font
                continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def render(licence, verify_url: str, *, masked_holder_code: str) -> bytes:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = font_name()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(f"{licence.type.name} {licence.number}")
    c.setSubject(licence.identifier)  # read back by the verifier
    c.setAuthor(licence.issuer.name)
    c.setKeywords(["电子证照", licence.type.code])
    width, height = A4
    c.setStrokeColor(HexColor("#b4121b"))
    c.setLineWidth(3)
    c.rect(36, 36, width - 72, height - 72)
    c.setFont(font, 28)
    c.setFillColor(HexColor("#b4121b"))
    c.drawCentredString(width / 2, height - 120, licence.type.name)
    c.setFillColor(HexColor("#000000"))
    c.setFont(font, 12)
    c.drawCentredString(width / 2, height - 145, f"证照编号：{licence.number}")
    y = height - 200
    data = json.loads(licence.data or "{}")
    rows = [("持证主体", licence.holder_name), ("主体代码", masked_holder_code)]
    labels = {f["key"]: f["label"] for f in (licence.type.fields or [])}
    rows += [(labels.get(k, k), str(v)) for k, v in data.items()]
    rows += [
        ("有效期", f"{licence.valid_from:%Y年%m月%d日} 至 " +
         (f"{licence.valid_until:%Y年%m月%d日}" if licence.valid_until else "长期")),
        ("颁发机构", licence.issuer.name),
        ("颁证日期", f"{licence.issued_at:%Y年%m月%d日}"),
    ]
    for label, value in rows:
        c.setFont(font, 13)
        c.drawString(90, y, f"{label}：")
        text = c.beginText(200, y)
        text.setFont(font, 13)
        for i in range(0, len(value), 28):
            text.textLine(value[i:i + 28])
        c.drawText(text)
        y -= 28 * max(1, (len(value) + 27) // 28)
    qr = QrCodeWidget(verify_url)
    b = qr.getBounds()
    size = 110
    d = Drawing(size, size, transform=[size / (b[2] - b[0]), 0, 0, size / (b[3] - b[1]), 0, 0])
    d.add(qr)
    renderPDF.draw(d, c, width - 90 - size, 90)
    c.setFont(font, 9)
    c.drawString(90, 120, "扫描二维码或访问以下地址核验：")
    c.drawString(90, 106, verify_url[:90])
    c.drawString(90, 92, f"证照标识：{licence.identifier}")
    c.showPage()
    c.save()
    return buf.getvalue()
