"""Screenshots of every built-in example's HTML at 1280 px and 390 px into docs/screenshots/ (for the README):
`python docs/screenshots.py` (needs Playwright and Chromium at /usr/bin/chromium; the pages load with JavaScript
off, so what they show is the page as built, maths included). `python docs/screenshots.py torch` makes only the
picture of the section "The same computation in PyTorch" (`render batchnorm --with torch`; needs torch)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from nnsteps.pipeline import RenderOptions, render
from nnsteps.spec import builtin_names

OUT = Path(__file__).resolve().parent / "screenshots"
WIDTHS = {1280: 1500, 390: 1700}  # viewport width -> height of the picture from the top of the page


TORCH_EXAMPLE = "batchnorm"
TORCH_LISTING = "22rem"  # the listing cut to its first lines in the picture, so that the table below shows too


def torch_picture(browser, work: Path) -> Path:
    """The PyTorch section of a worked example at 1280 px: the head of the listing, then nnsteps against autograd."""
    options = RenderOptions(formats=("html",), sections=("torch",))
    page_file = next(p for p in render(TORCH_EXAMPLE, work / "torch", options) if p.suffix == ".html")
    # our own page in a scratch folder: one more style rule in its head (no script runs in the page)
    cut = f"<style>pre.code {{ max-height: {TORCH_LISTING}; overflow: hidden; }}</style></head>"
    page_file.write_text(page_file.read_text(encoding="utf-8").replace("</head>", cut, 1), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(page_file.as_uri())
    target = OUT / f"{TORCH_EXAMPLE}-torch-1280.png"
    box = page.locator("section#torch").bounding_box()  # page coordinates: the page is not scrolled
    clip = {"x": max(box["x"] - 16, 0), "y": max(box["y"] - 8, 0), "width": box["width"] + 32, "height": box["height"] + 16}
    page.screenshot(path=str(target), full_page=True, clip=clip)
    context.close()
    return target


def main() -> int:
    OUT.mkdir(exist_ok=True)
    if sys.argv[1:] == ["torch"]:
        with tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--no-sandbox", "--disable-gpu"])
            print(torch_picture(browser, Path(work)).relative_to(OUT.parent.parent))
            browser.close()
        return 0
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
