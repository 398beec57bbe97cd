"""Cue words: what makes a sentence about a funding round, and what makes it about something else.

Every pattern here runs on the original text (never an NFKC copy), so full-width and Chinese
punctuation stay what they are: "，" is a clause boundary, "," in "1,000" is not.
"""

from __future__ import annotations

import re

# -- the cheap first pass: can this article hold a funding event at all? ------------------------
FIRST_PASS = {
    "zh": re.compile(r"融资|投资|领投|跟投|参投|注资|募资|获投|[A-HＡ-Ｈ天种]\s*[+＋]?\s*轮"),
    "en": re.compile(r"(?i)\b(?:rais(?:e|es|ed|ing)|funding|financing|series [a-k]\b|seed|invest(?:ment|ed|ors?)?"
                     r"|led by|backed|round)\b"),
}

# -- zh -----------------------------------------------------------------------------------------
ZH_FUNDING_NOUN = re.compile(r"(?:战略)?(?:融资|投资|注资|募资)")
ZH_VERB = re.compile(
    r"(?:宣布|正式|已经|已|近日|日前|今日|今天|昨日|昨天|刚刚|再次|又|先后|相继|成功|顺利|连续|共|接连)*"
    r"(?:完成了?|获得过|获得了?|(?<!收)获|拿到了?|斩获|筹集到|筹集了?|筹得|募集了?|迎来|得到了?|获取|敲定|拿下|收到|获投)(?!悉)")
ZH_LEAD = re.compile(r"[（(]?(?:联合|共同|独家|领衔)?(?:领投|领头|牵头)[)）]?")
ZH_FOLLOW = re.compile(r"(?:等)?(?:机构|投资方|股东)?(?:联合|共同|继续|持续|超额)?(?:跟投|参投|跟进|追投|加注|增持|追加投资)")
ZH_INVESTOR_LIST = re.compile(r"(?:投资方|投资者|投资机构|投资人|参投方|出资方)(?:分别)?(?:为|是|包括|有|包含)[：:]?")
ZH_BY = re.compile(r"由")
ZH_PRONOUN = re.compile(r"^(?:该公司|该企业|该平台|公司|其|它|他们|该团队|团队|该项目|项目|后者|前者)$")
ZH_LIST_SPLIT = re.compile(r"、|，|,|以及|及|和|与|跟|还有|；")
ZH_NAME_PREFIX = re.compile(
    r"^(?:由|来自|获得|获|得到|包括|及|和|与|以及|老股东|现有股东|原股东|新股东|股东|新投资方|投资方|知名|著名|国内|国际|"
    r"之前|此前|部分|多家|其他|其余|现有投资者|现有投资方|原有投资者|新投资者|(?:(?:Pre-)?[A-H]\+?轮|天使轮|种子轮)?(?:老)?(?:投资方|股东|投资人)|"
    r"机构|旗下的?|此前|本轮|该轮|此轮|则由|则|并由|还有|同时|的|为|是|有|，|、|\s)+")
ZH_NAME_SUFFIX = re.compile(r"(?:[（(](?:领投|跟投|参投)[)）]|的(?:Pre-)?[A-H]?\+?轮.*|等[^、，,]{0,6}|等机构|等多家机构|等投资方|等多家|等人|等知名机构|共同|联合|继续|持续|超额|旗下|的|，|、|\s)+$")
ZH_SUBJECT_NOISE = re.compile(
    r"^(?:【[^】]*】|\[[^\]]*\]|（[^）]*）|(?:\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月|\d{4}年|今年|去年|同年|"
    r"今日|今天|昨日|昨天|近日|日前|近期|最近|目前|当天|当日|本周[一二三四五六日天]?|上周[一二三四五六日天]?|"
    r"周[一二三四五六日天]|[上中下]旬|消息|讯|报道|据悉|获悉|了解到|另外|此外|同时|其中|而|但是|但|并且|并|且|当|尽管|虽然|"
    r"(?:几|数|\d+|一|两|三)?个?(?:月|天|年|周|星期)(?:前|内|后)|不久前|前不久|[，,：:\s])+")
ZH_SUBJECT_TAIL_NOISE = re.compile(
    r"(?:继|于|在|已|也|还|则|再|又|正式|成功|日前|近日|今日|今天|昨日|昨天|最近|目前|近期|曾|曾经|此前|之前|先后|已经|"
    r"刚刚|宣布|日前宣布|\d{1,2}月\d{1,2}日|\d{1,2}日|(?:\d{4}年|去年|今年|前年)?[一二三四五六七八九十\d]{1,2}月份?|"
    r"\d{4}年|去年|今年|前年|年初|年底|年中|就|即将|将|将于.*|刚在.*|刚|为其.*|周[一二三四五六日天]|"
    r"本月(?:初|中旬|下旬|底)?|(?:计划|打算|准备|预计|有望|希望)(?:在|于)?.*|的?新一轮|的?首轮|的|\s)+$")
