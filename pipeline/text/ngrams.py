"""Counting n-grams into sparse matrices: shared by the classifier features and the claim vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

_INT32_MAX = np.iinfo(np.int32).max


def l2_row_norms(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Each CSR row's L2 norm as scikit-learn's row normalisation computes it: the squares in the values' own
    precision, summed in double precision one after another in the row's order (a weighted bincount adds each to
    its row's total in turn; numpy's sums add in pairs, which can change the last bit)."""
    lengths = np.diff(indptr)
    return np.sqrt(np.bincount(np.repeat(np.arange(len(lengths)), lengths), weights=np.square(values),
                               minlength=len(lengths)))


def l2_normalized(values: np.ndarray, indptr: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """`values` divided by their row's norm in double precision, back in their own dtype (an empty row's norm is
    0: nothing to divide)."""
    return (values / np.repeat(np.where(norms == 0, 1.0, norms), np.diff(indptr))).astype(values.dtype)


def summed_rows(parts: list[np.ndarray], parts_per_row: list[int], n_columns: int) -> sp.csr_matrix:
    """A float32 count matrix: row i counts the column indices in its `parts_per_row[i]` arrays of `parts`.

    Each row's columns come out sorted, as `np.unique(..., return_counts=True)` of the row would give them. Rows
    are counted in blocks small enough for (row, column) keys to fit in int32: one sort per block.
    """
    n_rows = len(parts_per_row)
    step = max(1, _INT32_MAX // max(n_columns, 1))
    if n_rows <= step:
        return _summed_block(parts, parts_per_row, n_columns)
    first_part = np.concatenate(([0], np.cumsum(parts_per_row, dtype=np.int64))).tolist()
    return sp.vstack([_summed_block(parts[first_part[i]:first_part[min(i + step, n_rows)]],
                                    parts_per_row[i:i + step], n_columns) for i in range(0, n_rows, step)],
                     format="csr")


def _summed_block(parts: list[np.ndarray], parts_per_row: list[int], n_columns: int) -> sp.csr_matrix:
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    ends = np.concatenate(([0], np.cumsum(lengths)))
    row_lengths = np.diff(ends[np.concatenate(([0], np.cumsum(parts_per_row, dtype=np.int64)))])
    columns = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return counted_rows(columns, row_lengths, n_columns)


def counted_rows(columns: np.ndarray, row_lengths: np.ndarray, n_columns: int) -> sp.csr_matrix:
    """A float32 count matrix: row i counts the next `row_lengths[i]` column indices of `columns`, its columns
    sorted."""
    n_rows = len(row_lengths)
    return counted_pairs(np.repeat(np.arange(n_rows), row_lengths), columns, n_rows, n_columns)


def counted_pairs(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int) -> sp.csr_matrix:
    """A float32 count matrix of shape (n_rows, n_columns): it counts each (rows[k], columns[k]), in any order; each
    row's columns sorted."""
    key_type = np.int32 if n_rows * n_columns <= _INT32_MAX else np.int64
    keys = rows.astype(key_type) * key_type(n_columns) + columns.astype(key_type)
    # a stable (radix or merge) sort: a row's keys are runs already sorted (each token's n-grams), which it merges
    # faster than a quicksort sorts them; then np.unique's counting
    keys = np.sort(keys, kind="stable")
    starts = run_starts(keys)
    counts = np.diff(np.append(starts, len(keys)))
    keys = keys[starts]
    rows = keys // n_columns
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n_rows))))
    return sp.csr_matrix((counts.astype(np.float32), keys - rows * n_columns, indptr), shape=(n_rows, n_columns))


