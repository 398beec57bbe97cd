"""One frozen settings object: defaults in code, a TOML overlay read by the CLI, passed down."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from crawlers.settings import CrawlSettings, SettingsError


class ConfigError(Exception):
    """The configuration file is unreadable or names an unknown setting."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything below the CLI reads its configuration from here, never from the environment."""

    db: Path = Path("fundwire.db")
    ner: str = "spacy"  # "spacy" or "transformers:PATH"
    sources: Path | None = None  # a user sources.toml overlaid on the shipped registry
    crawl: CrawlSettings = field(default_factory=CrawlSettings)  # the [fundwire.crawl] table

    @classmethod
    def from_toml(cls, path: Path, base: Settings | None = None) -> Settings:
        """Overlay the `[fundwire]` table (or the top level) of a TOML file on `base`."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        table: dict[str, Any] = data.get("fundwire", data)
        return (base or cls()).overlay(table, origin=str(path))

    def overlay(self, table: dict[str, Any], *, origin: str = "config") -> Settings:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(table) - known)
        if unknown:
            raise ConfigError(f"{origin}: unknown setting(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key in ("db", "sources", "ner") and not isinstance(value, str):
                raise ConfigError(f"{origin}: {key} must be a string, got {type(value).__name__}")
            if key in ("db", "sources"):
                value = Path(value)
            elif key == "crawl":
                if not isinstance(value, dict):
                    raise ConfigError(f"{origin}: [crawl] must be a table")
                try:
                    value = CrawlSettings.from_toml(value, self.crawl)
                except SettingsError as exc:
                    raise ConfigError(f"{origin}: {exc}") from exc
            values[key] = value
        return replace(self, **values)
