"""The `results.json` contract: what an eval run folder's results file holds, key by key.

`slmbench eval` writes it (`slmbench.eval.summary.build_results`); `slmbench compare`,
`slmbench report`, the claims (`experiments/*/claims.json`, whose `metric` is a dotted path into
this file, e.g. `metrics.overall.json_exact`) and anyone's scripts read it. Change a key here
first; a test checks that what the runner writes has exactly these keys
(CONTRIBUTING.md, "The results contract"). Keys marked `NotRequired` are absent from files
written before they were added; a change that breaks readers raises `RESULTS_SCHEMA_VERSION`.

Imports nothing of slmbench: every stage may read it.
"""

import typing
from typing import Any, Literal, NotRequired, TypedDict

RESULTS_SCHEMA_VERSION = 1
"""The version of this contract, written as `schema_version`."""
DEFAULT_TASK = "edgejson"
"""The task of a run that names none (the tasks: `slmbench.tasks.TASKS`). Each task has its
`metrics` layout (`TASK_METRICS`); every other key is the same for all."""


class Interval(TypedDict):
    """A rate over the run's rows with its seeded 95% bootstrap interval (fractions in [0, 1];
    all None for no rows)."""

    value: float | None
    """The mean over the rows."""
    ci_low: float | None
    """Lower end of the 95% interval."""
    ci_high: float | None
    """Upper end of the 95% interval."""


class MetricTable(TypedDict):
    """The rates over a group of rows, one `Interval` per per-row metric (the order and names
    of `slmbench.eval.scoring.METRICS`, which is read from here)."""

    json_exact: Interval
    """The parsed output equals the gold object as JSON (JSONExact, the headline metric)."""
    json_exact_normalized: Interval
    """Equal after normalising both sides: strings stripped, whitespace collapsed and
    casefolded, numeric strings read as numbers."""
    field_precision: Interval
    """Predicted (leaf path, value) pairs, at any depth, that the gold has."""
    field_recall: Interval
    """Gold (leaf path, value) pairs that the prediction has."""
    field_f1: Interval
    """Harmonic mean of field precision and recall."""
    top_level_f1: Interval
    """The original EdgeJSON harness's F1 over top-level keys (for the paper's numbers)."""
    schema_valid: Interval
    """The parsed output validates against the row's JSON Schema."""
    valid_json: Interval
    """A JSON object could be read from the output."""


class ErrorCounts(TypedDict):
    """Rows showing each error kind (zeros included; a row may show several; the order and
    names of `slmbench.eval.taxonomy.ERROR_KINDS`, which is read from here)."""

    invalid_json: int
    """No JSON object could be read from the output."""
    truncated: int
    """Generation hit its token limit and the answer is not exact."""
    missing_field: int
    """A gold key is absent from the prediction."""
    extra_field: int
    """The prediction has a key the gold object lacks."""
    type_error: int
    """Same path, different scalar JSON type."""
    wrong_value: int
    """Same path and type, different value."""
    structure_error: int
    """Object for array (or scalar for container, or the reverse), or a wrong array length."""


class Quantiles(TypedDict):
    """Median and 90th percentile over the rows (None for no rows)."""

    median: float | None
    """The median."""
    p90: float | None
    """The 90th percentile."""


class EvalConfig(TypedDict):
    """What the run was asked to do (the resolved `slmbench eval` options)."""

    model: str
    """The model as given or resolved: registered name, folder, hub id or GGUF file."""
    adapter: str | None
    """The PEFT adapter folder, or None."""
    backend: str
    """The generation backend (`slmbench.models.base.BACKEND_NAMES`)."""
    base_url: str | None
    """The server URL (openai backend), else None."""
    prompt_style: str
    """The prompt style used (`slmbench.prompts.PROMPT_STYLES`)."""
    prompt_style_source: str
    """Where it came from: `--prompt`, `train recipe` or `default`."""
    constrained: str | None
    """Schema-constrained decoding mode (`strict`, `lenient`), or None."""
    batch_size: int
    """Prompts per batch."""
    max_new_tokens: int
    """The cap on each row's token budget."""
    max_new_tokens_policy: str
    """How each row's budget was set, in words."""
    limit: int | None
    """Only the first N rows were evaluated (None: all)."""
    ids: str | None
    """The ids file that selected the rows (None: all)."""
    data: str
    """The dataset file."""
    schemas: str
    """The schema folder, or `packaged`."""
    schemas_sha256: str
    """A hash of the schema set (ids, tiers, contents)."""
    dtype: str | None
    """The requested weights dtype (None: the backend's default)."""
    device: str | None
    """The requested device (None: the backend's default)."""
    threads: int | None
    """The requested CPU threads (None: all cores)."""


