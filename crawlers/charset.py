"""Bytes -> text, recording how the charset was found.

Order: BOM, HTTP ``Content-Type`` charset, ``<meta charset>`` / ``http-equiv``, XML declaration,
then detection (strict UTF-8, then GB18030, then Windows-1252). gb2312/gbk/x-gbk are read as
gb18030 (a superset). A declared charset is trusted unless it provably fails: more than
`MAX_ERROR_SHARE` of the characters undecodable — or, for a declared single-byte Latin charset,
a body that is valid multi-byte UTF-8 (real pages declare ISO-8859-1 and serve UTF-8) — then
detection decides and the method is ``detected``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

MAX_ERROR_SHARE = 0.002
_SNIFF_BYTES = 16384
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_UPGRADE = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
            "cp936": "gb18030", "ms936": "gb18030", "big5": "big5hkscs",
            "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
            "ascii": "cp1252"}
_SINGLE_BYTE = {"cp1252", "iso8859-1", "iso8859-15", "latin-1", "ascii"}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_NON_ASCII = re.compile(rb"[\x80-\xff]")


_NOT_PAGE_CODECS = frozenset({"idna", "punycode", "undefined", "rot-13", "rot13"})


def normalize_charset(name: str) -> str | None:
    """The Python codec to use for a declared charset name, or None when unknown."""
    low = name.strip().strip("\"'").lower()
    low = _UPGRADE.get(low, low)
    try:
        info = codecs.lookup(low)
    except LookupError:
        return None
    # only text encodings: codecs also knows base64, hex, rot13, zip, idna… which a page never is
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_PAGE_CODECS:
        return None
    return info.name


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    if not headers:
        return None
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if not ctype:
        return None
    m = _HEADER_CHARSET.search(ctype)
    return m.group(1) if m else None


def declared_in_body(body: bytes) -> str | None:
    """The charset a page declares in its first bytes: <meta> or the XML declaration."""
    head = body[:_SNIFF_BYTES]
    m = _XML_DECL.search(head) or _META_CHARSET.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def _error_share(body: bytes, codec: str) -> float:
    text = body.decode(codec, errors="replace")
    if not text:
        return 0.0
    return text.count("\ufffd") / len(text)


def _is_utf8(body: bytes) -> bool:
    """True when `body` has non-ASCII bytes and reads as UTF-8 (valid multi-byte UTF-8 is no accident)."""
    if not _NON_ASCII.search(body):
        return False
    try:
        body.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return _error_share(body, "utf-8") <= MAX_ERROR_SHARE


def _fails(body: bytes, codec: str) -> bool:
    """True when `body` provably is not in `codec`."""
    if codec.startswith(("utf-8", "utf_8")):
        return _error_share(body, codec) > MAX_ERROR_SHARE
    # A legacy charset declared on a body that is valid UTF-8: the declaration lies (qq.com, hexun).
    if _is_utf8(body):
        return True
    if codec in _SINGLE_BYTE or codec.startswith(("iso8859", "cp125")):
        return False  # every byte decodes in a single-byte charset: nothing more to prove
    return _error_share(body, codec) > MAX_ERROR_SHARE


def detect(body: bytes) -> str:
    """Guess a codec when nothing usable is declared: UTF-8 (strict), GB18030, else Windows-1252."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _error_share(body, "gb18030") <= MAX_ERROR_SHARE:
        return "gb18030"
    if _error_share(body, "utf-8") <= MAX_ERROR_SHARE:
        return "utf-8"
    return "cp1252"


def decode(body: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str, str]:
    """Decode a page: (text, codec, method), method in header | bom | meta | detected."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace"), codec, "bom"
    for method, name in (("header", header_charset(headers)), ("meta", declared_in_body(body))):
        if not name:
            continue
        declared = normalize_charset(name)
        if declared and not _fails(body, declared):
            return body.decode(declared, errors="replace"), declared, method
    codec = detect(body)
    return body.decode(codec, errors="replace"), codec, "detected"
