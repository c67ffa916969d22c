"""Moodle XML: one question category per exercise set, one Cloze question per variant, NUMERICAL blanks with the
precision policy's tolerance and wrong-answer entries naming the catalogued mistakes (written with xml.etree)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from .items import ZERO
from .numbers import decimal_text, number_text

CLOZE_SPECIAL = '\\}#~/"'  # characters with a meaning inside a Cloze blank: escaped with a backslash
RIGHT_FEEDBACK = "Right."


def cloze_text(text: str) -> str:
    """Text put inside a Cloze blank (answers and feedback), its special characters escaped."""
    return "".join("\\" + c if c in CLOZE_SPECIAL else c for c in text)


def plain(text: str) -> str:
    """User text (a title) in a Cloze question's text: a zero-width space after each "{" keeps it from ever reading as
    a blank such as {1:SHORTANSWER:=...}; the XML library escapes the rest."""
    return text.replace("{", "{\u200b")


def blank(question: dict) -> str:
    """{1:NUMERICAL:=key:tolerance#feedback~%0%mistake:tolerance#feedback...}: the right answer first (Moodle takes
    the first entry that matches), then each mistake's value, none of whose intervals meets the right one."""
    key = 0.0 if abs(question["key"]) < ZERO else question["key"]  # float noise around a true 0
    entries = [f"={decimal_text(key)}:{decimal_text(question['tolerance'])}#{cloze_text(RIGHT_FEEDBACK)}"]
    for m in question["mistakes"]:
        feedback = f"Likely mistake: {m['description']}. To fix it: {m['fix']}."
        entries.append(f"%0%{decimal_text(m['value'])}:{decimal_text(m['tolerance'])}#{cloze_text(feedback)}")
    return "{1:NUMERICAL:" + "~".join(entries) + "}"


def _text(parent, tag: str, text: str, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    ET.SubElement(element, "text").text = text
    return element


def given_html(parent: ET.Element, item: dict) -> None:
    """The samples' inputs and targets and the learning rate, as an HTML list (the diagram shows sample 1's inputs)."""
    given = item["given"]
    ET.SubElement(parent, "p").text = (f"Learning rate η = {number_text(given['learning_rate'])}, "
                                      f"{given['steps']} update step{'s' if given['steps'] != 1 else ''}.")
    rows = ET.SubElement(parent, "ul")
    for s, (x, y) in enumerate(zip(given["X"], given["Y"]), start=1):
        ET.SubElement(rows, "li").text = (f"sample {s}: x = ({', '.join(map(number_text, x))}), "
                                          f"y = ({', '.join(map(number_text, y))})")


def question_html(item: dict, image: str, policy: str) -> str:
    """The question text: the numbers, the diagram, the precision asked, one blank per asked quantity."""
    root = ET.Element("div")
    ET.SubElement(root, "p").text = plain(item["title"])
    figure = ET.SubElement(root, "p")
    ET.SubElement(figure, "img", src=image, alt="The network with its given numbers", style="max-width:100%")
    given_html(root, item)
    ET.SubElement(root, "p").text = f"Precision: {policy}."
    table = ET.SubElement(root, "table")
    for question in item["questions"]:
        row = ET.SubElement(table, "tr")
        label = ET.SubElement(row, "td")
        label.text = f"\\({question['tex']}\\)" + (f" ({question['words']})" if question["words"] else "")
        ET.SubElement(row, "td").text = blank(question)
    return ET.tostring(root, encoding="unicode", method="html")


def solution_html(item: dict) -> str:
    """The general feedback: each asked step worked from the numbers it reads, maths as \\( \\)."""
    root = ET.Element("div")
    ET.SubElement(root, "p").text = "Worked solution:"
    steps = ET.SubElement(root, "ol")
    for step in item["steps"]:
        entry = ET.SubElement(steps, "li")
        entry.text = f"\\({step['tex']}\\)"
        if step.get("inputs"):
            ET.SubElement(entry, "br").tail = f"with \\({step['inputs']}\\)"
    return ET.tostring(root, encoding="unicode", method="html")


def moodle_xml(items: list, category: str, policy: str) -> bytes:
    """The whole set: a category question, then one Cloze question per variant."""
    quiz = ET.Element("quiz")
    head = ET.SubElement(quiz, "question", type="category")
    _text(head, "category", f"$course$/top/nnsteps/{category}")
    _text(head, "info", f"Variants of {category} made by nnsteps; draw one at random per student.", format="html")
    for item in items:
        name = f"diagram-v{item['variant']:03d}.svg"
        question = ET.SubElement(quiz, "question", type="cloze")
        _text(question, "name", f"{item['title']}")
        text = _text(question, "questiontext", question_html(item, f"@@PLUGINFILE@@/{name}", policy), format="html")
        image = ET.SubElement(text, "file", name=name, path="/", encoding="base64")
        image.text = base64.b64encode(item["diagram"].encode("utf-8")).decode("ascii")
        _text(question, "generalfeedback", solution_html(item), format="html")
        ET.SubElement(question, "penalty").text = "0.3333333"
        ET.SubElement(question, "hidden").text = "0"
        ET.SubElement(question, "idnumber").text = f"nnsteps-v{item['variant']:03d}"
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="utf-8", xml_declaration=False) + b"\n"
