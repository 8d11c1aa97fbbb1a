"""Hotline analytics: the week's hot topics, volumes by category, department and grid, and a heat
map by grid.

* **Hot topics** — the words of this week's orders (one count per order, stop words and the
  district's place names left out), ranked by count × idf against the last year's orders (so
  what everybody always says sinks and what is unusual this week rises), each with last week's
  count and a trend: ``new`` (absent last week), ``up`` (≥ 1.5×), ``down`` (≤ 0.67×) or ``flat``.
* **Volumes** — counts in a date range (default: the last 30 days), with how many are still open.
* **Heat** — the grids as GeoJSON with each grid's count and an intensity in [0, 1] (count over the
  busiest grid's), for the map's choropleth.

Results are cached for a few minutes: the numbers are for planning, not for the second.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed

from . import text as textmod
from .models import OPEN_STATUSES, Status, WorkOrder

CACHE_SECONDS = 300
GENERIC = set("居民 群众 业主 情况 要求 问题 时间 晚上 白天 早上 下午 上午 目前 多次 一段时间 小时 分钟 希望 联系 电话 "
              "工作人员 相关 管理 影响 严重 导致 发现 出现 存在 进行 没人 不管 无人 至今 仍然 还是 依然 老人 孩子 "
              "答复 重视 看看 一家 有人 需要 几次 好几次 谢谢 派人 社区 小区 附近 一直 已经 反映 处理 解决 办理 "
              "现在 每天 请问 什么 哪里 怎么 多久 可以 能否 是否".split())
DF_DAYS = 365
DF_SAMPLE = 6000


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def _place_words() -> set[str]:
    from yiwang.core.models import Division

    from yiwang.core.demo.geo import STREETS

    names = set(Division.objects.values_list("name", flat=True))
    names |= {w for st in STREETS for c in st.communities for w in (*c.roads, *c.estates)}
    out = {"大道", "一组", "二组", "三组", "四组", "五组", "新村", "花园", "小区"}
    for n in names:
        out.add(n)
        for suffix in ("社区", "街道", "村", "镇", "路", "街", "大道", "小区", "花园", "新村", "苑"):
            if n.endswith(suffix) and len(n) > len(suffix) + 1:
                out.add(n[: -len(suffix)])
    return out


def _document_frequency(exclude: set[str]) -> tuple[Counter, int]:
    """How many of the last year's orders use each word (a sample of at most DF_SAMPLE, cached for
    six hours): the background the week's words are compared with."""
    key = f"yiwang:hotline:df:{timezone.localdate().isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return Counter(cached[0]), cached[1]
    since = timezone.now() - timedelta(days=DF_DAYS)
    df: Counter = Counter()
    n = 0
    for text in (WorkOrder.objects.filter(created_at__gte=since).order_by("-id").values_list("text", flat=True)
                 [:DF_SAMPLE].iterator(chunk_size=1000)):
        n += 1
        df.update({w for w in textmod.words(text) if w not in exclude})
    cache.set(key, (dict(df), n), 6 * 3600)
    return df, n


def _week_terms(start: datetime, end: datetime, exclude: set[str]) -> tuple[Counter, int]:
    counts: Counter = Counter()
    n = 0
    for text in WorkOrder.objects.filter(created_at__gte=start, created_at__lt=end).exclude(
            status=Status.VOID).values_list("text", flat=True).iterator(chunk_size=1000):
        n += 1
        counts.update({w for w in textmod.words(text) if w not in exclude and w not in GENERIC})
    return counts, n


