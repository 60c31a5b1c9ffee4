"""Why the tail check misses some of benchmarks/tail_leak.py's near-copies: each copied member
placed in a class, and which attacks flag it.

    python -m benchmarks.tail_breakdown [--tables gss_wages,flchain,star] [--seeds 3]
        [--extra local-lr,neighbourhood-ratio] [--loo] [--noise value|sd]

For each table and seed the release is tail_leak's (30 near-copies of 1,500 members, 1,470
other real records). For each copied member, in the audit's encoding (fitted on the release):

* exact: its copy equals it on every audited column (after rounding and type coercion);
* common: its row has an exact duplicate among the holdout or population records (then no
  release can show that it, rather than its twin, was a member);
* closer: its copy is strictly nearer to it than the nearest holdout or population record is
  (a copy no nearer than a natural twin cannot be told from one);
* under the cut: its copy is nearer than the dcr threshold at FPR 0.1 % (the distance to the
  release of the second-nearest non-member: no attack reading distance to the release alone
  could flag it otherwise);
* flagged: by each attack at FPR 0.1 % (the audit's records); "tail" = flagged by any attack
  the default tail check reads.

It also prints, per table, the columns that carry most of the copies' squared distance, and
how far each copy moved in each numeric column in units of the column's sd (the noise is
multiplicative, so a column of large values with a small spread, a calendar year or a code,
moves by many sds). Counts and column names only, never a value.
"""
from __future__ import annotations

import argparse
import os
from collections import Counter

import numpy as np

from benchmarks.tail_leak import corpus, tail_release_parts

CLASSES = ("exact", "common", "closer", "under_cut", "closer_without_top_column")


