"""Fictional residents of 云溪区: names weighted like real surname frequencies, given names that
fit the decade of birth, valid resident ID numbers and mobile numbers. Deterministic."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from yiwang.core.identity import make_resident_id

from . import DISTRICT
from .geo import COMMUNITIES, Community, street_of

CITIZEN_COUNT = 520
FEATURED_CITIZENS = 10  # the first ones: shown as demo logins

# Surname: approximate share (‰) among Han Chinese (2020 census order).
SURNAMES = (
    ("王", 71), ("李", 70), ("张", 61), ("刘", 53), ("陈", 45), ("杨", 31), ("黄", 22), ("赵", 21),
    ("吴", 20), ("周", 19), ("徐", 15), ("孙", 14), ("马", 13), ("朱", 12), ("胡", 12), ("郭", 11),
    ("何", 11), ("林", 10), ("高", 10), ("罗", 10), ("郑", 8), ("梁", 8), ("谢", 7), ("宋", 7),
    ("唐", 7), ("许", 6), ("韩", 6), ("冯", 6), ("邓", 6), ("曹", 6), ("彭", 5), ("曾", 5),
    ("肖", 5), ("田", 5), ("董", 5), ("袁", 5), ("潘", 4), ("于", 4), ("蒋", 4), ("蔡", 4),
    ("余", 4), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 3), ("魏", 3), ("吕", 3), ("丁", 3),
    ("任", 3), ("沈", 3), ("姚", 3), ("卢", 3), ("姜", 3), ("崔", 3), ("钟", 3), ("谭", 3),
    ("陆", 3), ("汪", 3), ("范", 3), ("金", 2), ("石", 2), ("廖", 2), ("贾", 2), ("夏", 2),
    ("韦", 2), ("付", 2), ("方", 2), ("白", 2), ("邹", 2), ("孟", 2), ("熊", 2), ("秦", 2),
    ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2), ("雷", 2), ("侯", 2),
    ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2), ("毛", 2), ("郝", 2),
    ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("严", 2), ("戴", 1), ("孔", 1), ("汤", 1),
    ("欧阳", 1), ("司马", 1),
)

GIVEN = {
    # born before 1966
    ("old", "M"): "建国 建华 国强 国庆 志强 德明 永福 宝山 长林 金生 福根 荣华 学文 振华 卫东 红军 建军 立新 "
                  "文华 树林 玉林 根宝 海林 德华 家荣 正明 秀峰 明德 永康 庆丰 桂林 金宝 友良 炳南".split(),
    ("old", "F"): "秀英 桂英 秀兰 玉兰 桂兰 凤英 玉珍 美华 秀珍 淑珍 玉梅 红梅 桂芳 兰英 素珍 凤兰 月娥 金凤 "
                  "翠华 菊英 雪梅 爱华 淑英 月英 招娣 彩霞 杏花 美英".split(),
    # born 1966–1989
    ("mid", "M"): "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宁 健 海 峰 林 俊 志刚 海涛 晓东 "
                  "文斌 建明 志勇 国华 振宇 晓峰 永强 立军 少华 红兵 春雷 建伟 卫国".split(),
    ("mid", "F"): "丽 静 敏 燕 艳 娟 霞 芳 娜 丹 玲 萍 红 婷 雪 琳 晶 慧 莉 洁 丽华 晓燕 海燕 春梅 秀梅 "
                  "晓红 桂香 丽娟 艳红 海霞 小红 晓丽 雪莲 美玲 慧敏 春燕".split(),
    # born 1990 and later
    ("young", "M"): "浩 宇 轩 睿 晨 浩然 子轩 宇轩 博文 皓轩 俊杰 一鸣 梓豪 子豪 天佑 嘉豪 泽宇 思远 明轩 "
                    "文博 家豪 鑫磊 宇航 子墨 奕辰 俊熙 锦程 昊天 逸飞 承泽".split(),
    ("young", "F"): "欣怡 梓涵 雨桐 诗涵 可馨 子涵 思琪 雨涵 佳怡 梦琪 紫涵 一诺 语嫣 欣妍 佳琪 雨欣 心怡 "
                    "婉清 若曦 静怡 晓雯 雨萱 思彤 梦瑶 佳慧 诗雨 欣然 语桐".split(),
}

# Birth places other than 329002 (real GB/T 2260 county codes), weighted: most from Jiangsu.
OTHER_BIRTHPLACES = (
    ("320102", 6), ("320106", 6), ("320211", 3), ("320506", 3), ("320583", 2), ("321002", 3),
    ("321102", 2), ("340104", 3), ("340302", 2), ("330106", 3), ("110105", 2), ("510107", 2),
    ("410105", 2), ("420106", 2), ("370102", 1), ("430104", 1), ("350203", 1),
)

MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "170 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 193 195 196 198 199"
).split()


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs)
    return rng.choices(items, weights=weights, k=1)[0]


class NameMaker:
    """Plausible full names; ``adult()`` for staff (born 1966–2000)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def name(self, gender: str, birth_year: int) -> str:
        era = "old" if birth_year < 1966 else "mid" if birth_year < 1990 else "young"
        given = self.rng.choice(GIVEN[(era, gender)])
        return _weighted(self.rng, SURNAMES) + given

    def adult(self) -> tuple[str, str]:
        gender = self.rng.choice("MF")
        return self.name(gender, self.rng.randint(1966, 2000)), gender