class ModelRecord(TypedDict):
    """The model as the backend reported it."""

    name: str
    """The backend's name for the model."""
    params: int | None
    """Parameter count."""
    size_on_disk_bytes: int | None
    """Size of the weights on disk."""
    dtype: str | None
    """Weights dtype used."""
    device: str
    """Device used."""
    hardware: str
    """The CPU or GPU it ran on."""
    threads: int | None
    """CPU threads used."""
    trained_from: dict[str, Any] | None
    """The train recipe behind the model (an adapter's or full fine-tune's), else None."""
    backend_info: dict[str, Any]
    """Everything else the backend reported (paths, closing mode, grammar backend...)."""


class DatasetRecord(TypedDict):
    """The rows the run was scored on."""

    path: str
    """The dataset file."""
    sha256: str
    """What `slmbench compare` matches runs by: the file's sha256, or with --ids the
    selection's (file hash + ids)."""
    file_sha256: str
    """The sha256 of the dataset file itself."""
    ids: str | None
    """The ids file that selected the rows, or None."""
    n_rows: int
    """Rows scored."""


class Metrics(TypedDict):
    """The reported rates (claims point here, e.g. `metrics.by_tier.complex.json_exact`)."""

    overall: MetricTable
    """Over every row."""
    by_tier: dict[str, MetricTable]
    """Per complexity tier (simple, medium, complex, then any other)."""
    by_schema: dict[str, MetricTable]
    """Per schema id."""


class IntentTable(TypedDict):
    """EdgeIntent's rates over a group of queries."""

    accuracy: Interval
    """The predicted intent is the gold one (an invalid or unknown output is wrong)."""
    macro_f1: Interval
    """The mean of per-intent F1 over the intents among the gold and predicted labels (seeded
    bootstrap interval, recomputed per resample)."""
    known_label: Interval
    """The output names one of the label set's intents."""
    valid_json: Interval
    """A JSON value could be read from the output."""


class LabelScores(TypedDict):
    """One intent's scores."""

    f1: Interval
    """Per-intent F1 with its bootstrap interval."""
    precision: float | None
    """Queries predicted as this intent that are it (None: never predicted)."""
    recall: float | None
    """Queries of this intent predicted as it (None: none in the rows)."""
    support: int
    """Queries of this intent."""
    predicted: int
    """Queries predicted as this intent."""


class ConfusedPair(TypedDict):
    """A (gold, predicted) pair of different intents and how often it happened."""

    gold: str
    """The gold intent."""
    predicted: str
    """The intent predicted instead."""
    count: int
    """Queries so confused."""


class OutputCounts(TypedDict):
    """What the outputs were (each query counts once)."""

    label: int
    """An intent of the label set."""
    unknown_label: int
    """`{"intent": X}` with X outside the label set."""
    no_intent: int
    """Valid JSON without a string `intent`."""
    invalid_json: int
    """No JSON value could be read."""


class IntentMetrics(TypedDict):
    """EdgeIntent's `metrics` (claims point here, e.g. `metrics.overall.accuracy`)."""

    overall: IntentTable
    """Over every query."""
    by_label: dict[str, LabelScores]
    """Per gold or predicted intent, sorted by name."""
    confused_pairs: list[ConfusedPair]
    """The most frequent confusions, most frequent first."""
    outputs: OutputCounts
    """What the outputs were."""
    latency_ms: Quantiles
    """Latency per query (each prediction's `total_ms`), ms."""


