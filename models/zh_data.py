"""Training material for the Chinese NER model, turned into spaCy ``Doc`` objects.

Four sources, each read in place from ``../shared/data`` (never copied into the repo):

1. CLUENER2020 — fully annotated: company/organization -> ORG, name -> PER,
   government -> GOV; the other CLUENER classes (address, game, movie, ...) are outside (O).
2. FewFC (CC BY-SA 4.0) — event arguments only, so a *partial* annotation: the role spans
   are entities, money/date/number arguments, triggers and punctuation are O, every other
   character is missing (neither entity nor O), so the model is not taught that the
   unlabelled names in those sentences are O.
3. Weak labels on the unlabelled news in ``news/`` from the funding-phrase rules below
   (X完成…融资, 由X领投, Y跟投, 投资方为…) — partial annotation as for FewFC.
4. Sentences the project writes itself: funding templates filled with names (the weakly
   labelled ones plus hand-written lists), fully annotated; these teach the boundaries
   between a descriptor and a name (「3D视觉方案提供商聚芯微电子」) and Latin names in Chinese text.

Offsets are character offsets; the pipeline tokenises one character per token.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

LABELS = ("ORG", "PER", "GOV")

CLUENER_LABELS = {"company": "ORG", "organization": "ORG", "name": "PER", "government": "GOV"}

# FewFC roles whose argument is a named entity of a known type.
FEWFC_ORG_ROLES = {"sub-org", "obj-org", "target-company"}
FEWFC_PER_ROLES = {"sub-per", "obj-per"}
FEWFC_GOV_ROLES = {"institution"}  # courts
# Roles that may be a company or a person (投资/中标/减持 sub and obj).
FEWFC_EITHER_ROLES = {"sub", "obj"}
# Roles whose spans are certainly not ORG/PER/GOV.
FEWFC_OUTSIDE_ROLES = {"trigger", "money", "amount", "date", "number", "proportion", "share-org",
                       "share-per", "collateral", "way", "title"}

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
ORG_HINT = re.compile(
    r"(公司|集团|银行|资本|投资|基金|创投|证券|控股|股份|科技|有限|合伙|信托|保险|医药|电子|网络|传媒|汽车|"
    r"实业|能源|管理|中心|研究院|大学|协会|[A-Za-z])"
)

PUNCT_OR_DIGIT = re.compile(r"[\s\d.,，。、；;：:！!？?（）()《》“”\"'‘’【】\[\]%％/\-—]")
# Phrases that are never part of a name in a funding sentence.
CUE_OUTSIDE = re.compile(
    r"(宣布|完成|获得|融资|领投|跟投|参投|本轮|此轮|该轮|投资方|领投方|此前|近日|消息|"
    r"[0-9.]+(?:万|亿)?(?:美元|元|人民币)|数[千百十]万(?:美元|元)?|[A-E]\+?轮|天使轮|种子轮)"
)


@dataclass(frozen=True, slots=True)
class Annotated:
    """A text with entity spans ``(start, end, label)``; ``outside`` lists O spans (partial docs)."""

    text: str
    ents: tuple[tuple[int, int, str], ...]
    outside: tuple[tuple[int, int], ...] | None = None  # None: fully annotated


def _non_overlapping(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Keep the longest of overlapping spans, then the earliest."""
    kept: list[tuple[int, int, str]] = []
    taken: set[int] = set()
    for s, e, label in sorted(set(spans), key=lambda x: (-(x[1] - x[0]), x[0])):
        if e <= s or any(i in taken for i in range(s, e)):
            continue
        kept.append((s, e, label))
        taken.update(range(s, e))
    return sorted(kept)


