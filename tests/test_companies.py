"""Company keys, cores, display forms and alias pairs."""

from __future__ import annotations

import pytest

from extractor.companies import company_core, company_key, find_alias_pairs, same_company, strip_legal_suffix

KEY_CASES = [
    ("北京字节跳动科技有限公司", "字节跳动科技", "字节跳动"),
    ("青岛慧拓智能机器有限公司", "慧拓智能机器", "慧拓"),
    ("腾讯科技(深圳)有限公司", "腾讯科技", "腾讯"),
    ("阿里巴巴集团控股有限公司", "阿里巴巴集团控股", "阿里巴巴"),
    ("上海市商汤智能科技有限公司", "商汤智能科技", "商汤"),
    ("“月之暗面”", "月之暗面", "月之暗面"),
    ("ByteDance Ltd.", "bytedance", "bytedance"),
    ("OpenAI, Inc.", "openai", "openai"),
    ("Moonshot AI", "moonshotai", "moonshot"),
    ("Grab Holdings Inc.", "grabholdings", "grab"),
    ("Shopee Pte. Ltd.", "shopee", "shopee"),
    ("Acme Co., Ltd.", "acme", "acme"),
    ("The Boring Company", "boringcompany", "boringcompany"),
    ("Byju's Pvt. Ltd.", "byjus", "byjus"),
    ("ＳｅｎｓｅＴｉｍｅ", "sensetime", "sensetime"),
    ("Zhipu AI Technology Co., Ltd.", "zhipuaitechnology", "zhipu"),
]


@pytest.mark.parametrize(("name", "key", "core"), KEY_CASES)
def test_key_and_core(name: str, key: str, core: str) -> None:
    assert (company_key(name), company_core(name)) == (key, core)


@pytest.mark.parametrize(("name", "display"), [
    ("北京字节跳动科技有限公司", "北京字节跳动科技"), ("ByteDance Ltd.", "ByteDance"), ("Stripe, Inc.", "Stripe"),
    ("Shopee Pte. Ltd.", "Shopee"), ("Siemens AG", "Siemens"), ("深圳市大疆创新科技有限公司", "深圳市大疆创新科技"),
    ("Ltd.", "Ltd."),
])
def test_strip_legal_suffix(name: str, display: str) -> None:
    assert strip_legal_suffix(name) == display


@pytest.mark.parametrize(("a", "b", "same"), [
    ("慧拓智能", "青岛慧拓智能机器有限公司", True), ("字节跳动", "北京字节跳动科技有限公司", True),
    ("ByteDance", "Bytedance Ltd", True), ("Stripe", "Stripe, Inc.", True), ("Moonshot AI", "Moonshot", True),
    ("百度", "百度在线网络技术（北京）有限公司", True), ("OpenAI", "Open", False), ("腾讯", "腾讯音乐", False),
    ("小米", "小米科技", True), ("Grab", "Grab Holdings", True), ("", "Grab", False),
])
def test_same_company(a: str, b: str, same: bool) -> None:
    assert same_company(a, b) is same
    assert same_company(b, a) is same


# text → [(name, alias)]
ALIAS_CASES = [
    ("AI创企月之暗面（Moonshot AI）宣布完成新一轮融资", [("月之暗面", "Moonshot AI")]),
    ("StepFun (阶跃星辰) closed a round", [("StepFun", "阶跃星辰")]),
    ("字节跳动（ByteDance）旗下产品", [("字节跳动", "ByteDance")]),
    ("投资了北京所思信息科技有限责任公司（以下简称“所思”）", [("北京所思信息科技有限责任公司", "所思")]),
    ("Meta (formerly Facebook) invested", [("Meta", "Facebook")]),
    ("人工智能（AI）和首席执行官（CEO）", []),
    ("时富金融服务集团(00510.HK)发布公告", []),
]


@pytest.mark.parametrize(("text", "pairs"), ALIAS_CASES)
def test_find_alias_pairs(text: str, pairs: list[tuple[str, str]]) -> None:
    found = find_alias_pairs(text)
    assert [(p.name, p.alias) for p in found] == pairs
    assert all(p.name in text[p.start:p.end] and p.alias in text[p.start:p.end] for p in found)
