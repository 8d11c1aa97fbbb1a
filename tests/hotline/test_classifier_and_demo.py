"""The dispatch classifier (training from history, learning from corrections), the knowledge-base
search, and the demo history generator and loader."""

from __future__ import annotations

from collections import Counter

import pytest

from yiwang.hotline import classifier, knowledge, services
from yiwang.hotline.demo import history
from yiwang.hotline.models import Attachment, DispatchFeedback, SealedReporter, Status, WorkOrder

SEED_ORDERS = [
    ("小区门口井盖丢了很危险", "YX-ZJ", "JS02"),
    ("工地夜间施工打桩噪音太大", "YX-STHJ", "HB01"),
    ("老板拖欠工资三个月不发", "YX-RS", "LD01"),
    ("楼下烧烤店油烟太大熏得开不了窗", "YX-CG", "CG07"),
    ("家里停水一天了还没来水", "YX-SWGS", "GY01"),
]


def dispatch_history(people, rows):
    for text, dept, cat in rows:
        o = services.create_order(people.operator, channel="phone", kind="complaint", text=text,
                                  caller_phone="13800000000")
        services.dispatch(people.operator, o.number, department=dept, category=cat)


def top(text, k=3):
    return [(s.category, s.department) for s in classifier.suggest(text, k)]


def test_suggestions_come_from_the_dispatch_history(people):
    dispatch_history(people, SEED_ORDERS)
    assert top("隔壁工地半夜还在施工，吵得睡不着")[0] == ("HB01", "YX-STHJ")
    assert top("包工头欠我们农民工工钱")[0] == ("LD01", "YX-RS")
    scores = [s.score for s in classifier.suggest("停水了", 5)]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1
    # every category is known from its name and keywords even without history
    assert ("JS07", "YX-GA") in top("路口红绿灯坏了一直黄灯闪")


def test_operators_corrections_change_the_suggestion(people):
    dispatch_history(people, SEED_ORDERS)
    text = "共享单车乱停放堵住了小区门口"
    before = top(text)[0]
    assert before != ("CG03", "YX-CG")
    for i in range(3):  # three operators route such calls to city management's 市容 team
        o = services.create_order(people.operator, channel="phone", kind="complaint",
                                  text=f"{['滨江路', '江月路', '渡口路'][i]}的共享单车乱停放，堵住了人行道",
                                  caller_phone="13800000000")
        services.dispatch(people.operator, o.number, department="YX-CG", category="CG03")
    rows = DispatchFeedback.objects.filter(category_code="CG03")
    assert rows.count() == 3 and rows.filter(corrected=True).exists()
    assert top(text)[0] == ("CG03", "YX-CG")  # learnt at once in this process (poked), no rebuild
    classifier.reset()
    assert top(text)[0] == ("CG03", "YX-CG")  # and kept when the model is rebuilt from the database


def test_street_office_is_chosen_from_the_place(people):
    rows = []
    for street, dept in (("江滨街道", "YX-JB-BSC"), ("梅林街道", "YX-ML-BSC")):
        for place in {"江滨街道": ["滨江社区", "江月社区", "渡口社区"], "梅林街道": ["梅林社区", "梅园社区", "香樟社区"]}[street]:
            rows.append((f"{place}的楼道灯坏了很久，社区没人来修", dept, "SQ01"))
    dispatch_history(people, rows)
    assert top("江月社区楼道里堆满杂物，社区不管")[0] == ("SQ01", "YX-JB-BSC")
    assert top("梅园社区健身器材坏了，社区不管")[0] == ("SQ01", "YX-ML-BSC")