def to_doc(nlp: Language, item: Annotated) -> Doc | None:
    """Build a reference Doc; characters not covered in a partial item are missing ("-")."""
    doc = nlp.make_doc(item.text)
    spans = []
    for s, e, label in _non_overlapping(item.ents):
        span = doc.char_span(s, e, label=label, alignment_mode="strict")
        if span is None:  # starts or ends on whitespace
            span = doc.char_span(s, e, label=label, alignment_mode="contract")
        if span is not None and len(span):
            spans.append(span)
    if item.outside is None:
        doc.set_ents(spans, default="outside")
        return doc
    outside_tokens = []
    for s, e in item.outside:
        span = doc.char_span(s, e, alignment_mode="contract")
        if span is not None:
            outside_tokens.extend(span)
    covered = {t.i for sp in spans for t in sp}
    outside_ids = sorted({t.i for t in outside_tokens} - covered)
    doc.set_ents(spans, outside=[doc[i:i + 1] for i in outside_ids],
                 default="missing")
    return doc


# 1. CLUENER ------------------------------------------------------------------------------------

def read_cluener(path: Path) -> Iterator[Annotated]:
    """CLUENER jsonl with inclusive ``[start, end]`` offsets."""
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        ents = []
        for label, mentions in row.get("label", {}).items():
            mapped = CLUENER_LABELS.get(label)
            if mapped is None:
                continue
            for offsets in mentions.values():
                for start, end in offsets:
                    ents.append((start, end + 1, mapped))
        yield Annotated(row["text"], tuple(ents))


# 2. FewFC --------------------------------------------------------------------------------------

def _fewfc_either_label(word: str) -> str | None:
    """Type of a sub/obj argument that may be a person or a company; None when unsure."""
    if ORG_HINT.search(word) or len(word) >= 5:
        return "ORG"
    if len(word) in (2, 3) and word[0] in SURNAMES:
        return None  # 马云 or 李宁: leave it missing
    if len(word) >= 2:
        return "ORG"
    return None


def read_fewfc(paths: Iterable[Path]) -> Iterator[Annotated]:
    """FewFC sentences with half-open ``[start, end)`` argument spans, as partial annotation."""
    seen: set[str] = set()
    for path in paths:
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            text = row["content"]
            if text in seen:
                continue
            seen.add(text)
            ents: list[tuple[int, int, str]] = []
            outside: list[tuple[int, int]] = []
            for event in row.get("events", []):
                for m in event.get("mentions", []):
                    s, e = m["span"]
                    role, word = m["role"], m["word"]
                    if text[s:e] != word:
                        continue
                    if role in FEWFC_ORG_ROLES:
                        label: str | None = "ORG"
                    elif role in FEWFC_PER_ROLES:
                        label = "PER" if 2 <= len(word) <= 4 or re.search("[A-Za-z]", word) else None
                    elif role in FEWFC_GOV_ROLES:
                        label = "GOV"
                    elif role in FEWFC_EITHER_ROLES:
                        label = _fewfc_either_label(word)
                    else:
                        label = None
                        if role in FEWFC_OUTSIDE_ROLES:
                            outside.append((s, e))
                    if label:
                        ents.append((s, e, label))
            if not ents:
                continue
            outside.extend((m.start(), m.end()) for m in PUNCT_OR_DIGIT.finditer(text))
            yield Annotated(text, tuple(ents), tuple(outside))


# 3. Weak labels on unlabelled news ---------------------------------------------------------------

_DESCRIPTOR_END = re.compile(
    r"^.*(?:提供商|服务商|供应商|平台|公司|品牌|企业|厂商|开发商|运营商|研发商|制造商|机构|巨头|初创|"
    r"创业团队|项目|[」「“”：:丨|·】【，,])"
)
_TITLE_COMPANY = re.compile(
    r"^(?:【)?([^，,。；：:【】]{2,40}?)(?:宣布|已|正式|近日|今日|昨日)*"
    r"(?:完成|获得?|拿到|再获|斩获|获投|喜获)[^，,。；]{0,25}?(?:融资|投资)"
)
_INVESTOR_LISTS = (
    re.compile(r"由([^。；;，,]{2,80}?)(?:共同|联合|独家|等机构)?(?:领投|投资|注资|参投)"),
    re.compile(r"(?:领投方|投资方|投资机构|跟投方|参投方)(?:为|是|包括|有)([^。；;]{2,80}?)(?:[。；;，,]|等|$)"),
    re.compile(r"领投[，,、]([^。；;，,]{2,80}?)(?:等(?:多家)?(?:机构|投资方)?)?(?:跟投|参投)"),
    re.compile(r"[，,]([^。；;，,由]{2,40}?)(?:等(?:机构)?)?跟投"),
)
_LIST_SPLIT = re.compile(r"、|以及|和|及|与|,|，|/")
_NAME_PREFIX = re.compile(r"^(?:老股东|原股东|现有股东|知名投资机构|知名机构|投资机构|以及|还有|此外|其中|包括|"
                          r"共同|联合|均|等)+")
