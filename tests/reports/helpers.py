"""Small readers for the tests: HTML tables, the summary, the CSV and PDF text."""

from __future__ import annotations

import csv
import io
import re
import zlib
from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, dict[str, list[str]]]:
    """Tables with an id, as {table id: {row header: [cells]}}; the header row is under "".

    Non-breaking spaces become plain spaces.
    """
    parser = _Tables()
    parser.feed(html.replace("\xa0", " "))
    out: dict[str, dict[str, list[str]]] = {}
    for table_id, rows in parser.tables.items():
        out[table_id] = {("" if i == 0 else row[0]): row[1:] for i, row in enumerate(rows)}
    return out


def summary(html: str) -> dict[str, str]:
    """The summary figures: {label: value}."""
    items = re.findall(r'<li><span class="stat-number">(.*?)</span>\s*(.*?)</li>', html.replace("\xa0", " "))
    return {label.strip(): value.strip() for value, label in items}


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def csv_block(rows: list[list[str]], title: str) -> dict[str, list[str]]:
    """One table of the export: {row label: cells}, the header row under ""."""
    start = next(i for i, row in enumerate(rows) if row == [title])
    block: dict[str, list[str]] = {}
    for i, row in enumerate(rows[start + 1 :]):
        if not row:
            break
        block["" if i == 0 else row[0]] = row[1:]
    return block


# --- PDF text (fpdf2 output with embedded TrueType fonts) ------------------------

_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
_FONT_SELECT = re.compile(rb"/(\w+)\s+[0-9.]+\s+Tf")


def _literal_string(data: bytes, i: int) -> tuple[bytes, int]:
    """The PDF literal string starting at data[i] == "(", unescaped, and the position after it."""
    depth, i, buf = 1, i + 1, bytearray()
    while i < len(data):
        c = data[i]
        if c == ord("\\"):
            nxt = data[i + 1]
            if nxt in _ESCAPES:
                buf += _ESCAPES[nxt]
                i += 2
            elif ord("0") <= nxt <= ord("7"):
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4]).group()
                buf.append(int(digits, 8) & 0xFF)
                i += 1 + len(digits)
            else:
                buf.append(nxt)
                i += 2
            continue
        if c == ord("("):
            depth += 1
        elif c == ord(")"):
            depth -= 1
            if not depth:
                return bytes(buf), i + 1
        buf.append(c)
        i += 1
    return bytes(buf), i


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {int(num): body for num, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}


def _stream(body: bytes) -> bytes:
    # fpdf2 writes "stream\n<data>\nendstream": no "\r?" here, or a stream whose compressed
    # data ends with the byte \r (1 in 256) lost it and failed to decompress.
    match = re.search(rb"stream\n(.*?)\nendstream", body, re.S)
    if match is None:
        return b""
    raw = match.group(1)
    return zlib.decompress(raw) if b"/FlateDecode" in body else raw


def pdf_text(pdf: bytes) -> str:
    """The visible text of an fpdf2 PDF: each font's glyph codes mapped back through its ToUnicode CMap."""
    objects = _objects(pdf)
    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for resources in re.findall(rb"/Font\s*<<(.*?)>>", body, re.S):
            for name, ref in re.findall(rb"/(\w+)\s+(\d+) 0 R", resources):
                to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(ref)])
                cmap: dict[int, str] = {}
                if to_unicode:
                    data = _stream(objects[int(to_unicode.group(1))])
                    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
                        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                            cmap[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
                fonts[name] = cmap
    out: list[str] = []
    for ref in re.findall(rb"/Contents (\d+) 0 R", pdf):
        data = _stream(objects[int(ref)])
        font: dict[int, str] = {}
        i = 0
        while i < len(data):
            if data[i] == ord("("):
                raw, i = _literal_string(data, i)
                out.append(
                    "".join(font.get(int.from_bytes(raw[j : j + 2], "big"), "?") for j in range(0, len(raw) - 1, 2))
                )
                continue
            match = _FONT_SELECT.match(data, i)
            if match:
                font = fonts.get(match.group(1), {})
                i = match.end()
                continue
            if data[i : i + 2] == b"ET":
                out.append(" ")
            i += 1
    return " ".join("".join(out).split())
