"""`fundwire sources list|check` against the demo site served on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crawlers.demo_site import serve_site
from extractor.cli import app


def _sources_file(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(f"""[[source]]
name = "demo-zh"
title = "云帆创投日报"
lang = "zh"
kind = "news"
homepage = "{base}/"
feeds = ["{base}/feed.xml", "{base}/missing.xml"]
sitemaps = ["{base}/sitemap.xml"]
interval_s = 600
""", encoding="utf-8")
    return path


def test_sources_list_includes_shipped_and_user_sources(tmp_path: Path) -> None:
    runner = CliRunner()
    path = _sources_file(tmp_path, "http://127.0.0.1:9")
    result = runner.invoke(app, ["sources", "list", "--json", "--sources", str(path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    names = {r["name"] for r in rows}
    assert {"36kr", "techcrunch", "demo-zh"} <= names
    assert sum(r["lang"] == "zh" for r in rows) >= 10 and sum(r["lang"] == "en" for r in rows) >= 10


def test_sources_check_reports_each_entry_point(tmp_path: Path) -> None:
    runner = CliRunner()
    with serve_site(port=0) as site:
        path = _sources_file(tmp_path, site.base_url_zh)
        result = runner.invoke(app, ["sources", "check", "--sources", str(path), "--source", "demo-zh",
                                     "--allow-private", "127.0.0.1"])
    assert result.exit_code == 1  # the missing feed
    assert "feed.xml" in result.stdout and "sitemap.xml" in result.stdout
    assert "http_404" in result.stdout
    assert "1 of 3 entry point(s) failed" in result.output


def test_sources_check_refuses_private_addresses_by_default(tmp_path: Path) -> None:
    runner = CliRunner()
    with serve_site(port=0) as site:
        path = _sources_file(tmp_path, site.base_url_zh)
        result = runner.invoke(app, ["sources", "check", "--sources", str(path), "--source", "demo-zh"])
    assert result.exit_code == 1
    assert "blocked" in result.stdout


def test_unknown_source_is_a_one_line_error() -> None:
    result = CliRunner().invoke(app, ["sources", "check", "--source", "nope"])
    assert result.exit_code == 2
    assert "unknown source(s): nope" in result.output