_NAME_BAD = re.compile(r"融资|本轮|此轮|未披露|多家|个人|投资人|天使投资|资金|万|亿|元|轮|家|其|该|公司$|^公司|"
                       r"机构$|投资方|股东|团队|[。！？\d]{3,}|^\d|^[A-Za-z]$")
_PERSON = re.compile(r"(?:创始人|联合创始人|CEO|首席执行官|董事长|总裁|合伙人|投资人)(?:兼(?:CEO|总裁|董事长))?"
                     r"([\u4e00-\u9fff]{2,3})(?=表示|称|说|透露|介绍|指出|认为|告诉)")
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


_NAME_CUT = re.compile(r"(?:正式|对外|宣布|近日|已于|已经|日前|今日|昨日|继续|等新|参与|于近期|近期).*$")
_NAME_JUNK = re.compile(r"董事长|先生|女士|全球知名|知名|创业者|战略|产业方|超额|都参|领投|跟投|参投|投资方|"
                        r"领投方|而后|以下|上述|旗下的|\s")
ORG_SUFFIX = re.compile(r"(?:资本|创投|基金|投资|集团|科技|控股|银行|证券|资管|创新|智能|网络|Capital|Ventures|"
                        r"Partners|Fund|Group|Holdings|VC)$")


def _clean_name(raw: str) -> str | None:
    name = raw.strip(" 　\t\xa0\"'“”「」《》()（）【】")
    name = _NAME_PREFIX.sub("", name)
    name = re.sub(r"^(?:而后)?由", "", name)
    name = _NAME_CUT.sub("", name)
    name = re.sub(r"等$", "", name).strip(" 　\xa0")
    if _NAME_JUNK.search(name):
        return None
    stripped = _DESCRIPTOR_END.sub("", name)
    if stripped != name and len(stripped) < 2:
        return None  # the whole candidate is a descriptor (「柔性触觉感知企业」)
    name = stripped
    if re.search(r"提供商|服务商|方案商|企业|平台", name) or name in {"集团", "对于", "Home", "Edu", "Express"}:
        return None
    if not 2 <= len(name) <= 25 or _NAME_BAD.search(name):
        return None
    if name[0] in "的了在将已由" or re.fullmatch(r"[\d.%]+", name):
        return None
    return name


def weak_names(text: str, title: str | None) -> tuple[set[str], set[str]]:
    """(organisation names, person names) found by the funding-phrase rules in one article."""
    orgs: set[str] = set()
    pers: set[str] = set()
    for head in filter(None, [title, *text.split("\n")[:1]]):
        m = _TITLE_COMPANY.search(head)
        if m:
            name = _clean_name(m.group(1))
            if name and text.count(name) >= 1 and not name.startswith("由"):
                orgs.add(name)
    for sentence in _SENTENCE.findall(text):
        m = _TITLE_COMPANY.search(sentence.strip())
        if m and m.start(1) == 0:
            name = _clean_name(m.group(1))
            if name and not re.search(r"^(?:[0-9]|今年|去年|此前|同时)", name):
                orgs.add(name)
        for pattern in _INVESTOR_LISTS:
            for lm in pattern.finditer(sentence):
                for part in _LIST_SPLIT.split(lm.group(1)):
                    # 「西北风险投资公司（Norwest Venture Partners）」: both names
                    for piece in re.split(r"[（(）)]", part):
                        name = _clean_name(piece)
                        if name and (ORG_SUFFIX.search(name) or re.fullmatch(r"[A-Za-z][\w .&+-]*", name)
                                     or name in KNOWN_NAMES):
                            orgs.add(name)
        pers.update(m.group(1) for m in _PERSON.finditer(sentence))
    pers -= orgs
    return orgs, pers


