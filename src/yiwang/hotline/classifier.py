"""Dispatch suggestions (智能派单): which department and category a complaint belongs to.

A multinomial naive Bayes classifier over :func:`yiwang.hotline.text.features` (jieba words and
character bigrams). Each label is a (category, lead department) pair as operators dispatched it, so
the same category can go to different departments where the text says why (a street office for
one community, the city-management bureau for another).

* **Training**: every dispatched order's final category and lead department (after returns and
  re-dispatches, i.e. the answer that stuck), plus each category's name, keywords and description
  as a small pseudo-document, so a category with no history is still suggested.
* **Learning from corrections**: every dispatch writes a :class:`DispatchFeedback` row. Running
  processes pick new rows up (at most every ``POLL_SECONDS``) and add them to the counts at once;
  a row where the operator chose something other than the first suggestion counts
  ``1 + CORRECTION_BOOST`` times, so a repeated correction changes the ranking quickly.
* **Scoring**: log-likelihoods with additive smoothing ``ALPHA``, a flattened class prior
  (``count ** PRIOR_POWER``: the frequent complaint types must not drown rare ones), term
  frequencies damped with ``log1p``; scores are the softmax of the log-posteriors (they sum to 1
  over all labels).

Pure Python and numpy (already a dependency of the catalog's search); the model is rebuilt from the
database per process, in about a second for the demo's 5,000 orders. See
docs/decisions/0020-hotline.md for why not scikit-learn, and bench/hotline_dispatch.py for the
accuracy and latency figures.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from . import text as textmod

logger = logging.getLogger("yiwang.hotline.classifier")

ALPHA = 0.5
PRIOR_POWER = 0.3
CORRECTION_BOOST = 2
POLL_SECONDS = 5.0
MAX_CHARS = 2000


@dataclass(frozen=True)
class Suggestion:
    category: str
    department: str
    score: float


def label_of(category: str, department: str) -> str:
    return f"{category}|{department}"


class NaiveBayes:
    """Multinomial naive Bayes over sparse features, learning one document at a time."""

    def __init__(self, alpha: float = ALPHA, prior_power: float = PRIOR_POWER):
        self.alpha = alpha
        self.prior_power = prior_power
        self.labels: list[str] = []
        self.label_index: dict[str, int] = {}
        self.vocab: dict[str, int] = {}
        self.counts: dict[int, dict[int, float]] = defaultdict(dict)  # label → feature → weight
        self.totals: list[float] = []
        self.docs: list[float] = []
        self._matrix = None
        self._prior = None
        self._lock = threading.Lock()

    def _label(self, label: str) -> int:
        idx = self.label_index.get(label)
        if idx is None:
            idx = len(self.labels)
            self.labels.append(label)
            self.label_index[label] = idx
            self.totals.append(0.0)
            self.docs.append(0.0)
        return idx

    def learn(self, feats: list[str], label: str, weight: float = 1.0) -> None:
        if not feats:
            return
        with self._lock:
            li = self._label(label)
            row = self.counts[li]
            for f, n in Counter(feats).items():
                fi = self.vocab.get(f)
                if fi is None:
                    fi = len(self.vocab)
                    self.vocab[f] = fi
                w = weight * (1.0 + math.log(n))
                row[fi] = row.get(fi, 0.0) + w
                self.totals[li] += w
            self.docs[li] += weight
            self._matrix = None

    def _build(self):
        V, L = len(self.vocab), len(self.labels)
        m = np.zeros((V, L), dtype=np.float64)
        for li, row in self.counts.items():
            if row:
                idx = np.fromiter(row.keys(), dtype=np.int64, count=len(row))
                m[idx, li] = np.fromiter(row.values(), dtype=np.float64, count=len(row))
        totals = np.asarray(self.totals, dtype=np.float64)
        m = np.log(m + self.alpha) - np.log(totals + self.alpha * V)[None, :]
        docs = np.asarray(self.docs, dtype=np.float64)
        prior = self.prior_power * np.log(np.maximum(docs, 1e-9))
        prior -= prior.max() + np.log(np.exp(prior - prior.max()).sum())
        return m.astype(np.float32), prior.astype(np.float32)

    def scores(self, feats: list[str]) -> np.ndarray | None:
        """Posterior probabilities over ``self.labels`` (None before any learning)."""
        if not self.labels:
            return None
        with self._lock:
            if self._matrix is None:
                self._matrix, self._prior = self._build()
            matrix, prior = self._matrix, self._prior
        counts = Counter(self.vocab[f] for f in feats if f in self.vocab)
        logp = prior.astype(np.float64)
        if counts:
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            logp = logp + (matrix[idx].astype(np.float64) * tf[:, None]).sum(axis=0)
        logp = logp - logp.max()
        p = np.exp(logp)
        return p / p.sum()


class DispatchModel:
    """Two stages: which category (one naive Bayes over all categories), then which department
    within that category (a small naive Bayes per category that has been sent to more than one
    department, e.g. 社区治理 to each street office; place names decide). A pair's score is
    P(category | text) × P(department | category, text)."""

    def __init__(self):
        self.categories = NaiveBayes()
        self.departments: dict[str, NaiveBayes] = {}
        self.lock = threading.Lock()

    def learn(self, feats: list[str], category: str, department: str, weight: float = 1.0) -> None:
        if not feats or not category or not department:
            return
        self.categories.learn(feats, category, weight)
        nb = self.departments.get(category)
        if nb is None:
            with self.lock:
                nb = self.departments.setdefault(category, NaiveBayes(alpha=ALPHA, prior_power=1.0))
        nb.learn(feats, department, weight)

    @property
    def labels(self) -> list[str]:
        return [label_of(c, d) for c in self.categories.labels for d in self.departments[c].labels]

    def predict(self, text: str, k: int = 3) -> list[Suggestion]:
        feats = textmod.features(text[:MAX_CHARS])
        p = self.categories.scores(feats)
        if p is None:
            return []
        order = np.argsort(-p)[: k + 3]
        pairs = []
        for i in order:
            cat = self.categories.labels[int(i)]
            depts = self.departments[cat]
            if len(depts.labels) == 1:
                pairs.append((float(p[i]), cat, depts.labels[0]))
                continue
            q = depts.scores(feats)
            for j in np.argsort(-q)[:k]:
                pairs.append((float(p[i] * q[j]), cat, depts.labels[int(j)]))
        pairs.sort(key=lambda t: -t[0])
        return [Suggestion(c, d, s) for s, c, d in pairs[: max(1, k)]]


# --- the process-wide model, trained from the database --------------------------------------
_model: DispatchModel | None = None
_state = {"feedback_id": 0, "checked": 0.0}
_build_lock = threading.Lock()


def train_from_rows(rows, categories) -> DispatchModel:
    """rows: (text, category code, department code, weight); categories: (code, department code,
    pseudo-document text)."""
    model = DispatchModel()
    for code, dept, doc in categories:
        if dept:
            model.learn(textmod.features(doc), code, dept, 1.0)
    for text, cat, dept, weight in rows:
        model.learn(textmod.features(text[:MAX_CHARS]), cat, dept, weight)
    return model


def _category_docs():
    from .models import Category

    out = []
    for c in Category.objects.filter(is_active=True, children__isnull=True).select_related("department", "parent"):
        if c.department_id:
            doc = " ".join([c.name, c.keywords.replace(",", " ").replace("，", " "), c.description,
                            c.parent.name if c.parent_id else ""])
            out.append((c.code, c.department.code, doc))
    return out


def build() -> DispatchModel:
    from .models import DispatchFeedback, Status, WorkOrder

    started = time.perf_counter()
    textmod.add_words(DispatchVocabulary.words())
    last_feedback = DispatchFeedback.objects.order_by("-id").values_list("id", flat=True).first() or 0
    orders = (WorkOrder.objects.filter(dispatch_count__gt=0, category__isnull=False, lead_department__isnull=False)
              .exclude(status=Status.VOID).values_list("text", "category__code", "lead_department__code"))
    rows = [(t, c, d, 1.0) for t, c, d in orders.iterator(chunk_size=2000)]
    corrections = DispatchFeedback.objects.filter(corrected=True, id__lte=last_feedback).values_list(
        "text", "category_code", "department_code")
    rows += [(t, c, d, float(CORRECTION_BOOST)) for t, c, d in corrections]
    nb = train_from_rows(rows, _category_docs())
    _state["feedback_id"] = last_feedback
    _state["checked"] = time.monotonic()
    logger.info("dispatch classifier: %d categories, %d features, %d documents in %.2fs", len(nb.categories.labels),
                len(nb.categories.vocab), len(rows), time.perf_counter() - started)
    return nb


class DispatchVocabulary:
    """Category names and place names as whole words for the tokenizer."""

    @staticmethod
    def words() -> list[str]:
        from yiwang.core.models import Division

        from .models import Category

        names = list(Category.objects.values_list("name", flat=True))
        names += list(Division.objects.filter(level__in=["street", "community"]).values_list("name", flat=True))
        return names


def _catch_up(nb: DispatchModel) -> None:
    from .models import DispatchFeedback

    now = time.monotonic()
    if now - _state["checked"] < POLL_SECONDS:
        return
    _state["checked"] = now
    rows = list(DispatchFeedback.objects.filter(id__gt=_state["feedback_id"]).order_by("id").values_list(
        "id", "text", "category_code", "department_code", "corrected")[:5000])
    for pk, text, cat, dept, corrected in rows:
        nb.learn(textmod.features(text[:MAX_CHARS]), cat, dept, 1.0 + (CORRECTION_BOOST if corrected else 0))
        _state["feedback_id"] = pk


def model() -> DispatchModel:
    global _model
    if _model is None:
        with _build_lock:
            if _model is None:
                _model = build()
    else:
        _catch_up(_model)
    return _model


def warm_async() -> None:
    """Train in a background thread if this process has no model yet (the console calls it when an
    operator opens it, so the first suggestion does not wait for the training)."""
    if _model is not None or _build_lock.locked():
        return

    def run():
        from django.db import connection

        try:
            model()
        except Exception:  # noqa: BLE001 - the next suggestion trains (and reports) again
            logger.exception("warming the dispatch classifier failed")
        finally:
            connection.close()

    threading.Thread(target=run, name="dispatch-classifier-warm", daemon=True).start()


def reset() -> None:
    """Forget the model (tests; after a bulk import of history)."""
    global _model
    with _build_lock:
        _model = None
        _state.update(feedback_id=0, checked=0.0)


def poke() -> None:
    """A dispatch was just recorded: the next suggestion in this process catches up at once
    (other processes within ``POLL_SECONDS``)."""
    _state["checked"] = 0.0


def suggest(text: str, k: int = 3) -> list[Suggestion]:
    return model().predict(text, k)
