"""Platform exports (issue 16): Moodle XML blanks, PrairieLearn generate/grade, agreeing with `nnsteps check`."""

import base64
from fractions import Fraction
import importlib.util
import json
import math
import re
import tomllib
import xml.etree.ElementTree as ET

import pytest

from nnsteps.cli import main
from nnsteps.derive.derivation import derive
from nnsteps.derive.mistakes import CATALOGUE, layer_of, lookup, problem_of, recompute
from nnsteps.derive.names import parse_quantity
from nnsteps.spec import builtin_names, load_spec

BLANK = re.compile(r"\{1:NUMERICAL:((?:\\.|[^\\}])*)\}")
ENTRY = re.compile(r"^(=|%0%)([-0-9.]+):([0-9.]+)#(.*)$", re.S)

# every built-in example, dropout and batch norm included (their steps are rows of the step graph)
EXAMPLES = builtin_names()


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _entries(blank: str) -> list:
    """(right?, value, tolerance, feedback) of each entry of a Cloze NUMERICAL blank, split at unescaped ~."""
    rows = []
    for part in re.split(r"(?<!\\)~", blank):
        match = ENTRY.match(part)
        assert match, part
        rows.append((match.group(1) == "=", float(match.group(2)), float(match.group(3)), _unescape(match.group(4))))
    return rows


