"""FeatureSets: contiguous per-column arrays, splits, views and references."""

from modularml.data.featureset import FeatureSet, FeatureSetView
from modularml.data.reference import FeatureSetReference

__all__ = ["FeatureSet", "FeatureSetReference", "FeatureSetView"]
