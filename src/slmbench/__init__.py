"""SLMBench: small task-specialised language models for structured JSON extraction.

The Python API, one typed function per stage command, each taking that command's options
dataclass (the `slmbench` command is generated from the same dataclasses; CONTRIBUTING.md,
"Layers"):

    import slmbench
    slmbench.build_data(slmbench.BuildDataOptions(out=Path("runs/data")))
    results = slmbench.evaluate(slmbench.EvalOptions(data="runs/data/test.jsonl", out="runs/zs"))

`build_data`, `validate`, `stats`, `evaluate`, `bench`, `compare`, `train`, `export`, `report`,
`pipeline`, `specialize`, `sweep` and their options classes are imported on first use, so `import
slmbench` stays light.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "slmbench.data.api": (
        "BuildDataOptions",
        "ValidateOptions",
        "StatsOptions",
        "build_data",
        "validate",
        "stats",
    ),
    "slmbench.eval.api": (
        "ModelOptions",
        "EvalOptions",
        "BenchOptions",
        "CompareOptions",
        "evaluate",
        "bench",
        "compare",
    ),
    "slmbench.train.api": ("TrainOptions", "train"),
    "slmbench.deploy.api": ("ExportOptions", "export"),
    "slmbench.report.api": ("ReportOptions", "report"),
    "slmbench.pipeline": ("PipelineOptions", "pipeline"),
    "slmbench.extract": ("Extractor",),
    "slmbench.specialize": ("SpecializeOptions", "specialize"),
    "slmbench.sweep": ("SweepOptions", "sweep"),
}
"""Module -> the API names it defines. Looked up by name (not imported here): every stage
module imports this package first, and must not import the stages above it by doing so."""
_MODULE_OF = {name: module for module, names in _API.items() for name in names}

__all__ = ["__version__", *_MODULE_OF]


CALLABLE_MODULES = ("train", "report", "pipeline", "specialize", "sweep")
"""API functions named as a subpackage or module: the module is the function
(`slmbench.options.CallableModule`), so `slmbench.train` is the same whichever came first."""


def __getattr__(name: str) -> Any:
    if name in CALLABLE_MODULES:
        return importlib.import_module(f"{__name__}.{name}")  # sets the attribute
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'slmbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))
