"""Counting n-grams into sparse matrices: shared by the classifier features and the claim vectors."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

_INT32_MAX = np.iinfo(np.int32).max


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
    keys, counts = np.unique(keys, return_counts=True)
    rows = keys // n_columns
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n_rows))))
    return sp.csr_matrix((counts.astype(np.float32), keys - rows * n_columns, indptr), shape=(n_rows, n_columns))


def gathered_rows(parts: list[np.ndarray], part_of: np.ndarray, parts_per_row: list[int],
                  n_columns: int) -> sp.csr_matrix:
    """`summed_rows` of the arrays `[parts[k] for k in part_of]`, without building that list: the same few parts
    (a token's n-grams) recur many times over (every occurrence of the token), and joining one small array per
    occurrence costs more than counting."""
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    sizes = lengths[part_of]
    ends = np.cumsum(sizes)
    # each occurrence's columns: the run of `flat` where its part begins
    columns = flat[np.arange(int(ends[-1]) if len(ends) else 0)
                   + np.repeat((np.cumsum(lengths) - lengths)[part_of] - (ends - sizes), sizes)]
    row_ends = np.concatenate(([0], ends))[np.cumsum(parts_per_row, dtype=np.int64)]
    row_lengths = np.diff(np.concatenate(([0], row_ends)))
    n_rows = len(parts_per_row)
    step = max(1, _INT32_MAX // max(n_columns, 1))
    if n_rows <= step:
        return counted_rows(columns, row_lengths, n_columns)
    bounds = np.concatenate(([0], row_ends)).tolist()
    return sp.vstack([counted_rows(columns[bounds[i]:bounds[min(i + step, n_rows)]], row_lengths[i:i + step],
                                   n_columns) for i in range(0, n_rows, step)], format="csr")