def run_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values of the sorted `keys` begins."""
    return np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else np.zeros(0, np.int64)


def gathered_rows(flat: np.ndarray, starts: np.ndarray, part_of: np.ndarray, parts_per_row: Sequence[int],
                  n_columns: int) -> sp.csr_matrix:
    """`summed_rows` of the parts `[flat[starts[k]:starts[k + 1]] for k in part_of]`, without building that list:
    the same few parts (a token's n-grams) recur many times over (every occurrence of the token), and joining one
    small array per occurrence costs more than counting."""
    lengths = np.diff(starts)
    sizes = lengths[part_of]
    ends = np.cumsum(sizes)
    # each occurrence's columns: the run of `flat` where its part begins
    columns = flat[np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(starts[part_of] - (ends - sizes), sizes)]
    row_ends = np.concatenate(([0], ends))[np.cumsum(parts_per_row, dtype=np.int64)]
    row_lengths = np.diff(np.concatenate(([0], row_ends)))
    n_rows = len(parts_per_row)
    step = max(1, _INT32_MAX // max(n_columns, 1))
    if n_rows <= step:
        return counted_rows(columns, row_lengths, n_columns)
    bounds = np.concatenate(([0], row_ends)).tolist()
    return sp.vstack([counted_rows(columns[bounds[i]:bounds[min(i + step, n_rows)]], row_lengths[i:i + step],
                                   n_columns) for i in range(0, n_rows, step)], format="csr")


class SequenceIndex:
    """A vocabulary whose entries are sequences of parts (n-grams of stems, of characters), for finding with array
    operations which entries begin at each position of a long sequence of part ids, without a string per n-gram.

    The first n parts of every entry at least n parts long get an id at level n: at level 1, the first part's own id;
    at level n > 1, the place of (the level n - 1 id) * n_parts + (the n-th part) among that level's sorted keys.
    """

    def __init__(self, entries: np.ndarray, n_parts: int) -> None:
        """`entries`: one row per entry (its column), its part ids in order, padded with -1; parts are numbered from
        0 to `n_parts` - 1."""
        self.n_parts = n_parts
        length = (entries >= 0).sum(axis=1)
        prefix = entries[:, 0].copy() if entries.shape[1] else np.zeros(0, dtype=np.int64)
        columns = np.arange(len(entries))
        #: per level, its sorted keys (none at level 1) and per id, the column of the entry it is whole (-1: none)
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        for n in range(1, entries.shape[1] + 1):
            keys = np.zeros(0, dtype=np.int64)
            longer = length >= n
            if n > 1:
                keys, prefix[longer] = np.unique(prefix[longer] * n_parts + entries[longer, n - 1], return_inverse=True)
            column_of = np.full(len(keys) if n > 1 else n_parts, -1, dtype=np.int64)
            column_of[prefix[length == n]] = columns[length == n]
            self.levels.append((keys, column_of))

    def find(self, part: np.ndarray, left: np.ndarray, low: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(position, column) of each entry at least `low` parts long that begins at a position of `part` (part ids,
        -1 for a part no entry has) and ends within the `left[position]` parts from there on (itself included)."""
        positions, columns = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        prefix = part  # per position, the level n id of the n parts from it (-1: no entry begins with them)
        for n, (keys, column_of) in enumerate(self.levels, 1):
            if n > 1:
                at = np.flatnonzero(prefix[:max(len(part) - n + 1, 0)] >= 0)  # so that `at + n - 1` is in `part`
                at = at[(left[at] >= n) & (part[at + n - 1] >= 0)]
                found, present = located(keys, prefix[at] * self.n_parts + part[at + n - 1])
                prefix = np.full(len(part), -1, dtype=np.int64)
                prefix[at[present]] = found[present]
            if n >= low:
                at = np.flatnonzero(prefix >= 0)
                column = column_of[prefix[at]]
                positions.append(at[column >= 0])
                columns.append(column[column >= 0])
        return np.concatenate(positions), np.concatenate(columns)


def located(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `wanted` is in the sorted `keys`, and whether it is there at all."""
    if not len(keys):
        return np.zeros(wanted.shape, dtype=np.int64), np.zeros(wanted.shape, dtype=bool)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return at, keys[at] == wanted
