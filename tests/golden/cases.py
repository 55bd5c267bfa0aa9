"""The golden cases: example flows and what they compile to. Shared by the tests and by
`python scripts/regen_golden.py`, so both always agree on what a golden file holds."""

from __future__ import annotations

from pathlib import Path

from flowc.compiler.bundle import compile_checked
from flowc.compiler.ir import dumps
from flowc.pipeline import check_file

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_IR = ROOT / "tests" / "golden" / "ir"
EXAMPLE_DIRS = ("examples", "flows")


def example_files() -> list[Path]:
    out: list[Path] = []
    for d in EXAMPLE_DIRS:
        out += sorted((ROOT / d).rglob("*.yaml"))
    return [p for p in out if "bindings" not in p.parts and not p.name.endswith(".test.yaml")]


def golden_ir_path(example: Path) -> Path:
    rel = example.relative_to(ROOT).with_suffix("")
    return GOLDEN_IR / ("__".join(rel.parts) + ".json")


def compiled_ir_text(example: Path) -> str:
    checked = check_file(example.relative_to(ROOT))
    assert checked.ok, [f"{d.code} {d.span} {d.message}" for d in checked.diagnostics]
    ir, _ = compile_checked(checked)
    return dumps(ir)


def dsl_form_path(example: Path) -> Path:
    return example.with_suffix(".flow")


def dsl_form_text(example: Path) -> str:
    """The .flow form of a YAML example, exactly as `flowc convert --to flow` writes it."""
    from flowc.source.dsl.printer import to_dsl
    from flowc.source.yaml_loader import load_yaml_file

    doc = load_yaml_file(example)
    return to_dsl(doc.data, doc.comments)


def regen_dsl_forms() -> list[Path]:
    written = []
    for example in example_files():
        path = dsl_form_path(example)
        path.write_text(dsl_form_text(example), encoding="utf-8")
        written.append(path)
    return written


# ------------------------------------------------------------------ FreeSWITCH backends

GOLDEN_FS = ROOT / "tests" / "golden" / "freeswitch"
FS_SOURCES = ("examples", "flows", "bindings")


def freeswitch_texts() -> dict[str, str]:
    """What `flowc compile examples/ flows/ bindings/ --target freeswitch` writes under
    `freeswitch/`: relative path -> text."""
    import tempfile

    from flowc.compiler.bundle import compile_paths

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "build"
        lines: list[str] = []
        code = compile_paths(
            [ROOT / d for d in FS_SOURCES], out, target="freeswitch", echo=lines.append
        )
        assert code == 0, lines
        base = out / "freeswitch"
        return {
            p.relative_to(base).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(base.rglob("*"))
            if p.is_file()
        }


def regen_freeswitch() -> list[Path]:
    import shutil

    shutil.rmtree(GOLDEN_FS, ignore_errors=True)
    written = []
    for rel, text in freeswitch_texts().items():
        path = GOLDEN_FS / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
