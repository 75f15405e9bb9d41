"""The pages' languages: Vietnamese unless the visitor asks for English.

Strings in code and templates are written in English and looked up in the catalogues under
``tracker/web/translations`` (``vi`` holds a Vietnamese translation of every one; ``en`` needs
none). ``?lang=vi|en`` on any page picks the language and keeps it in the session, so the
choice follows the person from page to page; without a choice the pages are in Vietnamese, the
language of every counter. The set-up scripts compile the catalogues (``pybabel compile``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request, session, url_for
from flask_babel import Babel, get_locale
from flask_babel import gettext as _

from tracker.domain.errors import Msg

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
TRANSLATIONS = Path(__file__).with_name("translations")


def chosen_language() -> str:
    """``?lang=`` when given (and remembered), else the session's choice; for the API, which
    keeps no session, the ``Accept-Language`` header; else Vietnamese."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in LANGUAGES:
        return str(remembered)
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES) or DEFAULT
    return DEFAULT


def explain(error: Exception) -> str:
    """A refusal's message in the visitor's language: its template translated, then its
    values filled in (those that are marked texts translated too), and the rule it names."""
    template = getattr(error, "template", None)
    if template is None:
        return str(error)
    text = _translated(template, getattr(error, "values", {}))
    rule = getattr(error, "rule", None)
    return f"{text} " + _("[rule: %(rule)s]", rule=rule) if rule else text


def _translated(template: str, values: dict[str, Any]) -> str:
    shown = {name: _value(value) for name, value in values.items()}
    try:
        return str(_(template).format(**shown) if values else _(template))
    except (KeyError, IndexError, ValueError):  # a catalogue entry that lost a placeholder
        return template.format(**shown) if values else template


def _value(value: Any) -> Any:
    if isinstance(value, tuple):
        return "; ".join(str(_value(item)) for item in value)
    if isinstance(value, Msg):
        return _translated(value.template, dict(value.values))
    return value


def this_page_in(language: str) -> str:
    """The address of the page being shown, in ``language`` (its query kept)."""
    if request.endpoint is None:
        return f"?lang={language}"
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(),
                              "lang": language}
    return url_for(request.endpoint, **values)


def init(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Ho_Chi_Minh"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=chosen_language)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["this_page_in"] = this_page_in