class CallTable(TypedDict):
    """EdgeFuncCall's rates over a group of entries."""

    accuracy: Interval
    """Entries right by BFCL's AST rules, all or nothing per entry (the headline metric)."""
    well_formed: Interval
    """Outputs that are a JSON list of `{"name", "arguments"}` calls."""
    n: int
    """Entries."""


class CallErrorCounts(TypedDict):
    """Wrong entries showing each error kind (zeros included; an entry may show several; the
    order and names of `slmbench.eval.funccall_scoring.ERROR_KINDS`, read from here)."""

    invalid_json: int
    """No JSON value could be read from the output."""
    malformed_call: int
    """JSON, but not a list of `{"name": str, "arguments": object}`."""
    unknown_function: int
    """A call names no offered tool."""
    wrong_function: int
    """A call names an offered tool, not the expected one."""
    missing_parameter: int
    """A required parameter, or one the possible answer needs, is absent."""
    extra_parameter: int
    """A parameter outside the tool's schema or the possible answer."""
    wrong_type: int
    """A parameter of the wrong type (an integer for a float is not wrong)."""
    wrong_value: int
    """A parameter whose value is none of the acceptable ones."""
    extra_call: int
    """More calls than expected (any call on an irrelevance entry)."""
    missed_call: int
    """Fewer calls than expected (no call on a relevance entry)."""


class FuncCallMetrics(TypedDict):
    """EdgeFuncCall's `metrics` (claims point here, e.g. `metrics.overall.accuracy`)."""

    overall: CallTable
    """Over every entry."""
    by_category: dict[str, CallTable]
    """Per BFCL category (`simple`, `live_parallel`...), sorted by name."""
    errors: CallErrorCounts
    """Error kinds over every entry."""
    errors_by_category: dict[str, CallErrorCounts]
    """Error kinds per category."""


class Errors(TypedDict):
    """Error-kind counts."""

    overall: ErrorCounts
    """Over every row."""
    by_tier: dict[str, ErrorCounts]
    """Per complexity tier."""


class Latency(TypedDict):
    """Speed of the run (per-row figures from predictions.jsonl)."""

    ttft_ms: Quantiles
    """Time to first token, ms."""
    decode_tok_s: Quantiles
    """Decode speed of rows with more than one generated token, tokens/s."""
    ms_per_example: Quantiles
    """End-to-end time per row, ms."""
    prompt_tokens: Quantiles
    """Prompt lengths in tokens (characters without a tokenizer)."""
    generated_tokens: Quantiles
    """Generated tokens per row."""
    generated_tokens_total: int
    """Generated tokens over the run."""
    throughput_tok_s: float | None
    """Generated tokens per second of generation wall time."""
    hit_limit: int
    """Rows that reached their token budget."""
    closed: NotRequired[int]
    """Of those, the constrained rows closed so that they validate (prediction `stop` is
    `closed`: closing mode, `slmbench.constrain.closing`; absent in runs before it was counted)."""
    peak_rss_mb: float
    """Peak resident memory of the process that wrote the file, MB."""
    wall_s: float
    """Generation wall time summed over every session of a resumed run, s."""
    session_wall_s: float
    """Generation wall time of the session that wrote the file, s."""


