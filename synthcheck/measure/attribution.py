"""Column attribution and record reasons: which columns carry an attack's success.

In the encoding (``encode``) a squared distance is a sum over the audited columns' blocks, so
"the same distance with column c left out" is the full squared distance minus c's block. For a
sample of candidates (stratified by membership) the K nearest synthetic rows and the K nearest
reference rows (cross-fitted, as the attacks use them) are found once under the full encoding;
with column c left out, a candidate's closest row is taken among those K. That is exact
whenever the K-th full distance, less the most column c could contribute for this candidate
(triangle inequality on c's block), is still beyond the closest row found: then no row outside
the K can become closer. The share of candidates where this proof holds is reported
(``exact_share``); where it fails the leave-out distance is an upper bound.

Every attack that scores from distances alone (``Attack.score_from_view``) is re-scored per
column on the same records; the attack's AUC with every column minus its AUC without c, with
DeLong's paired interval at a Bonferroni level over columns and attacks, is c's share of the
success. A column "stands out" only when that interval lies above 0, so chance differences are
not ranked as causes. Kernel densities (density-ratio's kde) are summed over the same K rows,
for the full encoding as for each leave-out, so both sides of the difference are alike.
An attack that does not score from distances may re-score itself without each column its own
way (``Attack.leave_one_out_scores``): query-match drops every query that reads the column, on
the same records, which is exact (``exact_share`` 1). Attacks that read more than distances and
cannot (a classifier, shadow fits: a re-fit per column) are listed as not attributed, with why.

``record_reasons`` answers "why is this record at risk" for the data owner: which columns of
a record its closest synthetic row matches exactly or within a tenth of a standard deviation,
and its distances to the closest synthetic and reference rows.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from synthcheck.attacks.base import Attack, AttackInputs, NeighbourView
from synthcheck.distance.leave_out import column_squares, most_added
from synthcheck.distance.neighbours import nearest
from synthcheck.inputs.columns import CATEGORICAL
from synthcheck.measure import stats
from synthcheck.support.randomness import rng as rng_for

NEIGHBOURS = 32  # rows kept per candidate, synthetic and reference
RECORDS_PER_GROUP = 5_000  # members and non-members scored for attribution, at most
NEAR_SD = 0.1  # a number within this many standard deviations "nearly matches"


METHOD = ("AUC drop when the column is left out of the encoding: the attack re-scored on the "
          "same records from their nearest rows without the column, DeLong paired interval; "
          "a column stands out when the interval lies above 0")


@dataclass(frozen=True)
class ColumnEffect:
    """One column's share of one attack's success on the attribution sample."""

    column: str
    auc_without: float
    auc_drop: stats.Interval  # AUC with every column minus AUC without this one (paired)
    exact_share: float  # candidates whose leave-out distances are proven exact
    stands_out: bool  # the paired interval lies above 0


@dataclass(frozen=True)
class AttackAttribution:
    auc: float  # on the attribution sample, every column
    columns: tuple[ColumnEffect, ...]  # largest drop first
    driving_columns: tuple[str, ...]  # those that stand out, largest drop first

    @property
    def driving(self) -> list[ColumnEffect]:
        """The columns that stand out, largest drop first."""
        return [effect for effect in self.columns if effect.stands_out]


@dataclass(frozen=True)
class AttributedRecords:
    members: int
    non_members: int
    sampled: bool  # a random sample of the scored records, not all of them


@dataclass(frozen=True)
class ColumnAttribution:
    """Every attributed attack's columns, and why the others were not attributed."""

    method: str
    records: AttributedRecords
    neighbours: int  # nearest synthetic and reference rows kept per record
    level: float  # of each paired interval (Bonferroni over columns x attacks)
    attacks: dict[str, AttackAttribution]
    not_attributed: dict[str, str]  # attack -> why

    def to_json(self) -> dict:
        """results.json's ``column_attribution`` block (plain values)."""
        def plain(value):
            if isinstance(value, (ColumnEffect, AttackAttribution, AttributedRecords,
                                  stats.Interval)):
                return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            return value

        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}


def sample_records(is_member: np.ndarray, per_group: int, seed: int) -> np.ndarray:
    """Candidate positions for attribution: up to ``per_group`` members and as many
    non-members, drawn at random (sorted)."""
    rng = rng_for(seed, "attribution")
    chosen = []
    for group in (np.flatnonzero(is_member), np.flatnonzero(~is_member)):
        chosen.append(group if len(group) <= per_group
                      else rng.choice(group, per_group, replace=False))
    return np.sort(np.concatenate(chosen))


