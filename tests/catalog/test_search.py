"""Search as people talk: word-level full text (jieba) + synonyms + the offline semantic model."""

from __future__ import annotations

import pytest

from yiwang.catalog import search

pytestmark = pytest.mark.django_db


def names(q, mode="hybrid", n=3):
    return [r["name"] for r in search.search(q, mode=mode, limit=n)]


def test_the_two_examples_from_the_issue(demo_catalog):
    assert names("孩子刚出生要上户口")[0] == "出生登记"
    top3 = names("开个小吃店要办什么")
    assert "开办餐饮店" in top3 and "食品经营许可" in top3


def test_the_api_shape_and_order(demo_catalog, api):
    r = api.get("/api/v1/catalog/search", q="开个小吃店要办什么")
    assert r.status_code == 200
    results = r.json()["results"]
    assert results[0] == {**results[0], "kind": "bundle", "name": "开办餐饮店", "department": "云溪区市场监督管理局"}
    assert {"code", "name", "department", "kind", "score"} <= set(results[0])
    scores = [x["score"] for x in results]
    assert scores == sorted(scores, reverse=True)
    food = next(x for x in results if x["name"] == "食品经营许可")
    assert food["kind"] == "item" and api.get(f"/api/v1/catalog/items/{food['code']}").status_code == 200


@pytest.mark.parametrize("q, expected", [
    ("身份证丢了怎么补", "居民身份证申领"),
    ("取公积金交房租", "住房公积金提取"),
    ("去澳门旅游要办的证件", "往来港澳通行证签发"),
    ("驾照快到期了", "机动车驾驶证换证"),
    ("我们俩想领证", "结婚登记"),
])
def test_colloquial_queries(demo_catalog, q, expected):
    assert expected in names(q)


def test_each_signal_works_alone(demo_catalog):
    assert search.semantic_available()
    assert names("孩子刚出生要上户口", mode="fulltext")[0] == "出生登记"
    assert "出生登记" in names("孩子刚出生要上户口", mode="semantic")


@pytest.mark.parametrize("q, code", [("", "query_empty"), ("   ", "query_empty"), ("办" * 2000, "query_too_long")])
def test_bad_queries_get_a_clear_answer(demo_catalog, api, q, code):
    r = api.get("/api/v1/catalog/search", q=q)
    assert r.status_code == 422 and r.json()["code"] == code and r.json()["message"]


@pytest.mark.parametrize("q", ["😀😀😀", "' OR 1=1; DROP TABLE catalog_serviceitem; --", "<script>alert(1)</script>",
                               "%00%ff", "ｑｗｅｒｔｙ"])
def test_hostile_or_meaningless_queries_find_nothing_and_break_nothing(demo_catalog, api, q):
    r = api.get("/api/v1/catalog/search", q=q)
    assert r.status_code == 200 and r.json()["results"] == []
    assert api.get("/api/v1/catalog/items").status_code == 200


def test_a_nul_character_is_refused_clearly(demo_catalog, api):
    r = api.get("/api/v1/catalog/search", q="开饭店\x00")
    assert r.status_code == 400 and r.json()["code"] == "invalid_characters"  # core's RejectNulMiddleware
    from yiwang.catalog import search

    assert search.search("\x00\x00") == []  # and the search itself copes with one


def test_search_page_escapes_and_answers(demo_catalog, client):
    r = client.get("/services/search/", {"q": "<b>开饭店</b>"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "&lt;b&gt;开饭店&lt;/b&gt;" in html and "<b>开饭店</b>" not in html
    assert "开办餐饮店" in html
    r = client.get("/services/search/", {"q": ""})
    assert r.status_code == 400 and "请输入" in r.content.decode()


def test_the_index_follows_publishing(demo_catalog):
    from yiwang.catalog import selectors, services
    from yiwang.catalog.permissions import SYSTEM

    item = selectors.published_items().get(current__name="养犬登记")
    assert "养犬登记" in names("养狗要登记吗")
    services.retire_item(SYSTEM, item, "测试停用")
    assert "养犬登记" not in names("养狗要登记吗")
