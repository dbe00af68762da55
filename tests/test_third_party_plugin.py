"""End-to-end tests with a real third-party plugin distribution (``tests/plugin_example``).

The example distribution ``gclbt-example-plugin`` is pip-installed (offline, no build isolation)
into a temporary ``--target`` directory once per session. Every check then runs in a fresh
interpreter with that directory prepended to ``PYTHONPATH``, exactly as an installed plugin is
seen: through its ``.dist-info/entry_points.txt``, without any import by the registry.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.plugin

PLUGIN_SOURCE = Path(__file__).parent / "plugin_example"
GCLBT = [
    sys.executable,
    "-c",
    "import sys; from gclbt_plugin.cli.main import main; sys.exit(main())",
]

CREATE_SCRIPT = """
import json
from gclbt_plugin import registry
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.losses.base import Loss

aug = registry.create("augmentors", "node-feature-noise", sigma=0.5)
loss = registry.create("losses", "cosine_alignment_loss")
print(json.dumps({
    "augmentor": [repr(aug), type(aug).__module__, isinstance(aug, Augmentor)],
    "loss": [type(loss).__name__, type(loss).__module__, isinstance(loss, Loss)],
}))
"""

ENCODER_SCRIPT = """
import json
import torch
from gclbt_plugin import registry
from gclbt_plugin.encoders import Encoder

torch.manual_seed(0)
encoder = registry.create("encoders", "sgc-encoder", in_channels=8, out_channels=4, K=3)
x = torch.randn(20, 8)
edge_index = torch.randint(0, 20, (2, 60))
encoder.train()
h = encoder.layerwise_inference(x, edge_index)
print(json.dumps({
    "type": [type(encoder).__name__, type(encoder).__module__, isinstance(encoder, Encoder)],
    "sizes": [encoder.in_channels, encoder.out_channels, encoder.num_layers],
    "sparse": encoder.supports_sparse_features,
    "inference": [list(h.shape), h.requires_grad, encoder.training],
}))
"""

TRAIN_SCRIPT = """
import importlib.metadata
import importlib.util
import json
import math
import torch
from gclbt_plugin import registry

torch.manual_seed(0)
augmentor = registry.create(
    "augmentors", "NodeFeatureNoise", sigma=0.5, generator=torch.Generator().manual_seed(1)
)
loss_fn = registry.create("losses", "CosineAlignmentLoss")
x = torch.randn(20, 8)
edge_index = torch.randint(0, 20, (2, 60))
encoder = torch.nn.Linear(8, 4)
before = [p.detach().clone() for p in encoder.parameters()]
optimizer = torch.optim.SGD(encoder.parameters(), lr=0.1)
losses = []
for step in range(3):
    x1, _, _ = augmentor(x, edge_index)
    x2, _, _ = augmentor(x, edge_index)
    loss = loss_fn(encoder(x1), encoder(x2))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
changed = [not torch.equal(b, p) for b, p in zip(before, encoder.parameters())]
print(json.dumps({"losses": losses, "changed": changed}))
"""


def run_python(args: list[str], plugin_path: Path | None) -> subprocess.CompletedProcess:
    """Run ``python args`` with ``plugin_path`` (if any) prepended to ``PYTHONPATH``."""
    env = dict(os.environ)
    paths = [str(plugin_path)] if plugin_path is not None else []
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def listed(plugin_path: Path | None) -> dict[tuple[str, str], dict]:
    """``gclbt list --format json`` as ``{(kind, name): row}``."""
    out = run_python([*GCLBT, "list", "--format", "json"], plugin_path).stdout
    return {(row["kind"], row["name"]): row for row in json.loads(out)}


def offline_build_problem() -> str | None:
    """Why ``pip install --no-build-isolation`` cannot build the example here, or ``None``."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return "setuptools is not installed"
    major_minor = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    has_wheel = importlib.util.find_spec("wheel") is not None
    if major_minor < (70, 1) and not has_wheel:
        return f"setuptools {version} (< 70.1) builds wheels only with the 'wheel' package"
    return None


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory) -> Path:
    """A directory holding the installed example plugin (``pip install --target``)."""
    problem = offline_build_problem()
    if problem is not None:
        pytest.fail(
            f"cannot build {PLUGIN_SOURCE} offline: {problem}; install 'setuptools>=70.1' "
            "(the dev extra should require it)"
        )
    root = tmp_path_factory.mktemp("example_plugin")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = root / "src"
    ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    shutil.copytree(PLUGIN_SOURCE, source, ignore=ignore)
    site = root / "site"
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--no-build-isolation", "--no-index", "--target", str(site), str(source),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"pip could not install {PLUGIN_SOURCE}:\n{result.stdout}\n{result.stderr}")
    return site


