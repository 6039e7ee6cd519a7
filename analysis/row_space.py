"""The row space of the published equations: which counts they fix, by linear algebra.

The equations are 0/1 rows over the atoms (:mod:`analysis.atoms`); a count is fixed on the
linear relaxation when its own 0/1 row lies in their span (:mod:`analysis.derivability`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def distinct_rows(rows: np.ndarray) -> np.ndarray:
    """Where the distinct rows of a 0/1 matrix first occur (in order), compared as packed
    bits (a float sort of the rows costs seconds for a county's 13 municipalities). Equal
    rows of the published equations have equal values: both are the true count."""
    if not rows.shape[1]:
        return np.arange(min(len(rows), 1))
    packed = np.packbits(rows.astype(bool), axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first = np.unique(keys, return_index=True)
    return np.sort(first)


@dataclass(frozen=True)
class RowSpace:
    """An orthonormal basis of a row space, kept block by block: ``blocks`` holds (atoms,
    basis over those atoms) pairs, ``crossing`` the rest of the basis over every atom
    (orthogonal to the blocks'). Projecting on it block by block costs a fraction of one
    dense basis (a county's 250 withheld counts x 1,000 atoms x 420 dimensions)."""

    blocks: tuple[tuple[np.ndarray, np.ndarray], ...]
    crossing: np.ndarray

    def residual(self, vectors: np.ndarray) -> np.ndarray:
        """``vectors`` (rows) minus their projections on the row space."""
        rest = vectors.astype(float)
        for columns, basis in self.blocks:
            rest[:, columns] -= (vectors[:, columns] @ basis) @ basis.T
        return rest - (vectors @ self.crossing) @ self.crossing.T


def row_space(rows: np.ndarray, tolerance: float) -> RowSpace:
    """Orthonormal basis of the row space, by singular value decompositions (numpy's; a
    pivoted QR would need scipy.linalg, a slow import for matrices this small) counting
    singular values below ``tolerance`` times the largest (at least 1) as 0.

    Block by block: most published counts lie inside one municipality (its cells, strata
    and total), and only a few margins (the grand total, a group over every municipality)
    cross them. The rows inside each block of atoms span orthogonal subspaces, one small
    decomposition each; the crossing rows add what is left of them once projected off
    those. The same space as one decomposition of every row (a county's table of 700
    equations over 1,000 atoms took a quarter of a second that way, against a hundredth
    in thirteen blocks), whichever blocks :func:`_blocks` finds."""
    block, crossing = _blocks(rows)
    owner = block[rows.argmax(axis=1)]
    blocks = []
    for label in np.unique(owner[~crossing]):
        columns = np.flatnonzero(block == label)
        blocks.append((columns, _orthonormal(
            rows[~crossing & (owner == label)][:, columns].T, tolerance)))
    space = RowSpace(tuple(blocks), np.zeros((rows.shape[1], 0)))
    if not crossing.any():
        return space
    rest = space.residual(rows[crossing]).T
    return RowSpace(space.blocks, _orthonormal(rest, tolerance))


def _orthonormal(columns: np.ndarray, tolerance: float) -> np.ndarray:
    """Orthonormal basis of the span of ``columns`` (those with singular values above the
    tolerance, relative to the largest)."""
    u, singular, _ = np.linalg.svd(columns.astype(float), full_matrices=False)
    rank = int(np.sum(singular > tolerance * max(1.0, singular.max(initial=0.0))))
    return u[:, :rank]


def _blocks(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A block label per atom (column) and which rows cross blocks: rows are taken from
    the narrowest up, each joining the blocks of its atoms unless the joint block would
    hold more than a quarter of the atoms (a margin over many blocks is left crossing).
    Union-find over plain integers: numpy calls per row cost more than the rows' few
    atoms."""
    size = rows.shape[1]
    parent = list(range(size))
    atoms = [1] * size
    limit = max(1, size // 4)

    def root(atom: int) -> int:
        while parent[atom] != atom:
            parent[atom] = atom = parent[parent[atom]]
        return atom

    crossing = np.zeros(len(rows), dtype=bool)
    row_of, column_of = np.nonzero(rows)
    starts = np.searchsorted(row_of, np.arange(len(rows) + 1))
    columns = np.split(column_of, starts[1:-1])
    for position in np.argsort(np.diff(starts), kind="stable").tolist():
        roots = {root(atom) for atom in columns[position].tolist()}
        if len(roots) < 2:
            continue
        if sum(atoms[label] for label in roots) > limit:
            crossing[position] = True
            continue
        kept = max(roots, key=atoms.__getitem__)
        for label in roots - {kept}:
            parent[label] = kept
            atoms[kept] += atoms[label]
    return np.array([root(atom) for atom in range(size)]), crossing