def _label_sentence(sentence: str, orgs: set[str], pers: set[str]) -> Annotated | None:
    ents: list[tuple[int, int, str]] = []
    for names, label in ((orgs, "ORG"), (pers, "PER")):
        for name in names:
            for m in re.finditer(re.escape(name), sentence):
                ents.append((m.start(), m.end(), label))
    ents = _non_overlapping(ents)
    if not ents:
        return None
    covered = {i for s, e, _ in ents for i in range(s, e)}
    outside = [(m.start(), m.end()) for rx in (PUNCT_OR_DIGIT, CUE_OUTSIDE) for m in rx.finditer(sentence)
               if not covered.intersection(range(m.start(), m.end()))]
    return Annotated(sentence, tuple(ents), tuple(outside))


def read_news(path: Path) -> Iterator[tuple[str, str | None]]:
    """(text, title) pairs from a news jsonl file or the 36氪 newsflash JSON."""
    if path.suffix == ".json":
        for row in json.loads(path.read_text(encoding="utf-8")).get("articles", []):
            yield f"{row.get('title') or ''}。{row.get('desc') or ''}", row.get("title")
        return
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        yield row.get("text") or "", row.get("title")


def weak_news(paths: Iterable[Path], max_len: int = 160) -> tuple[list[Annotated], set[str], set[str]]:
    """Weakly labelled sentences from the news files, with all names the rules accepted."""
    items: list[Annotated] = []
    all_orgs: set[str] = set()
    all_pers: set[str] = set()
    seen: set[str] = set()
    for path in paths:
        for text, title in read_news(path):
            if "融资" not in text and "领投" not in text:
                continue
            orgs, pers = weak_names(text, title)
            if not orgs:
                continue
            all_orgs |= orgs
            all_pers |= pers
            for chunk in filter(None, [title, *_SENTENCE.findall(text)]):
                chunk = chunk.strip()
                if not 6 <= len(chunk) <= max_len or chunk in seen:
                    continue
                seen.add(chunk)
                item = _label_sentence(chunk, orgs, pers)
                if item:
                    items.append(item)
    return items, all_orgs, all_pers


# 4. Sentences the project writes ------------------------------------------------------------------

# Hand-written names: AI/tech startups and investors as Chinese news names them. Real names,
# chosen from general knowledge; none is taken from the evaluation sets (see exclude= below).
STARTUPS = """月之暗面 智谱AI 百川智能 零一万物 MiniMax 阶跃星辰 面壁智能 生数科技 深势科技 地平线 黑芝麻智能
云从科技 旷视科技 商汤科技 第四范式 思谟科技 元戎启行 小马智行 文远知行 禾赛科技 速腾聚创 图森未来 驭势科技
聚芯微电子 燧原科技 壁仞科技 摩尔线程 沐曦集成电路 天数智芯 瀚博半导体 芯驰科技 地瓜机器人 宇树科技 优必选
达闼机器人 傅利叶智能 智元机器人 银河通用 星动纪元 云鲸智能 追觅科技 石头科技 极飞科技 大疆创新 蔚来 小鹏汽车
理想汽车 零跑汽车 哪吒汽车 喜茶 奈雪的茶 元气森林 钟薛高 三顿半 泡泡玛特 完美日记 Manner咖啡 瑞幸咖啡 蜜雪冰城
美团 拼多多 字节跳动 快手 小红书 B站 得物 货拉拉 满帮集团 滴滴出行 SHEIN 微盟 有赞 明略科技 神策数据 观远数据
数澜科技 袋鼠云 PingCAP 涛思数据 星环科技 Zilliz 青云科技 华云数据 声网 容联云 北森 销售易 纷享销客 明源云
晶泰科技 英矽智能 百奥几何 药明康德 镁信健康 微医 丁香园 医渡科技 推想医疗 数坤科技 联影智能 深睿医疗 鹰瞳科技
极兔速递 丰巢 菜鸟 叮咚买菜 每日优鲜 朴朴超市 Keep 猿辅导 作业帮 掌门教育 松鼠AI 洋葱学园 火花思维""".split()  # noqa: SIM905 (name lists read better as text)

