"""The portal's languages: which one a visitor gets, its messages, and its dates and numbers.

The language comes from ``?lang=vi|ko|en``, then the visitor's earlier choice
(the ``vkc_lang`` cookie, set whenever ``lang`` is given), then the browser's
``Accept-Language``, then Vietnamese. Messages are gettext catalogues
(``locale/<lang>/LC_MESSAGES/messages.po``, compiled to ``.mo`` by the build);
numbers and times are formatted by Babel for the locale (times in Vietnam's time).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates, numbers
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

LOGGER = logging.getLogger(__name__)
LANGUAGES = ("vi", "ko", "en")
DEFAULT = "vi"
COOKIE = "vkc_lang"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
LOCALE_DIR = Path(__file__).parent / "locale"
#: each language's name in itself, for the switcher
NATIVE_NAMES = {"vi": "Tiếng Việt", "ko": "한국어", "en": "English"}


def choose(request: Request) -> str:
    """The visitor's language (see the module's docstring)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(COOKIE)
    if kept in LANGUAGES:
        return kept
    return from_accept_language(request.headers.get("accept-language", "")) or DEFAULT


def from_accept_language(header: str) -> str | None:
    """The portal language an ``Accept-Language`` value prefers most (RFC 9110 §12.5.4), or None."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and weight > 0 and (best is None or (weight, -position) > (best[0], best[1])):
            best = (weight, -position, language)
    return best[2] if best else None


def compile_catalogue(po: Path) -> bytes:
    """A ``.po`` catalogue compiled to ``.mo`` bytes; fuzzy entries are left out, as ``msgfmt`` does."""
    with po.open("rb") as f:
        catalogue = read_po(f, locale=po.parts[-3])
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    return buffer.getvalue()


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language``; from its ``.po`` when the build has not compiled it."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    mo, po = folder / "messages.mo", folder / "messages.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return Translations(f)
    LOGGER.warning("portal: %s is not compiled (make builds it); reading %s", mo, po)
    return Translations(BytesIO(compile_catalogue(po)))


def catalogue_ids(language: str) -> dict[str, str]:
    """msgid -> msgstr of a compiled catalogue (for tests and checks)."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        return {m.id: m.string for m in read_mo(f) if m.id and isinstance(m.id, str) and isinstance(m.string, str)}


@dataclass(frozen=True)
class Language:
    """One visitor's language: what templates call to translate and format numbers."""

    code: str

    @classmethod
    def of(cls, request: Request) -> Language:
        """The language of the visitor making ``request`` (:func:`choose`)."""
        return cls(choose(request))

    def gettext(self, message: str, **values: Any) -> str:
        text = translations(self.code).gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = translations(self.code).ngettext(singular, plural, n)
        return text % {"num": self.number(n), **values}

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return ""
        return numbers.format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""), locale=self.code)

    def moment(self, value: str | datetime | None) -> str:
        """A time (RFC 3339 text or an aware datetime) as this language writes it, in Vietnam's time (UTC+7, as the platform's pages show times)."""
        if not value:
            return ""
        when = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
        return dates.format_datetime(when, format="medium", tzinfo=VIETNAM, locale=self.code)

    def place_name(self, names: dict[str, Any]) -> str:
        """A place's name in this language where the data has it, else its Vietnamese name."""
        return str(names.get(f"name_{self.code}") or names.get("name_vi") or names.get("name_en") or "")

    def context(self) -> dict[str, Any]:
        """What every page template receives for its language."""
        return {"lang": self.code, "languages": NATIVE_NAMES, "gettext": self.gettext, "ngettext": self.ngettext, "L": self}
