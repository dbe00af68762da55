"""Benchmark datasets through PyG's own classes, with a read-only offline mirror.

Where the files come from, in order:

1. the writable **cache** (``cache_dir`` argument, else ``$GCLBT_DATA_CACHE``, else
   ``~/.cache/gclbt/datasets``) when it already holds the dataset's raw files;
2. the read-only **mirror** (``mirror`` argument, else ``$GCLBT_DATA_MIRROR``): a folder of the
   raw upstream files in PyG's layout, e.g. ``<mirror>/Planetoid/Cora/raw/ind.cora.x`` or
   ``<mirror>/Coauthor/CS/raw/ms_academic_cs.npz``. The raw files are *copied* into the cache
   (each to a temporary name, then renamed, so an interrupted copy never leaves a truncated file
   that PyG would trust); nothing is ever written into the mirror;
3. PyG's **download** from the upstream URL. When that fails too (offline), one
   :class:`DatasetUnavailableError` says where we looked and how to provide the files.

PyG then builds ``processed/`` next to ``raw/`` inside the cache.

Example:
    >>> ds = load_dataset("cora", mirror="/work/shared/datasets")
    >>> ds.data.num_nodes, ds.num_features, ds.num_classes
    (2708, 1433, 7)
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor
from torch_geometric.data import Data

from gclbt_plugin.data import musae

ENV_CACHE = "GCLBT_DATA_CACHE"
ENV_MIRROR = "GCLBT_DATA_MIRROR"
DEFAULT_CACHE = Path("~/.cache/gclbt/datasets")
#: Seconds a download attempt may wait on one socket operation before it counts as offline.
DOWNLOAD_TIMEOUT = 20.0

_PLANETOID_SUFFIXES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


class DatasetUnavailableError(FileNotFoundError):
    """A dataset is neither in the cache, nor in the mirror, nor downloadable.

    Attributes:
        name: Canonical dataset name.
        cache_path: Folder of raw files in the cache that was checked.
        mirror_path: Folder of raw files in the mirror that was checked (``None``: no mirror).
    """

    def __init__(self, message: str, *, name: str, cache_path: Path, mirror_path: Path | None):
        super().__init__(message)
        self.name = name
        self.cache_path = cache_path
        self.mirror_path = mirror_path


@dataclass(frozen=True)
class _Spec:
    """How one dataset is laid out and built (internal)."""

    name: str  # canonical name
    folder: str  # dataset folder relative to the cache/mirror root, e.g. "Planetoid/Cora"
    raw_files: tuple[str, ...]  # paths relative to ``folder``; empty: copy the whole tree
    num_public_splits: int  # 0: no masks, 1: one public split, 20: WikiCS
    build: Callable[[Path], Data]  # cache root -> Data


@dataclass
class LoadedDataset:
    """A loaded benchmark graph.

    Attributes:
        data: ``torch_geometric.data.Data`` with ``x [N, F]``, ``edge_index [2, E]``, ``y [N]``
            and, where the dataset publishes them, ``train_mask``/``val_mask``/``test_mask``
            (``[N]`` for Planetoid and ogbn-arxiv; ``[N, 20]`` train/val and ``[N]`` test for
            WikiCS).
        name: Canonical name (``"Cora"``, ``"Computers"``, ``"ogbn-arxiv"``, ...).
        num_classes: Number of label classes ``K``.
        num_features: Feature dimension ``F``.
        num_public_splits: 0 (no public split: use random splits), 1 (Planetoid, ogbn-arxiv)
            or 20 (WikiCS).
        root: The dataset's folder in the cache (holds ``raw/`` and ``processed/``).
        source: Where the raw files came from on this call: ``"cache"``, ``"mirror"`` or
            ``"download"``.
    """

    data: Data
    name: str
    num_classes: int
    num_features: int
    num_public_splits: int
    root: Path
    source: str

    @property
    def has_public_split(self) -> bool:
        """Whether the dataset ships its own train/val/test masks."""
        return self.num_public_splits > 0

    @property
    def num_nodes(self) -> int:
        return int(self.data.num_nodes)


# --- builders: one per PyG dataset class; imported lazily so importing this module is cheap ---


def _planetoid(name: str) -> Callable[[Path], Data]:
    def build(cache: Path) -> Data:
        from torch_geometric.datasets import Planetoid

        return Planetoid(str(cache / "Planetoid"), name)[0]

    return build


def _amazon(name: str) -> Callable[[Path], Data]:
    def build(cache: Path) -> Data:
        from torch_geometric.datasets import Amazon

        return Amazon(str(cache / "Amazon"), name)[0]

    return build


def _coauthor(name: str) -> Callable[[Path], Data]:
    def build(cache: Path) -> Data:
        from torch_geometric.datasets import Coauthor

        return Coauthor(str(cache / "Coauthor"), name)[0]

    return build


def _wikics(cache: Path) -> Data:
    from torch_geometric.datasets import WikiCS

    return WikiCS(str(cache / "WikiCS"), is_undirected=True)[0]


def _ogbn_arxiv(cache: Path) -> Data:
    try:
        from ogb.nodeproppred import PygNodePropPredDataset
    except ImportError as exc:
        raise ModuleNotFoundError(
            "ogbn-arxiv needs the optional package 'ogb', which is not installed; "
            "install it with `pip install ogb`"
        ) from exc
    from torch_geometric.utils import to_undirected

    dataset = PygNodePropPredDataset(name="ogbn-arxiv", root=str(cache))
    data = dataset[0]
    data.y = data.y.view(-1)
    # The citation graph is directed; GCL methods (GRACE, BGRL, G-BT) use it undirected.
    data.edge_index = to_undirected(data.edge_index, num_nodes=data.num_nodes)
    n = data.num_nodes
    for key, idx in dataset.get_idx_split().items():
        mask = torch.zeros(n, dtype=torch.bool)
        mask[idx] = True
        data[{"train": "train_mask", "valid": "val_mask", "test": "test_mask"}[key]] = mask
    return data


def _musae_facebook(cache: Path) -> Data:
    return musae.MUSAEFacebook(str(cache / "MUSAE" / "Facebook"))[0]


def _planetoid_spec(name: str) -> _Spec:
    files = tuple(f"raw/ind.{name.lower()}.{s}" for s in _PLANETOID_SUFFIXES)
    return _Spec(name, f"Planetoid/{name}", files, 1, _planetoid(name))


_SPECS: dict[str, _Spec] = {
    spec.name: spec
    for spec in (
        _planetoid_spec("Cora"),
        _planetoid_spec("CiteSeer"),
        _planetoid_spec("PubMed"),
        _Spec("Computers", "Amazon/Computers", ("raw/amazon_electronics_computers.npz",), 0,
              _amazon("Computers")),
        _Spec("Photo", "Amazon/Photo", ("raw/amazon_electronics_photo.npz",), 0, _amazon("Photo")),
        _Spec("CS", "Coauthor/CS", ("raw/ms_academic_cs.npz",), 0, _coauthor("CS")),
        _Spec("Physics", "Coauthor/Physics", ("raw/ms_academic_phy.npz",), 0,
              _coauthor("Physics")),
        _Spec("WikiCS", "WikiCS", ("raw/data.json",), 20, _wikics),
        _Spec("ogbn-arxiv", "ogbn_arxiv", (), 1, _ogbn_arxiv),
        _Spec("Facebook", "MUSAE/Facebook", tuple(f"raw/{name}" for name in musae.RAW_FOLDERS), 0,
              _musae_facebook),
    )
}

_ALIASES: dict[str, str] = {
    "amazoncomputers": "Computers",
    "amazonphoto": "Photo",
    "coauthorcs": "CS",
    "coauthorphysics": "Physics",
    "arxiv": "ogbn-arxiv",
    "facebookpagepage": "Facebook",
    "musaefacebook": "Facebook",
}


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


_LOOKUP: dict[str, str] = {_key(n): n for n in _SPECS} | _ALIASES


def dataset_names() -> list[str]:
    """Canonical names of the supported datasets, in a fixed order."""
    return list(_SPECS)


def canonical_name(name: str) -> str:
    """Map a user-facing name to its canonical spelling.

    Case, ``-``, ``_`` and spaces are ignored, and family prefixes are accepted:
    ``"cora"`` -> ``"Cora"``, ``"amazon-computers"`` -> ``"Computers"``,
    ``"coauthor-cs"`` -> ``"CS"``, ``"ogbn_arxiv"`` -> ``"ogbn-arxiv"``.

    Raises:
        TypeError: If ``name`` is not a string.
        ValueError: If the name is unknown; the message lists the supported names.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a dataset name (str), got {type(name).__name__}")
    try:
        return _LOOKUP[_key(name)]
    except KeyError:
        raise ValueError(
            f"name must be one of {dataset_names()} (case-insensitive), got {name!r}"
        ) from None


