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
    parser.add_argument("-o", "--output", metavar="DIR", help="output folder, made whole or not at all (default: exercises-<spec name>)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing exercise folder whole (only one nnsteps made: it has manifest.json)")
    parser.add_argument("--jobs", type=positive_number, default=None, metavar="K", help="worker processes (default: all cores)")
    parser.add_argument("--format", choices=("html", "md"), default="html", help="document format (default html)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    import sys
    import time

    from tqdm import tqdm  # a maintained progress bar: ETA and rate without hand-rolled terminal code

    from ..exercises import DEFAULT, VariantJob, questions, write_manifest
    from ..files import check_output_folder, check_replaceable, file_stem, staged_folder, write_atomic
    from ..derive.errors import one_line
    from ..spec import load_spec

    from . import limits_of

    spec = load_spec(args.spec or "tutorial", limits_of(args))
    exercise = spec.exercise or DEFAULT
    questions(spec, exercise)  # a bad `ask` entry fails here, before any worker starts
    folder = output_folder(args.output, f"exercises-{file_stem(spec.name)}")
    check_replaceable(folder, args.force, marker="manifest.json")
    check_output_folder(folder)
    workers = min(args.jobs or os.cpu_count() or 1, args.count)
    start = time.perf_counter()
    with staged_folder(folder) as stage:  # the set is built beside the destination, renamed onto it at the end
        if args.format == "html":  # one copy of KaTeX for the whole set, linked from every variant's documents
            from ..render.html import vendor_files

            for name, content in vendor_files().items():
                write_atomic(stage / "assets" / name, content)
        jobs = [VariantJob(spec, exercise, args.seed, v, str(stage), args.format) for v in range(1, args.count + 1)]
        size = max(1, min(10, len(jobs) // (4 * workers)))  # a chunk shares one template environment
        chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
        records = build_all(chunks, workers, lambda: tqdm(total=len(jobs), unit="variant", desc="exercises",
                                                          file=sys.stderr, disable=True if args.no_progress else None))
        write_manifest(stage, spec, args.seed, args.format, records)
    elapsed = time.perf_counter() - start
    print(f"{len(records)} variant{'s' if len(records) != 1 else ''} of {one_line(spec.name)} in {folder}/ "
          f"({elapsed:.1f} s with {workers} worker{'s' if workers != 1 else ''}: "
          f"{elapsed * workers / len(records):.2f} s of a worker per variant); manifest.csv, manifest.json")
    return 0


def output_folder(given, default: str):
    """The exercise folder: the one given, or the default (a slug, so inside the working folder); never `.` or above."""
    from pathlib import Path

    from ..derive.errors import SpecError

    folder = Path(given or default)
    absolute, here = Path(os.path.abspath(folder)), Path(os.getcwd())
    if absolute == here or absolute in here.parents:
        raise SpecError("--output", f"{folder} is the working folder or holds it; name a folder of its own")
    return folder


def build_all(chunks, workers: int, progress) -> list:
    """Every chunk's records, in variant order; with several workers, a pool that an error or a signal stops at once."""
    records = []
    if workers == 1:
        with progress() as bar:
            for chunk in chunks:
                records.extend(build_chunk(chunk))
                bar.update(len(chunk))
    else:
        import multiprocessing

        pool = multiprocessing.get_context("fork").Pool(workers, initializer=quiet_worker)
        try:
            with progress() as bar:  # after the fork: tqdm's monitor thread stays in this process
                for done in pool.imap_unordered(build_chunk_in_worker, chunks):
                    records.extend(done)
                    bar.update(len(done))
        except BaseException:  # an error, Ctrl-C or kill: no worker outlives the command
            pool.terminate()
            pool.join()
            raise
        pool.close()
        pool.join()
    return sorted(records, key=lambda record: record.variant)


def quiet_worker() -> None:
    """A worker's start: the parent alone handles Ctrl-C and kill, and the caller's stdin/stdout/stderr are let go."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # Pool.terminate() ends a worker with SIGTERM
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):  # a worker's errors travel back to the parent through the pool, not stderr
        os.dup2(devnull, stream)
    os.close(devnull)


def build_chunk_in_worker(jobs) -> list:
    """build_chunk, with an error the pool cannot send back (unpicklable) turned into one that it can."""
    import pickle

    try:
        return build_chunk(jobs)
    except Exception as error:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:
            raise RuntimeError(f"{error.__class__.__name__}: {error}") from None
        raise


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
    from ..files import make_folder, write_new
    from ..spec_writer import spec_to_mapping, to_toml

    spec = draw_variant(job.spec, job.exercise, job.seed, job.variant)
    derivation = derive(spec)
    asked = questions(spec, job.exercise)
    key = answer_key(derivation, asked)
    name = f"v{job.variant:03d}"
    sheet, solution = documents(derivation, asked, job.format, job.variant, job.seed, kit)
    origin = f"variant {job.variant} of {job.spec.name}, seed {job.seed}: numpy default_rng([{job.seed}, {job.variant}])"
    meta = {"spec": "spec.toml", "source": job.spec.name, "seed": job.seed, "variant": job.variant}
    comment = f"Answer key of {origin}.\nCheck a person's answers with: nnsteps check spec.toml THEIR-ANSWERS.toml"
    files = {"spec.toml": to_toml(spec_to_mapping(spec), header=origin), "answers.toml": answers_toml(key, meta, comment),
             f"exercise.{job.format}": sheet}
    for file_name, content in solution.items():  # the document, and for Markdown its SVG figures
        files[f"solution.{job.format}" if file_name.endswith(f".{job.format}") else file_name] = content
    folder = make_folder(Path(job.folder) / name)  # new inside the staged set: nothing planted there to follow
    for file_name, content in files.items():
        write_new(folder / file_name, content)
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
