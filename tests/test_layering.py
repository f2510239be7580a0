"""The stages' layering (DEVELOPERS.md), read from the source: every `import` counts, lazy ones
inside functions too, and so does everything an imported slmbench module imports in turn.

- `data` imports no model code (its CLI alone loads the embedded tokenizer, for `data stats`);
- backends (`models`) know no metrics;
- `eval` never imports `train`;
- `report` reads saved runs and never runs a model.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
MODEL_CODE = ("slmbench.models", "slmbench.train", "torch", "transformers", "peft", "llama_cpp")
# `data stats` counts tokens with the embedded model's tokenizer, and nothing else of model code.
DATA_CLI_TOKENIZER = {
    "slmbench.data.cli": {
        "slmbench.models",
        "slmbench.models.embedded",
        "slmbench.models.embedded.embedded_model_dir",
        "transformers",
        "transformers.AutoModelForCausalLM",
        "transformers.AutoTokenizer",
    }
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def direct_imports(path: Path) -> set[str]:
    """Every module named by an import in `path`, and `module.name` for `from module import name`
    (the name may be a submodule)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


@cache
def graph() -> dict[str, set[str]]:
    return {module_name(p): direct_imports(p) for p in (SRC / "slmbench").rglob("*.py")}


def reachable(module: str) -> set[str]:
    """Every module `module` imports, directly or through slmbench modules, including the
    packages (`__init__`) that Python runs on the way to each."""
    imports, seen, todo = graph(), set(), [module]
    while todo:
        for name in imports.get(todo.pop(), ()):
            parts = name.split(".")
            for name in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
                if name not in seen:
                    seen.add(name)
                    todo.append(name)
    return seen


def stage_modules(stage: str) -> list[str]:
    return sorted(m for m in graph() if m == stage or m.startswith(stage + "."))


def offending(module: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name in reachable(module)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize(
    ("stage", "forbidden", "allowed"),
    [
        ("slmbench.data", (*MODEL_CODE, "slmbench.eval", "slmbench.decode"), DATA_CLI_TOKENIZER),
        ("slmbench.models", ("slmbench.eval", "slmbench.train"), {}),
        ("slmbench.eval", ("slmbench.train",), {}),
        ("slmbench.report", (*MODEL_CODE, "slmbench.decode", "slmbench.eval.runner"), {}),
    ],
)
def test_stage_imports_stay_in_their_layer(stage, forbidden, allowed):
    modules = stage_modules(stage)
    assert len(modules) > 3
    broken = {
        m: [name for name in offending(m, forbidden) if name not in allowed.get(m, ())]
        for m in modules
    }
    assert {m: names for m, names in broken.items() if names} == {}


def test_the_check_sees_lazy_and_indirect_imports():
    # eval's runner loads backends lazily, inside a function, and through them torch.
    assert offending("slmbench.eval.runner", ("slmbench.models",))
    assert offending("slmbench.eval.runner", ("transformers",))
    assert offending("slmbench.data.cli", ("slmbench.models",))
