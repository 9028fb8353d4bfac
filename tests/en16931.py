"""The official EN 16931 validation artefacts (../shared/en16931, README there): the CII D16B
schema (lxml) and the CII schematron compiled to XSLT (saxonche). Compiled once per session."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from lxml import etree

_REPO = Path(__file__).resolve().parents[1]
# ../shared/en16931 beside the clone (a git worktree one level deeper: ../../shared)
ROOT = Path(os.environ.get("TARIFA_EN16931") or next(
    (p / "shared" / "en16931" for p in (_REPO.parent, _REPO.parent.parent)
     if (p / "shared" / "en16931").is_dir()), _REPO.parent / "shared" / "en16931"))
XSLT = ROOT / "EN16931-CII-validation.xslt"
XSD = ROOT / "cii-schema/CII/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


def missing_reason() -> str | None:
    """Why the validation cannot run here (None when it can)."""
    if not XSLT.exists() or not XSD.exists():
        return f"the EN 16931 validation artefacts are not at {ROOT}"
    try:
        import saxonche  # noqa: F401
    except ImportError:
        return "saxonche is not installed (pip install .[test])"
    return None


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


@functools.cache
def _stylesheet():
    from saxonche import PySaxonProcessor

    proc = PySaxonProcessor(license=False)
    xslt = proc.new_xslt30_processor()
    return proc, xslt.compile_stylesheet(stylesheet_file=str(XSLT))


def schema_errors(xml: bytes) -> list[str]:
    schema = _schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def fatal_rules(xml: bytes) -> list[str]:
    """Every fatal schematron assertion that fails: 'BR-xx: text'."""
    proc, exe = _stylesheet()
    node = proc.parse_xml(xml_text=xml.decode("utf-8"))
    report = exe.transform_to_string(xdm_node=node)
    svrl = etree.fromstring(report.encode("utf-8"))
    out = []
    for fa in svrl.iterfind(".//svrl:failed-assert", SVRL):
        if fa.get("flag") == "fatal":
            text = " ".join(fa.findtext("svrl:text", "", SVRL).split())
            out.append(f"{fa.get('id')}: {text}")
    return out


def problems(xml: bytes) -> list[str]:
    """Schema errors and fatal rule violations together (empty: the invoice passes)."""
    return schema_errors(xml) + fatal_rules(xml)