ZH_REPORTING_VERB = re.compile(r"^.*(?:表明|显示|指出|透露|称|表示|获悉|了解到|报道|披露|宣布|消息)(?=.{2})")
ZH_DESCRIPTOR_TAIL = re.compile(
    r"^.*(?:提供商|服务商|供应商|平台|公司|品牌|企业|创企|厂商|开发商|运营商|制造商|研发商|初创|独角兽|机构|方案商|"
    r"解决方案|领域|专家|玩家|新锐|明星|头部|龙头|巨头|上市公司|旗下|基金(?=[\u4e00-\u9fff])|领头羊|领军者|领军企业|打车服务|的)(?=[^的]{2})")

# Out of scope (DESIGN.md): bonds, placements, IPOs, M&A, fund closes, margin financing, platforms.
ZH_OUT_OF_SCOPE = re.compile(
    r"债券|公司债|发行债务|赴港上市|赴美上市|(?<!已)上市(?!公司)|发售新股|发行新股|融资券|中期票据|短融|超短融|定增|定向增发|非公开发行|配股|可转债发行|首次公开发行|IPO|上市募资|募投|"
    r"收购|并购|兼并|要约|融资融券|两融|融资余额|融资买入|融资租赁|融资担保|融资平台|众筹|质押|回购|减持|增持股份|"
    r"基金(?:募集|首期|设立|完成募集)|募集资金|授信|贷款|借款|发行股份")
ZH_CUMULATIVE = re.compile(r"累计|累积|迄今|至今|总计|共计|总共|合计|一共|先后.{0,6}轮|总额|总融资|融资总|共获|共完成|共融")
ZH_VALUE_NOT_ROUND = re.compile(r"(?:估值|市值|GMV|营收|收入|销售额|利润|净利|(?<!融资)(?<!投资)规模|年化|交易额|流水|管理资产|基金规模|投后)"
                                r"(?:已|达|超|为|约|近|在|突破|高达|达到|接近)*\s*$")
ZH_PAST = re.compile(r"继.{0,20}后|此前|之前|先前|早前|曾|上一轮|上轮|前一轮|去年|前年|\d{4}年|早在|当时|彼时|成立之初|不久前|前不久|"
                     r"上个月|上月|几个月前|数月前")
ZH_SEQUEL = re.compile(r"^(?:同年|次年|随后|此后|之后|后来|紧接着|接着|再|又)")
ZH_REPORTED = re.compile(r"(?:^|[，。？！?!\s])传(?!统|媒|感|播|递|输|奇|承|言)|消息称|据报道|传闻|知情人士|据.{1,8}报道|据外媒|据悉.{0,10}正在|接近.{0,6}人士")
ZH_PLANNED = re.compile(r"拟|欲|计划|将进行|将完成|将于|即将|正在进行|正在寻求|寻求|希望(?:获得)?融资|打算|准备|启动.{0,4}融资|正在洽谈|洽谈中")
ZH_GENERIC = re.compile(r"能否|如何|是否|怎样|为什么|对于|难以|很难|困难|门槛|意味着|往往|通常|一般|许多|很多|大多|不少|"
                        r"有多少|多少|的企业|的公司|的初创|企业中|公司中|之后的融资|数量|难度|"
                        r"创业者|投资人(?:们)?(?:认为|表示)")

# -- en -----------------------------------------------------------------------------------------
EN_VERB = re.compile(
    r"(?i)\b(?:has |have |had |just |recently |now |today |also |finally |officially )*"
    r"(?:rais(?:es|ed|ing)|secur(?:es|ed|ing)|clos(?:es|ed|ing)|land(?:s|ed)|bag(?:s|ged)|snag(?:s|ged)|"
    r"nab(?:s|bed)|pick(?:s|ed) up|gets?|got|receiv(?:es|ed)|obtain(?:s|ed)|announc(?:es|ed)|complet(?:es|ed)|"
    r"scor(?:es|ed)|grabs?|grabbed|made (?:its|a|the) (?:funding |financing )?announcement|hauls? in|hauled in|brings? in|brought in|pulls? in|pulled in|takes? in|took in)\b")
