"""Export a `slmbench train` run as one GGUF file that llama.cpp loads: `slmbench export`.

The writing itself (adapter merge, tensor names, tokenizer metadata, quantisation) is
`slmbench.models.gguf_writer`, which the llamacpp backend also uses to convert an `--adapter`
run; its names are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slmbench.deploy.api import DEFAULT_QUANT, QUANTS
from slmbench.errors import SlmbenchError
from slmbench.licences import write_notice
from slmbench.models.gguf_files import tokenizer_dir_for
from slmbench.models.gguf_writer import (  # noqa: F401 (re-exported: the export API)
    ARCHITECTURES,
    PRE_TOKENIZER_PROBE,
    PRE_TOKENIZERS,
    add_tokenizer,
    load_run_model,
    permute_rope_rows,
    pre_tokenizer_name,
    quantize_with_llama_cpp,
    write_gguf,
    write_run_gguf,
)


@dataclass
class ExportResult:
    path: Path
    tokenizer_dir: Path
    quant: str
    size_bytes: int
    source: str
    """What was exported: `adapter merged into BASE`, `full model DIR`, `merged model`."""
    note: str | None = None
    """llama.cpp's summary when quantisation fell back to other types for some tensors."""
    notice: Path | None = None
    """The NOTICE written beside the file when the base model's terms require one (Gemma)."""


def default_out_path(run_dir: Path, quant: str) -> Path:
    """Where `slmbench export` writes when `--out` is not given.

    >>> default_out_path(Path("runs/lora1"), "q8_0").as_posix()
    'runs/lora1/gguf/model-q8_0.gguf'
    """
    return run_dir / "gguf" / f"model-{quant}.gguf"


def export_gguf(
    run_dir: str | Path,
    out: str | Path | None = None,
    quant: str = DEFAULT_QUANT,
    progress: bool = True,
) -> ExportResult:
    """Merge and write the model of train run `run_dir` as a GGUF file; returns where it went."""
    if quant not in QUANTS:
        raise SlmbenchError(f"unknown quantisation {quant!r} (known: {', '.join(QUANTS)})")
    run_dir = Path(run_dir).expanduser()
    if not run_dir.is_dir():
        raise SlmbenchError(f"run folder {run_dir} does not exist")
    out_path = Path(out).expanduser() if out else default_out_path(run_dir, quant)
    if out_path.suffix != ".gguf":
        raise SlmbenchError(f"--out {out_path} must end in .gguf")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    source, note = write_run_gguf(run_dir, out_path, quant, progress)
    notice = write_notice(out_path.parent, run_dir, "This GGUF export")
    return ExportResult(
        out_path, tokenizer_dir_for(out_path), quant, out_path.stat().st_size, source, note, notice
    )