def _nearest_distance(query: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Euclidean distance of each query row to its nearest base row (the audit's search)."""
    from synthcheck.distance.neighbours import nearest

    return nearest(query, base, 1).distances[:, 0]


def _per_column(query: np.ndarray, base: np.ndarray, blocks) -> np.ndarray:
    """(queries, base, columns): squared distance of every pair on each column's block."""
    return np.stack([((query[:, None, b] - base[None, :, b]) ** 2).sum(axis=2)
                     for _, b in blocks], axis=2)


def leave_one_out_scores(query: np.ndarray, base: np.ndarray, blocks) -> np.ndarray:
    """Minus the smallest squared distance to a base row on every column but one (the
    column left out chosen per pair: the one that adds most), brute force."""
    out = np.empty(len(query))
    for start in range(0, len(query), 64):
        per_column = _per_column(query[start:start + 64], base, blocks)
        out[start:start + 64] = -(per_column.sum(axis=2) - per_column.max(axis=2)).min(axis=1)
    return out


def leave_one_out_each(query: np.ndarray, base: np.ndarray, blocks,
                       skip: np.ndarray | None = None) -> np.ndarray:
    """(queries, columns): the smallest distance to a base row on every column but c, for
    each c; ``skip[i]``: a base row query i may not use (itself), -1 for none."""
    out = np.empty((len(query), len(blocks)))
    for start in range(0, len(query), 64):
        per_column = _per_column(query[start:start + 64], base, blocks)
        without = per_column.sum(axis=2, keepdims=True) - per_column
        if skip is not None:
            own = skip[start:start + 64]
            rows = np.flatnonzero(own >= 0)
            without[rows, own[rows], :] = np.inf
        out[start:start + 64] = np.sqrt(np.maximum(without.min(axis=1), 0.0))
    return out


def tail_of(scores: np.ndarray, is_member: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Members flagged at FPR 0.1 % by ``scores`` (the audit's rule) and the beta-binomial
    p-value of that many."""
    from synthcheck.measure import stats

    non = scores[~is_member]
    threshold = stats.threshold_at_fpr(non, 0.001)
    flagged = scores >= threshold if threshold is not None else np.zeros(len(scores), bool)
    budget = stats.allowed_false_positives(len(non), 0.001)
    hits = int(flagged[is_member].sum())
    return flagged, hits, stats.beta_binomial_sf(hits, int(is_member.sum()), budget + 1.0,
                                                 float(len(non) - budget))


def breakdown(table: str, seed: int, extra: list[str], share: float = 0.02,
              loo: bool = False, noise: str = "value") -> dict:
    import synthcheck
    from synthcheck.attacks import DEFAULT_ATTACKS, REGISTRY
    from synthcheck.auditing import pipeline
    from synthcheck.distance.encode import MixedEncoder
    from synthcheck.inputs.columns import coerce_table
    from synthcheck.inputs.load import load_table
    from synthcheck.inputs.rows import row_hashes

    # the owner's extras (column attribution, EDPB risks) change no figure read here
    pipeline.attribute = lambda plan, parameters: None
    pipeline.assess_edpb = lambda plan, parameters, say=None: None
    tables = corpus(table)
    release, chosen, at = tail_release_parts(tables, share, seed, noise)
    attacks = list(DEFAULT_ATTACKS) + extra
    found = synthcheck.audit(tables["train"], tables["holdout"], synthetic=release, seed=seed,
                             attacks=attacks)
    types = found.types
    typed = {name: coerce_table(load_table(frame, name), types)
             for name, frame in (("train", tables["train"]), ("holdout", tables["holdout"]),
                                 ("population", tables["population"]), ("synthetic", release))}
    missing = {c for c in types.columns
               if any(typed[name][c].isna().any() for name in ("train", "holdout", "synthetic"))}
    encoder = MixedEncoder(types).fit(typed["synthetic"], missing)
    encoded = {name: encoder.transform(frame).astype(np.float64) for name, frame in typed.items()}
    members, copies = encoded["train"][chosen], encoded["synthetic"][at]
    to_copy = np.sqrt(((members - copies) ** 2).sum(axis=1))
    others = np.vstack([encoded["holdout"], encoded["population"]])
    to_other = _nearest_distance(members, others)
    # dcr's cut at FPR 0.1 %: the (budget + 1)-th nearest non-member to the release
    non_member_dcr = np.sort(_nearest_distance(encoded["holdout"], encoded["synthetic"]))
    budget = int(np.floor(len(non_member_dcr) * 0.001 * (1 + 1e-9)))
    cut = non_member_dcr[budget]
    hashes = {name: row_hashes(frame) for name, frame in typed.items()}
    exact = hashes["train"][chosen] == hashes["synthetic"][at]
    common = np.isin(hashes["train"][chosen], np.r_[hashes["holdout"], hashes["population"]])
    classes = {"exact": exact, "common": common, "closer": to_copy < to_other,
               "under_cut": to_copy < cut}
    # diagnostic: with the one column carrying most of each copy's distance left out, is the
    # copy nearer than every other real record (on the same columns)?
    blocks = encoder.column_blocks()
    copy_parts = np.stack([((members[:, b] - copies[:, b]) ** 2).sum(axis=1)
                           for _, b in blocks], axis=1)  # (copies, columns)
    other_parts = _per_column(members, others, blocks)  # (copies, others, columns)
    top = copy_parts.argmax(axis=1)
    rows = np.arange(len(top))
    without_copy = copy_parts.sum(axis=1) - copy_parts[rows, top]
    without_other = (other_parts.sum(axis=2) - other_parts[rows, :, top]).min(axis=1)
    classes["closer_without_top_column"] = without_copy < without_other
    top_columns = Counter(blocks[i][0] for i in top)
    records = found.records
    # records name each member by its row in train (1-based); a member the audit dropped
    # (its row also a holdout row) is counted as not flagged
    copied_rows = records[records["member"]].set_index("row").reindex(chosen + 1)
    tail_attacks = [name for name, attack in found.results.attacks.items()
                    if name in DEFAULT_ATTACKS and REGISTRY[name].checked_by_limits]
    flags = {name: copied_rows[f"flagged_{name}"].fillna(False).to_numpy(bool)
             for name in found.results.attacks}
    flags["tail"] = np.any([flags[name] for name in tail_attacks], axis=0)
    figures = {name: (attack.flagged.members, attack.flagged.expected_by_chance.members,
                      attack.flagged.p_value)
               for name, attack in found.results.attacks.items()
               if attack.flagged is not None and attack.flagged.p_value is not None}
    # which columns carry the copies' squared distance, and how far numbers moved (in sd)
    carried = {name: float(((members[:, cut_] - copies[:, cut_]) ** 2).sum(axis=1).mean())
               for name, cut_ in blocks}
    moved = {}
    for name in types.columns:
        column = typed["train"][name]
        if column.dtype.kind != "f":
            continue
        spread = float(typed["synthetic"][name].std())
        if spread > 0:
            step = np.abs(column.to_numpy()[chosen] - typed["synthetic"][name].to_numpy()[at])
            moved[name] = float(np.nanmedian(step) / spread)
    loo_figures = None
    if loo:  # diagnostic: dcr on every column but one, the tail's rule
        candidates = np.vstack([encoded["train"], encoded["holdout"]])
        is_member = np.r_[np.ones(len(encoded["train"]), bool),
                          np.zeros(len(encoded["holdout"]), bool)]
        flagged, hits, p = tail_of(leave_one_out_scores(candidates, encoded["synthetic"], blocks),
                                   is_member)
        loo_figures = (hits, int(flagged[:len(encoded["train"])][chosen].sum()), p)
        # the same, calibrated like dcr-ratio: per column left out, the distance to the
        # release over the distance to the holdout (a holdout record without itself), the
        # smallest ratio over columns
        to_release = leave_one_out_each(candidates, encoded["synthetic"], blocks)
        own = np.r_[np.full(len(encoded["train"]), -1), np.arange(len(encoded["holdout"]))]
        to_holdout = leave_one_out_each(candidates, encoded["holdout"], blocks, own)
        floor = 1e-3 * float(np.median(non_member_dcr))
        ratio = ((to_release + floor) / (to_holdout + floor)).min(axis=1)
        flagged, hits, p = tail_of(-ratio, is_member)
        loo_figures += (hits, int(flagged[:len(encoded["train"])][chosen].sum()), p)
    unique_found = found.document["copies"]["unique_rows"]
    rows_found = found.document["copies"]["rows"]
    return {"table": table, "seed": seed, "copied": len(chosen), "classes": classes,
            "flags": flags, "figures": figures, "carried": carried, "moved": moved,
            "top_columns": top_columns, "median_to_copy": float(np.median(to_copy)),
            "median_to_other": float(np.median(to_other)), "cut": float(cut),
            "verdict": str(found.verdict), "rows": rows_found, "unique": unique_found,
            "loo": loo_figures}


def report(found: dict) -> str:
    c, f = found["classes"], found["flags"]
    lines = [f"{found['table']} seed {found['seed']}: verdict with these attacks "
             f"{found['verdict']}; of {found['copied']} copies: "
             + ", ".join(f"{name} {int(c[name].sum())}" for name in CLASSES)
             + "; flagged: " + ", ".join(f"{name} {int(v.sum())}" for name, v in f.items())]
    missed = ~f["tail"]
    distinguishable = c["closer"] & ~c["common"]
    lines.append(
        f"   missed by the tail's attacks: {int(missed.sum())}: common {int((missed & c['common']).sum())}"
        f", not closer than a natural twin {int((missed & ~c['closer'] & ~c['common']).sum())}"
        f", closer but not under the dcr cut {int((missed & distinguishable & ~c['under_cut']).sum())}"
        f", closer and under the cut {int((missed & distinguishable & c['under_cut']).sum())}"
        f" (of which exact {int((missed & distinguishable & c['under_cut'] & c['exact']).sum())})")
    for name in ("local-lr", "neighbourhood-ratio", "exact-copy"):
        if name in f:
            lines.append(f"   {name} flags {int((f[name] & missed).sum())} of the missed, "
                         f"{int((f[name] & missed & distinguishable).sum())} of them closer")
    lines.append("   tail figures: " + "; ".join(
        f"{name} {members} vs {expected:.1f} (p={p:.1e})"
        for name, (members, expected, p) in found["figures"].items()))
    lines.append(f"   closer with the copy's top column left out: "
                 f"{int(c['closer_without_top_column'].sum())}, of the missed "
                 f"{int((c['closer_without_top_column'] & missed).sum())}; copies' top column: "
                 + ", ".join(f"{k} {v}" for k, v in found["top_columns"].most_common(4)))
    lines.append(f"   median distance member-copy {found['median_to_copy']:.3f}, member-nearest "
                 f"other real {found['median_to_other']:.3f}, dcr cut {found['cut']:.3f}")
    if found["loo"] is not None:
        hits, copies_hit, p, r_hits, r_copies, r_p = found["loo"]
        lines.append(f"   leave-one-column-out dcr (diagnostic): {hits} members flagged, "
                     f"{copies_hit} of them copies (p={p:.1e}); its ratio to the holdout's: "
                     f"{r_hits} flagged, {r_copies} copies (p={r_p:.1e})")
    rows, unique = found["rows"], found["unique"]
    if rows:
        lines.append(f"   rows found verbatim: members {rows['members_found']} of "
                     f"{rows['members']}, non-members {rows['non_members_found']} of "
                     f"{rows['non_members']} (p={rows['p_value']:.2g}); unique rows: members "
                     f"{unique['members_found']} of {unique['members']}, non-members "
                     f"{unique['non_members_found']} of {unique['non_members']}"
                     + (f" (p={unique['p_value']:.2g})" if unique["p_value"] is not None else ""))
    top = sorted(found["carried"].items(), key=lambda kv: -kv[1])[:3]
    lines.append("   copies' squared distance carried by: " + ", ".join(
        f"{name} {value:.2f}" for name, value in top)
        + f" (of {sum(found['carried'].values()):.2f}); median move in sd: " + ", ".join(
        f"{name} {value:.2f}" for name, value in sorted(found["moved"].items(),
                                                          key=lambda kv: -kv[1])[:4]))
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", default="gss_wages,flchain,star,doctorcontacts,randhie")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.02)
    parser.add_argument("--noise", choices=("value", "sd"), default="value")
    parser.add_argument("--loo", action="store_true",
                        help="also a leave-one-column-out dcr, scored here (diagnostic)")
    parser.add_argument("--extra", default="local-lr,neighbourhood-ratio",
                        help="opt-in attacks scored beside the defaults (comma-separated)")
    args = parser.parse_args(argv)
    extra = [name for name in args.extra.split(",") if name]
    print(f"load {os.getloadavg()[0]:.2f}", flush=True)
    for table in args.tables.split(","):
        totals: Counter = Counter()
        for seed in range(args.seeds):
            found = breakdown(table, seed, extra, args.share, args.loo, args.noise)
            print(report(found), flush=True)
            c, f = found["classes"], found["flags"]
            missed = ~f["tail"]
            for name in CLASSES:
                totals[name] += int(c[name].sum())
            totals["missed"] += int(missed.sum())
            totals["missed_common"] += int((missed & c["common"]).sum())
            totals["missed_distinguishable"] += int((missed & c["closer"] & ~c["common"]).sum())
            totals["copied"] += found["copied"]
        print(f"{table} over {args.seeds} seeds: " + ", ".join(
            f"{k} {v}" for k, v in totals.items()), flush=True)


if __name__ == "__main__":
    main()
