"""The stages' layering (CONTRIBUTING.md, "Layers"), read from the source: every `import`
counts, lazy ones inside functions too, `importlib.import_module("slmbench...")` strings too,
and so does everything an imported slmbench module imports in turn.

- the shared modules (errors, paths, prompts, jsontext, provenance) and the task registry
  (`tasks`) import no stage;
- `data` imports no model code (its CLI alone loads the embedded tokenizer, for `data stats`);
- `constrain` (grammars, logits processor, closing mode) imports no backend and no stage above;
- backends (`models`) know no metrics and no stage above them: no eval, train, report, deploy;
- `eval` never imports `train`, `deploy` or `report`; its generic runner imports no specific
  backend module (backends are loaded by name through the registry);
- `train` imports no `deploy` or `report`; `deploy` imports no `report`;
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
    if not path.is_relative_to(SRC):
        return path.stem
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
        if _is_import_module_call(node):
            found.add(node.args[0].value)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _is_import_module_call(node: ast.AST) -> bool:
    """`importlib.import_module("slmbench...")` or `import_module("slmbench...")`."""
    if not (isinstance(node, ast.Call) and node.args):
        return False
    func, arg = node.func, node.args[0]
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return (
        name == "import_module"
        and isinstance(arg, ast.Constant)
        and isinstance(arg.value, str)
        and arg.value.startswith("slmbench")
    )


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


STAGES = ("slmbench.data", "slmbench.constrain", "slmbench.models", "slmbench.eval")
STAGES_ABOVE = ("slmbench.train", "slmbench.deploy", "slmbench.report", "slmbench.pipeline")
SHARED = ("slmbench.errors", "slmbench.paths", "slmbench.prompts", "slmbench.jsontext")
BACKEND_MODULES = (
    "slmbench.models.hf_backend",
    "slmbench.models.llamacpp_backend",
    "slmbench.models.openai_backend",
)


@pytest.mark.parametrize(
    ("stage", "forbidden", "allowed"),
    [
        (
            "slmbench.data",
            (*MODEL_CODE, "slmbench.constrain", "slmbench.eval", *STAGES_ABOVE),
            DATA_CLI_TOKENIZER,
        ),
        ("slmbench.constrain", ("slmbench.models", "slmbench.eval", *STAGES_ABOVE), {}),
        ("slmbench.models", ("slmbench.eval", *STAGES_ABOVE), {}),
        ("slmbench.eval", STAGES_ABOVE, {}),
        ("slmbench.train", ("slmbench.deploy", "slmbench.report", "slmbench.pipeline"), {}),
        ("slmbench.deploy", ("slmbench.report", "slmbench.pipeline"), {}),
        (
            "slmbench.report",
            (*MODEL_CODE, "slmbench.constrain", "slmbench.eval.runner", "slmbench.deploy"),
            {},
        ),
    ],
)
def test_stage_imports_stay_in_their_layer(stage, forbidden, allowed):
    modules = stage_modules(stage)
    assert len(modules) >= 3
    broken = {
        m: [name for name in offending(m, forbidden) if name not in allowed.get(m, ())]
        for m in modules
    }
    assert {m: names for m, names in broken.items() if names} == {}


# The task registry names its readers and scorers as strings, imported only when used.
@pytest.mark.parametrize("module", [*SHARED, "slmbench.provenance", "slmbench.tasks"])
def test_shared_modules_import_no_stage(module):
    assert offending(module, (*STAGES, *STAGES_ABOVE)) == []


def test_extract_runs_models_without_the_stages_that_make_them():
    above = ("slmbench.train", "slmbench.deploy", "slmbench.report", "slmbench.pipeline")
    assert offending("slmbench.extract", (*above, "slmbench.specialize")) == []
    assert offending("slmbench.extract", ("slmbench.models",))  # the check sees its backends


def test_the_eval_runner_loads_no_specific_backend():
    assert offending("slmbench.eval.runner", BACKEND_MODULES) == []


def test_the_check_sees_import_module_strings(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text('import importlib\nimportlib.import_module("slmbench.train.trainer")\n')
    assert "slmbench.train.trainer" in direct_imports(path)


def test_the_check_sees_lazy_and_indirect_imports():
    # eval's runner loads backends lazily, inside a function, and through them torch.
    assert offending("slmbench.eval.runner", ("slmbench.models",))
    assert offending("slmbench.eval.runner", ("transformers",))
    assert offending("slmbench.data.cli", ("slmbench.models",))
