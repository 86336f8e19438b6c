"""What in an HTML file would reach another host: the proof that a report stays offline.

A report of an org's configuration is opened on admins' machines, often from
a pipeline's artefacts; one script, style, font or image fetched from another
host tells that host who opened which report, and breaks the report where
there is no network. :func:`remote_references` lists every such reference; the
``report`` command refuses to leave an HTML file that has one, and CI runs it
on the smoke test's report (``python -m genesys_compliance.reporting.offline_html FILE``).

A URL is remote when it is absolute over the network (``http:``, ``https:``,
``ws:``, ``wss:``, ``ftp:``, with or without slashes, as browsers read them)
or protocol-relative (``//host``). What is looked at:

- markup: every attribute a browser loads or follows (``src``, ``href``,
  ``srcset``, ``poster``, ``data``, ``action``, ``xlink:href``, ...), a meta
  refresh, ``srcdoc`` (read as HTML), ``style`` (as CSS) and ``on*`` handlers
  (as the page's own code);
- CSS, wherever it is (``<style>``, ``style=``, a data: style sheet, strings
  in code): ``url(...)``, ``@import`` and ``image-set(...)``;
- the page's own code (``<script>`` elements' text, handlers, ``javascript:``
  URLs): any remote URL at all, since the page's inline code has no reason to
  name another host;
- code embedded as ``data:`` scripts (an application bundle, such as Allure's):
  a remote URL handed to something that loads it (``fetch``, ``import``,
  ``XMLHttpRequest.open``, ``sendBeacon``, ``WebSocket``, ``EventSource``,
  workers, ``.src =``, ``setAttribute("src", ...)``, markup written as a
  string) and any host known to collect analytics. A bundle names other hosts
  harmlessly (XML namespaces, links in its messages); :func:`named_hosts`
  lists them all so a test can hold them to a reviewed set.

``data:`` URLs are decoded and read by their type (script, style sheet, HTML
or SVG); images and fonts carried as ``data:`` are the point of a single file.
"""

from __future__ import annotations

import base64
import binascii
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote_to_bytes

# Attributes a browser fetches, embeds, submits to or follows.
URL_ATTRIBUTES = frozenset(
    {
        "action",
        "archive",
        "background",
        "cite",
        "code",
        "codebase",
        "data",
        "dynsrc",
        "formaction",
        "href",
        "icon",
        "imagesrcset",
        "longdesc",
        "lowsrc",
        "manifest",
        "ping",
        "poster",
        "profile",
        "src",
        "srcset",
        "usemap",
        "xlink:href",
    }
)
LIST_ATTRIBUTES = frozenset({"srcset", "imagesrcset"})  # "url 1x, url 2x"
SPACED_ATTRIBUTES = frozenset({"ping", "archive"})  # space-separated URLs
# Hosts whose only business in a page is collecting who opened it.
ANALYTICS_HOSTS = (
    "googletagmanager.com",
    "google-analytics.com",
    "analytics.google.com",
    "doubleclick.net",
    "googlesyndication.com",
    "googleadservices.com",
    "clarity.ms",
    "hotjar.com",
    "segment.io",
    "segment.com",
    "mixpanel.com",
    "amplitude.com",
    "plausible.io",
    "mc.yandex.ru",
    "matomo.cloud",
    "sentry.io",
    "newrelic.com",
    "nr-data.net",
)

