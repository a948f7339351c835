"""Data drift: per-feature statistics of collected inputs against a baseline's profile.

The baseline (a pandas DataFrame, or a dataset: anything with ``to_pandas_dataframe()``) is
reduced to a *profile*: for each numeric feature the edges of ``bins`` quantile bins and the
baseline's counts in them, for each other feature its category counts. Collected data is
reduced to counts over the same bins, file by file (cached, so a later report only reads the
files that arrived since: incremental, and seconds for millions of rows). Then, per feature:

- numeric: the two-sample Kolmogorov-Smirnov statistic ``D`` over the binned distribution
  functions (the largest gap between the two CDFs at the bin edges) with its asymptotic
  p-value, and the population stability index (PSI);
- categorical: the chi-squared test of homogeneity of the two count vectors, and PSI.

A feature drifted when the p-value is below ``alpha`` (0.05) *and* the effect is at least its
threshold (``ks_threshold`` 0.1 for D, ``psi_threshold`` 0.2 for categorical PSI): large
samples make tiny differences significant, the effect size keeps them from counting.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import UserErrorException

DEFAULT_BINS = 20
MAX_CATEGORIES = 100
OTHER = "__other__"
_EPS = 1e-4


def baseline_frame(baseline: Any) -> Any:
    """A DataFrame from a DataFrame or a dataset (``to_pandas_dataframe()``)."""
    import pandas as pd

    if isinstance(baseline, pd.DataFrame):
        return baseline
    to_frame = getattr(baseline, "to_pandas_dataframe", None)
    if callable(to_frame):
        return to_frame()
    raise UserErrorException(f"A drift baseline is a pandas DataFrame or a tabular dataset, "
                             f"got {type(baseline).__name__}")


def _is_numeric(series: Any) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


@dataclass
class FeatureProfile:
    name: str
    kind: str  # numeric | categorical
    edges: list[float] = field(default_factory=list)  # numeric: inner bin edges
    categories: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    def bin_counts(self, values: Any) -> list[int]:
        import numpy as np
        import pandas as pd

        if self.kind == "numeric":
            numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
            numbers = numbers[np.isfinite(numbers)]
            index = np.searchsorted(np.asarray(self.edges, dtype=float), numbers, side="right")
            return np.bincount(index, minlength=len(self.edges) + 1).tolist()
        text = pd.Series(values).dropna().astype(str)
        known = {c: i for i, c in enumerate(self.categories)}
        counts = [0] * len(self.categories)
        for value, count in text.value_counts().items():
            counts[known.get(value, known[OTHER])] += int(count)
        return counts


@dataclass
class Profile:
    features: dict[str, FeatureProfile]

    @classmethod
    def of(cls, frame: Any, bins: int = DEFAULT_BINS,
           features: list[str] | None = None) -> Profile:
        import numpy as np

        if bins < 2:
            raise UserErrorException("bins must be at least 2")
        names = list(frame.columns) if features is None else list(features)
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise UserErrorException(f"The baseline has no column(s) {missing}")
        if len(frame) == 0:
            raise UserErrorException("The drift baseline has no rows")
        found: dict[str, FeatureProfile] = {}
        for name in names:
            column = frame[name]
            if _is_numeric(column):
                values = column.to_numpy(dtype=float)
                values = values[np.isfinite(values)]
                if values.size == 0:
                    continue
                quantiles = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
                profile = FeatureProfile(str(name), "numeric",
                                         edges=sorted(set(float(q) for q in quantiles)))
            else:
                top = column.dropna().astype(str).value_counts().index[:MAX_CATEGORIES]
                profile = FeatureProfile(str(name), "categorical",
                                         categories=[*map(str, top), OTHER])
            profile.counts = profile.bin_counts(column)
            found[str(name)] = profile
        return cls(found)

    def digest(self) -> str:
        data = {n: (f.kind, f.edges, f.categories) for n, f in sorted(self.features.items())}
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]

    def counts_of(self, frame: Any) -> dict[str, list[int]]:
        return {name: feature.bin_counts(frame[name]) for name, feature in
                self.features.items() if name in frame.columns}


def _psi(base: list[int], current: list[int]) -> float:
    nb, nc = sum(base), sum(current)
    total = 0.0
    for b, c in zip(base, current, strict=True):
        pb, pc = max(b / nb, _EPS), max(c / nc, _EPS)
        total += (pc - pb) * math.log(pc / pb)
    return total


def _ks(base: list[int], current: list[int]) -> tuple[float, float]:
    from scipy.special import kolmogorov

    nb, nc = sum(base), sum(current)
    cb = cc = 0.0
    statistic = 0.0
    for b, c in zip(base, current, strict=True):
        cb += b / nb
        cc += c / nc
        statistic = max(statistic, abs(cb - cc))
    effective = math.sqrt(nb * nc / (nb + nc))
    # Stephens' small-sample correction of the asymptotic distribution.
    p_value = float(kolmogorov((effective + 0.12 + 0.11 / effective) * statistic))
    return statistic, min(1.0, max(0.0, p_value))


def _chi2(base: list[int], current: list[int]) -> tuple[float, float]:
    from scipy.stats import chi2_contingency

    columns = [i for i, (b, c) in enumerate(zip(base, current, strict=True)) if b + c > 0]
    if len(columns) < 2:
        return 0.0, 1.0
    table = [[base[i] for i in columns], [current[i] for i in columns]]
    statistic, p_value, _dof, _expected = chi2_contingency(table)
    return float(statistic), float(p_value)


@dataclass
class DriftReport:
    """Per-feature results; ``drifted`` is True when any feature drifted."""

    features: list[dict[str, Any]]
    rows_baseline: int
    rows_current: int
    files_read: int = 0
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return any(f["drifted"] for f in self.features)

    @property
    def drifted_features(self) -> list[str]:
        return [f["feature"] for f in self.features if f["drifted"]]

    def to_dict(self) -> dict[str, Any]:
        return {"drifted": self.drifted, "drifted_features": self.drifted_features,
                "rows_baseline": self.rows_baseline, "rows_current": self.rows_current,
                "thresholds": self.thresholds, "features": self.features}

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.features)


def compare(profile: Profile, counts: dict[str, list[int]], *, alpha: float = 0.05,
            ks_threshold: float = 0.1, psi_threshold: float = 0.2) -> DriftReport:
    results = []
    rows_current = 0
    for name, feature in profile.features.items():
        current = counts.get(name)
        base = feature.counts
        if not current or sum(current) == 0 or sum(base) == 0:
            results.append({"feature": name, "type": feature.kind, "test": None,
                            "statistic": None, "p_value": None, "psi": None,
                            "drifted": False, "n_baseline": sum(base),
                            "n_current": sum(current or [])})
            continue
        rows_current = max(rows_current, sum(current))
        psi = _psi(base, current)
        if feature.kind == "numeric":
            statistic, p_value = _ks(base, current)
            drifted = p_value < alpha and statistic >= ks_threshold
            test = "ks"
        else:
            statistic, p_value = _chi2(base, current)
            drifted = p_value < alpha and psi >= psi_threshold
            test = "chi2"
        results.append({"feature": name, "type": feature.kind, "test": test,
                        "statistic": statistic, "p_value": p_value, "psi": psi,
                        "drifted": bool(drifted), "n_baseline": sum(base),
                        "n_current": sum(current)})
    rows_baseline = max((sum(f.counts) for f in profile.features.values()), default=0)
    return DriftReport(results, rows_baseline, rows_current, thresholds={
        "alpha": alpha, "ks_threshold": ks_threshold, "psi_threshold": psi_threshold})


def drift_report(baseline: Any, current: Any, *, features: list[str] | None = None,
                 bins: int = DEFAULT_BINS, **thresholds: float) -> DriftReport:
    """Drift of ``current`` (a DataFrame or dataset) against ``baseline``."""
    profile = Profile.of(baseline_frame(baseline), bins, features)
    return compare(profile, profile.counts_of(baseline_frame(current)), **thresholds)


# --------------------------------------------------------------------------- collected data
_file_counts: dict[tuple[str, str, int, str], dict[str, list[int]]] = {}
_CACHE_LIMIT = 100_000


def _frame_of_requests(frame: Any, columns: list[str]) -> Any:
    """Rows of the requests' JSON bodies (``{"data": [[...], ...]}``, lists of dicts, ...)."""
    import pandas as pd

    from ..execution.serving.collect import rows_of

    rows: list[dict[str, Any]] = []
    for body in frame["request"].dropna():
        try:
            data = json.loads(body)
        except ValueError:
            continue
        rows.extend(rows_of(data, columns))
    return pd.DataFrame(rows)


