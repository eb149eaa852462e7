"""The message catalogs and :class:`nvrd.core.i18n.Translator`."""

from __future__ import annotations

import string

import pytest

from nvrd.core.errors import ApiError, Kind
from nvrd.core.i18n import DEFAULT_LANGUAGE, Translator
from nvrd.core.i18n.languages import LANGUAGES

CATALOGS = ("en-US", "ko-KR", "es-ES", "ja-JP", "zh-CN", "de-DE", "fr-FR", "vi-VN")
TRANSLATED = tuple(lang for lang in CATALOGS if lang != DEFAULT_LANGUAGE)

ES_REQUIRED = {
    "eventType.0": "Registro del sistema",
    "eventCode.0.1": "Inicio del sistema",
    "eventCode.0.2": "Apagado del sistema",
    "eventCode.0.3": "Apagado anormal",
    "eventType.6": "Evento definido por el usuario",
}


@pytest.fixture(scope="module")
def tr() -> Translator:
    return Translator.load()


def _catalog(tr: Translator, lang: str) -> dict[str, str]:
    return tr._catalogs[lang]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_all_catalogs_exist(tr: Translator) -> None:
    assert set(CATALOGS) <= set(tr.translated)


def test_english_catalog_is_complete(tr: Translator) -> None:
    """Every status code, event type/code and error key the server uses has a message."""
    import re
    from pathlib import Path

    from nvrd.core.eventtypes import CATALOGUE, code_key, type_key
    from nvrd.core.statuscodes import ChannelStatus, status_key

    wanted = {status_key(c) for c in ChannelStatus}
    for etype, codes in CATALOGUE.items():
        wanted.add(type_key(etype))
        wanted.update(code_key(etype, c) for c in codes)
    wanted.update(f"storage.usage.{u}" for u in (-1, 0, 1, 2))
    wanted.update(f"smart.{c}" for c in (-1, 0, 1))
    source = "\n".join(
        p.read_text("utf-8") for p in Path(__file__).parents[3].joinpath("nvrd").rglob("*.py")
    )
    used = re.findall(
        r'(?:bad_request|unauthorized|forbidden|not_found)\(\s*"(\w+)"'
        r'|ApiError\(\s*Kind\.\w+,\s*"(\w+)"'
        r'|"((?:auth|system)\.\w+)"',
        source,
    )
    for groups in used:
        for i, key in enumerate(groups):
            if key:
                wanted.add(f"error.{key}" if i < 2 else key)
    assert len(wanted) > 80
    missing = sorted(k for k in wanted if not tr.has(k))
    assert missing == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_has_exactly_the_english_keys(tr: Translator, lang: str) -> None:
    en = _catalog(tr, DEFAULT_LANGUAGE)
    cat = _catalog(tr, lang)
    assert set(cat) - set(en) == set(), "extra keys"
    assert set(en) - set(cat) == set(), "missing keys"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_placeholders_match_english(tr: Translator, lang: str) -> None:
    en = _catalog(tr, DEFAULT_LANGUAGE)
    cat = _catalog(tr, lang)
    wrong = {
        key: (_placeholders(en[key]), _placeholders(text))
        for key, text in cat.items()
        if key in en and _placeholders(text) != _placeholders(en[key])
    }
    assert wrong == {}


@pytest.mark.parametrize("lang", CATALOGS)
def test_catalog_values_are_non_empty_strings(tr: Translator, lang: str) -> None:
    empty = [
        key
        for key, text in _catalog(tr, lang).items()
        if not isinstance(text, str) or not text.strip()
    ]
    assert empty == []


def test_resolve_accepts_every_language_code(tr: Translator) -> None:
    assert len(LANGUAGES) == 104
    for code in LANGUAGES:
        assert tr.resolve(code) == code
        assert tr.resolve(code.lower()) == code
        assert tr.resolve(code.upper()) == code
        assert tr.resolve(code.replace("-", "_")) == code
        assert tr.resolve(code.replace("-", "_").swapcase()) == code
        assert tr.is_supported(code.replace("-", "_").lower())