EN_FUNDING_NOUN = re.compile(r"(?i)\b(?:funding|financing|investment|round|raise|tranche|capital|seed|backing)\b")
EN_LED_BY = re.compile(r"(?i)\b(?:co-led|led|headed|spearheaded)\s+by\s+")
EN_PARTICIPATION = re.compile(
    r"(?i)\b(?:with|and)\s+(?:additional\s+|further\s+|follow-on\s+)?participation\s+(?:from|by)\s+|"
    r"\b(?:participation|participants)\s+(?:from|by|included|include)\s+|"
    r"\b(?:investors|backers|participants)\s+(?:include|included|including|are|were)\s+|"
    r"\b(?:also\s+)?(?:joined|participated)\s+by\s+|\bbacked\s+by\s+|"
    r"(?:million|billion|\d[mbk]|round|funding|financing|investment)\s+from\s+(?=(?-i:[A-Z0-9]))")
EN_LED_THE_ROUND = re.compile(r"(?i)\s+(?:co-)?led\s+the\s+(?:round|raise|investment|financing|funding)")
EN_LIST_SPLIT = re.compile(r",\s*(?:and|as well as|plus)\s+|,\s*|\s+and\s+|\s+as well as\s+|\s*;\s*|\s+&\s+(?=[A-Z][a-z]+\s+[A-Z])")
EN_NAME_PREFIX = re.compile(
    r"^(?:(?:existing|returning|new|other|previous|prior|strategic|angel|individual|notable|several|a\s+number\s+of|"
    r"investors?|backers?|including|include|such\s+as|firms?|funds?|the\s+venture\s+firm|venture\s+firms?|"
    r"VC\s+firms?|venture\s+capital\s+firms?|also|as\s+well\s+as|plus|and|both|with|from|by|its|participation)\s+)+",
    re.IGNORECASE)
EN_NAME_STOP = re.compile(
    r"(?i)\s+(?:with|to|for|in|which|who|that|at|as|on|bringing|brings|taking|putting|valuing|after|according|"
    r"among|alongside|said|says|per|via|through)\b.*$")
EN_PRONOUN = re.compile(r"(?i)^(?:the\s+)?(?:company|startup|start-up|firm|business|platform|it|they|we|"
                        r"(?:the\s+)?[a-z-]+\s+(?:startup|company|firm|maker|provider|platform))$")
EN_OUT_OF_SCOPE = re.compile(
    r"(?i)\b(?:acquir(?:e|es|ed|ing)|acquisition|merger|IPO|initial public offering|goes public|went public|"
    r"bonds?|debt offering|notes offering|SPAC|buyback|fund (?:I|II|III|IV|V|VI)\b|new fund\b|closes? (?:its|a) .{0,20}fund|"
    r"grants?|crowdfunding|philanthrop\w*|donations?|raised .{0,20}fund\b)")
EN_CUMULATIVE = re.compile(r"(?i)\b(?:to date|in total|a total of|total(?:ling)? (?:of )?|total funding|altogether|so far|"
                           r"since (?:its )?(?:founding|inception|launch)|cumulative|over the years|has invested|"
                           r"have invested|invested (?:more than|over)|brings? (?:its|the) total|bringing (?:its|the) total)")
EN_VALUE_NOT_ROUND = re.compile(r"(?i)(?:valu(?:ed|ation|ing)\s+(?:it\s+)?(?:at\s+)?(?:of\s+)?(?:about|around|nearly|"
                                r"roughly|more than|over)?\s*|revenue\s+(?:of\s+)?|\bat\s+an?\s+)$")
EN_VALUATION_AFTER = re.compile(r"(?i)^\s*(?:post-money\s+|pre-money\s+)?valuation")
EN_PAST = re.compile(r"(?i)\b(?:previously(?! unannounced| undisclosed)|previous|earlier|prior|last year|in (?:19|20)\d\d|back in|had raised|"
                     r"has previously|before that|since it raised|in early|in late|last raised|its last)\b")
EN_REPORTED = re.compile(r"(?i)\b(?:sources?|reportedly|report(?:s|ed)? that|according to (?:people|sources|a report|"
                         r"reports)|people familiar|is said to|are said to|in talks|in discussions|rumou?red)\b")
EN_PLANNED = re.compile(r"(?i)\b(?:plans? to raise|planning to raise|is raising|are raising|seeking to raise|seeks? to raise|"
                        r"looking to raise|aims? to raise|hopes? to raise|is looking for|in the process of raising|"
                        r"will raise|would raise)\b")
EN_GENERIC = re.compile(r"(?i)\b(?:startups|companies|founders|many|most|some|how to|whether|if you|your)\b")

ALIASES_EN = {"a16z": "Andreessen Horowitz", "gv": "GV", "yc": "Y Combinator", "sequoia": "Sequoia Capital"}
