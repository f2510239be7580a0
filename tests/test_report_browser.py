"""index.html opened in headless Chromium: self-contained (data URIs only) and visibly rendered.

Needs Debian's `chromium` package (/usr/bin/chromium); skips when it is absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from slmbench.report.build import build_report

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# tab10 blue and orange: the colours of the first two runs in every figure, and nowhere else
# on the page, so finding them on the screenshot means the embedded images were drawn.
FIGURE_COLOURS = [(0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed"),
]


class References(HTMLParser):
    """Every URL-bearing attribute of the page, and the tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action") and value:
                self.urls.append((tag, name, value))


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    build_report([FIXTURES], out, data_dir=FIXTURES / "data" / "edgejson-mini")
    return out / "index.html"


def test_dom_embeds_every_figure_and_references_nothing_outside(page, tmp_path):
    result = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "<h1>SLMBench report</h1>" in dom and "Main results on" in dom
    refs = References()
    refs.feed(dom)
    images = [value for tag, name, value in refs.urls if tag == "img"]
    n_png = len(list(page.parent.rglob("*.png")))
    assert len(images) == n_png == 7
    assert all(v.startswith("data:image/png;base64,") and len(v) > 1000 for v in images)
    external = [
        (t, n, v) for t, n, v in refs.urls if not (v.startswith("data:") or v.startswith("#"))
    ]
    assert external == []
    assert not {"link", "script", "iframe"} & set(refs.tags)
    assert not re.search(r"url\((?!['\"]?data:)", dom), "CSS loads something by URL"


def test_screenshot_shows_the_rendered_page_with_its_figures(page, tmp_path):
    shot = tmp_path / "page.png"
    result = chromium(
        f"--screenshot={shot}",
        "--window-size=1200,2000",
        page.as_uri(),
        profile=tmp_path / "profile",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (1200, 2000)
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50, "screenshot is (nearly) blank"
    present = {c for _, c in colours}
    near = [
        any(sum(abs(a - b) for a, b in zip(c, want, strict=True)) < 12 for c in present)
        for want in FIGURE_COLOURS
    ]
    assert all(near), "the embedded figures were not drawn"
