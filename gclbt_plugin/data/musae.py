"""Facebook Page-Page from the MUSAE authors' raw files, as a PyG ``InMemoryDataset``.

Rozemberczki, Allen & Sarkar, "Multi-scale attributed node embedding", Journal of Complex Networks
9(2), 2021 (MUSAE): a graph of 22,470 verified Facebook pages (nodes) and their 171,002 mutual
likes (edges, self-likes included), four page categories (company, government, politician,
tvshow) and a bag of 4,714 words from the pages' own descriptions per node.

PyG's ``FacebookPagePage`` downloads a re-packaged ``facebook.npz`` (128 dense features) from a
host that offline machines cannot reach; this class reads the three files the authors publish in
their repository (github.com/benedekrozemberczki/MUSAE, ``input/``) and keeps their binary word
features. It is the package's held-out dataset: no recipe was tuned on it (issue #13).

Raw layout (``<root>/raw/``):

- ``facebook_edges.csv``: header ``id_1,id_2``, one undirected edge per row;
- ``facebook.json``: ``{"node id": [word ids]}``;
- ``facebook_target.csv``: header ``id,facebook_id,page_name,page_type``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import torch
from torch_geometric.data import Data, InMemoryDataset, download_url
from torch_geometric.utils import remove_self_loops, to_undirected

#: Where the authors publish the raw files (PyG-style download when no mirror holds them).
MUSAE_URL = "https://raw.githubusercontent.com/benedekrozemberczki/MUSAE/master/input"
#: Raw file name -> its folder under :data:`MUSAE_URL`.
RAW_FOLDERS = {"facebook_edges.csv": "edges", "facebook.json": "features", "facebook_target.csv": "target"}


class MUSAEFacebook(InMemoryDataset):
    """Facebook Page-Page (MUSAE raw files): ``x [22470, 4714]`` binary, ``y [22470]`` in 0..3.

    Classes are the sorted ``page_type`` names (0 company, 1 government, 2 politician, 3 tvshow).
    ``edge_index`` is undirected without self-loops (GCN encoders add their own): 341,646 columns.

    Args:
        root: Folder holding ``raw/`` (and, once built, ``processed/``).
    """

    @property
    def raw_file_names(self) -> list[str]:
        return list(RAW_FOLDERS)

    @property
    def processed_file_names(self) -> str:
        return "data.pt"

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.load(self.processed_paths[0])

    def download(self) -> None:
        for name, folder in RAW_FOLDERS.items():
            download_url(f"{MUSAE_URL}/{folder}/{name}", self.raw_dir)

    def process(self) -> None:
        self.save([read_musae(Path(self.raw_dir), "facebook")], self.processed_paths[0])


def read_musae(raw_dir: Path, name: str) -> Data:
    """Build ``Data(x, edge_index, y)`` from ``<name>_edges.csv``, ``<name>.json`` and ``<name>_target.csv``.

    Node ids are the rows' ``id`` (0..N-1); the feature dimension is the largest word id + 1.

    Raises:
        ValueError: If the three files disagree on the node ids.
    """
    with open(raw_dir / f"{name}_target.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    num_nodes = len(rows)
    if sorted(int(row["id"]) for row in rows) != list(range(num_nodes)):
        raise ValueError(f"{name}_target.csv: node ids must be 0..{num_nodes - 1}")
    classes = sorted({row["page_type"] for row in rows})
    y = torch.empty(num_nodes, dtype=torch.long)
    for row in rows:
        y[int(row["id"])] = classes.index(row["page_type"])

    words = {int(node): ids for node, ids in json.loads((raw_dir / f"{name}.json").read_text()).items()}
    if set(words) != set(range(num_nodes)):
        raise ValueError(f"{name}.json: node ids must be the {num_nodes} ids of {name}_target.csv")
    num_features = 1 + max((max(ids) for ids in words.values() if ids), default=-1)
    x = torch.zeros(num_nodes, num_features)
    for node, ids in words.items():
        x[node, ids] = 1.0

    with open(raw_dir / f"{name}_edges.csv", newline="", encoding="utf-8") as handle:
        pairs = [(int(a), int(b)) for a, b in list(csv.reader(handle))[1:]]
    edge_index = torch.tensor(pairs, dtype=torch.long).t().reshape(2, -1)
    if edge_index.numel() and int(edge_index.max()) >= num_nodes:
        raise ValueError(f"{name}_edges.csv: node id {int(edge_index.max())} is not below {num_nodes}")
    edge_index, _ = remove_self_loops(to_undirected(edge_index, num_nodes=num_nodes))
    return Data(x=x, edge_index=edge_index, y=y)