class ResultsJson(TypedDict):
    """An eval run's `results.json`."""

    schema_version: int
    """`RESULTS_SCHEMA_VERSION` of the writer."""
    kind: Literal["eval"]
    """Always `eval` (bench and train files say `bench`, `train`)."""
    name: NotRequired[str]
    """The run's name (`slmbench eval --name`, default the run folder's basename); reports and
    model cards label the run with it."""
    task: NotRequired[str]
    """The task the rows belong to (`DEFAULT_TASK`)."""
    created: str
    """When the file was written (ISO 8601, UTC)."""
    git_hash: str
    """The commit of the code that wrote it (`unknown` outside a repository)."""
    git_dirty: bool | None
    """Whether tracked files differed from that commit (None outside a repository)."""
    git_diff_sha256: NotRequired[str | None]
    """sha256 of `git diff HEAD` when dirty (with git_hash it pins the code), else None."""
    versions: dict[str, str]
    """Python and the package versions that shape results."""
    config: EvalConfig
    """What the run was asked to do."""
    model: ModelRecord
    """The model as the backend reported it."""
    host: dict[str, Any]
    """The machine: cpu, logical_cpus, physical_cpus, memory_gb, machine, system."""
    dataset: DatasetRecord
    """The rows scored."""
    metrics: Metrics
    """The rates, overall, per tier and per schema."""
    errors: Errors
    """Error-kind counts, overall and per tier."""
    parse_paths: dict[str, int]
    """Rows per parse path: strict (the whole output parsed), extracted (a JSON span in it),
    failed."""
    constrained_status: dict[str, int]
    """Rows per constrained-decoding status the backend reported (`off` when unconstrained)."""
    grammar_relaxations: NotRequired[dict[str, list[dict[str, str]]]]
    """Per schema id, what the decoding grammar left out of the schema (each `{"pointer",
    "keyword", "action"}`: `slmbench.constrain.schema_check.Relaxation`), for the schemas of
    rows decoded under the transformers backend's llguidance grammar (status `on`) that only
    compile relaxed; `{}` when none (unconstrained runs and other backends included). Those
    rows' `schema_valid` still checks the full schema."""
    latency: Latency
    """Speed of the run."""
    n: int
    """Rows scored."""
    n_by_tier: dict[str, int]
    """Rows per complexity tier."""
    n_by_schema: dict[str, int]
    """Rows per schema id."""


TASK_METRICS: dict[str, Any] = {
    DEFAULT_TASK: Metrics,
    "edgeintent": IntentMetrics,
    "edgefunccall": FuncCallMetrics,
}
"""The `metrics` layout of each task (a task not listed is not checked below `metrics`)."""


def keys(kind: type) -> tuple[frozenset[str], frozenset[str]]:
    """(required, optional) keys of a TypedDict of this contract.

    >>> required, optional = keys(ResultsJson)
    >>> sorted(optional)
    ['git_diff_sha256', 'grammar_relaxations', 'name', 'task']
    """
    return frozenset(kind.__required_keys__), frozenset(kind.__optional_keys__)


def problems(value: Any, kind: Any = ResultsJson, where: str = "results.json") -> list[str]:
    """Where `value` breaks the contract: missing or unknown keys, at any depth, e.g.
    `results.json.metrics.overall: missing key 'json_exact'`. Leaf types are not checked.

    >>> problems({"value": 0.5, "ci_low": 0.4}, Interval, "x")
    ["x: missing key 'ci_high'"]
    """
    if typing.is_typeddict(kind):
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        required, optional = keys(kind)
        found = [f"{where}: missing key {k!r}" for k in sorted(required - value.keys())]
        found += [f"{where}: unknown key {k!r}" for k in sorted(value.keys() - required - optional)]
        hints = typing.get_type_hints(kind)
        if kind is ResultsJson:
            hints["metrics"] = TASK_METRICS.get(value.get("task", DEFAULT_TASK), Any)
        for key in sorted(value.keys() & hints.keys()):
            found += problems(value[key], _strip(hints[key]), f"{where}.{key}")
        return found
    if typing.get_origin(kind) is dict and isinstance(value, dict):
        inner = typing.get_args(kind)[1]
        return [p for k, v in value.items() for p in problems(v, inner, f"{where}.{k}")]
    if typing.get_origin(kind) is list and isinstance(value, list):
        inner = typing.get_args(kind)[0]
        return [p for i, v in enumerate(value) for p in problems(v, inner, f"{where}[{i}]")]
    return []


def _strip(kind: Any) -> Any:
    return typing.get_args(kind)[0] if typing.get_origin(kind) is NotRequired else kind
