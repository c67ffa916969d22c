"""Vendor KaTeX from an unpacked npm package dir: its script (run at build time in QuickJS) and its licence."""

import json
import shutil
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit("usage: build_katex.py KATEX_PACKAGE_DIR [OUT_DIR]")
    pkg = Path(argv[1])
    out = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent
    version = json.loads((pkg / "package.json").read_text())["version"]
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pkg / "dist" / "katex.min.js", out / "katex.min.js")
    shutil.copyfile(pkg / "LICENSE", out / "LICENSE-KaTeX.txt")
    (out / "README.md").write_text(
        f"KaTeX {version} (MIT, see LICENSE-KaTeX.txt), from the npm registry: `npm pack katex@{version}`.\n"
        "Files: dist/katex.min.js, run by nnsteps at build time in QuickJS (render/mathml.py) to typeset the HTML\n"
        "documents' maths as MathML; no KaTeX script, style sheet or font goes into a document.\n"
        "Made by `python build_katex.py <unpacked package dir>`.\n",
        encoding="utf-8",
    )
    print(f"KaTeX {version} vendored into {out}")


if __name__ == "__main__":
    main(sys.argv)