@dataclass
class _Leaveout:
    """Per candidate and column: the closest distance with that column left out, its kernel
    log-sum over the K rows, and whether the distance is proven exact."""

    full: np.ndarray  # (n,) closest distance, every column
    full_log_kernel: np.ndarray | None  # (n,)
    without: np.ndarray  # (n, columns)
    log_kernel: np.ndarray | None  # (n, columns)
    exact: np.ndarray  # (n, columns) bool


def _leave_out(query: np.ndarray, base: np.ndarray, k: int, starts: np.ndarray,
               bandwidth: float | None, groups=None, prepared=None) -> _Leaveout:
    found = nearest(query, base, min(k, len(base)), groups=groups, prepared=prepared)
    squares = column_squares(query, base, found.indices, starts)  # (n, k, p)
    full2 = np.where(found.indices >= 0, squares.sum(axis=2, dtype=np.float64), np.inf)
    most = most_added(query, base, starts)
    kth = full2[:, -1]
    everything = found.indices.shape[1] >= len(base)  # every row was considered
    columns = len(starts)
    without = np.empty((len(query), columns))
    exact = np.empty((len(query), columns), dtype=bool)
    log_kernel = np.empty((len(query), columns)) if bandwidth else None
    for c in range(columns):
        rest2 = np.maximum(full2 - squares[:, :, c], 0.0)
        closest2 = rest2.min(axis=1)
        without[:, c] = np.sqrt(closest2)
        exact[:, c] = everything | (closest2 <= kth - most[:, c])
        if log_kernel is not None:
            log_kernel[:, c] = _log_kernel_sum(rest2, bandwidth)
    full = np.sqrt(full2.min(axis=1))
    return _Leaveout(full, _log_kernel_sum(full2, bandwidth) if bandwidth else None,
                     without, log_kernel, exact)


def _log_kernel_sum(squared: np.ndarray, bandwidth: float) -> np.ndarray:
    terms = -squared / (2.0 * bandwidth**2)
    top = terms.max(axis=1)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(top),
                        safe + np.log(np.exp(terms - safe[:, None]).sum(axis=1)), -np.inf)


def attribute_columns(attacks: list[Attack] | tuple[Attack, ...], inputs: AttackInputs,
                      confidence: float = 0.95,
                      records_per_group: int = RECORDS_PER_GROUP,
                      neighbours: int = NEIGHBOURS) -> ColumnAttribution:
    """Each audited column's share of each distance-based attack's success (module doc)."""
    blocks = inputs.encoder.column_blocks()
    names = [name for name, _ in blocks]
    starts = np.array([block.start for _, block in blocks])
    sample = sample_records(inputs.is_member, records_per_group, inputs.seed)
    is_member = inputs.is_member[sample]
    query = inputs.encoded_candidates[sample]
    bandwidth = inputs.kde_bandwidth
    # the cells of the audit's own pruned searches, when it made them (else made once here)
    synthetic = _leave_out(query, inputs.encoded_synthetic, neighbours, starts, bandwidth,
                           prepared=inputs.prepared_synthetic())
    holdout, base_fold = inputs._reference_groups()
    fold = inputs.folds.candidate_fold[sample]
    same_pool = inputs.extra_reference_rows == 0  # then the pool is these holdout rows
    reference = _leave_out(query, inputs.encoded_candidates[holdout], neighbours, starts,
                           bandwidth, groups=(fold, base_fold),
                           prepared=inputs.prepared_reference() if same_pool else None)
    log_rows = np.log(len(inputs.encoded_synthetic))
    sizes = len(holdout) - np.bincount(base_fold[base_fold >= 0], minlength=inputs.folds.count)
    log_sizes = np.log(sizes[fold])

    def view(column: int | None) -> NeighbourView:
        if column is None:
            density = (None if bandwidth is None else
                       (synthetic.full_log_kernel - log_rows,
                        reference.full_log_kernel - log_sizes))
            return NeighbourView(synthetic.full, reference.full,
                                 *(density or (None, None)), bandwidth)
        density = (None if bandwidth is None else
                   (synthetic.log_kernel[:, column] - log_rows,
                    reference.log_kernel[:, column] - log_sizes))
        return NeighbourView(synthetic.without[:, column], reference.without[:, column],
                             *(density or (None, None)), bandwidth)

    full_view = view(None)
    scorable, own_way, not_attributed = {}, {}, {}
    for attack in attacks:
        scores = attack.score_from_view(full_view, inputs)
        if scores is not None:
            scorable[attack] = np.asarray(scores, dtype=np.float64)
            continue
        left_out = attack.leave_one_out_scores(inputs, sample)
        if left_out is None:
            not_attributed[attack.name] = attack.why_not_attributed()
        else:  # an attack that re-scores itself without each column (query-match)
            own_way[attack] = left_out
            scorable[attack] = np.asarray(left_out[0], dtype=np.float64)
    level = stats.bonferroni_level(confidence, max(1, len(names) * len(scorable)))
    exact = synthetic.exact & reference.exact
    found = {}
    for attack, full_scores in scorable.items():
        auc = stats.roc_auc(full_scores[is_member], full_scores[~is_member]).value
        effects = []
        for c, name in enumerate(names):
            if attack in own_way:  # exact by construction: nothing approximated
                scores, proven = np.asarray(own_way[attack][1][name], dtype=np.float64), 1.0
            else:
                scores = np.asarray(attack.score_from_view(view(c), inputs), dtype=np.float64)
                proven = float(exact[:, c].mean())
            scores = np.where(np.isnan(scores), -np.inf, scores)
            drop = stats.paired_auc_difference(full_scores[is_member], full_scores[~is_member],
                                               scores[is_member], scores[~is_member], level)
            effects.append(ColumnEffect(name, float(auc - drop.value), drop,
                                        proven, bool(drop.low > 0.0)))
        effects.sort(key=lambda e: (-e.auc_drop.value, e.column))
        found[attack.name] = AttackAttribution(
            float(auc), tuple(effects), tuple(e.column for e in effects if e.stands_out))
    records = AttributedRecords(int(is_member.sum()), int((~is_member).sum()),
                                len(sample) < len(inputs.is_member))
    return ColumnAttribution(METHOD, records, neighbours, level, found, not_attributed)