def test_example_plugin_is_listed_with_its_distribution(plugin_site):
    rows = listed(plugin_site)
    noise = rows[("augmentors", "NodeFeatureNoise")]
    loss = rows[("losses", "CosineAlignmentLoss")]
    for row in (noise, loss):
        assert (row["distribution"], row["version"], row["error"]) == (
            "gclbt-example-plugin",
            "0.1.0",
            None,
        )
    assert noise["description"].startswith("Add independent Gaussian noise to node features")
    assert loss["description"].startswith("Mean cosine distance between matching rows")


def test_example_plugin_table_shows_provider(plugin_site):
    out = run_python([*GCLBT, "list", "augmentors"], plugin_site).stdout
    (line,) = [line for line in out.splitlines() if "NodeFeatureNoise" in line]
    assert line.split()[:3] == ["NodeFeatureNoise", "gclbt-example-plugin", "0.1.0"]


def test_example_plugin_components_are_created_by_name(plugin_site):
    out = run_python([sys.executable, "-c", CREATE_SCRIPT], plugin_site).stdout
    assert json.loads(out) == {
        "augmentor": ["NodeFeatureNoise(sigma=0.5)", "gclbt_example_plugin.augmentors", True],
        "loss": ["CosineAlignmentLoss", "gclbt_example_plugin.losses", True],
    }


def test_example_plugin_encoder_is_listed_with_its_distribution(plugin_site):
    row = listed(plugin_site)[("encoders", "SGCEncoder")]
    assert (row["distribution"], row["version"], row["error"]) == ("gclbt-example-plugin", "0.1.0", None)
    assert row["description"].startswith("Simplified graph convolution")


def test_example_plugin_encoder_follows_the_encoder_contract(plugin_site):
    out = run_python([sys.executable, "-c", ENCODER_SCRIPT], plugin_site).stdout
    assert json.loads(out) == {
        "type": ["SGCEncoder", "gclbt_example_plugin.encoders", True],
        "sizes": [8, 4, 3],
        "sparse": False,
        "inference": [[20, 4], False, True],
    }


def test_example_plugin_trains_in_place_of_builtins(plugin_site):
    out = run_python([sys.executable, "-c", TRAIN_SCRIPT], plugin_site).stdout
    result = json.loads(out)
    assert len(result["losses"]) == 3
    assert all(math.isfinite(loss) and 0 < loss <= 2 for loss in result["losses"])
    assert result["changed"] == [True, True]


def test_example_plugin_used_by_name_in_gclbt_train(plugin_site, shared_datasets_dir, dataset_cache, tmp_path):
    """The real training command: the plugin's augmenter and loss replace G-BT's built-ins by name."""
    output = tmp_path / "result.json"
    command = [
        *GCLBT, "train", "--method", "gbt", "--dataset", "Cora", "--epochs", "2", "--no-progress",
        "--set", "view1.feature={name: node-feature-noise, sigma: 0.2}",
        "--set", "loss={name: CosineAlignmentLoss}",
        "--set", "encoder.hidden_channels=16", "--set", "encoder.out_channels=16",
        "--data-mirror", str(shared_datasets_dir), "--data-cache", str(dataset_cache), "--output", str(output),
    ]  # fmt: skip
    run_python(command, plugin_site)
    result = json.loads(output.read_text())
    assert result["config"]["view1"]["feature"] == {"name": "node-feature-noise", "sigma": 0.2}
    assert result["config"]["loss"] == {"name": "CosineAlignmentLoss"}
    assert result["epochs"] == 2 and math.isfinite(result["runs"][0]["final_loss"])


def test_example_plugin_encoder_used_by_name_in_gclbt_train(plugin_site, shared_datasets_dir, dataset_cache, tmp_path):
    """The plugin's encoder replaces G-BT's GCN by name; the probe embeds with its default inference."""
    output = tmp_path / "result.json"
    command = [
        *GCLBT, "train", "--method", "gbt", "--dataset", "Cora", "--epochs", "2", "--no-progress",
        "--set", "encoder={name: SGCEncoder, out_channels: 16, K: 2}",
        "--data-mirror", str(shared_datasets_dir), "--data-cache", str(dataset_cache), "--output", str(output),
    ]  # fmt: skip
    run_python(command, plugin_site)
    result = json.loads(output.read_text())
    assert result["config"]["encoder"] == {"name": "SGCEncoder", "out_channels": 16, "K": 2}
    assert result["epochs"] == 2 and math.isfinite(result["runs"][0]["final_loss"])


def test_example_plugin_uninstalled_is_no_longer_listed(plugin_site, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(plugin_site, site)
    assert ("augmentors", "NodeFeatureNoise") in listed(site)
    shutil.rmtree(site)
    rows = listed(site)
    assert ("augmentors", "NodeFeatureNoise") not in rows
    assert ("losses", "CosineAlignmentLoss") not in rows
    assert ("encoders", "SGCEncoder") not in rows
    assert ("augmentors", "Identity") in rows
