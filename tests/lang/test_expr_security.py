"""The expression language cannot reach Python: no attributes, no dunders, no lambdas, no eval."""

from __future__ import annotations

import ast as python_ast
import pathlib

import pytest

from flowc.lang.expr import EvalError, ExprError, evaluate, parse_expr
from flowc.lang.template import parse_template

HOSTILE = [
    "__import__('os')",
    "__import__('os').system('id')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "''.__class__.__mro__",
    "x.__class__",
    "x.__dict__",
    "caller.__class__",
    "_secret",
    "a._private",
    "lambda: 1",
    "lambda x: x",
    "(lambda: 0)()",
    "[x for x in y]",
    "x[0]",
    "items[0]",
    "{'a': 1}",
    "f(x)(y)",
    "(len)(x)",
    "os.system('id')",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('x=1')",
    "getattr(x, 'y')",
    "tier.upper()",
    "'abc'.upper()",
    "x; import os",
    "import os",
    "x := 1",
    "print(1)",
    "globals()",
    "x if y else z else w",
    "`id`",
    "f'{x}'",
    "x @ y",
    "x ** 99999999",
    "~x",
    "x << 2",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_inputs_are_rejected(text: str) -> None:
    try:
        expr = parse_expr(text)
    except ExprError:
        return  # rejected by the grammar: the common case
    # What still parses (a call of an unknown name) evaluates to nothing but an EvalError.
    with pytest.raises(EvalError):
        evaluate(expr, {"x": 1, "y": 2, "os": "os", "tier": "gold"})


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "().__class__", "x.__class__", "lambda: 1", "tier.upper()", "x[0]"],
)
def test_dangerous_constructs_do_not_even_parse(text: str) -> None:
    with pytest.raises(ExprError):
        parse_expr(text)


def test_unknown_functions_never_resolve_to_python() -> None:
    for name in ["eval", "exec", "open", "getattr", "print", "globals", "compile", "input"]:
        with pytest.raises(EvalError, match="unknown function"):
            evaluate(parse_expr(f"{name}('1')"), {})


def test_members_of_non_namespaces_are_never_python_attributes() -> None:
    class Secretive(dict[str, object]):
        leaked = "attribute"

    scope = {"obj": Secretive(visible="item"), "s": "text"}
    assert evaluate(parse_expr("obj.visible"), scope) == "item"
    assert evaluate(parse_expr("obj.leaked"), scope) is None  # a missing key, not getattr
    with pytest.raises(EvalError, match="has no member"):
        evaluate(parse_expr("s.upper"), scope)


def test_scope_callables_are_not_callable_from_expressions() -> None:
    called: list[str] = []

    def trap() -> str:
        called.append("yes")
        return "boom"

    with pytest.raises(ExprError):
        parse_expr("trap()()")
    with pytest.raises(EvalError):
        evaluate(parse_expr("trap"), {"trap": trap})
    with pytest.raises(EvalError, match="unknown function"):
        evaluate(parse_expr("trap()"), {"trap": trap})
    assert called == []


def test_reserved_scope_keys_are_not_names() -> None:
    with pytest.raises(ExprError):
        parse_expr("__now__")
    with pytest.raises(ExprError):
        parse_expr("__in_hours__('x')")


def test_templates_do_not_evaluate_format_specs_or_env() -> None:
    with pytest.raises(ExprError):
        parse_template("{x.__class__}")
    with pytest.raises(ExprError):
        parse_template("{x!r}")
    with pytest.raises(ExprError):
        parse_template("{x:>10}")


def test_no_eval_or_exec_in_the_implementation() -> None:
    root = pathlib.Path(__file__).resolve().parents[2] / "flowc" / "lang"
    sources = [*sorted((root / "expr").glob("*.py")), root / "template.py"]
    assert len(sources) >= 8
    forbidden = {"eval", "exec", "compile", "__import__", "getattr", "setattr"}
    for path in sources:
        tree = python_ast.parse(path.read_text(encoding="utf-8"))
        for node in python_ast.walk(tree):
            if isinstance(node, python_ast.Call) and isinstance(node.func, python_ast.Name):
                assert node.func.id not in forbidden, f"{path.name}: {node.func.id}()"
