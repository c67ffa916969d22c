"""Screenshots of every built-in example's HTML at 1280 px and 390 px into docs/screenshots/ (for the README):
`python docs/screenshots.py` (needs Playwright and Chromium at /usr/bin/chromium; the pages load with JavaScript
off, so what they show is the page as built, maths included)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from nnsteps.pipeline import RenderOptions, render
from nnsteps.spec import builtin_names

OUT = Path(__file__).resolve().parent / "screenshots"
WIDTHS = {1280: 1500, 390: 1700}  # viewport width -> height of the picture from the top of the page


def main() -> int:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for name in builtin_names():
            page_file = next(p for p in render(name, Path(work) / name, RenderOptions(formats=("html",)))
                             if p.suffix == ".html")
            for width, height in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
                page = context.new_page()
                page.goto(page_file.as_uri())
                target = OUT / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
                context.close()
                print(target.relative_to(OUT.parent.parent))
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