def resolve_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """``cache_dir``, else ``$GCLBT_DATA_CACHE``, else ``~/.cache/gclbt/datasets``."""
    if cache_dir is None:
        cache_dir = os.environ.get(ENV_CACHE) or DEFAULT_CACHE
    return Path(cache_dir).expanduser()


def resolve_mirror(mirror: str | os.PathLike | None = None) -> Path | None:
    """``mirror``, else ``$GCLBT_DATA_MIRROR``, else ``None`` (no mirror)."""
    if mirror is None:
        mirror = os.environ.get(ENV_MIRROR) or None
    return None if mirror is None else Path(mirror).expanduser()


def _complete(folder: Path, spec: _Spec) -> bool:
    """Whether ``folder`` holds every raw file of ``spec`` (for a tree: a non-empty ``raw/``)."""
    if not spec.raw_files:
        raw = folder / "raw"
        return raw.is_dir() and any(raw.iterdir())
    return all((folder / f).is_file() for f in spec.raw_files)


def available_offline(
    name: str,
    cache_dir: str | os.PathLike | None = None,
    mirror: str | os.PathLike | None = None,
) -> bool:
    """Whether ``name`` can be loaded without the network (raw files in cache or mirror).

    Args:
        name: Dataset name (see :func:`canonical_name`).
        cache_dir: Cache folder (default: ``$GCLBT_DATA_CACHE`` or ``~/.cache/gclbt/datasets``).
        mirror: Mirror folder (default: ``$GCLBT_DATA_MIRROR`` or none).
    """
    spec = _SPECS[canonical_name(name)]
    if _complete(resolve_cache_dir(cache_dir) / spec.folder, spec):
        return True
    mirror_root = resolve_mirror(mirror)
    return mirror_root is not None and _complete(mirror_root / spec.folder, spec)