@pytest.fixture(scope="module", params=EXAMPLES)
def pack(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("lms") / "pack"
    assert main(["exercises", request.param, "--count", "3", "--seed", "5", "--jobs", "1", "--no-progress",
                 "-o", str(out), "--lms", "moodle", "canvas", "prairielearn"]) == 0
    return out


def _keys(pack) -> list:
    manifest = json.loads((pack / "teacher/manifest.json").read_text())
    return [(v["variant"], v["key"], pack / v["spec"]) for v in manifest["variants"]]


def test_moodle_blanks_contain_the_key_and_exclude_every_mistake(pack):
    root = ET.parse(pack / "moodle.xml").getroot()
    categories = root.findall("question[@type='category']")
    questions = root.findall("question[@type='cloze']")
    keys = _keys(pack)
    assert len(categories) == 1 and len(questions) == len(keys) == 3
    named = 0
    for question, (variant, key, spec_path) in zip(questions, keys):
        derivation = derive(load_spec(str(spec_path)))
        problem, depth = problem_of(derivation), derivation.spec.depth
        text = question.find("questiontext/text").text
        blanks = BLANK.findall(text)
        assert len(blanks) == len(key)
        for blank, (name, answer) in zip(blanks, key.items()):
            entries = _entries(blank)
            right, value, tolerance, _ = entries[0]
            truth = float(Fraction(answer))
            if abs(truth) < 1e-12:  # float noise around a true 0 (a softmax gradient's sum): 0 exactly
                assert value == 0 and tolerance == 0
                truth = 0.0
            assert right and math.isclose(value, truth, rel_tol=1e-9, abs_tol=1e-15)  # the key file holds 10 digits
            three = float(f"{truth:.3g}")  # the key written with the 3 significant digits the policy asks
            assert abs(three - value) <= tolerance * (1 + 1e-9)
            q = parse_quantity(name, derivation.spec)
            for is_right, wrong, width, feedback in entries[1:]:
                assert not is_right and feedback.startswith("Likely mistake: ")
                assert abs(wrong - value) > tolerance + width  # the intervals never meet
                # the entry is what the named mistake gives at this step, recomputed here as check does
                mistake = next(m for m in CATALOGUE.values() if f"Likely mistake: {m.description}." in feedback)
                found = [lookup(recompute(problem, mistake.rewrite, None, layers), q, depth)
                         for layers in (frozenset({layer_of(q, depth)}), None)]
                assert any(math.isfinite(f) and abs(float(f"{f:.3g}") - wrong) <= 1e-12 * max(1, abs(wrong)) for f in found)
                named += 1
        image = question.find("questiontext/file")
        assert base64.b64decode(image.text).startswith(b"<svg") and f"@@PLUGINFILE@@/{image.get('name')}" in text
        feedback = question.find("generalfeedback/text").text
        assert feedback.count("<li>") == len(key) and feedback.count("\\(") >= len(key) and "Worked solution" in feedback
    assert named >= 1


def _server(pack):
    path = next((pack / "prairielearn/questions").iterdir()) / "server.py"
    spec = importlib.util.spec_from_file_location(f"server_{id(pack)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def _generate(module, seed):
    data = {"params": {}, "correct_answers": {}, "variant_seed": seed, "options": {}}
    module.generate(data)
    return data


def _grade(module, data, raw: dict):
    submitted = dict(data, raw_submitted_answers=dict(raw), submitted_answers={k: float(v) for k, v in raw.items()},
                     partial_scores={}, score=0, feedback={}, format_errors={})
    module.grade(submitted)
    return submitted


def _check(spec_path, names, raw, tmp_path):
    """`nnsteps check --json` on the same answers: {name: (status, carried, first wrong, diagnoses)}."""
    answers = tmp_path / "answers.toml"
    answers.write_text("[answers]\n" + "".join(f'"{n}" = {v}\n' for n, v in zip(names, raw)))
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["check", str(spec_path), str(answers), "--json"])
    rows = json.loads(out.getvalue())["rows"]
    return {row["quantity"]: (row["status"], row["carried"], row["first_wrong"], {d["name"] for d in row["diagnoses"]})
            for row in rows}


def test_prairielearn_files(pack):
    folder = next((pack / "prairielearn/questions").iterdir())
    info = json.loads((folder / "info.json").read_text())
    assert info["type"] == "v3" and info["uuid"] and info["topic"] and info["tags"]
    html = (folder / "question.html").read_text()
    module, path = _server(pack)
    code = path.read_text()
    assert not re.search(r"^\s*(from|import)\s+nnsteps", code, re.M) and "eval(" not in code and "exec(" not in code
    assert html.count("<pl-number-input") == len(module.QUESTION["variants"][0]["questions"])
    for variant in module.QUESTION["variants"]:
        assert (folder / "clientFilesQuestion" / variant["diagram"]).read_text().startswith("<svg")


def test_prairielearn_full_partial_and_zero_credit_agree_with_check(pack, tmp_path):
    module, _ = _server(pack)
    keys = _keys(pack)
    seen = set()
    for seed in range(6):
        data = _generate(module, seed)
        index = data["params"]["variant"]
        seen.add(index)
        variant = module.QUESTION["variants"][index]
        questions = variant["questions"]
        spec_path = keys[index][2]
        names = [q["name"] for q in questions]
        right = {q["field"]: format(q["key"], ".6g") for q in questions}
        assert _grade(module, data, right)["score"] == 1.0
        # wrong at the first nonzero step whose change moves a later answer; the later one carried from it
        derivation = derive(load_spec(str(spec_path)))
        problem, depth = problem_of(derivation), derivation.spec.depth
        for i, q in enumerate(questions):
            if q["key"] == 0:
                continue
            wrong = float(f"{q['key'] * 1.37 + 0.011:.4g}")
            overrides = {parse_quantity(names[i], derivation.spec): wrong}
            values = recompute(problem, overrides=overrides)
            later = [(j, lookup(values, parse_quantity(names[j], derivation.spec), depth)) for j in range(i + 1, len(q))
                     if j < len(questions)]
            moved = [(j, v) for j, v in later if abs(v - questions[j]["key"]) > 1e-3 * max(1, abs(v))]
            if moved:
                break
        else:
            pytest.fail("no step moves a later one")
        j, carried_value = moved[0]
        raw = dict(right, **{questions[i]["field"]: format(wrong, ".4g"), questions[j]["field"]: format(carried_value, ".6g")})
        graded = _grade(module, data, raw)
        rows = {row["field"]: row for row in graded["feedback"]["rows"]}
        assert rows[questions[i]["field"]]["status"] == "wrong" and rows[questions[i]["field"]]["first_wrong"]
        assert graded["partial_scores"][questions[i]["field"]]["score"] == 0
        assert rows[questions[j]["field"]]["carried"] and graded["partial_scores"][questions[j]["field"]]["score"] == 0.5
        assert names[i] in graded["partial_scores"][questions[j]["field"]]["feedback"]
        assert 0 < graded["score"] < 1
        # too coarse: the first step with a nonzero, inexact key, to one significant digit
        k = next(n for n, q in enumerate(questions)  # inexact beyond float noise: -0.06 may be -0.060000000000000005
                 if q["key"] and float(f"{q['key']:.1g}") != float(f"{q['key']:.12g}"))
        coarse = dict(right, **{questions[k]["field"]: format(questions[k]["key"], ".1g")})
        assert _grade(module, data, coarse)["partial_scores"][questions[k]["field"]]["score"] == 0
        for answers in (raw, coarse):
            graded = _grade(module, data, answers)
            verdicts = _check(spec_path, names, [answers[q["field"]] for q in questions], tmp_path)
            for q, row in zip(questions, graded["feedback"]["rows"]):
                status, carried, first, _ = verdicts[q["name"]]
                assert (row["status"], row["carried"], row["first_wrong"]) == (status, carried, first), q["name"]
    assert len(seen) > 1


def test_prairielearn_names_the_likely_mistake_as_check_does(pack, tmp_path):
    module, _ = _server(pack)
    keys = _keys(pack)
    data = _generate(module, 0)
    variant = module.QUESTION["variants"][data["params"]["variant"]]
    questions, names = variant["questions"], [q["name"] for q in variant["questions"]]
    right = {q["field"]: format(q["key"], ".6g") for q in questions}
    tried = 0
    for q in questions:
        for diagnosis in q["diagnoses"]:
            if abs(diagnosis["raw"] - q["key"]) <= 1e-3 * max(1, abs(q["key"])):
                continue
            raw = dict(right, **{q["field"]: format(diagnosis["raw"], ".6g")})
            graded = _grade(module, data, raw)
            row = next(r for r in graded["feedback"]["rows"] if r["field"] == q["field"])
            assert diagnosis["name"] in row["mistakes"] and diagnosis["description"] in row["feedback"]
            verdicts = _check(keys[data["params"]["variant"]][2], names, [raw[p["field"]] for p in questions], tmp_path)
            named = verdicts[q["name"]][3]  # check ranks by every answer and may name ties or none; a shared name
            assert not named or set(row["mistakes"]) & named, (row["mistakes"], named)
            tried += 1
            break
    assert tried >= 1


def test_canvas_zip_round_trips_and_every_range_holds_the_key(pack, tmp_path):
    import zipfile

    keys = _keys(pack)
    ns = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
    with zipfile.ZipFile(pack / "canvas-qti.zip") as archive:
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        quizzes = [r for r in manifest.iter() if r.get("type") == "imsqti_xmlv1p2"]
        assert len(quizzes) == len(keys)
        for resource, (variant, key, _) in zip(quizzes, keys):
            root = ET.fromstring(archive.read(resource.find("{*}file").get("href")))
            items = root.findall(".//q:item", ns)
            assert [item.get("title") for item in items] == list(key)
            for item, answer in zip(items, key.values()):
                scale = int(next(f.findtext("q:fieldentry", namespaces=ns) for f in item.iterfind(".//q:qtimetadatafield", ns)
                                 if f.findtext("q:fieldlabel", namespaces=ns) == "nnsteps_scale"))
                truth = float(Fraction(answer)) * 10.0 ** scale
                truth = 0.0 if abs(truth) < 1e-12 * 10.0 ** scale else truth
                low = float(item.findtext(".//q:vargte", namespaces=ns))
                high = float(item.findtext(".//q:varlte", namespaces=ns))
                exact = float(item.findtext(".//q:varequal", namespaces=ns))
                assert low <= truth <= high and math.isclose(exact, truth, rel_tol=1e-9, abs_tol=1e-15)
                assert high - low >= 2e-4 * (1 - 1e-9) or high == low == 0  # Canvas's 4 decimals never swallow it
                three = float(f"{truth:.3g}")  # the key with the 3 significant digits the policy asks
                assert low - 1e-12 <= three <= high + 1e-12
                text = item.findtext(".//q:presentation//q:mattext", namespaces=ns)
                assert (f"multiplied by 10^{scale}" in text) == (scale > 0)
        assert all(archive.read(name).startswith(b"<svg") for name in archive.namelist() if name.endswith(".svg"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_step_graph_recomputes_every_number_of_the_derivation(name):
    """The formulas the page and server.py print reproduce every number, for the spec and a variant sharing its shape;
    with a person's number substituted they give what check's recomputation gives."""
    from nnsteps.exercises import DEFAULT, draw_variant
    from nnsteps.lms.graph import step_graph

    spec = load_spec(name)
    for derivation in (derive(spec), derive(draw_variant(spec, spec.exercise or DEFAULT, 2, 7))):
        graph = step_graph(derivation)
        values = graph.evaluate()
        for node, value in zip(graph.nodes, values):
            assert math.isclose(node.value, value, rel_tol=1e-9, abs_tol=1e-12), node.name
            assert node.value == float(derivation.value(node.name))
        problem, depth = problem_of(derivation), derivation.spec.depth
        first = parse_quantity("z1[1]@1", derivation.spec)
        changed = graph.evaluate({graph.index[first.name]: 0.25})
        recomputed = recompute(problem, overrides={first: 0.25})
        for node, value in zip(graph.nodes, changed):
            if node.formula is not None:
                expected = lookup(recomputed, parse_quantity(node.name, derivation.spec), depth, computed=False)
                assert math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12), node.name


def test_hostile_title_stays_text_in_every_export(tmp_path):
    """A title with Cloze, Mustache, XML and script syntax is data everywhere: no extra blank, no template, no markup."""
    import json as json_module
    import zipfile

    hostile = '{1:SHORTANSWER:=x} {{params.variant}} </text>]]><script>alert(1)</script> & "q" \\u0000'
    source = load_spec("chain")
    from nnsteps.spec_writer import spec_to_mapping, to_toml

    mapping = spec_to_mapping(source)
    mapping["title"] = hostile
    spec_path = tmp_path / "hostile.toml"
    spec_path.write_text(to_toml(mapping))
    out = tmp_path / "pack"
    assert main(["exercises", str(spec_path), "--count", "2", "--jobs", "1", "--no-progress", "-o", str(out),
                 "--lms", "moodle", "canvas", "prairielearn", "--practice"]) == 0
    root = ET.parse(out / "moodle.xml").getroot()
    keys = _keys(out)
    for question, (_, key, _) in zip(root.findall("question[@type='cloze']"), keys):
        text = question.find("questiontext/text").text
        assert len(re.findall(r"\{\d*:[A-Z_]+:", text)) == len(key)  # only our blanks read as blanks
        assert "<script>" not in text and "&lt;script&gt;" in text
    folder = next((out / "prairielearn/questions").iterdir())
    html = (folder / "question.html").read_text()
    assert "params.variant" not in html and "alert" not in html
    module, _ = _server(out)
    assert module.QUESTION["title"].startswith("{1:SHORTANSWER:=x} {{params.variant}}")
    with zipfile.ZipFile(out / "canvas-qti.zip") as archive:
        for name in archive.namelist():
            if name.endswith(".xml"):
                ET.fromstring(archive.read(name))  # well-formed whatever the title
    page = (out / "student/v001/practice.html").read_text()
    assert "<script>alert(1)</script>" not in page
    data = page.split('id="nnsteps-practice">', 1)[1].split("</script>", 1)[0]
    json_module.loads(data)


def test_dropout_and_batch_norm_steps_are_in_the_step_graph():
    """The mask and scaled output, and batch norm's mean, variance, zhat and u, are steps; a wrong mean carries into
    every sample's zhat as check's recomputation carries it (the delta of one sample reads every sample)."""
    from nnsteps.lms.graph import step_graph

    dropout = step_graph(derive(load_spec("dropout")))
    assert dropout.nodes[dropout.index["mask1[2]@1"]].formula is None  # given on the sheet
    assert {"x1[2]@1", "a1[2]@1", "da1[1]@2"} <= set(dropout.index)
    derivation = derive(load_spec("batchnorm"))
    graph = step_graph(derivation)
    assert {"mu1[1]", "var1[1]", "zhat1[1]@3", "u1[1]@3", "du1[1]@2", "dgamma1[1]", "dbeta1[1]", "gamma1[1]@after"} <= set(graph.index)
    mean = parse_quantity("mu1[1]", derivation.spec)
    changed = graph.evaluate({graph.index[mean.name]: 0.5})
    recomputed = recompute(problem_of(derivation), overrides={mean: 0.5})
    for name in ("zhat1[1]@1", "zhat1[1]@3", "delta1[1]@2", "dW1[1,1]", "J"):
        q = parse_quantity(name, derivation.spec)
        expected = lookup(recomputed, q, derivation.spec.depth, computed=False)
        assert math.isclose(changed[graph.index[q.name]], expected, rel_tol=1e-9, abs_tol=1e-12), name
        assert not math.isclose(expected, float(derivation.value(name)), rel_tol=1e-6), name  # the wrong mean reached it


def test_written_specs_keep_dropout_and_batch_norm():
    """A pack's spec.toml is the spec: [dropout] (given masks, the seed for drawn ones), [batchnorm] and gamma/beta."""
    from dataclasses import replace

    from nnsteps.derive.regularizers import DropoutSpec
    from nnsteps.spec import spec_from_mapping
    from nnsteps.spec_writer import spec_to_mapping, to_toml

    drawn = load_spec("dropout")
    drawn = spec_from_mapping({**tomllib.loads(to_toml(spec_to_mapping(drawn))), "dropout": {"p": [0.5], "seed": 4}}, "d")
    assert isinstance(drawn.dropout, DropoutSpec) and drawn.dropout.drawn == (1,)
    for spec in (load_spec("dropout"), load_spec("batchnorm"), drawn, replace(load_spec("batchnorm"), update_biases=False)):
        back = spec_from_mapping(tomllib.loads(to_toml(spec_to_mapping(spec))), spec.name)
        assert back == spec
        assert derive(back).backward.gradients.keys() == derive(spec).backward.gradients.keys()