INVESTORS = """红杉中国 IDG资本 高瓴创投 高瓴资本 软银愿景基金 软银中国 经纬创投 经纬中国 真格基金 源码资本 五源资本
启明创投 君联资本 蓝驰创投 晨兴资本 顺为资本 金沙江创投 险峰长青 创新工场 北极光创投 纪源资本 今日资本 光速中国
光速光合 高榕资本 峰瑞资本 明势资本 云启资本 线性资本 联想创投 腾讯投资 阿里巴巴 蚂蚁集团 百度风投 小米集团
美团龙珠 字节跳动 华登国际 中金资本 中信产业基金 华兴新经济基金 元璟资本 碧桂园创投 招商局创投 国投创合 
深创投 达晨财智 同创伟业 东方富海 松禾资本 毅达资本 元禾原点 元禾控股 国中资本 正心谷资本 礼来亚洲基金
高特佳投资 奥博资本 弘晖基金 幂方资本 凯辉基金 博裕资本 春华资本 鼎晖投资 厚朴投资 CPE源峰 淡马锡 GIC
老虎环球基金 老鹰基金 DST 淡马锡控股 云锋基金 碧桂园 钟鼎资本 基石资本 元生资本 蓝湖资本 九合创投 梅花创投
英诺天使基金 阿米巴资本 联想之星 中科创星 水木清华校友种子基金 奇绩创坛 BAI资本 祥峰投资 华映资本
复星锐正 道彤投资 昆仲资本 涌铧投资 华创资本 寒武创投 熊猫资本 伟高达创投 博将资本 中科招商 梧桐树资本""".split()  # noqa: SIM905 (name lists read better as text)

_LATIN_STEMS = ("North", "Blue", "Granite", "Silver", "Harbor", "Summit", "Cedar", "Atlas", "Beacon", "Pioneer",
                "Lumen", "Vector", "Orbit", "Crescent", "Redwood", "Bright", "Iron", "Maple", "Horizon", "Falcon")
_LATIN_TAILS = ("Ventures", "Capital", "Partners", "Venture Partners", "Capital Management", "Growth",
                "Investment Group", "VC", "Fund", "Holdings")
_SYLLABLES = ("qu", "in", "to", "an", "dar", "sca", "le", "fac", "tor", "me", "tro", "mi", "ze", "va", "lo",
              "ra", "no", "vi", "ka", "bo", "xi", "fy", "ly", "ba", "te", "ro", "ne", "sa", "pi", "ko")
DESCRIPTORS = """ToF传感器芯片提供商 3D视觉方案提供商 AI芯片公司 自动驾驶解决方案提供商 企业服务SaaS平台
新消费咖啡品牌 工业机器人厂商 大模型创业公司 跨境电商服务商 医疗影像AI企业 智能硬件初创公司 人形机器人公司
新能源汽车品牌 锂电池材料供应商 生鲜电商平台 在线教育机构 数字医疗平台 云原生数据库厂商 物流科技公司
激光雷达制造商 合成生物学公司 创新药研发企业 机器视觉公司 智能家居品牌 社区团购平台 宠物食品品牌
低代码开发平台 隐私计算服务商 储能系统集成商 半导体设备厂商 AI制药公司 具身智能初创公司 互联网保险平台
企业级AI应用开发商 国产GPU厂商 跨境支付服务商 SaaS服务商 智慧农业企业 无人机研发商 餐饮连锁品牌""".split()  # noqa: SIM905 (name lists read better as text)
ROUNDS = ("天使轮", "种子轮", "Pre-A轮", "A轮", "A+轮", "B轮", "B+轮", "C轮", "D轮", "E轮", "战略", "Pre-IPO轮")
AMOUNTS = ("数千万元", "近亿元", "数亿元", "1亿元", "3000万美元", "5亿元人民币", "2.5亿美元", "千万美元级",
           "超10亿元", "数百万美元", "6000万元", "1.2亿美元", "约2亿元", "过亿元", "10亿美元")
