"""The batch extraction contract (DESIGN.md), through the CLI runner and a real `fundwire` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from tests.conftest import CLI_ENV_VARS

CONTRACT_FIELDS = (
    "company", "company_aliases", "round", "round_text", "amount", "amount_min", "amount_max", "currency",
    "amount_text", "amount_cny", "amount_cny_min", "amount_cny_max", "fx_rate", "fx_date", "date",
    "date_precision", "lead_investors", "investors", "is_current", "status", "evidence", "confidence",
)
STATUSES = {"closed", "announced", "planned", "reported"}
PRECISIONS = {"day", "month", "year", None}

ZHIPU = {"id": "zh-zhipu", "text": "智谱AI宣布完成数亿元B轮融资，由红杉中国领投。", "published": "2024-03-01", "lang": "zh"}
ACME = {"id": "en-acme", "text": "Acme Robotics raised a $20 million Series A led by Sequoia Capital.",
        "published": "2024-03-01T09:30:00+08:00", "lang": "en"}
MISTRAL = {"id": 7, "title": "Mistral AI raises €600 million",
           "text": "Paris-based Mistral AI has raised €600 million in a Series B round led by General Catalyst.",
           "published": "2024-06-11T08:00:00Z", "url": "https://example.com/mistral"}
SHENKONG = {"id": "zh-shenkong", "text": "北京深空智元科技有限公司（以下简称“深空智元”）近日宣布完成数千万美元A轮融资，"
            "本轮融资由高瓴创投领投，老股东经纬创投跟投。", "published": "2024-05-20T10:30:00+08:00"}
NOT_FUNDING_ZH = {"id": "zh-revenue", "text": "华数云科技一季度营收36.8亿元，同比增长12%；公司拟发行不超过20亿元公司债券。",
                  "published": "2024-04-28"}
NOT_FUNDING_EN = {"id": "en-revenue", "text": "Nvidia reported revenue of $26 billion for the first quarter, "
                  "up 262% from a year ago.", "published": "2024-05-22"}


def jsonl(*records: dict[str, Any] | str) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def parse_output(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def run_batch(runner: CliRunner, stdin: str, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = runner.invoke(app, ["extract", "--input", "-", "--output", "-", *args], input=stdin)
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, parse_output(result.stdout), result.stderr


def the_event(line: dict[str, Any]) -> dict[str, Any]:
    assert "error" not in line, line
    assert len(line["events"]) == 1, line
    return line["events"][0]


def assert_contract(event: dict[str, Any]) -> None:
    missing = [f for f in CONTRACT_FIELDS if f not in event]
    assert not missing, f"event lacks contract fields {missing}: {event}"
    assert isinstance(event["company"], str) and event["company"]
    for key in ("company_aliases", "lead_investors", "investors"):
        assert isinstance(event[key], list)
    assert set(event["lead_investors"]) <= set(event["investors"]), "leads must be among the investors"
    assert isinstance(event["is_current"], bool)
    assert event["status"] in STATUSES
    assert event["date_precision"] in PRECISIONS
    assert isinstance(event["evidence"], str) and event["evidence"]
    assert 0.0 <= event["confidence"] <= 1.0
    for key in ("amount", "amount_min", "amount_max", "amount_cny", "amount_cny_min", "amount_cny_max", "fx_rate"):
        assert event[key] is None or isinstance(event[key], int | float), (key, event[key])
    if event["date"] is not None:
        assert len(event["date"]) == 10 and event["date"][4] == "-"


def assert_converted(event: dict[str, Any]) -> None:
    """A non-yuan amount comes with its yuan value at a plausible rate from on or before the event."""
    assert event["fx_rate"] and event["fx_date"]
    if event["date"]:
        assert event["fx_date"] <= event["date"]
    for original, cny in (("amount", "amount_cny"), ("amount_min", "amount_cny_min"), ("amount_max", "amount_cny_max")):
        if event[original] is None:
            assert event[cny] is None
        else:
            assert event[cny] == pytest.approx(event[original] * event["fx_rate"], rel=1e-4)


# -- what a user sees ---------------------------------------------------------------------------

def test_good_lines_give_the_funding_events(runner: CliRunner) -> None:
    code, lines, stderr = run_batch(runner, jsonl(ZHIPU, ACME, MISTRAL, SHENKONG))
    assert code == 0, stderr
    assert [line["id"] for line in lines] == ["zh-zhipu", "en-acme", 7, "zh-shenkong"]
    for line in lines:
        for event in line["events"]:
            assert_contract(event)

    zhipu = the_event(lines[0])
    assert (zhipu["company"], zhipu["round"], zhipu["currency"]) == ("智谱AI", "B", "CNY")
    assert zhipu["amount"] is None  # 数亿元 is vague: bounds, not a number
    assert (zhipu["amount_min"], zhipu["amount_max"]) == (1e8, 1e9)
    assert (zhipu["amount_cny_min"], zhipu["amount_cny_max"]) == (1e8, 1e9)
    assert zhipu["lead_investors"] == ["红杉中国"]
    assert zhipu["date"] == "2024-03-01" and zhipu["is_current"] is True
    assert "智谱AI" in zhipu["evidence"]

    acme = the_event(lines[1])
    assert (acme["company"], acme["round"], acme["round_text"]) == ("Acme Robotics", "A", "Series A")
    assert (acme["amount"], acme["currency"], acme["amount_text"]) == (20_000_000, "USD", "$20 million")
    assert 6.0 < acme["fx_rate"] < 8.0
    assert_converted(acme)
    assert acme["lead_investors"] == ["Sequoia Capital"]
    assert acme["date"] == "2024-03-01"

    mistral = the_event(lines[2])
    assert (mistral["company"], mistral["round"], mistral["currency"]) == ("Mistral AI", "B", "EUR")
    assert mistral["amount"] == 600_000_000
    assert_converted(mistral)
    assert mistral["amount_cny"] > mistral["amount"]
    assert mistral["lead_investors"] == ["General Catalyst"]

    shenkong = the_event(lines[3])
    assert shenkong["company"] in ("深空智元", "北京深空智元科技有限公司")
    assert shenkong["currency"] == "USD" and shenkong["round"] == "A"
    assert (shenkong["amount_min"], shenkong["amount_max"]) == (1e7, 1e8)
    assert_converted(shenkong)
    assert shenkong["lead_investors"] == ["高瓴创投"]
    assert set(shenkong["investors"]) == {"高瓴创投", "经纬创投"}


def test_articles_without_a_funding_event_still_get_their_line(runner: CliRunner) -> None:
    code, lines, _ = run_batch(runner, jsonl(NOT_FUNDING_ZH, ACME, NOT_FUNDING_EN))
    assert code == 0
    assert lines == [{"id": "zh-revenue", "events": []}, lines[1], {"id": "en-revenue", "events": []}]
    assert the_event(lines[1])["company"] == "Acme Robotics"


def test_lang_is_detected_when_absent(runner: CliRunner) -> None:
    records = [{k: v for k, v in r.items() if k != "lang"} for r in (ZHIPU, ACME)]
    code, lines, _ = run_batch(runner, jsonl(*records))
    assert code == 0
    assert [the_event(line)["company"] for line in lines] == ["智谱AI", "Acme Robotics"]
    assert [the_event(line)["round"] for line in lines] == ["B", "A"]


@pytest.mark.parametrize("published", ["2024-03-01", "2024-03-01T09:30:00+08:00", "2024-03-01T09:30:00Z",
                                       "2024-03-01T09:30:00", "2024-03-01 09:30:00"])
def test_published_as_date_or_iso_datetime(runner: CliRunner, published: str) -> None:
    code, lines, _ = run_batch(runner, jsonl({**ACME, "published": published}))
    assert code == 0
    event = the_event(lines[0])
    assert event["date"] == "2024-03-01"
    assert event["fx_date"] <= "2024-03-01"


def test_published_is_the_base_for_relative_dates(runner: CliRunner) -> None:
    record = {"id": "yesterday", "text": "昨日，智谱AI宣布完成数亿元B轮融资，由红杉中国领投。", "published": "2024-03-02"}
    code, lines, _ = run_batch(runner, jsonl(record))
    assert code == 0
    assert the_event(lines[0])["date"] == "2024-03-01"


def test_many_lines_keep_their_order(runner: CliRunner) -> None:
    records = []
    for i in range(40):
        base = (ZHIPU, ACME, NOT_FUNDING_ZH, NOT_FUNDING_EN)[i % 4]
        records.append({**base, "id": f"doc-{i:02d}"})
    code, lines, _ = run_batch(runner, jsonl(*records))
    assert code == 0
    assert [line["id"] for line in lines] == [r["id"] for r in records]
    assert [len(line["events"]) for line in lines] == [1, 1, 0, 0] * 10


def test_output_to_a_file(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "articles.jsonl"
    source.write_text(jsonl(ZHIPU, NOT_FUNDING_EN), encoding="utf-8")
    target = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["extract", "--input", str(source), "--output", str(target)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    lines = parse_output(target.read_text(encoding="utf-8"))
    assert [line["id"] for line in lines] == ["zh-zhipu", "en-revenue"]
    assert "智谱AI" in target.read_text(encoding="utf-8"), "output must be UTF-8, not \\u escapes"


# -- bad input ----------------------------------------------------------------------------------

BAD_BATCH = [
    ZHIPU,
    '{"id": "broken-1", "text": "智谱AI宣布完成数亿元B轮融资',  # truncated: id visible
    '{"text": "Acme Robotics raised", "id": 42, ',  # truncated: numeric id visible
    '{"title": "no id and not even JSON',
    {"text": "Acme Robotics raised a $20 million Series A led by Sequoia Capital."},  # valid JSON, no id
    "",  # a blank line
    "[1, 2, 3]",
    {"id": "text-not-string", "text": 12345},
    ACME,
]
BAD_IDS = ["zh-zhipu", "broken-1", 42, None, None, None, None, "text-not-string", "en-acme"]
BAD_LINES = {1, 2, 3, 4, 5, 6, 7}


def check_bad_batch(code: int, lines: list[dict[str, Any]], stderr: str) -> None:
    assert code == 1
    assert len(lines) == len(BAD_BATCH), "one output line per input line"
    assert [line["id"] for line in lines] == BAD_IDS
    for n, line in enumerate(lines):
        if n in BAD_LINES:
            assert line["events"] == [] and isinstance(line["error"], str) and line["error"], line
        else:
            assert "error" not in line
    assert "malformed JSON" in lines[1]["error"]
    assert "id" in lines[4]["error"]
    # the batch went on past the bad lines
    assert the_event(lines[0])["company"] == "智谱AI"
    assert the_event(lines[-1])["company"] == "Acme Robotics"
    assert "Traceback" not in stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, stderr
    assert stderr.strip().splitlines()[-1] == errors[0]
    assert "7 bad input line(s)" in errors[0]


def test_bad_lines_get_error_lines_and_the_batch_goes_on(runner: CliRunner) -> None:
    check_bad_batch(*run_batch(runner, jsonl(*BAD_BATCH)))


def test_bad_lines_in_an_input_file(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "articles.jsonl"
    source.write_text(jsonl(*BAD_BATCH), encoding="utf-8")
    result = runner.invoke(app, ["extract", "--input", str(source)])
    check_bad_batch(result.exit_code, parse_output(result.stdout), result.stderr)


def test_a_missing_input_file(runner: CliRunner) -> None:
    result = runner.invoke(app, ["extract", "--input", "no/such/articles.jsonl"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: input file not found: no/such/articles.jsonl\n"


def test_an_unwritable_output(runner: CliRunner) -> None:
    result = runner.invoke(app, ["extract", "--input", "-", "--output", "no/such/dir/events.jsonl"],
                           input=jsonl(ACME))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot write no/such/dir/events.jsonl")
    assert len(result.stderr.strip().splitlines()) == 1


def test_extract_needs_something_to_extract(runner: CliRunner) -> None:
    result = runner.invoke(app, ["extract"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: nothing to extract")
    both = runner.invoke(app, ["extract", "--input", "-", "--all"], input="")
    assert both.exit_code == 2 and both.stderr.startswith("error: use either --input")


# -- a real process -----------------------------------------------------------------------------

def fundwire(args: list[str], stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in CLI_ENV_VARS}
    env["HF_HUB_OFFLINE"] = "1"
    exe = Path(sys.executable).with_name("fundwire")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "extractor.cli"]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=120,
                          check=False)


def test_a_real_process_reading_stdin(tmp_path: Path) -> None:
    stdin = jsonl(*BAD_BATCH, MISTRAL, NOT_FUNDING_ZH).encode("utf-8")
    done = fundwire(["extract", "--input", "-", "--output", "-"], stdin, tmp_path)
    stdout, stderr = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    lines = parse_output(stdout)
    assert [line["id"] for line in lines] == [*BAD_IDS, 7, "zh-revenue"]
    check_bad_batch(done.returncode, lines[:-2], stderr)
    mistral = the_event(lines[-2])
    assert_contract(mistral)
    assert (mistral["company"], mistral["currency"]) == ("Mistral AI", "EUR")
    assert lines[-1] == {"id": "zh-revenue", "events": []}
    assert not (tmp_path / "fundwire.db").exists(), "a batch extraction must not create a database"


def test_a_real_process_with_a_missing_file(tmp_path: Path) -> None:
    done = fundwire(["extract", "--input", "missing.jsonl", "--output", "-"], b"", tmp_path)
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode("utf-8") == "error: input file not found: missing.jsonl\n"