def test_the_model_trained_on_the_generated_history_generalises():
    """A quick check on a slice of the benchmark's held-out set (the full figures: bench/)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from hotline_heldout import HELDOUT

    from yiwang.hotline.demo.categories import TREE

    cats = [(code, dept, f"{name} {kw.replace(',', ' ')} {desc} {gname}") for _g, gname, leaves in TREE
            for code, name, dept, kw, desc in leaves if dept]
    model = classifier.train_from_rows([(t, c, d, 1.0) for t, c, d in history.labelled_texts(2500)], cats)
    sample = HELDOUT[::4]
    hits = sum((c, d) in [(s.category, s.department) for s in model.predict(t, 3)] for c, d, t in sample)
    assert hits / len(sample) >= 0.85, hits / len(sample)


def test_knowledge_search_ranks_by_question_and_keywords(people):
    from yiwang.hotline.models import KnowledgeArticle

    dept = people.cg.assignment.department
    KnowledgeArticle.objects.create(department=dept, title="居住证怎么办理", keywords="居住证,暂住证",
                                    answer="到社区警务室申领。")
    KnowledgeArticle.objects.create(department=dept, title="公积金怎么提取", keywords="公积金,提取",
                                    answer="通过公积金 APP 申请。")
    KnowledgeArticle.objects.create(department=dept, title="过期条目", keywords="居住证", answer="旧口径",
                                    is_published=False)
    knowledge.invalidate()
    found = knowledge.search("我想办个暂住证")["articles"]
    assert [a["title"] for a in found] == ["居住证怎么办理"]
    assert knowledge.search("")["articles"] == []
    article = knowledge.save_article(people.operator, title="路灯坏了找谁", answer="城管局负责路灯维修。",
                                     department="YX-CG")
    assert [a["id"] for a in knowledge.search("路灯坏了")["articles"]][0] == article.pk
    from yiwang.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        knowledge.save_article(people.zj, article_id=article.pk, title="改", answer="改")


def test_generated_history_is_large_varied_and_deterministic():
    from django.utils import timezone

    now = timezone.now()
    specs = history.generate(today=now)
    assert len(specs) >= 5000
    assert len({s.category for s in specs}) == 52
    assert {s.channel for s in specs} >= {"phone", "web", "mobile", "api", "grid", "open311"}
    fates = Counter(s.fate for s in specs)
    assert set(fates) >= {"answered", "closed", "reopened_closed", "escalated_closed", "in_progress", "replied",
                          "dispatched", "new", "self_resolved", "void", "merged"}
    assert len({s.text for s in specs}) / len(specs) > 0.9  # varied, not a handful of sentences
    assert min(s.created_at for s in specs) > now - timezone.timedelta(days=366)
    again = history.generate(today=now)
    assert [s.text for s in again[:50]] == [s.text for s in specs[:50]]
    texts = " ".join(s.text for s in specs)
    for topic in ("噪音", "坑", "拖欠", "食物中毒", "停车", "停水", "物业", "入学"):
        assert topic in texts, topic


def test_loading_the_history_writes_consistent_orders(people):
    stats = history.load(400)
    assert stats["work_orders"]["created"] == 400
    assert history.load(400)["work_orders"]["created"] == 0  # idempotent
    orders = WorkOrder.objects.all()
    states = set(orders.values_list("status", flat=True))
    assert {"closed", "answered"} <= states
    for o in orders.filter(channel="grid", status="closed").exclude(self_resolved=True):
        assert o.attachments.filter(kind=Attachment.Kind.FIX).exists(), o.number
    for o in orders.filter(is_anonymous=True):
        assert o.caller_phone == "" and SealedReporter.objects.filter(order=o).exists()
    # merged duplicates: joined an order still open at the time, and closed with it (a close event)
    dups = list(orders.filter(merged_into__isnull=False).select_related("merged_into"))
    for d in dups:
        master = d.merged_into
        assert master.closed_at is None or master.closed_at > d.created_at, d.number
        assert (d.status == Status.CLOSED) == (master.status == Status.CLOSED), d.number
        if d.status == Status.CLOSED:
            assert list(d.events.values_list("action", flat=True))[-2:] == ["merge", "close"]
            assert d.closed_at == master.closed_at and d.reply_text == master.reply_text
        if d.channel == "grid":
            assert master.channel == "grid", d.number
    for o in orders.filter(status=Status.CLOSED, dispatch_count__gt=0)[:50]:
        actions = list(o.events.values_list("action", flat=True))
        assert actions[0] == "create" and "dispatch" in actions and actions[-1] == "close", actions
        assert o.created_at <= o.dispatched_at <= o.closed_at
    # a live order gets a fresh number after the history
    new = services.create_order(people.operator, channel="phone", kind="help", text="停水了", caller_phone="13800000000")
    assert WorkOrder.objects.filter(number=new.number).count() == 1
    # and the classifier trains from it
    classifier.reset()
    assert len(classifier.model().categories.labels) >= 40
