"""Every built-in example's .tex compiles with pdflatex without a line wider than the page, and page 1 rendered by
pdftoppm is not blank; so do the summary documents of two larger networks."""

import re
import json
import struct
import subprocess
import zlib

import numpy as np
import pytest

from nnsteps.spec import builtin_names

PDFLATEX = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def read_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, rows) of an 8-bit, non-interlaced gray/RGB/RGBA PNG (what pdftoppm writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0 and color in (0, 2, 6), header
    bpp = {0: 1, 2: 3, 6: 4}[color]
    raw, stride, rows, previous = zlib.decompress(idat), width * bpp, [], bytes(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):  # undo the row filter: 0 none, 1 sub, 2 up, 3 average, 4 Paeth
            left = line[x - bpp] if x >= bpp else 0
            up, corner = previous[x], previous[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def ink_fraction(png: bytes) -> float:
    """Share of pixels that are clearly not white."""
    width, height, bpp, rows = read_png(png)
    dark = sum(1 for row in rows for x in range(0, width * bpp, bpp) if min(row[x:x + min(bpp, 3)]) < 200)
    return dark / (width * height)


OVERFULL = re.compile(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]* at lines? (\d+)")


def overfull(log: str, tolerance: float = 1.0) -> list[tuple[float, int]]:
    """(points too wide, source line) of every overfull box in a pdflatex log wider than the tolerance."""
    return [(float(m.group(1)), int(m.group(2))) for m in OVERFULL.finditer(log) if float(m.group(1)) > tolerance]


def bookmarks(out_file) -> list[str]:
    """The titles of hyperref's PDF bookmarks (its .out file): octal escapes, UTF-16 after a byte-order mark."""
    titles = []
    for raw in re.findall(r"\\BOOKMARK \[\d+\]\[[^]]*\]\{[^}]*\}\{(.*)\}\{[^}]*\}% \d+", out_file.read_text()):
        data = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), raw.encode("latin-1"))
        data = re.sub(rb"\\(.)", rb"\1", data)
        titles.append(data[2:].decode("utf-16-be") if data.startswith(b"\xfe\xff") else data.decode("latin-1"))
    return titles


def test_overfull_reader_on_a_known_log():
    log = ("Overfull \\hbox (165.2pt too wide) detected at line 307\n[][]\n"
           "Overfull \\hbox (0.5pt too wide) in paragraph at lines 12--14\n"
           "Overfull \\hbox (3.25pt too wide) in paragraph at lines 40--41\n")
    assert overfull(log) == [(165.2, 307), (3.25, 40)]


def test_png_reader_on_a_known_image():
    # 2 x 1 RGB: one black and one white pixel, Sub-filtered
    raw = b"\x01" + bytes([0, 0, 0, 255, 255, 255])
    body = struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", body) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    assert read_png(png)[3] == [bytes([0, 0, 0, 255, 255, 255])] and ink_fraction(png) == 0.5


@pytest.mark.parametrize("name", builtin_names())
def test_tex_compiles_and_page_one_has_ink(name, tmp_path, require_tools):
    require_tools("pdflatex", "pdftoppm")
    from nnsteps.pipeline import RenderOptions, render

    tex = next(p for p in render(name, tmp_path, RenderOptions(formats=("tex",))) if p.suffix == ".tex")
    for _ in range(3):  # later runs read the table of contents, then the pages it moved
        run = subprocess.run([*PDFLATEX, tex.name], cwd=tmp_path, capture_output=True, text=True,
                             errors="replace", timeout=300, stdin=subprocess.DEVNULL)
        assert run.returncode == 0, f"pdflatex failed on {tex.name}:\n{run.stdout[-3000:]}"
        log = tex.with_suffix(".log").read_text(errors="replace")
        if "Rerun to get" not in log and tex.with_suffix(".toc").exists():
            break
    assert "There were undefined references" not in log and "Rerun to get" not in log
    # the table of contents and the PDF bookmarks (hyperref's .out): sections, and headings whose maths the
    # bookmarks show as plain text
    toc, marks = tex.with_suffix(".toc").read_text(errors="replace"), bookmarks(tex.with_suffix(".out"))
    assert r"\contentsline {section}{\numberline {2}Forward pass}" in toc
    assert "2 Forward pass" in marks and any(m.startswith("Gradient of ") for m in marks), marks
    assert not any("\\" in m or "$" in m or "{" in m for m in marks), marks  # plain text, no TeX source
    assert overfull(log) == [], f"lines wider than the page in {tex.name}"
    pdf = tex.with_suffix(".pdf")
    assert pdf.stat().st_size > 5000
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", pdf.name, "page1"],
                   cwd=tmp_path, check=True, timeout=120)
    ink = ink_fraction((tmp_path / "page1.png").read_bytes())
    assert 0.005 < ink < 0.9, f"page 1 of {pdf.name} looks blank or black ({ink:.2%} ink)"


@pytest.mark.parametrize("layers, activations", [((4, 8, 8, 3), ("tanh", "tanh", "softmax")),
                                                 ((16, 32, 32, 10), ("relu", "relu", "softmax"))])
def test_summary_of_a_wide_network_fits_the_page(layers, activations, tmp_path, require_tools):
    # the delta recursion and the receptor sums of 8 and 32 terms break between terms, within \textwidth
    require_tools("pdflatex")
    from nnsteps.pipeline import RenderOptions, render

    rng = np.random.default_rng(1)
    mapping = {"name": "wide-" + "-".join(map(str, layers)), "layers": list(layers), "activations": list(activations),
               "loss": "cross_entropy", "init": {"scheme": "he", "seed": 1},
               "data": {"X": rng.uniform(0, 1, size=(3, layers[0])).round(3).tolist(),
                        "Y": np.eye(layers[-1])[rng.integers(0, layers[-1], 3)].tolist()}}
    spec = tmp_path / "wide.json"
    spec.write_text(json.dumps(mapping))
    tex = next(p for p in render(str(spec), tmp_path, RenderOptions(formats=("tex",))) if p.suffix == ".tex")
    assert r"\cdots" in tex.read_text()  # the summary document, not every step
    run = subprocess.run([*PDFLATEX, tex.name], cwd=tmp_path, capture_output=True, text=True, errors="replace",
                         timeout=300, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout[-3000:]
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert overfull(log) == [], f"lines wider than the page: {overfull(log)}"


def test_render_to_pdf_has_its_table_of_contents(tmp_path, require_tools):
    # `render --to pdf` runs pdflatex until the contents are read back
    require_tools("pdflatex", "pdftotext")
    from nnsteps.pipeline import RenderOptions, render

    pdf = next(p for p in render("tutorial", tmp_path, RenderOptions(formats=("pdf",))) if p.suffix == ".pdf")
    page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", pdf.name, "-"], cwd=tmp_path, capture_output=True,
                          text=True, check=True, timeout=120).stdout
    assert "Contents" in page and "2 Forward pass" in page and "8 Verification" in page
