"""Deduplication: mentions (one event as one article states it) become events.

Stages, for one article's fresh extraction (one transaction, so a crash leaves no half merge):
1. resolve each mention's company to a company id through its canonical key and the aliases the
   article gives it (a bilingual pair such as 月之暗面（Moonshot AI） joins two names; when the two
   were separate companies before, they are merged);
2. replace the article's mentions;
3. for every company touched, re-cluster all its mentions into events: two mentions are the same
   event when their rounds agree (or one is unnamed), their dates are close, and their amounts in
   yuan are compatible (exact within tolerance, or inside each other's bounds);
4. each event takes the best-supported value per field; disagreements are kept in `conflicts`.

Re-clustering from the mentions makes the result a function of the stored mentions: running the
same extraction twice changes nothing, and the order articles arrive in does not matter.

User corrections live in their own table and name mentions by a *signature* (article id and
round), which survives re-extraction: `merge` joins the events holding two signatures, `split`
keeps a signature's mention in an event of its own, `fix` sets a field of the event holding a
signature. They are applied every time a company is re-clustered.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from extractor.companies import company_key
from extractor.records import FundingEvent
from extractor.store import Store

DATE_WINDOW_DAYS = 45
AMOUNT_TOLERANCE = 0.15
EVENT_FIELDS = ("round", "amount", "amount_min", "amount_max", "currency", "amount_text", "amount_cny",
                "amount_cny_min", "amount_cny_max", "date", "date_precision", "status")


def apply_extraction(store: Store, article_id: int, version: str, events: Sequence[FundingEvent]) -> int:
    """Store one article's extraction and re-merge the events it affects; return events stored."""
    with store.transaction() as conn:
        resolved = []
        for event in events:
            key = company_key(event.company) or event.company.casefold()
            company = store.company_id(conn, key, event.company)
            for alias in event.company_aliases:
                alias_key = company_key(alias)
                if not alias_key or alias_key == key:
                    continue
                other = store.link_alias(conn, company, alias_key, alias, "article")
                if other is not None:
                    store.merge_companies(conn, company, other)
            resolved.append((event, company))
        touched = store.replace_mentions(conn, article_id, version, resolved)
        corrections = store.corrections(conn)
        for company in sorted(touched):
            recluster(store, conn, company, corrections)
    return len(events)


def recluster(store: Store, conn: Any, company: int, corrections: Sequence[dict[str, Any]] | None = None) -> None:
    """Rebuild one company's events from its mentions and the user's corrections."""
    mentions = store.mentions_of_company(conn, company)
    store.replace_events(conn, company, cluster_events(
        mentions, store.corrections(conn) if corrections is None else corrections))


def signature(m: dict[str, Any]) -> str:
    """How a correction names a mention: its article and round (stable across re-extraction)."""
    return f"{m['article_id']}/{m['round'] or '-'}"


def _mention_date(m: dict[str, Any]) -> dt.date | None:
    value = m.get("date") or m.get("article_published")
    return dt.date.fromisoformat(value[:10]) if value else None


def _cny_range(m: dict[str, Any]) -> tuple[float, float] | None:
    """The yuan interval a mention's amount allows, or None when it gives none."""
    value, low, high = m.get("amount_cny"), m.get("amount_cny_min"), m.get("amount_cny_max")
    if value is not None:
        return value * (1 - AMOUNT_TOLERANCE), value * (1 + AMOUNT_TOLERANCE)
    if low is not None or high is not None:
        return (low or 0.0) * (1 - AMOUNT_TOLERANCE), (high * (1 + AMOUNT_TOLERANCE)) if high else float("inf")
    return None


