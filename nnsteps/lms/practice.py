"""The offline practice page: the sheet with input fields, verdicts while the student types (right, too coarse, wrong,
first wrong step, carried errors, likely mistake), recomputed in the browser by the derivation's steps printed as
JavaScript; a button downloads answers.toml. It holds the key, so it is for practice, never for exams."""

from __future__ import annotations

import json

from markupsafe import Markup

from .numbers import number_text


def _script_json(value) -> Markup:
    """JSON safe inside <script>: no "<" can end the element (user text such as names is data, never code)."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def _strings(pair):
    """An exact value's [p, q] as strings: JSON numbers would lose digits beyond 2^53 (the page reads them as BigInt)."""
    return None if pair is None else [str(n) for n in pair]


def page_data(item: dict) -> dict:
    """What the page's script reads: the asked quantities (key, step, mistakes' numbers) and every step's number."""
    return {
        "variant": item["variant"], "digits": item["digits"], "values": item["code"]["values"],
        "questions": [{"name": q["name"], "node": q["node"], "key": q["key"], "exact": _strings(q["exact"]),
                       "diagnoses": [{"raw": d["raw"], "name": d["name"], "description": d["description"]}
                                     for d in q["diagnoses"]]} for q in item["questions"]],
    }


def practice_html(item: dict, policy: str, env=None, assets=None) -> str:
    from ..render.environment import environment
    from ..render.html import assets as inline_assets

    env = env or environment("html")
    given = item["given"]
    steps = [Markup("null" if code is None else f"function (v) {{ return ({code}); }}") for code in item["code"]["js"]]
    samples = [{"x": ", ".join(map(number_text, x)), "y": ", ".join(map(number_text, y))}
               for x, y in zip(given["X"], given["Y"])]
    return env.get_template("practice.html").render(
        title=item["title"], diagram=Markup(item["diagram"]),  # our own SVG: its user text escaped by network_svg
        samples=samples, learning_rate=number_text(given["learning_rate"]), update_steps=given["steps"],
        precision=policy, questions=item["questions"], variant=item["variant"], data=_script_json(page_data(item)),
        assets=assets or inline_assets(), step_functions=steps)


def practice_files(spec) -> dict:
    """`nnsteps render --practice`: {<name>-practice.html: page} for the quantities the spec's [exercise] asks."""
    from ..derive.derivation import derive
    from ..exercises import DEFAULT, questions, significant_digits_of
    from ..files import file_stem
    from .export import policy_text
    from .items import variant_item

    exercise = spec.exercise or DEFAULT
    derivation = derive(spec)
    item = variant_item(derivation, questions(spec, exercise), significant_digits_of(exercise), 1)
    return {f"{file_stem(spec.name)}-practice.html": practice_html(item, policy_text(exercise))}
