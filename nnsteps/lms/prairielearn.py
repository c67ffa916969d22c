"""PrairieLearn: questions/nnsteps-<name>/ with info.json, question.html, server.py (every variant embedded as data,
grading with error carried forward, no nnsteps needed) and the diagrams in clientFilesQuestion/."""

from __future__ import annotations

import html
import json
import uuid
from importlib import resources
from pathlib import Path

from .numbers import number_text

TOPIC = "Backpropagation"
UUID_NAMESPACE = uuid.UUID("6f1c2d1e-5b7a-4c55-9a57-0e6f2b1c9d42")  # nnsteps' own: uuid5(this, spec|seed) is stable


def question_uuid(identity: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, identity))


def given_text(item: dict) -> str:
    given = item["given"]
    samples = "; ".join(f"sample {s}: x = ({', '.join(map(number_text, x))}), y = ({', '.join(map(number_text, y))})"
                        for s, (x, y) in enumerate(zip(given["X"], given["Y"]), start=1))
    steps = given["steps"]
    return f"{samples}. Learning rate η = {number_text(given['learning_rate'])}, {steps} update step{'s' if steps != 1 else ''}."


def question_html(item: dict, policy: str) -> str:
    """The panel (diagram, given numbers, precision) and one pl-number-input per asked quantity; per-variant text and
    tolerances come from params (Mustache escapes them)."""
    lines = ["<pl-question-panel>", "  <p>{{params.title}}: compute by hand.</p>",  # user text: a param, never template
             '  <pl-figure file-name="{{params.diagram}}" directory="clientFilesQuestion"></pl-figure>',
             "  <p>{{params.given}}</p>", f"  <p>Precision: {html.escape(policy)}.</p>", "</pl-question-panel>"]
    for i, _ in enumerate(item["questions"], start=1):
        lines.append(f'<pl-number-input answers-name="q{i}" label="{{{{params.labels.q{i}}}}}" comparison="relabs" '
                     f'rtol="0" atol="{{{{params.atol.q{i}}}}}" allow-fractions="true"></pl-number-input>')
    return "\n".join(lines) + "\n"


def _steps_code(items: list) -> str:
    """STEPS: one lambda per node, printed by SymPy from the derivation's formulas (the same for every variant)."""
    codes = {tuple(item["code"]["py"]) for item in items}
    if len(codes) != 1:
        raise ValueError("the variants' step formulas differ; PrairieLearn embeds one set")
    lines = ["STEPS = ("]
    for code in next(iter(codes)):
        lines.append("    None," if code is None else f"    lambda v: {code},")
    return "\n".join(lines + [")"])


SERVER = '''

# -- the question: every variant as data (JSON), the steps as printed formulas ------------------------------------
QUESTION = json.loads({data})
{steps}


def generate(data):
    """Pick the variant from the student's seed; the numbers are embedded, so the course needs no nnsteps."""
    index = data["variant_seed"] % len(QUESTION["variants"])
    variant = QUESTION["variants"][index]
    data["params"]["variant"] = index
    data["params"]["diagram"] = variant["diagram"]
    data["params"]["given"] = variant["given"]
    data["params"]["title"] = QUESTION["title"]
    data["params"]["labels"] = dict(QUESTION["labels"])
    data["params"]["atol"] = {{q["field"]: q["atol"] for q in variant["questions"]}}
    for q in variant["questions"]:
        data["correct_answers"][q["field"]] = q["key"]


def grade(data):
    """Right, too coarse or wrong per field; an answer right given the student's own earlier wrong ones is carried
    (partial credit), a wrong one reproduced by a catalogued mistake names it."""
    variant = QUESTION["variants"][data["params"]["variant"]]
    written = {{q["field"]: data["raw_submitted_answers"].get(q["field"], data["submitted_answers"].get(q["field"]))
               for q in variant["questions"]}}
    rows = grade_answers(variant, STEPS, written, QUESTION["digits"])
    total = 0.0
    for row in rows:
        data["partial_scores"][row["field"]] = {{"score": row["credit"], "weight": 1, "feedback": row["feedback"],
                                                 "status": row["status"], "carried": row["carried"]}}
        total += row["credit"]
    data["score"] = total / len(rows)
    data["feedback"]["rows"] = rows
    first = next((row for row in rows if row["first_wrong"]), None)
    data["feedback"]["first_wrong"] = first["field"] if first else None
'''


def server_py(items: list, labels: dict, digits: int) -> str:
    variants = [{
        "diagram": f"diagram-v{item['variant']:03d}.svg", "given": given_text(item), "values": item["code"]["values"],
        "questions": [{"field": f"q{i}", "name": q["name"], "node": q["node"], "key": q["key"], "exact": q["exact"], "atol": q["tolerance"],
                       "diagnoses": q["diagnoses"]} for i, q in enumerate(item["questions"], start=1)],
    } for item in items]
    title = items[0]["title"].rsplit(", variant", 1)[0]
    data = json.dumps({"digits": digits, "labels": labels, "title": title, "variants": variants}, ensure_ascii=True)
    body = resources.files("nnsteps.lms").joinpath("pl_grading.py").read_text(encoding="utf-8")
    header = '"""PrairieLearn server.py written by nnsteps: generate() picks an embedded variant, grade() grades it."""\n\n'
    body = body.split('"""', 2)[2].lstrip("\n")  # the module's own docstring gives way to server.py's
    return header + "import json\n" + body + SERVER.format(data=repr(data), steps=_steps_code(items))


def write_question(folder: Path, items: list, category: str, policy: str, identity: str) -> list:
    from ..files import write_atomic

    first = items[0]
    labels = {f"q{i}": f"\\({q['tex']}\\)" + (f" ({q['words']})" if q["words"] else "") + f" [{q['name']}]"
              for i, q in enumerate(first["questions"], start=1)}
    info = {"uuid": question_uuid(identity), "type": "v3", "title": category, "topic": TOPIC,
            "tags": ["nnsteps", "backpropagation", "randomized"], "singleVariant": False}
    files = {
        "info.json": json.dumps(info, indent=2, ensure_ascii=False) + "\n",
        "question.html": question_html(first, policy),
        "server.py": server_py(items, labels, first["digits"]),
    }
    for item in items:
        files[f"clientFilesQuestion/diagram-v{item['variant']:03d}.svg"] = item["diagram"]
    written = []
    for name, content in files.items():
        written.append(write_atomic(folder / name, content))
    return written
