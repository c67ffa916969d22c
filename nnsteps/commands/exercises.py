"""`nnsteps exercises SPEC --count N --seed S [-o DIR] [--jobs K]`: variants with exercise sheets, solutions and answer keys."""

import os

from . import positive_number, whole_number

SHARED_ASSETS = "../assets/"  # from vNNN/ to the set's assets/ folder


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "exercises", help="generate exercise variants with worked solutions and answer keys",
        description="Draw N variants of a network with new nice numbers (from the spec's [exercise] table, or defaults) "
                    "and write for each an exercise sheet with blanks, a worked solution, its spec and an answers file "
                    "that `nnsteps check` accepts, plus manifest.csv and manifest.json.")
    parser.add_argument("spec", nargs="?", help="spec file or built-in name (default: tutorial)")
    parser.add_argument("--count", type=positive_number, default=10, metavar="N", help="number of variants (default 10)")
    parser.add_argument("--seed", type=whole_number, default=0, metavar="S", help="seed; variant v draws from default_rng([S, v])")
    parser.add_argument("-o", "--output", metavar="DIR", help="output folder (default: exercises-<spec name>)")
    parser.add_argument("--jobs", type=positive_number, default=None, metavar="K", help="worker processes (default: all cores)")
    parser.add_argument("--format", choices=("html", "md"), default="html", help="document format (default html)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    import sys
    import time
    from pathlib import Path

    from tqdm import tqdm  # a maintained progress bar: ETA and rate without hand-rolled terminal code

    from ..exercises import DEFAULT, VariantJob, questions, write_manifest
    from ..spec import load_spec

    from . import limits_of

    spec = load_spec(args.spec or "tutorial", limits_of(args))
    exercise = spec.exercise or DEFAULT
    questions(spec, exercise)  # a bad `ask` entry fails here, before any worker starts
    folder = Path(args.output or f"exercises-{spec.name}")
    folder.mkdir(parents=True, exist_ok=True)
    if args.format == "html":  # one copy of KaTeX for the whole set, linked from every variant's documents
        from ..render.html import vendor_files

        (folder / "assets").mkdir(exist_ok=True)
        for name, content in vendor_files().items():
            (folder / "assets" / name).write_text(content, encoding="utf-8")
    jobs = [VariantJob(spec, exercise, args.seed, v, str(folder), args.format) for v in range(1, args.count + 1)]
    workers = min(args.jobs or os.cpu_count() or 1, len(jobs))
    size = max(1, min(10, len(jobs) // (4 * workers)))  # a chunk shares one template environment
    chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    start = time.perf_counter()
    bar = tqdm(total=len(jobs), unit="variant", desc="exercises", file=sys.stderr,
               disable=True if args.no_progress else None)
    records = []
    try:
        if workers == 1:
            for chunk in chunks:
                records.extend(build_chunk(chunk))
                bar.update(len(chunk))
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=workers) as pool:
                for future in as_completed([pool.submit(build_chunk, chunk) for chunk in chunks]):
                    done = future.result()
                    records.extend(done)
                    bar.update(len(done))
    finally:
        bar.close()
    records.sort(key=lambda record: record.variant)
    write_manifest(folder, spec, args.seed, args.format, records)
    elapsed = time.perf_counter() - start
    print(f"{len(records)} variant{'s' if len(records) != 1 else ''} of {spec.name} in {folder}/ "
          f"({elapsed:.1f} s with {workers} worker{'s' if workers != 1 else ''}: "
          f"{elapsed * workers / len(records):.2f} s of a worker per variant); manifest.csv, manifest.json")
    return 0


def build_chunk(jobs) -> list:
    """In a worker: several variants sharing one template environment for the exercise sheets."""
    from ..render.environment import environment
    from ..render.html import assets

    fmt = jobs[0].format
    kit = (environment(fmt), assets("", SHARED_ASSETS) if fmt == "html" else None)
    return [build_variant(job, kit) for job in jobs]


def build_variant(job, kit=None) -> "VariantRecord":
    """In a worker: draw, derive, and write spec.toml, answers.toml, the exercise sheet and the worked solution."""
    from pathlib import Path

    from ..answers import answers_toml
    from ..derive.derivation import derive
    from ..exercises import VariantRecord, answer_key, draw_variant, questions
    from ..spec_writer import spec_to_mapping, to_toml

    spec = draw_variant(job.spec, job.exercise, job.seed, job.variant)
    derivation = derive(spec)
    asked = questions(spec, job.exercise)
    key = answer_key(derivation, asked)
    name = f"v{job.variant:03d}"
    folder = Path(job.folder) / name
    folder.mkdir(parents=True, exist_ok=True)
    origin = f"variant {job.variant} of {job.spec.name}, seed {job.seed}: numpy default_rng([{job.seed}, {job.variant}])"
    (folder / "spec.toml").write_text(to_toml(spec_to_mapping(spec), header=origin), encoding="utf-8")
    meta = {"spec": "spec.toml", "source": job.spec.name, "seed": job.seed, "variant": job.variant}
    comment = f"Answer key of {origin}.\nCheck a person's answers with: nnsteps check spec.toml THEIR-ANSWERS.toml"
    (folder / "answers.toml").write_text(answers_toml(key, meta, comment), encoding="utf-8")
    sheet, solution = documents(derivation, asked, job.format, job.variant, job.seed, kit)
    (folder / f"exercise.{job.format}").write_text(sheet, encoding="utf-8")
    for file_name, content in solution.items():  # the document, and for Markdown its SVG figures
        main = file_name.endswith(f".{job.format}")
        (folder / (f"solution.{job.format}" if main else file_name)).write_text(content, encoding="utf-8")
    return VariantRecord(job.variant, job.seed, f"{name}/spec.toml", f"{name}/exercise.{job.format}",
                         f"{name}/solution.{job.format}", f"{name}/answers.toml",
                         float(derivation.backward.cost), tuple(key.items()))


def documents(derivation, asked, fmt: str, variant: int = 1, seed: int = 0, kit=None) -> tuple[str, dict]:
    """(exercise sheet with blanks, {file name: text} of the worked solution) through the render package."""
    from ..exercises import quantity_tex, short_name
    from ..pipeline import RenderOptions, documents as worked_documents
    from ..render.context import Context
    from ..render.environment import environment
    from ..render.forward import network_section
    from ..render.records import M, text

    ctx = Context(derivation)
    spec = derivation.spec
    # the network section without its diagram: the diagram shows sample 1's receptor and neuron values
    given = tuple(item for item in network_section(ctx).items if item.kind != "figure")
    rows = []
    for q in asked:
        symbol, words = quantity_tex(ctx, q)
        rows.append({"name": short_name(q), "symbol": symbol, "words": words})
    skeleton = "[answers]\n" + "\n".join(f'"{row["name"]}" = ' for row in rows)
    summary = text(f"A {'-'.join(map(str, spec.layers))} network with its own numbers: compute the {len(rows)} "
                   "quantities of section 2 by hand, with learning rate ", M(ctx.num(ctx.number(spec.learning_rate))), ".")
    values = dict(title=spec.title, summary=summary, given=given, questions=rows, skeleton=skeleton,
                  spec_file="spec.toml", source=spec.name.rsplit("-v", 1)[0], variant=variant, seed=seed, figures={})
    env, inlined = kit or (environment(fmt), None)
    if fmt == "html":
        from ..render.html import assets

        values["assets"] = inlined or assets("", SHARED_ASSETS)
    sheet = env.get_template(f"exercise.{fmt}").render(**values)
    solution = worked_documents(derivation, RenderOptions(formats=(fmt,), assets_folder=SHARED_ASSETS))
    return sheet, solution
