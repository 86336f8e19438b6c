"""The checker that proves a report offline, against small pages that must pass and fail.

Each page that must fail holds one way a page reaches another host; each page
that must pass holds something that looks like one and is not (a data: image,
a local link, an XML namespace in a bundle). The checker is the proof the
``report`` command and CI rely on, so it is tested on its own.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest

from genesys_compliance.reporting.offline_html import (
    is_remote,
    main,
    named_hosts,
    remote_references,
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def data_script(code: str) -> str:
    return f'<script src="data:text/javascript; charset=utf-8;base64,{b64(code)}"></script>'


def page(body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'
    )


MUST_FAIL = {
    "script src": page('<script async src="https://www.googletagmanager.com/gtag/js?id=G-1">'),
    "protocol-relative script": page('<script src="//cdn.example.com/app.js"></script>'),
    "scheme without slashes": page('<script src="https:cdn.example.com/app.js"></script>'),
    "upper-case scheme, leading space": page('<img src="  HTTPS://img.example.com/a.png">'),
    "tab inside the scheme": page('<img src="ht\ttps://img.example.com/a.png">'),
    "entity-encoded URL": page('<img src="&#104;ttps://img.example.com/a.png">'),
    "backslashes": page('<img src="\\\\img.example.com\\a.png">'),
    "style sheet link": page("", '<link rel="stylesheet" href="https://fonts.example.com/f.css">'),
    "preconnect": page("", '<link rel="preconnect" href="https://fonts.gstatic.com">'),
    "srcset": page('<img src="a.png" srcset="data:image/png;base64,AA 1x, http://x.example/b 2x">'),
    "video poster": page('<video poster="https://media.example.com/p.jpg"></video>'),
    "object data": page('<object data="https://example.com/x.svg"></object>'),
    "form action": page('<form action="https://collect.example.com/"></form>'),
    "iframe": page('<iframe src="https://trace.example.dev/"></iframe>'),
    "svg use": page('<svg><use xlink:href="https://icons.example.com/s.svg#i"></use></svg>'),
    "meta refresh": page("", '<meta http-equiv="refresh" content="0; url=https://example.com/">'),
    "base href": page("", '<base href="https://example.com/">'),
    "link a user clicks": page('<a href="https://docs.example.com/">docs</a>'),
    "ping": page('<a href="#top" ping="https://track.example.com/p">top</a>'),
    "style url()": page("<style>body{background:url(https://img.example.com/bg.png)}</style>"),
    "style quoted url()": page(
        """<style>.x{background:url( "//img.example.com/bg.png" )}</style>"""
    ),
    "style @import": page("<style>@import 'https://fonts.example.com/css2?family=Inter';</style>"),
    "style @import url()": page("<style>@import url(https://fonts.example.com/a.css);</style>"),
    "font-face": page("<style>@font-face{font-family:x;src:url('https://f.example.com/x.woff2')}"),
    "CSS escape": page("<style>a{background:url(\\68ttps://img.example.com/a.png)}</style>"),
    "image-set": page('<style>a{background:image-set("https://i.example.com/a.png" 1x)}</style>'),
    "style attribute": page('<div style="background-image:url(https://i.example.com/a.png)">'),
    "inline fetch": page('<script>fetch("https://api.example.com/collect")</script>'),
    "inline URL named": page("<script>var endpoint = 'https://collect.example.com/e';</script>"),
    "inline JSON-escaped URL": page('<script>var u = "https:\\/\\/collect.example.com";</script>'),
    "inline protocol-relative": page("<script>var u = '//collect.example.com/e';</script>"),
    "inline module import": page('<script type="module">import x from "https://e.example/m.js"'),
    "event handler": page("<img src=a.png onerror=\"this.src='https://x.example.com/a.png'\">"),
    "javascript: URL": page("<a href=\"javascript:fetch('https://x.example.com/')\">x</a>"),
    "data: style sheet": page(
        "",
        f'<link rel="stylesheet" href="data:text/css;base64,{b64("@import url(//f.ex/);")}">',
    ),
    "data: SVG image": page(
        '<img src="data:image/svg+xml,'
        + quote('<svg xmlns="http://www.w3.org/2000/svg"><image href="https://x.example/i.png"/>')
        + '">'
    ),
    "srcdoc": page("<iframe srcdoc=\"<script src='https://x.example/a.js'></script>\"></iframe>"),
    "bundle fetch": page(data_script('function f(){return fetch("https://api.example.com/x")}')),
    "bundle XHR": page(data_script('x.open("GET", "https://api.example.com/x")')),
    "bundle beacon": page(data_script("navigator.sendBeacon(`https://b.example.com/`, d)")),
    "bundle src assignment": page(data_script('s.src = "https://cdn.example.com/x.js"')),
    "bundle setAttribute": page(data_script('l.setAttribute("href", "//cdn.example.com/x.css")')),
    "bundle WebSocket": page(data_script('new WebSocket("wss://live.example.com/")')),
    "bundle markup string": page(data_script("e.innerHTML = '<img src=\"https://t.example/p\">'")),
    "bundle CSS": page(data_script('const css = ".a{background:url(https://i.example/a.png)}";')),
    "bundle analytics host": page(data_script('const id = "www.google-analytics.com/g/collect";')),
}

MUST_PASS = {
    "empty page": page(""),
    "data: icon": page("", '<link rel="icon" href="data:image/x-icon;base64,AAAB">'),
    "local links": page('<a href="#top">top</a><a href="./other.html">x</a><img src="a/b.png">'),
    "mailto": page('<a href="mailto:ops@example.com">mail</a>'),
    "data: style sheet": page(
        "", f'<link rel="stylesheet" href="data:text/css;base64,{b64("a{{color:red}}")}">'
    ),
    "style with data: url()": page("<style>a{background:url('data:image/png;base64,AA')}</style>"),
    "inline code without hosts": page(
        "<script>window.reportData = {}; function d(n, v){ window.reportData[n] = v; }"
        "d('data/x.json','eyJhIjoxfQ==');</script>"
    ),
    "text that names a host": page("<p>see https://docs.example.com for more</p>"),
    "bundle naming an XML namespace": page(
        data_script('document.createElementNS("http://www.w3.org/2000/svg", "svg")')
    ),
    "bundle with a help link in a message": page(
        data_script('console.warn("deprecated, see https://github.com/x/y/issues/1")')
    ),
    "bundle URL object": page(data_script('new URL(e, "https://allure.local").protocol')),
    "bundle fetching a data: URL": page(data_script('fetch("data:application/json,{}")')),
    "bundle comment": page(data_script("/* https://example.com/license */ var a = 1;")),
}


@pytest.mark.parametrize("html", MUST_FAIL.values(), ids=MUST_FAIL.keys())
def test_a_page_that_reaches_another_host_fails(html: str) -> None:
    found = remote_references(html)
    assert found, "no remote reference found"
    assert all(ref.url for ref in found)


@pytest.mark.parametrize("html", MUST_PASS.values(), ids=MUST_PASS.keys())
def test_a_page_that_stays_on_disk_passes(html: str) -> None:
    assert remote_references(html) == []


def test_a_reference_says_where_it_is_and_what_it_names() -> None:
    [found] = remote_references(MUST_FAIL["script src"])
    assert str(found) == "<script src>: https://www.googletagmanager.com/gtag/js?id=G-1"


@pytest.mark.parametrize(
    ("url", "remote"),
    [
        ("https://a.example", True),
        ("http:a.example", True),
        ("//a.example", True),
        (" \t//a.example", True),
        ("wss://a.example", True),
        ("ftp://a.example", True),
        ("data:image/png;base64,AA", False),
        ("#top", False),
        ("a/b.png", False),
        ("/root/relative.png", False),
        ("mailto:x@example.com", False),
        ("javascript:void(0)", False),
        ("blob:https://a.example/uuid", False),
    ],
)
def test_is_remote_reads_urls_as_browsers_do(url: str, remote: bool) -> None:
    assert is_remote(url) is remote


def test_named_hosts_lists_every_host_in_code_and_data() -> None:
    html = page(
        data_script('ns = "http://www.w3.org/2000/svg"; tpl = `https://${host}/x`;')
        + '<link rel="icon" href="data:image/svg+xml;base64,'
        + b64('<svg xmlns="http://purl.example.org/ns"/>')
        + '">'
    )
    assert named_hosts(html) == {"www.w3.org", "purl.example.org"}


def test_the_command_line_exits_1_naming_the_reference_and_0_when_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad, good = tmp_path / "bad.html", tmp_path / "good.html"
    bad.write_text(MUST_FAIL["style @import"], encoding="utf-8")
    good.write_text(MUST_PASS["data: icon"], encoding="utf-8")
    assert main([str(good)]) == 0
    assert "no script, style, font or image" in capsys.readouterr().out
    assert main([str(good), str(bad)]) == 1
    assert "https://fonts.example.com/css2?family=Inter" in capsys.readouterr().out
    assert main([]) == 2
    assert main([str(tmp_path / "missing.html")]) == 2