def hot_topics(week_of: date | None = None, limit: int = 20) -> dict:
    today = week_of or timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    key = f"yiwang:hotline:hot:{monday.isoformat()}:{limit}:{week_of is None}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    exclude = _place_words()
    this_start, this_end = _day_start(monday), _day_start(monday + timedelta(days=7))
    prev_start = _day_start(monday - timedelta(days=7))
    current, n_current = _week_terms(this_start, this_end, exclude)
    previous, n_previous = _week_terms(prev_start, this_start, exclude)
    df, n_docs = _document_frequency(exclude)
    import math

    def weight(word: str, count: int) -> float:  # count × idf: words every complaint uses sink
        return count * math.log((n_docs + 1) / (df.get(word, 0) + 1) + 1)

    ranked = sorted(((weight(w, c), w, c) for w, c in current.items() if c >= 2), reverse=True)
    topics = []
    for _score, word, count in ranked[:limit]:
        before = previous.get(word, 0)
        if before == 0:
            trend = "new"
        elif count >= before * 1.5:
            trend = "up"
        elif count <= before / 1.5:
            trend = "down"
        else:
            trend = "flat"
        topics.append({"keyword": word, "count": count, "previous": before, "change": count - before, "trend": trend})
    result = {"week_start": monday.isoformat(), "orders": n_current, "previous_orders": n_previous, "topics": topics}
    cache.set(key, result, CACHE_SECONDS)
    return result


def _range(start: date | None, end: date | None) -> tuple[datetime, datetime, date, date]:
    end = end or timezone.localdate()
    start = start or (end - timedelta(days=29))
    if start > end:
        message = _("开始日期不能晚于结束日期。")
        raise ValidationFailed(message, code="date_range_invalid", fields={"start": [message]})
    return _day_start(start), _day_start(end + timedelta(days=1)), start, end


def volumes(by: str = "category", start: date | None = None, end: date | None = None) -> dict:
    fields = {
        "category": ("category__code", "category__name"),
        "group": ("category__parent__code", "category__parent__name"),
        "department": ("lead_department__code", "lead_department__name"),
        "grid": ("grid__code", "grid__name"),
        "community": ("community__code", "community__name"),
        "street": ("street__code", "street__name"),
        "channel": ("channel", "channel"),
        "kind": ("kind", "kind"),
    }
    if by not in fields:
        message = _("统计维度应为：%(v)s") % {"v": "、".join(fields)}
        raise ValidationFailed(message, code="dimension_invalid", fields={"by": [message]})
    t0, t1, d0, d1 = _range(start, end)
    code_f, name_f = fields[by]
    rows = (WorkOrder.objects.filter(created_at__gte=t0, created_at__lt=t1).exclude(status=Status.VOID)
            .values(code_f, name_f)
            .annotate(total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
                      direct=Count("id", filter=Q(status=Status.ANSWERED)))
            .order_by("-total"))
    labels = {}
    if by in ("channel", "kind"):
        from .models import Channel, Kind

        labels = dict((Channel if by == "channel" else Kind).choices)
    items = [{"code": r[code_f], "name": str(labels.get(r[code_f], r[name_f])) if r[name_f] else _("（未确定）"),
              "total": r["total"], "open": r["open"], "answered_directly": r["direct"]} for r in rows]
    return {"by": by, "start": d0.isoformat(), "end": d1.isoformat(), "total": sum(i["total"] for i in items),
            "items": items}


def heat(start: date | None = None, end: date | None = None) -> dict:
    from yiwang.grid.models import Grid

    t0, t1, d0, d1 = _range(start, end)
    counts = dict(WorkOrder.objects.filter(created_at__gte=t0, created_at__lt=t1, grid__isnull=False)
                  .exclude(status=Status.VOID).values_list("grid_id").annotate(n=Count("id")))
    top = max(counts.values(), default=0)
    features = []
    for g in Grid.objects.filter(is_active=True).select_related("community", "street").order_by("code"):
        n = counts.get(g.pk, 0)
        features.append({"type": "Feature", "id": g.code, "geometry": g.geometry,
                         "properties": {"code": g.code, "name": g.name, "community": g.community.name,
                                        "street": g.street.name, "count": n,
                                        "intensity": round(n / top, 4) if top else 0.0}})
    return {"type": "FeatureCollection", "start": d0.isoformat(), "end": d1.isoformat(), "max": top,
            "features": features}
