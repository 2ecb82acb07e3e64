"""FeatureSet, splits, references and SimpleSampler."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import torch

from frontend_helpers import seed_setup
from modularml import FeatureSet
from modularml.core.experiment.context import ExperimentContext
from modularml.data.splits import largest_remainder_sizes
from modularml.samplers import SimpleSampler


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


def test_seed_featureset_layout_and_splits():
    fs = seed_setup().fs
    assert repr(fs) == "FeatureSet(label='SensorData', n_samples=500)"
    assert fs.get_feature_shapes() == {"features.voltage.raw": (20,)}
    assert fs.get_target_shapes() == {"targets.soh.raw": ()}
    assert fs.get_features().shape == (500, 1, 20)
    assert fs.get_targets().shape == (500, 1)
    assert fs.available_splits == ["train", "val", "test"]
    assert [len(fs[s]) for s in fs.available_splits] == [350, 75, 75]
    assert repr(fs["train"]) == "FeatureSetView(source='SensorData', n_samples=350, label='train')"
    all_rows = np.concatenate([fs[s].indices for s in fs.available_splits])
    assert sorted(all_rows.tolist()) == list(range(500))


def test_split_random_is_seeded_and_rejects_reuse():
    def make(seed):
        ExperimentContext().make_active()
        fs = FeatureSet.from_dict("D", {"x": np.arange(10.0), "y": np.arange(10.0)}, "x", "y")
        fs.split_random({"a": 0.5, "b": 0.5}, seed=seed)
        return fs

    assert (make(1)["a"].indices == make(1)["a"].indices).all()
    assert not (make(1)["a"].indices == make(2)["a"].indices).all()
    fs = make(1)
    with pytest.raises(ValueError, match="already exists"):
        fs.split_random({"a": 1.0})
    fs.clear_splits()
    fs.split_random({"a": 1.0})
    assert len(fs["a"]) == 10
    with pytest.raises(KeyError, match="available"):
        fs.get_split("nope")


def test_largest_remainder_rounding():
    assert largest_remainder_sizes({"a": 0.7, "b": 0.15, "c": 0.15}, 500) == {
        "a": 350, "b": 75, "c": 75}
    assert sum(largest_remainder_sizes({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 10).values()) == 10
    with pytest.raises(ValueError, match="sum to 1"):
        largest_remainder_sizes({"a": 0.5}, 10)
    with pytest.raises(ValueError, match="zero samples"):
        largest_remainder_sizes({"a": 0.99, "b": 0.01}, 10)


def test_reference_and_key_selection():
    data = {"x": np.zeros((4, 3)), "z": np.ones(4), "y": np.arange(4.0), "t": ["a", "b", "a", "b"]}
    fs = FeatureSet.from_dict("D", data, ["x", "z"], "y", tag_keys="t")
    ref = fs.reference(features="x", targets="y")
    assert ref.features == ("features.x.raw",)
    assert ref.tags == ("tags.t.raw",)  # an unspecified domain takes all columns
    assert fs.reference().features == ("features.x.raw", "features.z.raw")
    assert fs.get_feature_keys(include_domain_prefix=False, include_rep_suffix=False) == ["x", "z"]
    with pytest.raises(KeyError, match="No features column"):
        fs.reference(features="nope")
    with pytest.raises(KeyError):
        FeatureSet.from_dict("E", data, "missing", "y")


def test_from_polars_with_list_columns():
    df = pl.DataFrame({"v": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "s": [0.1, 0.2, 0.3]})
    fs = FeatureSet.from_polars("P", df, feature_cols="v", target_cols="s")
    assert fs.get_features().shape == (3, 1, 2)
    np.testing.assert_allclose(fs.get_targets()[:, 0], [0.1, 0.2, 0.3])


def test_split_tensors_are_built_once_as_float32():
    fs = seed_setup().fs
    ref = fs.reference(features="voltage", targets="soh")
    f1, t1 = fs["train"].tensors(ref, torch.device("cpu"))
    f2, _ = fs["train"].tensors(ref, torch.device("cpu"))
    assert f1 is f2
    assert f1.dtype == torch.float32 and f1.shape == (350, 1, 20) and t1.shape == (350, 1)


def test_sampler_batches_and_reshuffles_reproducibly():
    s = SimpleSampler(batch_size=32, shuffle=True, seed=42)
    assert repr(s) == "SimpleSampler(batch_size=32)"
    assert s.num_batches(350) == 11
    assert s.batch_bounds(350)[-1] == (320, 350)
    assert SimpleSampler(batch_size=32, drop_last=True).num_batches(350) == 10
    s.start()
    first, second = s.epoch_order(350), s.epoch_order(350)
    assert not (first == second).all()  # a new order every epoch
    assert sorted(first.tolist()) == list(range(350))
    s.start()
    assert (s.epoch_order(350) == first).all()  # the same sequence on every run
    assert SimpleSampler(batch_size=4).epoch_order(10) is None
    with pytest.raises(ValueError):
        SimpleSampler(batch_size=0)