def _copy_atomic(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` through a temporary file in ``dst``'s folder and a rename."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            tmp.unlink()


def _copy_from_mirror(src: Path, dst: Path, spec: _Spec) -> None:
    files = spec.raw_files or tuple(
        str(p.relative_to(src)) for p in sorted(src.rglob("*")) if p.is_file()
    )
    for rel in files:
        if not (dst / rel).is_file():
            _copy_atomic(src / rel, dst / rel)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else '(no message)'}"


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()


def _folders_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_dir()} if folder.is_dir() else set()


def _remove_empty_folders(folders: set[Path]) -> None:
    """``rmdir`` each of ``folders`` that is empty, deepest first (others are left alone)."""
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:  # not empty (another process's files) or already gone
            pass


def _missing_folders(folder: Path) -> set[Path]:
    """``folder`` and its ancestors that do not exist yet (what ``mkdir(parents=True)`` creates)."""
    missing = set()
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        missing.add(folder)
        folder = folder.parent
    return missing


def _build_with_download(spec: _Spec, cache: Path, mirror_dir: Path | None) -> Data:
    """Let PyG download and build; turn a failed download into DatasetUnavailableError."""
    dest = cache / spec.folder
    before = _files_under(dest)
    folders_before = _folders_under(dest)
    previous_timeout = socket.getdefaulttimeout()
    # urllib (PyG's download_url) has no timeout of its own: bound it so offline fails fast.
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        return spec.build(cache)
    except ModuleNotFoundError:
        raise
    except Exception as exc:
        if _complete(dest, spec):
            raise  # the raw files arrived: this is a processing error, not a download error
        for leftover in _files_under(dest) - before:  # never leave half-downloaded files behind
            leftover.unlink(missing_ok=True)
        _remove_empty_folders(_folders_under(dest) - folders_before)  # nor an empty raw/
        raise _unavailable(spec, cache, mirror_dir, exc) from exc
    finally:
        socket.setdefaulttimeout(previous_timeout)


def _unavailable(
    spec: _Spec, cache: Path, mirror_dir: Path | None, exc: BaseException
) -> DatasetUnavailableError:
    dest = cache / spec.folder
    wanted = ", ".join(spec.raw_files) if spec.raw_files else "raw/ (the whole dataset folder)"
    mirror_text = "no mirror configured"
    if mirror_dir is not None:
        mirror_text = f"{mirror_dir} (not there or incomplete)"
    message = (
        f"dataset {spec.name!r} is not available: it is not in the cache, not in the mirror, "
        f"and the download failed.\n"
        f"  cache:    {dest} (not there or incomplete)\n"
        f"  mirror:   {mirror_text}\n"
        f"  download: {_one_line(exc)}\n"
        f"To provide it, pass --data-mirror DIR or set {ENV_MIRROR}=DIR, where "
        f"DIR/{spec.folder}/ holds {wanted}; or put those raw files under {dest}/ yourself."
    )
    return DatasetUnavailableError(message, name=spec.name, cache_path=dest, mirror_path=mirror_dir)


def _load_locked(spec: _Spec, cache: Path, dest: Path, mirror_dir: Path | None) -> tuple[Data, str]:
    """Build the dataset from the cache, else from the mirror, else by downloading (caller holds the lock)."""
    if _complete(dest, spec):
        source = "cache"
        data = spec.build(cache)
    elif mirror_dir is not None and _complete(mirror_dir, spec):
        source = "mirror"
        _copy_from_mirror(mirror_dir, dest, spec)
        data = spec.build(cache)
    else:
        if mirror_dir is not None:
            warnings.warn(
                f"dataset {spec.name!r} is not in the mirror {mirror_dir}; trying to download it",
                stacklevel=3,
            )
        source = "download"
        data = _build_with_download(spec, cache, mirror_dir)
    return data, source


def load_dataset(
    name: str,
    cache_dir: str | os.PathLike | None = None,
    mirror: str | os.PathLike | None = None,
) -> LoadedDataset:
    """Load a node-classification benchmark by name, offline when possible.

    Supported (see :func:`dataset_names`): Cora, CiteSeer, PubMed (Planetoid; Yang et al. 2016),
    Computers, Photo (Amazon) and CS, Physics (Coauthor) (Shchur et al. 2018), WikiCS
    (Mernyei & Cangea 2020), ogbn-arxiv (Hu et al. 2020; needs the optional ``ogb``) and Facebook
    Page-Page (Rozemberczki et al. 2021, from the MUSAE authors' raw files; see
    :mod:`gclbt_plugin.data.musae`).

    Args:
        name: Dataset name, case-insensitive; ``"amazon-computers"``, ``"coauthor-cs"``
            and similar spellings are accepted.
        cache_dir: Writable folder for raw and processed files (default: ``$GCLBT_DATA_CACHE``,
            else ``~/.cache/gclbt/datasets``).
        mirror: Read-only folder of raw files in PyG's layout (default: ``$GCLBT_DATA_MIRROR``,
            else no mirror). It is never written to.

    Returns:
        A :class:`LoadedDataset`.

    Raises:
        TypeError: If ``name`` is not a string.
        ValueError: If ``name`` is unknown (the message lists the supported names), or if
            ``cache_dir`` and ``mirror`` are the same folder.
        DatasetUnavailableError: If the raw files are neither cached nor mirrored and the
            download fails.
        ModuleNotFoundError: For ogbn-arxiv when ``ogb`` is not installed.
    """
    spec = _SPECS[canonical_name(name)]
    cache = resolve_cache_dir(cache_dir)
    mirror_root = resolve_mirror(mirror)
    if mirror_root is not None and cache.resolve() == mirror_root.resolve():
        raise ValueError(
            f"cache_dir and mirror must differ (the mirror is read-only), both are {cache}"
        )
    dest = cache / spec.folder
    mirror_dir = None if mirror_root is None else mirror_root / spec.folder
    # PyG processes raw files into processed/ non-atomically: one process at a time per dataset
    # (several `gclbt tune` workers may start on a new cache together).
    created = _missing_folders(dest)
    dest.mkdir(parents=True, exist_ok=True)
    lock_path = dest / ".gclbt.lock"
    lock_existed = lock_path.exists()
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data, source = _load_locked(spec, cache, dest, mirror_dir)
        except DatasetUnavailableError:
            # Nothing was found: leave the cache as it was (no empty dataset folder, no lock file).
            if not lock_existed and created:
                lock_path.unlink(missing_ok=True)
            _remove_empty_folders(created)
            raise
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    return LoadedDataset(
        data=data,
        name=spec.name,
        num_classes=int(data.y.max()) + 1,
        num_features=int(data.x.size(1)),
        num_public_splits=spec.num_public_splits,
        root=dest,
        source=source,
    )


def _check_matrix(x: Tensor) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape [N, F], got {type(x).__name__}")
    if x.dim() != 2:
        raise ValueError(f"x must be 2-D with shape [N, F], got shape {list(x.shape)}")


def feature_density(x: Tensor) -> float:
    """Fraction of non-zero entries of a feature matrix (dense or sparse COO/CSR).

    Bag-of-words features (Cora ~1.3%, CS ~0.9%) are very sparse; a trainer can then use a
    sparse first-layer product.

    Args:
        x: Features ``[N, F]``.

    Returns:
        ``nnz / (N * F)`` in ``[0, 1]`` (0.0 for an empty matrix).

    Raises:
        TypeError: If ``x`` is not a tensor.
        ValueError: If ``x`` is not 2-D.
    """
    _check_matrix(x)
    total = x.size(0) * x.size(1)
    if total == 0:
        return 0.0
    if x.layout == torch.sparse_coo:
        nnz = int(torch.count_nonzero(x.coalesce().values()))
    elif x.layout == torch.sparse_csr:
        nnz = int(torch.count_nonzero(x.values()))
    else:
        nnz = int(torch.count_nonzero(x))
    return nnz / total


def to_sparse_features(x: Tensor) -> Tensor:
    """Return ``x`` as a coalesced sparse COO tensor ``[N, F]`` (same dtype and device).

    Use it for ``torch.sparse.mm(x, weight)`` when :func:`feature_density` is low.

    Raises:
        TypeError: If ``x`` is not a tensor.
        ValueError: If ``x`` is not 2-D.
    """
    _check_matrix(x)
    if x.layout == torch.sparse_coo:
        return x.coalesce()
    return x.to_sparse_coo().coalesce()
