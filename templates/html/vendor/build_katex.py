"""Vendor KaTeX from an unpacked npm package dir, inlining woff2 fonts as base64 into the CSS."""

import base64
import json
import re
import shutil
import sys
from pathlib import Path

SRC_RE = re.compile(r"src:([^;}]*)")
URL_RE = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)(\s*format\(\s*['"]?([\w-]+)['"]?\s*\))?""")


def inline_css(css: str, dist: Path) -> str:
    def fix_src(m: re.Match) -> str:
        kept = []
        for u in URL_RE.finditer(m.group(1)):
            path, fmt = u.group(2), u.group(4)
            if not path.endswith(".woff2") and fmt != "woff2":
                continue  # drop woff/ttf fallbacks
            data = base64.b64encode((dist / path).read_bytes()).decode("ascii")
            kept.append(f'url(data:font/woff2;base64,{data}) format("woff2")')
        if not kept:
            raise SystemExit(f"no woff2 source in: {m.group(0)[:120]}")
        return "src:" + ",".join(kept)

    out = SRC_RE.sub(fix_src, css)
    if "url(fonts/" in out or re.search(r"url\((?!data:)", out):
        raise SystemExit("non-inlined url( left in CSS")
    return out


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit("usage: build_katex.py KATEX_PACKAGE_DIR [OUT_DIR]")
    pkg = Path(argv[1])
    out = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent
    dist = pkg / "dist"
    version = json.loads((pkg / "package.json").read_text())["version"]
    out.mkdir(parents=True, exist_ok=True)

    shutil.copyfile(dist / "katex.min.js", out / "katex.min.js")
    shutil.copyfile(dist / "contrib" / "auto-render.min.js", out / "auto-render.min.js")
    shutil.copyfile(pkg / "LICENSE", out / "LICENSE-KaTeX.txt")
    css = inline_css((dist / "katex.min.css").read_text(encoding="utf-8"), dist)
    (out / "katex-inline.min.css").write_text(css, encoding="utf-8")
    (out / "README.md").write_text(
        f"KaTeX {version} (MIT, see LICENSE-KaTeX.txt), from the npm registry: `npm pack katex@{version}`.\n"
        "Files: dist/katex.min.js, dist/contrib/auto-render.min.js, and katex-inline.min.css.\n"
        "The CSS is dist/katex.min.css with woff2 fonts inlined as base64 and woff/ttf dropped, "
        "made by `python build_katex.py <unpacked package dir>`.\n",
        encoding="utf-8",
    )
    print(f"KaTeX {version} vendored into {out}")


if __name__ == "__main__":
    main(sys.argv)