def test_resolve_empty_gives_the_default(tr: Translator) -> None:
    assert tr.resolve(None) == DEFAULT_LANGUAGE
    assert tr.resolve("") == DEFAULT_LANGUAGE
    assert tr.resolve("  ") == DEFAULT_LANGUAGE


@pytest.mark.parametrize(
    "lang", ["xx-XX", "english", "ko-KR;drop", "ko", "en-USA", "zh-Hant", "ko KR"]
)
def test_resolve_rejects_unknown_languages(tr: Translator, lang: str) -> None:
    assert not tr.is_supported(lang)
    with pytest.raises(ApiError) as info:
        tr.resolve(lang)
    assert info.value.kind == Kind.BAD_REQUEST
    assert info.value.key == "badLang"
    assert info.value.params == {"value": lang}


def test_text_falls_back_to_english_without_a_catalog(tr: Translator) -> None:
    lang = tr.resolve("ar-AE")
    assert lang not in tr.translated
    en = _catalog(tr, DEFAULT_LANGUAGE)
    assert tr.text(lang, "eventType.0") == en["eventType.0"]
    assert tr.text(lang, "status.200") == "Connected"


def test_text_falls_back_to_the_same_primary_language(tr: Translator) -> None:
    lang = tr.resolve("zh_tw")
    assert lang == "zh-TW"
    assert lang not in tr.translated
    zh = _catalog(tr, "zh-CN")
    for key in ("status.200", "eventType.0", "error.tooLarge"):
        assert tr.text(lang, key) == zh[key]
        assert tr.text(lang, key) == tr.text("zh-CN", key)
        assert tr.text(lang, key) != tr.text(DEFAULT_LANGUAGE, key)


@pytest.mark.parametrize("lang", CATALOGS)
def test_text_uses_the_catalog_of_the_language(tr: Translator, lang: str) -> None:
    cat = _catalog(tr, lang)
    assert tr.text(lang, "status.1000") == cat["status.1000"]


def test_text_fills_placeholders(tr: Translator) -> None:
    assert tr.text("en-US", "error.notFound", path="/api/x") == "Not found: /api/x"
    assert (
        tr.text("en-US", "error.outOfRange", name="ch", value=99, lo=1, hi=16)
        == "ch=99 is out of range (1 to 16)."
    )
    for lang in CATALOGS:
        text = tr.text(lang, "error.unknownChannel", ch=42)
        assert "42" in text
        assert "{" not in text


def test_text_leaves_missing_placeholders_in_place(tr: Translator) -> None:
    text = tr.text("en-US", "error.badInt", name="limit")
    assert text == 'limit must be an integer, not "{value}".'
    for lang in CATALOGS:
        text = tr.text(lang, "error.outOfRange", name="ch")
        assert "ch" in text
        assert {"{value}", "{lo}", "{hi}"} <= {"{" + n + "}" for n in _placeholders(text)}
        assert "{name}" not in text


def test_text_of_an_unknown_key_is_the_key(tr: Translator) -> None:
    assert not tr.has("no.such.key")
    assert tr.text("ko-KR", "no.such.key") == "no.such.key"


def test_spanish_texts_required_by_the_api_guide(tr: Translator) -> None:
    for key, text in ES_REQUIRED.items():
        assert tr.text("es-ES", key) == text


def test_untranslated_terms_are_kept(tr: Translator) -> None:
    en = _catalog(tr, DEFAULT_LANGUAGE)
    terms = ("S.M.A.R.T.", "base64", "ISO 8601", "userid:password")
    for lang in TRANSLATED:
        cat = _catalog(tr, lang)
        for key, text in en.items():
            for term in terms:
                if term in text:
                    assert term in cat[key], (lang, key, term)
