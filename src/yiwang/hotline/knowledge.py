"""The knowledge base (知识库): answers the departments maintain, searched as the operator types.

BM25 over jieba words and character bigrams of each article's question, keywords and answer (the
question and keywords count double), held in memory per process and rebuilt when an article
changes (a version number in the cache, one tiny read per search). Service guides from the catalog
are searched too, through the catalog's public :func:`yiwang.catalog.search.search` (full-text
mode), so "how do I get a residence permit" finds the guide even without an article.

Departments edit only their own articles; the 12345 centre and the platform admin edit any.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core import audit
from yiwang.core.errors import NotFound, PermissionDeniedError, ValidationFailed

from . import text as textmod
from .models import Category, KnowledgeArticle

logger = logging.getLogger("yiwang.hotline.knowledge")

_CACHE_KEY = "yiwang:hotline:kb-version"
_lock = threading.Lock()
_state: dict = {"version": None, "index": None}
K1, B = 1.2, 0.75
MAX_QUERY = 200
EDITOR_ROLES = {Role.HANDLER, Role.DEPT_HEAD, Role.EDITOR}


@dataclass
class _Doc:
    id: int
    title: str
    answer: str
    department: str
    department_code: str
    category: str | None
    tf: Counter
    length: int


class _Index:
    def __init__(self, docs: list[_Doc]):
        self.docs = docs
        self.avg = (sum(d.length for d in docs) / len(docs)) if docs else 1.0
        df: Counter = Counter()
        for d in docs:
            df.update(d.tf.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def search(self, terms: list[str], limit: int) -> list[tuple[_Doc, float]]:
        q = Counter(terms)
        scored = []
        for d in self.docs:
            s = 0.0
            for t, qn in q.items():
                f = d.tf.get(t)
                if not f:
                    continue
                s += self.idf.get(t, 0.0) * (f * (K1 + 1)) / (f + K1 * (1 - B + B * d.length / self.avg))
            if s > 0:
                scored.append((d, s))
        scored.sort(key=lambda t: -t[1])
        return scored[:limit]


def invalidate() -> None:
    cache.set(_CACHE_KEY, timezone.now().timestamp(), None)
    _state["version"] = None


def _index() -> _Index:
    version = cache.get(_CACHE_KEY)
    if version is None:
        version = timezone.now().timestamp()
        cache.set(_CACHE_KEY, version, None)
    if _state["version"] != version or _state["index"] is None:
        with _lock:
            today = timezone.localdate()
            docs = []
            rows = KnowledgeArticle.objects.filter(is_published=True).select_related("department", "category")
            for a in rows:
                if a.valid_until and a.valid_until < today:
                    continue
                head = textmod.features(f"{a.title} {a.keywords.replace(',', ' ')}")
                body = textmod.features(a.answer)
                tf = Counter(head * 2 + body)
                docs.append(_Doc(a.pk, a.title, a.answer, a.department.name, a.department.code,
                                 a.category.code if a.category_id else None, tf, sum(tf.values())))
            _state["index"] = _Index(docs)
            _state["version"] = version
    return _state["index"]


def search(q: str | None, *, limit: int = 5, with_guides: bool = True) -> dict:
    """``{"articles": [...], "guides": [...]}``, best first. An empty query finds nothing (the
    console searches as the operator types, so that is not an error)."""
    q = (q or "").strip()[:MAX_QUERY]
    if not q:
        return {"articles": [], "guides": []}
    terms = textmod.features(q)
    articles = [
        {"id": d.id, "title": d.title, "answer": d.answer, "department": d.department,
         "department_code": d.department_code, "category": d.category, "score": round(s, 3)}
        for d, s in _index().search(terms, limit)
    ]
    guides = _guides(q, limit=3) if with_guides else []
    return {"articles": articles, "guides": guides}


def _guides(q: str, limit: int) -> list[dict]:
    try:
        from yiwang.catalog import search as catalog_search
    except ImportError:  # the catalog is optional for the hotline
        return []
    fn = getattr(catalog_search, "search", None)
    if fn is None:
        return []
    try:
        return [{"code": r.get("code"), "name": r.get("name"), "department": r.get("department"),
                 "url": r.get("url"), "score": r.get("score")} for r in fn(q, mode="fulltext", limit=limit)]
    except Exception:  # noqa: BLE001 - a guide search problem must not break the console
        logger.warning("catalog search failed for the knowledge base", exc_info=True)
        return []


# -- maintenance -------------------------------------------------------------------------------
def _can_edit(actor: Actor, article: KnowledgeArticle | None, department_id: int | None) -> bool:
    """The 12345 centre and the platform admin edit any article; a department's editors their own
    department's, and only within it (``department_id`` is where the article is filed after the
    edit: moving one of theirs into another department's knowledge base is not theirs to do)."""
    if actor.role in (Role.HOTLINE_OPERATOR, Role.PLATFORM_ADMIN):
        return True
    if actor.role in EDITOR_ROLES and actor.department_id:
        own = article is None or article.department_id == actor.department_id
        return own and department_id == actor.department_id
    return False


