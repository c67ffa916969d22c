"""Canvas: a QTI 1.2 zip (the version Canvas imports), one quiz per variant, one numerical question per asked quantity,
written with xml.etree. text2qti, the usual library, is not on this machine's package index, so the XML is built here.

Canvas compares numerical answers to about 4 decimals (smaller values count as 0): a quantity whose tolerance is below
MIN_TOLERANCE is asked multiplied by a power of ten, and the question says so.
"""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
import zipfile

from .items import ZERO
from .numbers import decimal_text
from .moodle import given_html, solution_html
from .prairielearn import question_uuid

QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
MIN_TOLERANCE = 1e-4


def scale_of(tolerance: float) -> int:
    """The power of ten a quantity is multiplied by so that its tolerance is at least MIN_TOLERANCE."""
    if tolerance == 0 or tolerance >= MIN_TOLERANCE:
        return 0
    return math.ceil(math.log10(MIN_TOLERANCE / tolerance) - 1e-12)


def _field(parent, label: str, entry: str) -> None:
    field = ET.SubElement(parent, "qtimetadatafield")
    ET.SubElement(field, "fieldlabel").text = label
    ET.SubElement(field, "fieldentry").text = entry


def _html(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode", method="html")


def numerical_item(section, ident: str, question: dict, head: str, feedback: str) -> None:
    """A numerical question: right within [key - tolerance, key + tolerance], both scaled by 10^scale."""
    scale = scale_of(question["tolerance"])
    key = 0.0 if abs(question["key"]) < ZERO else question["key"] * 10.0 ** scale
    tolerance = question["tolerance"] * 10.0 ** scale
    item = ET.SubElement(section, "item", ident=ident, title=question["name"])
    meta = ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata")
    _field(meta, "question_type", "numerical_question")
    _field(meta, "points_possible", "1")
    _field(meta, "nnsteps_scale", str(scale))
    body = ET.Element("div")
    body.text = head
    asked = ET.SubElement(body, "p")
    asked.text = f"Compute \\({question['tex']}\\)" + (f" ({question['words']})" if question["words"] else "")
    if scale:
        asked.text += f" and enter it multiplied by 10^{scale} (that is, {10 ** scale:,})"
    asked.text += "."
    presentation = ET.SubElement(item, "presentation")
    ET.SubElement(ET.SubElement(presentation, "material"), "mattext", texttype="text/html").text = _html(body)
    response = ET.SubElement(presentation, "response_str", ident="response1", rcardinality="Single")
    ET.SubElement(ET.SubElement(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    processing = ET.SubElement(item, "resprocessing")
    ET.SubElement(ET.SubElement(processing, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE",
                  vartype="Decimal")
    general = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
    ET.SubElement(ET.SubElement(general, "conditionvar"), "other")
    ET.SubElement(general, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    condition = ET.SubElement(processing, "respcondition", {"continue": "No"})
    either = ET.SubElement(ET.SubElement(condition, "conditionvar"), "or")
    ET.SubElement(either, "varequal", respident="response1").text = decimal_text(key)
    within = ET.SubElement(either, "and")
    ET.SubElement(within, "vargte", respident="response1").text = decimal_text(key - tolerance)
    ET.SubElement(within, "varlte", respident="response1").text = decimal_text(key + tolerance)
    ET.SubElement(condition, "setvar", action="Set", varname="SCORE").text = "100"
    note = ET.SubElement(item, "itemfeedback", ident="general_fb")
    ET.SubElement(ET.SubElement(ET.SubElement(note, "flow_mat"), "material"), "mattext", texttype="text/html").text = feedback


def assessment_xml(item: dict, ident: str, policy: str, image: str) -> bytes:
    root = ET.Element("questestinterop", xmlns=QTI)
    assessment = ET.SubElement(root, "assessment", ident=ident, title=item["title"])
    meta = ET.SubElement(assessment, "qtimetadata")
    _field(meta, "cc_maxattempts", "1")
    section = ET.SubElement(assessment, "section", ident="root_section")
    head = ET.Element("div")
    ET.SubElement(ET.SubElement(head, "p"), "img", src=image, alt="The network with its given numbers",
                  style="max-width:100%")
    given_html(head, item)
    ET.SubElement(head, "p").text = f"Precision: {policy}."
    head_html, feedback = _html(head), solution_html(item)
    for i, question in enumerate(item["questions"], start=1):
        numerical_item(section, f"{ident}-q{i}", question, head_html if i == 1 else "", feedback)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def manifest_xml(quizzes: list, images: list, identity: str) -> bytes:
    root = ET.Element("manifest", identifier=f"nnsteps-{question_uuid(identity)}", xmlns=CP)
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    for ident, path in quizzes:
        resource = ET.SubElement(resources, "resource", identifier=ident, type="imsqti_xmlv1p2")
        ET.SubElement(resource, "file", href=path)
    for path in images:
        resource = ET.SubElement(resources, "resource", identifier=f"image-{path.rsplit('/', 1)[-1]}", type="webcontent",
                                 href=path)
        ET.SubElement(resource, "file", href=path)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def canvas_zip(items: list, category: str, policy: str, identity: str) -> bytes:
    """imsmanifest.xml, one QTI assessment per variant (a Canvas quiz each: assign them to students or sections),
    and the diagrams under web_resources/."""
    buffer, quizzes, images = io.BytesIO(), [], []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            ident = "nnsteps-" + question_uuid(f"{identity}|{item['variant']}")
            image = f"web_resources/nnsteps/diagram-v{item['variant']:03d}.svg"
            archive.writestr(image, item["diagram"])
            path = f"{ident}/{ident}.xml"
            archive.writestr(path, assessment_xml(item, ident, policy, f"$IMS-CC-FILEBASE$/{image[len('web_resources/'):]}"))
            quizzes.append((ident, path))
            images.append(image)
        archive.writestr("imsmanifest.xml", manifest_xml(quizzes, images, identity))
    return buffer.getvalue()
