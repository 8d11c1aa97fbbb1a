"""Words of a citizen's complaint, for the dispatch classifier, the knowledge-base search, duplicate
detection and the hot-topic analytics.

jieba segments the text (a private tokenizer with the hotline's own vocabulary, so other apps'
custom words do not leak in); character bigrams of every run of Chinese characters are added as
features, which keeps the classifier robust to words jieba splits differently ("噪音扰民" /
"噪声扰民" share 扰民) and to typos.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata

from django.conf import settings

#: Words the hotline hears every day that jieba's general dictionary splits badly.
DOMAIN_WORDS = (
    "12345 占道经营 流动摊贩 违法建设 违章搭建 私搭乱建 乱堆乱放 垃圾清运 垃圾桶 建筑垃圾 渣土车 共享单车 违章停车 "
    "乱停车 堵塞消防通道 消防通道 飞线充电 电动车 充电桩 井盖 路灯 不亮 坑洼 坑槽 路面破损 人行道 窨井 下水道 污水 "
    "冒溢 返臭 化粪池 停水 水压 自来水 水质 停电 跳闸 电压 燃气 天然气 煤气 停气 漏气 供暖 暖气 噪声 噪音 扰民 夜间施工 "
    "广场舞 油烟 异味 臭味 排污 偷排 餐饮店 食品安全 过期食品 变质 食物中毒 无证经营 消费维权 退款 预付卡 价格欺诈 "
    "拖欠工资 欠薪 农民工 劳动合同 社保 医保 公积金 养老保险 失业金 低保 残疾人 养老院 入学 学区 招生 划片 转学 "
    "校外培训 物业 物业费 业委会 电梯 维修基金 漏水 渗水 房屋质量 房产证 公交 公交车 出租车 网约车 黑车 绿化 树木 "
    "修剪 病虫害 流浪狗 犬只 宠物 遛狗 野生动物 烟花爆竹 安全隐患 危化品 户口 身份证 居住证 治安 诈骗 传销 发票 "
    "个税 社区 居委会 村委会 网格员 农田 秸秆 焚烧 宅基地 退役军人 优抚 医疗纠纷 疫苗 医院 药店 假药 医疗器械 "
    "婚姻登记 殡葬 公墓 施工扬尘 扬尘 高空抛物 外卖 快递 充电 地下室 群租房 违规装修 噪声扰民 噪音扰民 跑冒滴漏 "
    "断水 断电 没水 没电 水管爆裂 爆管 电线 变压器 暖气不热 燃气泄漏 液化气"
).split()

STOPWORDS = set(
    "的 了 吗 呢 吧 啊 呀 嘛 么 我 你 他 她 它 我们 你们 他们 咱 俺 这 那 这个 那个 这里 那里 这边 那边 有 没有 是 不是 "
    "在 和 跟 与 及 或 还 就 都 也 又 能 会 要 想 请 请问 您好 你好 喂 麻烦 帮忙 一下 一个 个 些 很 非常 太 特别 已经 "
    "一直 现在 今天 昨天 最近 每天 天天 问题 情况 反映 投诉 举报 咨询 建议 求助 希望 能否 能不能 可以 可不可以 怎么 "
    "怎么办 如何 什么 为什么 哪里 多少 谁 处理 解决 相关 部门 有关 尽快 赶紧 马上 给 把 被 让 对 从 到 上 下 里 后 "
    "前 时 时候 多 少 说 讲 看 打 来 去 过 着 得 地 啦 哦 嗯 吧 呗 啥 咋 市民 来电 本人 自己 家 家里 其 该 此 并 "
    "但 但是 而且 因为 所以 如果 然后 没 不 无 号 楼 单元 室 小区 路 街 村 组 附近 旁边 门口 对面 区 市 云溪 云溪区 江东 江东市"
    .split()
)

_token_lock = threading.Lock()
_tokenizer = None
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_NUM = re.compile(r"^\d+(\.\d+)?$")


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case; punctuation and symbols become spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(ch if (ch.isalnum() or "\u4e00" <= ch <= "\u9fff") else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def tokenizer():
    global _tokenizer
    if _tokenizer is None:
        with _token_lock:
            if _tokenizer is None:
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.tmp_dir = str(getattr(settings, "VAR_DIR", "/tmp"))
                tk.initialize()
                for word in DOMAIN_WORDS:
                    tk.add_word(word, freq=5000)
                _tokenizer = tk
    return _tokenizer


def add_words(words) -> None:
    """Teach the tokenizer more words (category names, knowledge-base keywords, place names)."""
    tk = tokenizer()
    for w in words:
        w = (w or "").strip()
        if len(w) >= 2:
            tk.add_word(w, freq=3000)


def words(text: str) -> list[str]:
    """Meaningful words, in order (stop words, single characters and bare numbers dropped)."""
    tk = tokenizer()
    out = []
    for part in normalise(text).split(" "):
        if not part:
            continue
        for w in tk.cut(part, HMM=False):
            w = w.strip()
            if len(w) < 2 or w in STOPWORDS or _NUM.match(w):
                continue
            out.append(w)
    return out


def bigrams(text: str) -> list[str]:
    out = []
    for run in _CJK.findall(unicodedata.normalize("NFKC", text or "")):
        out += [run[i:i + 2] for i in range(len(run) - 1)]
    return out


STOP_CHARS = set("的了吗呢吧啊呀嘛么我你他她它们这那个有没是不在和跟与及或还就都也又能会要想请一下很太已经"
                 "天人家里上下前后时多少说看打来去过着得地啦哦嗯啥咋该此并但而且因为所以如果然后无号楼室路街区市"
                 "到给把被让对从为什么怎如何哪儿吧好大小老新长")


def unigrams(text: str) -> list[str]:
    return [ch for run in _CJK.findall(unicodedata.normalize("NFKC", text or "")) for ch in run
            if ch not in STOP_CHARS]


def features(text: str) -> list[str]:
    """Classifier features: words, ``#``-prefixed character bigrams and ``@``-prefixed single
    characters (狗, 水, 电, 税 carry meaning on their own)."""
    return (words(text) + ["#" + b for b in bigrams(text) if b not in STOPWORDS]
            + ["@" + c for c in unigrams(text)])