def compatible(a: dict[str, Any], b: dict[str, Any], apart: frozenset[str] = frozenset()) -> bool:
    """Could two mentions of one company be the same round? (`apart`: signatures split by the user)"""
    if apart and (signature(a) in apart or signature(b) in apart):
        return False
    if a["round"] and b["round"] and a["round"] != b["round"]:
        return False
    da, db = _mention_date(a), _mention_date(b)
    if da and db and abs((da - db).days) > DATE_WINDOW_DAYS:
        return False
    ra, rb = _cny_range(a), _cny_range(b)
    if ra and rb and (ra[1] < rb[0] or rb[1] < ra[0]):
        return False
    # without a round on either side, only an amount or a date that agrees can join them
    return bool(a["round"] or b["round"] or (ra and rb) or (da and db and da == db))


def cluster_events(mentions: Sequence[dict[str, Any]],
                   corrections: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Group one company's mentions into events (greedy, in date order, deterministic)."""
    apart = frozenset(c["a"] for c in corrections if c["kind"] == "split")
    ordered = sorted(mentions, key=lambda m: (str(_mention_date(m) or "9999"), m["article_id"], m["idx"]))
    clusters: list[list[dict[str, Any]]] = []
    for mention in ordered:
        home = next((c for c in clusters if all(compatible(mention, other, apart) for other in c)), None)
        if home is None:
            clusters.append([mention])
        else:
            home.append(mention)
    for c in corrections:
        if c["kind"] == "merge":
            holding = [cl for cl in clusters if any(signature(m) in (c["a"], c["b"]) for m in cl)]
            if len(holding) == 2:
                clusters.remove(holding[1])
                holding[0].extend(holding[1])
    events = [_event_from(cluster) for cluster in clusters]
    for c in corrections:
        if c["kind"] == "fix":
            for event, cluster in zip(events, clusters, strict=True):
                if any(signature(m) == c["a"] for m in cluster):
                    event["conflicts"].append({"field": c["field"], "chosen": c["value"],
                                               "alternatives": [str(event.get(c["field"]))], "by": "user"})
                    event[c["field"]] = c["value"]
    return events


def _best(cluster: Sequence[dict[str, Any]], field: str) -> tuple[Any, list[Any]]:
    """The most frequent non-null value (ties: the most confident mention's), and the others."""
    values = [(m[field], m.get("confidence") or 0.0) for m in cluster if m.get(field) not in (None, "")]
    if not values:
        return None, []
    counts = Counter(v for v, _ in values)
    best = max(values, key=lambda vc: (counts[vc[0]], vc[1]))[0]
    return best, sorted({str(v) for v in counts if v != best})


def _event_from(cluster: Sequence[dict[str, Any]]) -> dict[str, Any]:
    first = min(cluster, key=lambda m: (m["article_id"], m["idx"]))
    event: dict[str, Any] = {"id": f"e{first['article_id']}-{first['idx']}"}
    conflicts = []
    names = Counter(m["company"] for m in cluster)
    event["company"] = names.most_common(1)[0][0]
    amount_source = max(cluster, key=lambda m: (m.get("amount") is not None, m.get("amount_cny_min") is not None,
                                                m.get("confidence") or 0.0))
    for field in EVENT_FIELDS:
        if field.startswith("amount") or field == "currency":
            event[field] = amount_source.get(field)
            continue
        event[field], others = _best(cluster, field)
        if others:
            conflicts.append({"field": field, "chosen": event[field], "alternatives": others})
    amounts = {round(m["amount_cny"], -4) for m in cluster if m.get("amount_cny") is not None}
    if len(amounts) > 1:
        conflicts.append({"field": "amount_cny", "chosen": event["amount_cny"], "alternatives": sorted(amounts)})
    leads: list[str] = []
    investors: list[str] = []
    for m in cluster:
        leads += [n for n in m["lead_investors"] if n not in leads]
        investors += [n for n in m["investors"] if n not in investors]
    event.update(lead_investors=leads, investors=investors, n_mentions=len(cluster), conflicts=conflicts,
                 first_seen=min(str(m.get("article_published") or "") for m in cluster) or None,
                 mention_ids=[m["id"] for m in cluster])
    return event
