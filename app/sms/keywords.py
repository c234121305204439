"""Reading an incoming SMS: which keyword, which errand code (pure, no Flask).

The words are declared once, in :data:`WORDS`; the texts that tell people what
to reply take theirs from :func:`reply_word`.

People write as they like: ``kyllä 123``, ``Kylla, 123``, ``JA123``, ``5 kiitos!``.
The words are Finnish, Swedish and English; the language of the word tells
which language to answer in when the sender is not known.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# word -> (command, language)
WORDS: dict[str, tuple[str, str]] = {}


def _add(command: str, lang: str, *words: str) -> None:
    for word in words:
        WORDS[word] = (command, lang)


_add("accept", "fi", "KYLLÄ", "KYLLA", "JOO")
_add("accept", "sv", "JA")
_add("accept", "en", "YES")
_add("accept_all", "fi", "KAIKKI")
_add("accept_all", "sv", "ALLA")
_add("accept_all", "en", "ALL")
_add("decline", "fi", "EI")
_add("decline", "sv", "NEJ", "NÄ")
_add("decline", "en", "NO")
_add("done", "fi", "VALMIS", "TEHTY")
_add("done", "sv", "KLAR", "GJORT")
_add("done", "en", "DONE")
_add("cancel", "fi", "PERU", "PERUUTA", "PERUUTUS")
_add("cancel", "sv", "AVBOKA", "AVBOKNING")
_add("cancel", "en", "CANCEL")
_add("stop", "fi", "LOPETA", "LOPPU")
_add("stop", "sv", "SLUTA", "STOPP")
_add("stop", "en", "STOP", "UNSUBSCRIBE", "STOPALL", "END", "QUIT")
_add("start", "fi", "ALOITA", "JATKA")
_add("start", "sv", "BÖRJA", "BORJA")
_add("start", "en", "START", "UNSTOP", "RESUME")
_add("help", "fi", "APUA", "OHJE")
_add("help", "sv", "HJÄLP", "HJALP")
_add("help", "en", "HELP", "INFO")


def words_for(command: str) -> frozenset[str]:
    """Every word, in any language, that means ``command``."""
    return frozenset(word for word, (name, _lang) in WORDS.items() if name == command)


def reply_word(command: str, language: str) -> str:
    """The word our texts ask people to reply for ``command`` in ``language``: the first
    one declared for that language above (Finnish when the language has none)."""
    for lang in (language, "fi"):
        for word, (name, word_lang) in WORDS.items():
            if name == command and word_lang == lang:
                return word
    raise KeyError(command)


COMMANDS_WITH_CODE = frozenset({"accept", "decline", "done", "cancel"})

_WORD_CODE = re.compile(r"^([A-ZÅÄÖ]+)[\s.,:;!#-]*(\d{2,8})?[\s.,:;!?]*$")
_FEEDBACK = re.compile(r"^([1-5])(?:\s*/\s*5)?(?:[\s.,:;!?-]+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Command:
    """What an SMS asks for. ``name`` is one of accept, decline, done, cancel,
    feedback, stop, start, help, or "other" (for a person to read). ``channel``
    is "voice" when the same command came as a key pressed in an automated call."""

    name: str
    code: str | None = None
    score: int | None = None
    comment: str | None = None
    language: str | None = None
    channel: str = "sms"


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "").strip()
    return re.sub(r"\s+", " ", text)


def parse(text: str) -> Command:
    """Read ``text``; anything not clearly a keyword is ``Command("other")``."""
    clean = normalise(text)
    if not clean:
        return Command("other")
    feedback = _FEEDBACK.match(clean)
    if feedback:
        comment = (feedback.group(2) or "").strip() or None
        return Command("feedback", score=int(feedback.group(1)), comment=comment)
    match = _WORD_CODE.match(clean.upper())
    if not match or match.group(1) not in WORDS:
        return Command("other")
    name, lang = WORDS[match.group(1)]
    code = match.group(2)
    if code is not None and name not in COMMANDS_WITH_CODE:
        return Command("other")
    return Command(name, code=code, language=lang)