def _clean(title: str, answer: str, keywords: str) -> tuple[str, str, str]:
    title, answer, keywords = (title or "").strip(), (answer or "").strip(), (keywords or "").strip()
    errors = {}
    if not title:
        errors["title"] = [_("请填写问题。")]
    elif len(title) > 120:
        errors["title"] = [_("问题最多 120 字。")]
    if not answer:
        errors["answer"] = [_("请填写答复口径。")]
    elif len(answer) > 4000:
        errors["answer"] = [_("答复口径最多 4000 字。")]
    if len(keywords) > 200:
        errors["keywords"] = [_("关键词最多 200 字。")]
    if errors:
        raise ValidationFailed(_("知识条目填写不完整。"), code="article_invalid", fields=errors)
    return title, answer, keywords.replace("，", ",")


@transaction.atomic
def save_article(actor: Actor, *, article_id: int | None = None, title: str, answer: str, keywords: str = "",
                 category: str | None = None, department: str | None = None, is_published: bool = True,
                 valid_until=None) -> KnowledgeArticle:
    from yiwang.core.models import Department

    title, answer, keywords = _clean(title, answer, keywords)
    article = None
    if article_id is not None:
        article = KnowledgeArticle.objects.select_for_update().filter(pk=article_id).first() \
            if transaction.get_connection().features.has_select_for_update else \
            KnowledgeArticle.objects.filter(pk=article_id).first()
        if article is None:
            raise NotFound(_("未找到该知识条目。"), code="article_not_found")
    if department:
        dept = Department.objects.filter(code=department).first()
        if dept is None:
            raise ValidationFailed(_("部门不存在。"), code="department_unknown", fields={"department": [department]})
        dept_id = dept.pk
    else:
        dept_id = article.department_id if article is not None else actor.department_id
    if not _can_edit(actor, article, dept_id) or dept_id is None:
        raise PermissionDeniedError(_("只能维护本部门的知识条目。"), code="article_forbidden")
    cat = None
    if category:
        cat = Category.objects.filter(code=category).first()
        if cat is None:
            raise ValidationFailed(_("分类不存在。"), code="category_unknown", fields={"category": [category]})
    if article is None:
        article = KnowledgeArticle(department_id=dept_id)
    article.title, article.answer, article.keywords, article.category = title, answer, keywords, cat
    article.is_published, article.valid_until = is_published, valid_until
    article.department_id = dept_id
    article.updated_at, article.updated_by = timezone.now(), actor.user
    article.save()
    audit.record("hotline.knowledge_saved", article, data={"title": title, "published": is_published})
    invalidate()  # this process at once; every process again once it is committed
    transaction.on_commit(invalidate)
    return article


def articles_editable_by(actor: Actor):
    qs = KnowledgeArticle.objects.select_related("department", "category").order_by("-updated_at")
    if actor.role in (Role.HOTLINE_OPERATOR, Role.PLATFORM_ADMIN):
        return qs
    if actor.role in EDITOR_ROLES and actor.department_id:
        return qs.filter(department_id=actor.department_id)
    return qs.none()
