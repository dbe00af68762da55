"""Tests for gclbt_plugin.data.datasets (no network: downloads are monkeypatched to fail)."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path
from urllib.error import URLError

import pytest
import torch
from torch_geometric.datasets import Amazon, Planetoid

from gclbt_plugin.data import (
    DatasetUnavailableError,
    available_offline,
    canonical_name,
    dataset_names,
    feature_density,
    load_dataset,
    resolve_cache_dir,
    resolve_mirror,
    to_sparse_features,
)

CORA_RAW = [f"ind.cora.{s}" for s in ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")]


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with (size, mtime_ns)."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def _fail_download(self) -> None:
    raise URLError("offline in this test")


@pytest.fixture
def mini_mirror(tmp_path: Path, shared_datasets_dir: Path) -> Path:
    """A private mirror holding only Cora (a copy, so tests may inspect it freely)."""
    mirror = tmp_path / "mirror"
    shutil.copytree(shared_datasets_dir / "Planetoid" / "Cora", mirror / "Planetoid" / "Cora")
    return mirror


def test_load_dataset_copies_mirror_files_into_cache(tmp_path, shared_datasets_dir):
    cache = tmp_path / "cache"
    ds = load_dataset("Cora", cache_dir=cache, mirror=shared_datasets_dir)
    assert ds.source == "mirror"
    assert ds.root == cache / "Planetoid" / "Cora"
    mirror_raw = shared_datasets_dir / "Planetoid" / "Cora" / "raw"
    match, mismatch, errors = filecmp.cmpfiles(
        mirror_raw, cache / "Planetoid" / "Cora" / "raw", CORA_RAW, shallow=False
    )
    assert (sorted(match), mismatch, errors) == (sorted(CORA_RAW), [], [])


def test_load_dataset_never_writes_into_mirror(tmp_path, mini_mirror):
    before = _tree(mini_mirror)
    load_dataset("cora", cache_dir=tmp_path / "cache", mirror=mini_mirror)
    assert _tree(mini_mirror) == before
    assert not (mini_mirror / "Planetoid" / "Cora" / "processed").exists()


def test_load_dataset_cora_statistics(cora):
    data = cora.data
    assert (cora.name, data.num_nodes, data.edge_index.size(1)) == ("Cora", 2708, 10556)
    assert (cora.num_features, cora.num_classes, cora.num_public_splits) == (1433, 7, 1)
    masks = [int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())]
    assert masks == [140, 500, 1000]
    assert tuple(data.x.shape) == (2708, 1433) and tuple(data.y.shape) == (2708,)


def test_load_dataset_second_load_uses_cache_without_copying(tmp_path, mini_mirror, monkeypatch):
    cache = tmp_path / "cache"
    load_dataset("Cora", cache_dir=cache, mirror=mini_mirror)
    raw_before = _tree(cache / "Planetoid" / "Cora" / "raw")

    def no_copy(*args, **kwargs):
        raise AssertionError("the second load must not copy")

    monkeypatch.setattr(shutil, "copyfile", no_copy)
    ds = load_dataset("Cora", cache_dir=cache, mirror=mini_mirror)
    assert ds.source == "cache"
    assert _tree(cache / "Planetoid" / "Cora" / "raw") == raw_before
    assert ds.data.num_nodes == 2708


def test_load_dataset_interrupted_copy_leaves_no_partial_file(tmp_path, mini_mirror, monkeypatch):
    cache = tmp_path / "cache"
    real_copyfile = shutil.copyfile
    calls = []

    def copy_half_then_fail(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) == 3:  # the third file: write half of it, then "crash"
            Path(dst).write_bytes(Path(src).read_bytes()[: Path(src).stat().st_size // 2])
            raise KeyboardInterrupt
        return real_copyfile(src, dst, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", copy_half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        load_dataset("Cora", cache_dir=cache, mirror=mini_mirror)
    raw = cache / "Planetoid" / "Cora" / "raw"
    present = sorted(p.name for p in raw.iterdir())
    assert len(present) == 2 and all(name in CORA_RAW for name in present)  # only whole files
    monkeypatch.setattr(shutil, "copyfile", real_copyfile)
    assert load_dataset("Cora", cache_dir=cache, mirror=mini_mirror).data.num_nodes == 2708


def test_load_dataset_unavailable_error_names_dataset_paths_cause_and_fix(
    tmp_path, mini_mirror, monkeypatch
):
    monkeypatch.setattr(Amazon, "download", _fail_download)
    cache = tmp_path / "cache"
    with pytest.warns(UserWarning, match="not in the mirror"):
        with pytest.raises(DatasetUnavailableError) as info:
            load_dataset("amazon-photo", cache_dir=cache, mirror=mini_mirror)
    message = str(info.value)
    assert "'Photo'" in message
    assert str(cache / "Amazon" / "Photo") in message
    assert str(mini_mirror / "Amazon" / "Photo") in message
    assert "download: URLError: <urlopen error offline in this test>" in message
    assert "--data-mirror" in message and "GCLBT_DATA_MIRROR" in message
    assert "raw/amazon_electronics_photo.npz" in message
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.name == "Photo" and info.value.mirror_path == mini_mirror / "Amazon" / "Photo"


def test_load_dataset_unavailable_without_mirror_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("GCLBT_DATA_MIRROR", raising=False)
    monkeypatch.setattr(Planetoid, "download", _fail_download)
    with pytest.raises(DatasetUnavailableError, match="mirror:   no mirror configured"):
        load_dataset("PubMed", cache_dir=tmp_path / "cache")


def test_load_dataset_failed_download_removes_partial_files(tmp_path, monkeypatch):
    def half_download(self):
        Path(self.raw_dir).mkdir(parents=True, exist_ok=True)
        (Path(self.raw_dir) / "ind.pubmed.x").write_bytes(b"trunc")
        raise URLError("connection reset")

    monkeypatch.setattr(Planetoid, "download", half_download)
    with pytest.raises(DatasetUnavailableError):
        load_dataset("pubmed", cache_dir=tmp_path / "cache", mirror=None)
    assert not (tmp_path / "cache" / "Planetoid" / "PubMed" / "raw" / "ind.pubmed.x").exists()


def test_load_dataset_offline_miss_leaves_nothing_in_a_new_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("GCLBT_DATA_MIRROR", raising=False)
    monkeypatch.setattr(Planetoid, "download", _fail_download)
    with pytest.raises(DatasetUnavailableError):
        load_dataset("PubMed", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_load_dataset_offline_miss_leaves_an_existing_cache_as_it_was(tmp_path, monkeypatch):
    monkeypatch.delenv("GCLBT_DATA_MIRROR", raising=False)
    monkeypatch.setattr(Planetoid, "download", _fail_download)
    cache = tmp_path / "cache"
    (cache / "Planetoid").mkdir(parents=True)
    (cache / "Planetoid" / "other.txt").write_text("kept")
    with pytest.raises(DatasetUnavailableError):
        load_dataset("PubMed", cache_dir=cache)
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) == ["Planetoid", "Planetoid/other.txt"]


def test_load_dataset_wikics_from_mirror_has_twenty_splits(tmp_path):
    n = 6
    raw = {
        "features": [[float(i), 1.0] for i in range(n)],
        "labels": [0, 1, 0, 1, 0, 1],
        "links": [[1], [2], [3], [4], [5], [0]],
        "train_masks": [[i % 2 == j % 2 for i in range(n)] for j in range(20)],
        "val_masks": [[i % 2 != j % 2 and i < 4 for i in range(n)] for j in range(20)],
        "test_mask": [i >= 4 for i in range(n)],
        "stopping_masks": [[False] * n for _ in range(20)],
    }
    mirror = tmp_path / "mirror"
    (mirror / "WikiCS" / "raw").mkdir(parents=True)
    (mirror / "WikiCS" / "raw" / "data.json").write_text(json.dumps(raw))
    ds = load_dataset("wiki-cs", cache_dir=tmp_path / "cache", mirror=mirror)
    assert (ds.name, ds.num_public_splits, ds.num_classes, ds.num_features) == ("WikiCS", 20, 2, 2)
    assert tuple(ds.data.train_mask.shape) == (n, 20) and tuple(ds.data.test_mask.shape) == (n,)
    assert ds.data.train_mask[:, 1].tolist() == [False, True, False, True, False, True]


def _musae_mirror(root: Path, *, words: dict[str, list[int]], types: list[str], edges: list[tuple[int, int]]) -> Path:
    raw = root / "MUSAE" / "Facebook" / "raw"
    raw.mkdir(parents=True)
    (raw / "facebook.json").write_text(json.dumps(words))
    rows = [f"{i},{1000 + i},page {i},{t}" for i, t in enumerate(types)]
    (raw / "facebook_target.csv").write_text("id,facebook_id,page_name,page_type\n" + "\n".join(rows) + "\n")
    (raw / "facebook_edges.csv").write_text("id_1,id_2\n" + "".join(f"{a},{b}\n" for a, b in edges))
    return root


def test_load_dataset_facebook_from_mirror_builds_words_classes_and_undirected_edges(tmp_path):
    # 4 pages; word ids up to 5 (6 features); one self-like (2, 2) and one duplicate in reverse (1, 0)
    mirror = _musae_mirror(
        tmp_path / "mirror",
        words={"0": [0, 5], "1": [], "2": [3], "3": [1, 3]},
        types=["tvshow", "company", "politician", "company"],
        edges=[(0, 1), (1, 0), (1, 2), (2, 2), (3, 0)],
    )
    ds = load_dataset("facebook", cache_dir=tmp_path / "cache", mirror=mirror)
    assert (ds.name, ds.num_public_splits, ds.num_classes, ds.num_features) == ("Facebook", 0, 3, 6)
    assert ds.data.x.tolist() == [
        [1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 1, 0, 1, 0, 0]
    ]
    assert ds.data.y.tolist() == [2, 0, 1, 0]  # sorted page types: company, politician, tvshow
    pairs = sorted(map(tuple, ds.data.edge_index.t().tolist()))
    assert pairs == [(0, 1), (0, 3), (1, 0), (1, 2), (2, 1), (3, 0)]


def test_load_dataset_facebook_rejects_feature_ids_that_miss_a_page(tmp_path):
    mirror = _musae_mirror(tmp_path / "mirror", words={"0": [1]}, types=["company", "tvshow"], edges=[(0, 1)])
    with pytest.raises(ValueError, match=r"facebook.json: node ids must be the 2 ids of facebook_target.csv"):
        load_dataset("facebook", cache_dir=tmp_path / "cache", mirror=mirror)


def test_load_dataset_ogbn_arxiv_without_ogb_says_how_to_install(tmp_path):
    try:
        import ogb  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("ogb is installed; the missing-package message cannot be shown")
    with pytest.raises(ModuleNotFoundError, match="pip install ogb"):
        load_dataset("ogbn-arxiv", cache_dir=tmp_path / "cache", mirror=None)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("cora", "Cora"),
        ("CITESEER", "CiteSeer"),
        ("PubMed", "PubMed"),
        ("amazon-computers", "Computers"),
        ("AmazonComputers", "Computers"),
        ("photo", "Photo"),
        ("coauthor-cs", "CS"),
        ("Coauthor_Physics", "Physics"),
        ("wikics", "WikiCS"),
        ("OGBN_ARXIV", "ogbn-arxiv"),
        ("facebook-page-page", "Facebook"),
    ],
)
def test_canonical_name_normalises_spellings(spelling, canonical):
    assert canonical_name(spelling) == canonical


def test_load_dataset_unknown_name_lists_supported_names(tmp_path):
    with pytest.raises(ValueError, match=r"name must be one of \['Cora', 'CiteSeer'.*got 'reddit'"):
        load_dataset("reddit", cache_dir=tmp_path)


def test_dataset_names_lists_every_supported_dataset():
    assert dataset_names() == [
        "Cora", "CiteSeer", "PubMed", "Computers", "Photo", "CS", "Physics", "WikiCS", "ogbn-arxiv", "Facebook"
    ]


def test_load_dataset_rejects_mirror_equal_to_cache(tmp_path):
    with pytest.raises(ValueError, match="cache_dir and mirror must differ"):
        load_dataset("Cora", cache_dir=tmp_path, mirror=tmp_path)


def test_resolve_dirs_fall_back_to_environment_then_default(tmp_path, monkeypatch):
    monkeypatch.setenv("GCLBT_DATA_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("GCLBT_DATA_MIRROR", str(tmp_path / "m"))
    assert (resolve_cache_dir(), resolve_mirror()) == (tmp_path / "c", tmp_path / "m")
    assert resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("GCLBT_DATA_CACHE")
    monkeypatch.delenv("GCLBT_DATA_MIRROR")
    assert resolve_cache_dir() == Path("~/.cache/gclbt/datasets").expanduser()
    assert resolve_mirror() is None


def test_available_offline_checks_cache_and_mirror(tmp_path, mini_mirror):
    cache = tmp_path / "cache"
    assert available_offline("cora", cache, mini_mirror)
    assert not available_offline("cora", cache, tmp_path / "empty_mirror")
    assert not available_offline("pubmed", cache, mini_mirror)
    shutil.copytree(mini_mirror / "Planetoid", cache / "Planetoid")
    assert available_offline("cora", cache, None)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_feature_density_counts_nonzeros_dense_and_sparse():
    x = torch.tensor([[0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 3.0]])
    assert feature_density(x) == 3 / 8
    assert feature_density(x.to_sparse_coo()) == 3 / 8
    assert feature_density(x.to_sparse_csr()) == 3 / 8


def test_feature_density_rejects_non_matrix():
    with pytest.raises(ValueError, match=r"x must be 2-D with shape \[N, F\], got shape \[3\]"):
        feature_density(torch.ones(3))


def test_to_sparse_features_round_trips():
    x = torch.tensor([[0.0, 1.5], [0.0, 0.0], [-2.0, 0.0]])
    sparse = to_sparse_features(x)
    assert sparse.layout == torch.sparse_coo and sparse.is_coalesced()
    assert sparse._nnz() == 2
    assert sparse.to_dense().tolist() == x.tolist()



def test_load_dataset_builds_under_an_exclusive_per_dataset_lock(shared_datasets_dir, tmp_path, monkeypatch):
    """PyG's processing is not atomic: concurrent workers on one new cache must take turns."""
    import fcntl

    from gclbt_plugin.data import datasets

    original = datasets._load_locked
    seen = []

    def probe(spec, cache, dest, mirror_dir):
        with open(dest / ".gclbt.lock", "w") as other:  # a second open file description, as another process
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                seen.append("locked")
            else:
                seen.append("free")
        return original(spec, cache, dest, mirror_dir)

    monkeypatch.setattr(datasets, "_load_locked", probe)
    datasets.load_dataset("Cora", cache_dir=tmp_path, mirror=shared_datasets_dir)
    assert seen == ["locked"]
