"""Message catalogs and the guide's list of 104 languages.

Catalogs are JSON files (``catalogs/<lang>.json``, flat ``key -> text``)
loaded once by :meth:`Translator.load` when the app starts, never at import.
A language of the guide's list without its own catalog falls back to a
catalog of the same primary language, then to English. A language outside
the list is refused by :meth:`Translator.resolve` (a 400 for the client).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from nvrd.core.errors import bad_request
from nvrd.core.i18n.languages import LANGUAGES

DEFAULT_LANGUAGE = "en-US"


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Translator:
    def __init__(self, catalogs: dict[str, dict[str, str]], default: str = DEFAULT_LANGUAGE):
        if DEFAULT_LANGUAGE not in catalogs:
            raise ValueError("the en-US catalog is required")
        self._catalogs = catalogs
        self._canonical = {code.lower(): code for code in LANGUAGES}
        self.default = self.resolve(default)

    @classmethod
    def load(cls, default: str = DEFAULT_LANGUAGE) -> Translator:
        catalogs: dict[str, dict[str, str]] = {}
        folder = resources.files(__package__).joinpath("catalogs")
        for entry in folder.iterdir():
            if entry.name.endswith(".json"):
                catalogs[entry.name[: -len(".json")]] = json.loads(entry.read_text("utf-8"))
        return cls(catalogs, default)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(LANGUAGES)

    @property
    def translated(self) -> tuple[str, ...]:
        return tuple(sorted(self._catalogs))

    def is_supported(self, lang: str) -> bool:
        return lang.strip().replace("_", "-").lower() in self._canonical

    def resolve(self, lang: str | None) -> str:
        """The canonical code of ``lang`` (case-insensitive, ``_`` or ``-``); 400 if unknown."""
        if lang is None or lang.strip() == "":
            return getattr(self, "default", DEFAULT_LANGUAGE)
        key = lang.strip().replace("_", "-").lower()
        if key not in self._canonical:
            raise bad_request("badLang", value=lang)
        return self._canonical[key]

    def _chain(self, lang: str) -> list[dict[str, str]]:
        chain: list[dict[str, str]] = []
        if lang in self._catalogs:
            chain.append(self._catalogs[lang])
        primary = lang.split("-")[0]
        for code, cat in sorted(self._catalogs.items()):
            if code != lang and code.split("-")[0] == primary:
                chain.append(cat)
        chain.append(self._catalogs[DEFAULT_LANGUAGE])
        return chain

    def has(self, key: str) -> bool:
        return key in self._catalogs[DEFAULT_LANGUAGE]

    def text(self, lang: str, key: str, **params: Any) -> str:
        """The message ``key`` in ``lang`` (already resolved), ``{name}`` filled from ``params``."""
        for cat in self._chain(lang):
            if key in cat:
                return cat[key].format_map(_SafeDict(params))
        return key