# Named anywhere in code, with or without a scheme: code may build the URL from parts.
_ANALYTICS = re.compile(
    r"(?<![\w.-])(?:[\w-]+\.)*(?:" + "|".join(map(re.escape, ANALYTICS_HOSTS)) + r")(?![\w-])",
    re.IGNORECASE,
)
_REMOTE = re.compile(r"(?:https?|wss?|ftp):|[/\\]{2}", re.IGNORECASE)
_URL_IGNORED = re.compile(r"[\t\n\r]")  # browsers drop these anywhere in a URL
_LEADING = "".join(chr(code) for code in range(0x21))  # C0 controls and space, stripped
# An absolute network URL or a quoted protocol-relative one, in code or CSS text.
_URL_IN_TEXT = re.compile(
    r"""(?:\b(?:https?|wss?|ftp):/*[^\s'"`<>()\\]+)|(?<=['"`(])//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+[^\s'"`<>()\\]*""",
    re.IGNORECASE,
)
_CSS_URL = r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)"""
# CSS is read case-blind; in code only ``url(`` is, so ``new URL("...")`` (no fetch) is not CSS.
_CSS_URL_IN_CSS = re.compile(_CSS_URL, re.IGNORECASE)
_CSS_URL_IN_CODE = re.compile(_CSS_URL)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CSS_IMAGE_SET = re.compile(r"image-set\(([^)]*)\)", re.IGNORECASE)
_CSS_STRING = re.compile(r""""([^"]*)"|'([^']*)'""")
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)")
_HOST_NAME = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_DATA_URL = re.compile(r"""data:[\w.+/-]*(?:;\s*[\w-]+(?:=[\w.-]+)?)*,[^'"`\s)]*""")
_Q = r"""['"`]"""
_LOADERS = re.compile(
    rf"""(?:\b(?:fetch|import|importScripts|sendBeacon|EventSource|WebSocket|Worker|SharedWorker|
    getScript|getJSON|ajax|load|open|register|location\.assign|location\.replace)\s*\(\s*
    (?:{_Q}(?:GET|POST|PUT|PATCH|DELETE|HEAD){_Q}\s*,\s*)?
    |\.(?:src|href|action|data|poster|background|srcset)\s*=\s*
    |\bsetAttribute(?:NS)?\s*\((?:\s*[^,()]+,)?\s*{_Q}(?:src|href|xlink:href|srcset|action|data|poster){_Q}\s*,\s*
    |\blocation(?:\.href)?\s*=\s*
    )({_Q})""",
    re.VERBOSE,
)
_MARKUP_IN_CODE = re.compile(
    r"""<(?:script|link|img|iframe|frame|source|video|audio|track|embed|object|image|use|base|form|input|meta)\b"""
    r"""[^>]*?\b(?:src|href|data|action|srcset|poster|content)\s*=\s*\\?['"]?\s*([^'"\s>\\]+)""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RemoteReference:
    """One reference to another host: where it sits and what it names."""

    where: str
    url: str

    def __str__(self) -> str:
        return f"{self.where}: {self.url}"


def is_remote(url: str) -> bool:
    """Whether a browser would reach another host for ``url`` (read as browsers read it)."""
    text = _URL_IGNORED.sub("", url.lstrip(_LEADING))
    if text.lower().startswith("javascript:"):
        return False  # code, not a location: read as the page's code by the caller
    return _REMOTE.match(text) is not None


def remote_references(html: str) -> list[RemoteReference]:
    """Every reference in ``html`` that would reach another host, in document order."""
    parser = _Parser("")
    parser.feed(html)
    parser.close()
    return parser.found


def named_hosts(html: str) -> set[str]:
    """Every host named by a URL anywhere in the document's code, CSS and markup, decoded.

    Not a verdict: bundles name hosts they never reach (XML namespaces, links in
    messages). A test holds this set to a reviewed one, so a new release of the
    report's generator that names a new host is looked at before it ships.
    """
    hosts: set[str] = set()
    for text in _all_texts(html):
        for match in _URL_IN_TEXT.finditer(_unescape_code(text)):
            host = re.sub(r"^[a-z]+:/*|^//", "", match.group(0), flags=re.IGNORECASE)
            name = re.split(r"[/?#:%]", host, maxsplit=1)[0].lower()
            if _HOST_NAME.fullmatch(name):  # not a template's "https://${host}" or a regex's text
                hosts.add(name)
    return hosts


class _Parser(HTMLParser):
    """Collect remote references from one HTML (or SVG) text; ``context`` prefixes the place."""

    def __init__(self, context: str) -> None:
        super().__init__(convert_charrefs=True)
        self.context = context
        self.found: list[RemoteReference] = []
        self._raw: str | None = None  # "script" or "style" while inside one
        self._raw_attrs: dict[str, str] = {}
        self._raw_text: list[str] = []

    def _where(self, text: str) -> str:
        return f"{self.context} > {text}" if self.context else text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        for name, value in values.items():
            where = self._where(f"<{tag} {name}>")
            if name in URL_ATTRIBUTES:
                for url in _attribute_urls(name, value):
                    self.found += _url_references(where, url)
            elif name == "style":
                self.found += _css_references(where, value)
            elif name == "srcdoc":
                self.found += _html_references(where, value)
            elif name.startswith("on"):
                self.found += _code_references(where, value, own=True)
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            target = re.sub(r"^[\d.\s]*[;,]?\s*(?:url\s*=\s*)?", "", values.get("content", ""))
            self.found += _url_references(self._where("<meta refresh>"), target.strip("'\" "))
        if tag in ("script", "style"):
            self._raw, self._raw_attrs, self._raw_text = tag, values, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._raw is not None:
            self._raw_text.append(data)

    def close(self) -> None:
        """Read what is left: a script or style left open runs to the end of the page."""
        super().close()
        if self._raw is not None:
            self._raw_text.append(self.rawdata)  # left unread by some Python releases
            self.rawdata = ""
            self.handle_endtag(self._raw)

    def handle_endtag(self, tag: str) -> None:
        if self._raw is None or tag != self._raw:
            return
        text = "".join(self._raw_text)
        if self._raw == "script":
            self.found += _code_references(self._where("inline <script>"), text, own=True)
        else:
            self.found += _css_references(self._where("<style>"), text)
        self._raw = None


def _attribute_urls(name: str, value: str) -> list[str]:
    if name in LIST_ATTRIBUTES:
        return [part.strip().split(" ")[0] for part in value.split(",") if part.strip()]
    if name in SPACED_ATTRIBUTES:
        return value.split()
    return [value]


def _url_references(where: str, url: str) -> list[RemoteReference]:
    """A URL as a browser would load it: remote, a data: document to read, or code."""
    if is_remote(url):
        return [RemoteReference(where, url.strip())]
    text = _URL_IGNORED.sub("", url.lstrip(_LEADING))
    if text.lower().startswith("javascript:"):
        return _code_references(f"{where} javascript:", text[len("javascript:") :], own=True)
    if text.lower().startswith("data:"):
        return _data_references(where, text)
    return []


def _data_references(where: str, url: str) -> list[RemoteReference]:
    decoded = _decode_data_url(url)
    if decoded is None:
        return []
    mime, content = decoded
    where = f"{where} ({mime or 'data'})"
    if "javascript" in mime or "ecmascript" in mime:
        return _code_references(where, content, own=False)
    if mime == "text/css":
        return _css_references(where, content)
    if mime in ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml"):
        return _html_references(where, content)
    return []


def _decode_data_url(url: str) -> tuple[str, str] | None:
    """``(media type, text)`` of a ``data:`` URL, or ``None`` if it is not one."""
    head, comma, body = url[len("data:") :].partition(",")
    if not comma:
        return None
    params = [p.strip().lower() for p in head.split(";")]
    mime = params[0]
    if "base64" in params[1:]:
        try:
            raw = base64.b64decode(
                re.sub(r"\s", "", unquote_to_bytes(body).decode("ascii", "replace"))
            )
        except (binascii.Error, ValueError):
            return mime, ""
    else:
        raw = unquote_to_bytes(body)
    return mime, raw.decode("utf-8", "replace")


def _html_references(where: str, text: str) -> list[RemoteReference]:
    parser = _Parser(where)
    parser.feed(text)
    parser.close()
    return parser.found


def _css_references(where: str, css: str, *, in_code: bool = False) -> list[RemoteReference]:
    """``url()``, ``@import`` and ``image-set()`` of remote URLs; ``data:`` ones are read too."""
    text = _CSS_ESCAPE.sub(_css_unescape, css)
    found: list[RemoteReference] = []
    for match in (_CSS_URL_IN_CODE if in_code else _CSS_URL_IN_CSS).finditer(text):
        url = next(group for group in match.groups() if group is not None)
        found += _url_references(f"{where} url()", url)
    for match in _CSS_IMPORT.finditer(text):
        url = match.group(1) if match.group(1) is not None else match.group(2)
        found += _url_references(f"{where} @import", url)
    for match in _CSS_IMAGE_SET.finditer(text):
        for string in _CSS_STRING.finditer(match.group(1)):
            url = string.group(1) if string.group(1) is not None else string.group(2)
            found += _url_references(f"{where} image-set()", url)
    return found


def _css_unescape(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= sys.maxunicode else "\ufffd"
    return match.group(2)


def _code_references(where: str, code: str, *, own: bool) -> list[RemoteReference]:
    """Remote URLs in code: any at all in the page's ``own`` code, else those it loads.

    CSS and markup written as strings in the code are read as CSS and markup.
    """
    text = _unescape_code(code)
    found = _css_references(f"{where} (CSS in code)", text, in_code=True)
    for match in _MARKUP_IN_CODE.finditer(text):
        if is_remote(match.group(1)):
            found.append(RemoteReference(f"{where} (markup in code)", match.group(1)))
    if own:
        found += [RemoteReference(where, m.group(0)) for m in _URL_IN_TEXT.finditer(text)]
        return _unique(found)
    for match in _LOADERS.finditer(text):
        quote, start = match.group(1), match.end()
        end = text.find(quote, start)
        literal = text[start : end if end != -1 else start + 200]
        if is_remote(literal):
            found.append(RemoteReference(f"{where} (loaded by code)", literal))
    found += [
        RemoteReference(f"{where} (analytics host)", m.group(0)) for m in _ANALYTICS.finditer(text)
    ]
    return _unique(found)


def _unescape_code(code: str) -> str:
    r"""Undo the escapes code uses to spell ``/`` and ``:`` (``\/``, ``\x2f``, ``\u002f``)."""
    text = code.replace("\\/", "/")
    return re.sub(
        r"\\(?:x2f|u002f|u\{2f\})|\\(?:x3a|u003a|u\{3a\})",
        lambda m: "/" if "2f" in m.group(0).lower() else ":",
        text,
        flags=re.IGNORECASE,
    )


def _unique(found: list[RemoteReference]) -> list[RemoteReference]:
    return list(dict.fromkeys(found))


def _all_texts(html: str) -> Iterator[str]:
    """The document and every ``data:`` document in it, decoded (for :func:`named_hosts`)."""
    yield html
    for match in _DATA_URL.finditer(html):
        decoded = _decode_data_url(match.group(0))
        if decoded is not None and decoded[1]:
            yield from _all_texts(decoded[1])


def main(argv: Sequence[str] | None = None) -> int:
    """Check HTML files; print each remote reference; 1 if any file has one, 2 on bad usage."""
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m genesys_compliance.reporting.offline_html FILE...", file=sys.stderr)
        return 2
    status = 0
    for name in paths:
        try:
            html = Path(name).read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            print(f"{name}: cannot be read: {error.strerror}", file=sys.stderr)
            return 2
        found = remote_references(html)
        for reference in found:
            print(f"{name}: reaches another host: {reference}")
        if found:
            status = 1
        else:
            print(f"{name}: no script, style, font or image in it reaches another host")
    return status


if __name__ == "__main__":
    sys.exit(main())
