"""Value type constraints (SHACL 4.1): sh:class, sh:datatype and sh:nodeKind."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from ...namespaces import PREFIXES
from ..report import SH
from ..shapes import ShapesGraph
from .model import Constraint, any_term

RDF, RDFS, XSD = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["xsd"]
#: XSD datatypes whose well-formedness the compiled engine checks by a cast in Oxigraph.
CASTABLE = {"integer", "decimal", "float", "double", "boolean", "dateTime", "date", "time",
            "gYear", "gYearMonth", "gMonthDay", "gDay", "gMonth", "duration",
            "yearMonthDuration", "dayTimeDuration"}
NODE_KINDS = {"IRI": "isIRI(?value)", "BlankNode": "isBlank(?value)",
              "Literal": "isLiteral(?value)", "BlankNodeOrIRI": "!isLiteral(?value)",
              "BlankNodeOrLiteral": "!isIRI(?value)", "IRIOrLiteral": "!isBlank(?value)"}


def datatype(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    if not isinstance(arg, ox.NamedNode):
        return "sh:datatype is not an IRI"
    if arg.value.startswith(XSD) and arg.value != XSD + "string" and \
            arg.value[len(XSD):] not in CASTABLE:
        return f"well-formedness of xsd:{arg.value[len(XSD):]} is left to pySHACL"
    if arg.value.startswith(RDF) and arg.value != RDF + "langString":
        return f"rdf:{arg.value[len(RDF):]} literals are left to pySHACL"
    return Constraint(kind, arg)


def node_kind(g: ShapesGraph, node: Any, kind: str, arg: Any) -> Constraint | str:
    if not isinstance(arg, ox.NamedNode) or arg.value[len(SH):] not in NODE_KINDS:
        return "unknown sh:nodeKind"
    return Constraint(kind, NODE_KINDS[arg.value[len(SH):]])


def datatype_test(c: Constraint) -> str:
    dt = c.arg.value
    if dt == RDF + "langString":
        return "!isLiteral(?value) || LANG(?value) = \"\""
    cond = f"!isLiteral(?value) || DATATYPE(?value) != <{dt}>"
    if dt.startswith(XSD) and dt[len(XSD):] in CASTABLE:
        cond += f" || !COALESCE(sameTerm(<{dt}>(STR(?value)), ?value), false)"
    return cond


def class_test(c: Constraint) -> str:
    return f"NOT EXISTS {{ ?value <{RDF}type>/<{RDFS}subClassOf>* {c.arg} }}"


def node_kind_test(c: Constraint) -> str:
    return f"!({c.arg})"


COMPILE = {"class": any_term, "datatype": datatype, "nodeKind": node_kind}
VALUE_TESTS = {"class": class_test, "datatype": datatype_test, "nodeKind": node_kind_test}
COMPONENT = {"datatype": "DatatypeConstraintComponent", "class": "ClassConstraintComponent",
             "nodeKind": "NodeKindConstraintComponent"}
MESSAGES = {"datatype": "value is not a well-formed literal of {arg}",
            "class": "value is not a {arg}",
            "nodeKind": "value is not of the expected node kind"}