def record_reasons(inputs: AttackInputs) -> dict[str, np.ndarray]:
    """Per candidate, for records.parquet: the columns its closest synthetic row matches
    exactly and within ``NEAR_SD`` standard deviations (numbers), comma-separated, and its
    distances to the closest synthetic and the closest reference row."""
    blocks = inputs.encoder.column_blocks()
    names = np.array([name for name, _ in blocks], dtype=object)
    starts = np.array([block.start for _, block in blocks])
    closest = inputs.synthetic_neighbours()
    squares = column_squares(inputs.encoded_candidates, inputs.encoded_synthetic,
                             closest.indices[:, :1], starts)[:, 0, :]
    categorical = np.array([inputs.types.kinds[name] == CATEGORICAL for name in names])
    # a number's block is (value - mean) / (sqrt 2 sd): NEAR_SD sds are NEAR_SD / sqrt 2 units
    near_limit = (NEAR_SD / np.sqrt(2.0)) ** 2
    exact = squares == 0.0
    near = ~exact & ~categorical[None, :] & (squares <= near_limit)
    return {
        "matches_exactly": _joined(exact, names),
        "matches_nearly": _joined(near, names),
        "matched_columns_share": exact.mean(axis=1),
        "distance_to_synthetic": closest.distances[:, 0],
        "distance_to_reference": inputs.reference_neighbours().distances[:, 0],
    }


def _joined(mask: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Comma-separated names where ``mask`` is set, per row (shared strings for equal rows).
    Up to 63 columns a row's pattern is one integer, grouped by hashing (sorting the packed
    rows took most of writing the records); a row's text depends on its own pattern only."""
    if len(names) < 64:
        import pandas as pd

        bits = np.left_shift(np.int64(1), np.arange(len(names), dtype=np.int64))
        inverse, keys = pd.factorize(mask.astype(np.int64) @ bits)
        patterns = (np.asarray(keys)[:, None] & bits[None, :]) != 0
        texts = [", ".join(names[pattern]) for pattern in patterns]
        return np.array(texts, dtype=object)[inverse]
    patterns, inverse = np.unique(np.packbits(mask, axis=1), axis=0, return_inverse=True)
    texts = [", ".join(names[np.unpackbits(p)[:len(names)].astype(bool)]) for p in patterns]
    return np.array(texts, dtype=object)[np.asarray(inverse).ravel()]