DATES = ("近日", "今日", "日前", "7月25日", "3月2日消息", "昨天", "本周", "据36氪获悉", "近期", "10月12日")
KNOWN_NAMES = frozenset(STARTUPS) | frozenset(INVESTORS)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志新宇浩然子轩一鸣晓东海峰天宁博文睿凯鹏辉"

TEMPLATES = (
    "{date}，{desc}{C}宣布完成{amt}{round}融资，本轮融资由{I1}领投，{I2}、{I3}跟投。",
    "{desc}{C}获得{amt}{round}融资，投资方为{I1}和{I2}。",
    "{C}完成{amt}{round}融资，由{I1}领投，老股东{I2}继续跟投。",
    "{date}，{C}宣布获得{I1}、{I2}及{I3}共同投资的{amt}{round}融资。",
    "{C}创始人兼CEO{P}表示，本轮融资将主要用于产品研发和团队扩充。",
    "{I1}宣布领投{desc}{C}{amt}{round}融资，{I2}参投。",
    "据悉，{C}此前曾获得{I1}的{round}投资，{I2}为其财务顾问。",
    "{C}（{L}）{date}宣布完成{amt}{round}融资，领投方为{LI}，{I1}跟投。",
    "{desc}{L}完成{amt}{round}融资，由{LI}和{I1}联合领投。",
    "{C}成立于2018年，是一家{desc2}，创始人{P}曾任{I1}合伙人。",
    "本轮投资方{I1}合伙人{P}表示，看好{C}在行业中的长期价值。",
    "{date}，{desc}{C}完成{amt}{round}融资，投资方包括{LI}、{I1}等。",
    "{C}{round}融资{amt}，{I1}领投，{LI}跟投",
    "【{C}完成{amt}{round}融资】{date}，{desc}{C}宣布完成融资，{I1}独家投资。",
    "{P}创办的{C}获{I1}{amt}投资",
)


def _latin_startup(rng: random.Random) -> str:
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
    return word.capitalize() if rng.random() < 0.7 else word.capitalize()[:-1] + word[-1].upper() + "i"


def _latin_investor(rng: random.Random) -> str:
    return f"{rng.choice(_LATIN_STEMS)}{rng.choice(['', ' ', 'stone ', 'field '])}{rng.choice(_LATIN_TAILS)}".replace(
        "  ", " ")


def synthetic(n: int, orgs: Iterable[str], investors: Iterable[str], seed: int,
              exclude: set[str] = frozenset()) -> list[Annotated]:  # type: ignore[assignment]
    """``n`` template sentences, fully annotated (every character not in a name is O)."""
    rng = random.Random(seed)
    companies = sorted({c for c in [*STARTUPS, *orgs] if c not in exclude})
    funds = sorted({c for c in [*INVESTORS, *investors] if c not in exclude})
    items = []
    for _ in range(n):
        template = rng.choice(TEMPLATES)
        values: dict[str, tuple[str, str | None]] = {
            "C": (rng.choice(companies), "ORG"),
            "L": (_latin_startup(rng), "ORG"),
            "LI": (_latin_investor(rng) if rng.random() < 0.6 else rng.choice(funds), "ORG"),
            "P": (rng.choice(sorted(SURNAMES)) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))), "PER"),
            "desc": (rng.choice(DESCRIPTORS) if rng.random() < 0.7 else "", None),
            "desc2": (rng.choice(DESCRIPTORS), None),
            "amt": (rng.choice(AMOUNTS), None),
            "round": (rng.choice(ROUNDS), None),
            "date": (rng.choice(DATES), None),
        }
        picked = rng.sample(funds, 3)
        for i, name in enumerate(picked, 1):
            values[f"I{i}"] = (name, "ORG")
        text, ents, pos = "", [], 0
        for m in re.finditer(r"\{(\w+)\}", template):
            text += template[pos:m.start()]
            value, label = values[m.group(1)]
            if label:
                ents.append((len(text), len(text) + len(value), label))
            text += value
            pos = m.end()
        text += template[pos:]
        items.append(Annotated(text, tuple(ents)))
    return items