def _window(path: str) -> tuple[float, float] | None:
    """The (first, last) times in epoch seconds named by a collected file."""
    parts = path.rsplit("/", 1)[-1].split("_")
    try:
        return int(parts[0]) / 1000.0, int(parts[1]) / 1000.0
    except (IndexError, ValueError):
        return None


def collected_inputs_drift(store: Any, run_id: str, baseline: Any, *,
                           features: list[str] | None = None, since: float | None = None,
                           until: float | None = None, bins: int = DEFAULT_BINS,
                           designation: str | None = None, **thresholds: float) -> DriftReport:
    """Drift of a service's collected inputs (its ``ModelDataCollector`` designation
    ``inputs``, else the sampled request bodies) in ``[since, until]`` against ``baseline``."""
    import pandas as pd

    from ..execution.serving.collect import DATA_PREFIX

    frame = baseline_frame(baseline)
    profile = Profile.of(frame, bins, features)
    digest = profile.digest()
    artifacts = store.list_artifacts(run_id, prefix=f"{DATA_PREFIX}/")
    designations = {a.path.split("/")[1] for a in artifacts if a.path.count("/") >= 3}
    chosen = designation or ("inputs" if "inputs" in designations else "requests")
    totals: dict[str, list[int]] = {}
    files = 0
    for artifact in sorted(artifacts, key=lambda a: a.path):
        if not artifact.path.startswith(f"{DATA_PREFIX}/{chosen}/") or \
                not artifact.path.endswith(".parquet"):
            continue
        window = _window(artifact.path)
        if window is not None and ((since is not None and window[1] < since)
                                   or (until is not None and window[0] > until)):
            continue
        key = (run_id, artifact.path, artifact.size, digest)
        counts = _file_counts.get(key)
        if counts is None:
            with store.open_artifact(run_id, artifact.path) as handle:
                data = pd.read_parquet(handle)
            if chosen == "requests":
                data = _frame_of_requests(data, list(profile.features))
            counts = profile.counts_of(data)
            if len(_file_counts) >= _CACHE_LIMIT:
                _file_counts.clear()
            _file_counts[key] = counts
        files += 1
        for name, values in counts.items():
            total = totals.setdefault(name, [0] * len(values))
            for i, value in enumerate(values):
                total[i] += value
    report = compare(profile, totals, **thresholds)
    report.files_read = files
    return report


__all__ = ["DriftReport", "Profile", "baseline_frame", "collected_inputs_drift", "compare",
           "drift_report"]
