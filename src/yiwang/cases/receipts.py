"""Printable PDFs of a case (reportlab): the receipt (受理回执, or 收件回执 while the case still
waits for acceptance) and the one-time correction notice (一次性告知书).

Chinese is set in reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1), which PDF readers
supply themselves, so no font file has to be installed or embedded. Numbers and codes are set in
Helvetica so they stay machine-readable (text extraction, copy and paste). Every receipt carries a
QR code of the case's tracking page.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Case, CaseMaterial, Status

CJK = "STSong-Light"
LATIN = "Helvetica"
_registered = False


def _fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(CJK))
        _registered = True


def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    base = ParagraphStyle("base", fontName=CJK, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=1, spaceAfter=4),
        "sub": ParagraphStyle("sub", parent=base, fontSize=10, leading=14, alignment=1,
                              textColor=colors.HexColor("#4a4a4a")),
        "label": ParagraphStyle("label", parent=base, fontSize=10, textColor=colors.HexColor("#333333")),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12.5, leading=20, spaceBefore=8, spaceAfter=4),
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=13, textColor=colors.HexColor("#4a4a4a")),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _latin(text, style, bold=False) -> Paragraph:
    font = "Helvetica-Bold" if bold else LATIN
    return Paragraph(f'<font name="{font}">{escape(str(text or ""))}</font>', style)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _applicant_rows(case: Case, st) -> list:
    rows = [[_p(_("申请人"), st["label"]), _p(case.applicant_name, st["base"])]]
    if case.enterprise_id:
        rows.append([_p(_("统一社会信用代码"), st["label"]), _latin(case.enterprise.uscc, st["base"])])
        agent = f"{case.applicant.display_name}（{case.applicant.masked_id_number}）"
        rows.append([_p(_("经办人"), st["label"]), _p(agent, st["base"])])
    elif case.applicant.id_number:
        rows.append([_p(_("证件号码"), st["label"]), _latin(case.applicant.masked_id_number, st["base"])])
    return rows


def _qr(url: str, size: float = 32 * mm) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    w, h = x1 - x0, y1 - y0
    drawing = Drawing(size, size, transform=[size / w, 0, 0, size / h, 0, 0])
    drawing.add(widget)
    return drawing


def _table(rows) -> Table:
    table = Table(rows, colWidths=[34 * mm, 136 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _tracking(url: str, st) -> Table:
    text = [
        _p(_("扫描二维码或访问以下网址，随时查询办理进度、补正要求和办理结果："), st["base"]),
        _latin(url, st["small"]),
        Spacer(1, 3 * mm),
        _p(_("咨询、投诉请拨打政务服务便民热线 12345。"), st["small"]),
    ]
    table = Table([[_qr(url), text]], colWidths=[38 * mm, 132 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _build(case: Case, title: str, subtitle: str, story_rows: list, after: list, url: str, compress: bool) -> bytes:
    _fonts()
    st = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"{title} {case.number}", author=_("一网通办"),
                            subject=case.number or "", pageCompression=1 if compress else 0)
    story = [
        _p(_("一网通办政务服务平台"), st["sub"]),
        _p(title, st["title"]),
        _p(subtitle, st["sub"]),
        Spacer(1, 5 * mm),
        _table(story_rows),
        *after,
        Spacer(1, 6 * mm),
        _tracking(url, st),
        Spacer(1, 4 * mm),
        _p(_("打印时间：%(t)s") % {"t": _when(timezone.now())}, st["small"]),
    ]
    doc.build(story)
    return buffer.getvalue()


def _materials(case: Case) -> list[CaseMaterial]:
    return list(case.materials.filter(superseded=False).order_by("uploaded_at", "id"))


def receipt_pdf(case: Case, *, tracking_url: str, compress: bool = True) -> bytes:
    """受理回执 for an accepted case; 收件回执 (received, waiting for acceptance) before that."""
    st = _styles()
    accepted = case.accepted_at is not None
    title = _("受理回执") if accepted else _("收件回执")
    subtitle = (_("您的申请已受理，我们将在承诺时限内办结。") if accepted
                else _("您的申请已收到，正在等待受理；受理后另行通知。"))
    accept_event = case.events.filter(action="accept").select_related("department").order_by("at", "id").first()
    rows = [
        [_p(_("办件编号"), st["label"]), _latin(case.number, st["base"], bold=True)],
        [_p(_("事项名称"), st["label"]), _p(case.title, st["base"])],
        *_applicant_rows(case, st),
        [_p(_("承办部门"), st["label"]), _p(case.department.name if case.department_id else "—", st["base"])],
        [_p(_("申请渠道"), st["label"]), _p(case.get_channel_display(), st["base"])],
        [_p(_("提交时间"), st["label"]), _latin(_when(case.submitted_at), st["base"])],
        [_p(_("当前状态"), st["label"]), _p(case.get_status_display(), st["base"])],
    ]
    if accepted:
        where = case.place.name if case.place_id else (accept_event.department.name if accept_event and
                                                        accept_event.department_id else "")
        rows += [
            [_p(_("受理时间"), st["label"]), _latin(_when(case.accepted_at), st["base"])],
            [_p(_("受理单位"), st["label"]), _p(where or "—", st["base"])],
            [_p(_("受理人"), st["label"]), _p(accept_event.actor_label if accept_event else "—", st["base"])],
            [_p(_("承诺办结期限"), st["label"]),
             _p(_("%(due)s 前（%(n)d 个工作日）") % {"due": _when(case.due_at), "n": case.promised_days}
                if case.due_at else "—", st["base"])],
        ]
        if case.statutory_due_at:
            rows.append([_p(_("法定办结期限"), st["label"]), _latin(_when(case.statutory_due_at), st["base"])])
    if case.fee_amount and case.fee_amount > 0:
        rows.append([_p(_("应缴费用"), st["label"]), _p(_("%(a)s 元") % {"a": case.fee_amount}, st["base"])])
    names = _catalog_names(case)
    lines = []
    for i, m in enumerate(_materials(case), 1):
        title = names.get(m.material_key)
        lines.append(f"{i}. {title}（{m.get_source_display()}：{m.name}）" if title else
                     f"{i}. {m.name}（{m.get_source_display()}）")
    fetched = _fetched_materials(case)
    lines += [f"{len(lines) + i}. {name}（{label}）" for i, (name, label) in enumerate(fetched, 1)]
    rows.append([_p(_("已收材料"), st["label"]), _p("\n".join(lines) if lines else _("无"), st["base"])])
    after = [Spacer(1, 4 * mm), _p(_("请妥善保管本回执，凭办件编号查询进度、领取结果。"), st["small"])]
    return _build(case, title, subtitle, rows, after, tracking_url, compress)


def _catalog_names(case: Case) -> dict[str, str]:
    """Material key → the name the guide gives it (the uploaded file keeps its own name)."""
    if not case.item_version_id:
        return {}
    return {m.key: m.name for m in case.item_version.materials.all() if m.key}


def _fetched_materials(case: Case) -> list[tuple[str, str]]:
    """Materials the platform fetches itself (电子证照 / 共享数据) and not yet attached to the case
    (an attached one is listed with the case's materials, once)."""
    if not case.item_version_id:
        return []
    attached = set(case.materials.filter(superseded=False).values_list("material_key", flat=True))
    return [(m.name, str(m.get_source_display())) for m in case.item_version.materials.all()
            if not m.applicant_submits and m.key not in attached]


def correction_notice_pdf(case: Case, *, tracking_url: str, compress: bool = True) -> bytes:
    """一次性告知书: every item to correct, in one notice."""
    st = _styles()
    event = case.events.filter(action="request_correction").select_related("department").order_by("-at", "-id").first()
    items = case.correction_items or (event.data.get("items", []) if event else [])
    rows = [
        [_p(_("办件编号"), st["label"]), _latin(case.number, st["base"], bold=True)],
        [_p(_("事项名称"), st["label"]), _p(case.title, st["base"])],
        *_applicant_rows(case, st),
        [_p(_("承办部门"), st["label"]), _p(case.department.name if case.department_id else "—", st["base"])],
        [_p(_("告知时间"), st["label"]), _latin(_when(event.at if event else None), st["base"])],
        [_p(_("需补正内容"), st["label"]),
         _p("\n".join(f"{i}. {x}" for i, x in enumerate(items, 1)) or _("无"), st["base"])],
    ]
    if event and event.opinion:
        rows.append([_p(_("说明"), st["label"]), _p(event.opinion, st["base"])])
    after = [Spacer(1, 4 * mm), _p(
        _("以上为需要补正的全部内容（一次性告知）。补正期间不计入办理时限；请在办件页面上传补正材料后重新提交，"
          "或携带材料到任一综合窗口办理。"), st["base"])]
    subtitle = _("补正材料通知") if case.status == Status.CORRECTION else _("补正材料通知（存档）")
    return _build(case, _("一次性告知书"), subtitle, rows, after, tracking_url, compress)