@dataclass(frozen=True)
class CitizenSpec:
    username: str
    name: str
    id_number: str
    birth_date: date
    gender: str
    phone: str
    community: Community
    address: str

    @property
    def division(self) -> str:
        return self.community.code


def _birth_year(rng: random.Random, featured: bool) -> int:
    if featured:
        return rng.randint(1958, 2000)
    # More people of working age than the very old or the young.
    return _weighted(rng, ((rng.randint(1940, 1954), 8), (rng.randint(1955, 1969), 22),
                           (rng.randint(1970, 1984), 28), (rng.randint(1985, 1999), 30),
                           (rng.randint(2000, 2010), 12)))


def _address(rng: random.Random, community: Community) -> str:
    street = street_of(community)
    prefix = f"江东市云溪区{street.name}"
    if community.is_village:
        return f"{prefix}{community.name}{rng.choice(community.estates)}{rng.randint(1, 60)}号"
    if rng.random() < 0.7:
        building, unit = rng.randint(1, 28), rng.randint(1, 4)
        room = rng.randint(1, 18) * 100 + rng.randint(1, 4)
        return f"{prefix}{rng.choice(community.estates)}{building}幢{unit}单元{room}室"
    return f"{prefix}{rng.choice(community.roads)}{rng.randint(1, 199)}号"


@lru_cache(maxsize=1)
def citizens() -> tuple[CitizenSpec, ...]:
    rng = random.Random("yiwang-demo-citizens")
    names = NameMaker(rng)
    seen_ids: set[str] = set()
    seen_phones: set[str] = set()
    people = []
    for i in range(CITIZEN_COUNT):
        featured = i < FEATURED_CITIZENS
        year = _birth_year(rng, featured)
        birth = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        gender = rng.choice("MF")
        # Most residents were born here; a third moved in from elsewhere (their ID keeps that code).
        birthplace = DISTRICT[0] if rng.random() < 0.65 else _weighted(rng, OTHER_BIRTHPLACES)
        while True:
            seq = rng.randrange(0, 1000)
            if (seq % 2 == 1) != (gender == "M"):
                seq = (seq + 1) % 1000
            id_number = make_resident_id(birthplace, birth, seq)
            if id_number not in seen_ids:
                break
        seen_ids.add(id_number)
        while True:
            phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"
            if phone not in seen_phones:
                break
        seen_phones.add(phone)
        community = rng.choice(COMMUNITIES)
        people.append(
            CitizenSpec(
                username=f"demo_c{i + 1:04d}",
                name=names.name(gender, year),
                id_number=id_number,
                birth_date=birth,
                gender=gender,
                phone=phone,
                community=community,
                address=_address(rng, community),
            )
        )
    return tuple(people)
