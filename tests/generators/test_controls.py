"""Control generators: their releases behave as documented."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthcheck.generators.controls import LaplaceMarginals, NoisyCopies, SampleFrom
from tests.conftest import FIXTURES

POPULATION = str(FIXTURES / "adult_population.csv")


@pytest.fixture(scope="module")
def private(adult):
    return adult["train"].head(300).drop(columns="person_id")


def test_laplace_marginals_only_emits_the_public_domain(private, adult):
    public = adult["population"]
    secret = private.copy()
    secret.loc[:50, "native_country"] = "Atlantis"  # a level only the private data has
    secret.loc[:50, "age"] = 150  # outside the public range
    release = LaplaceMarginals(epsilon=50.0, public=POPULATION, random_state=0).fit(secret).sample(2000)
    assert list(release.columns) == list(private.columns)
    assert "Atlantis" not in set(release["native_country"].dropna())
    assert set(release["workclass"].dropna()) <= set(public["workclass"].dropna())
    ages = release["age"].dropna()  # every column has a (noisy) "missing" cell
    assert ages.max() <= public["age"].max() and ages.min() >= public["age"].min()
    assert (ages == np.round(ages)).all()


def test_laplace_marginals_follows_the_private_marginals_at_large_epsilon(private):
    release = LaplaceMarginals(epsilon=1000.0, public=POPULATION, random_state=1).fit(private).sample(5000)
    expected = private["sex"].value_counts(normalize=True)
    observed = release["sex"].value_counts(normalize=True)
    assert abs(expected["Male"] - observed["Male"]) < 0.03


def test_laplace_marginals_noise_grows_as_epsilon_shrinks(private):
    def error(epsilon: float, seed: int) -> float:
        fitted = LaplaceMarginals(epsilon=epsilon, public=POPULATION, random_state=seed).fit(private)
        (_, levels, _), probabilities = fitted.marginals_["education"]
        truth = private["education"].value_counts(normalize=True).reindex(levels, fill_value=0)
        return float(np.abs(probabilities[:-1] - truth.to_numpy()).sum())
    assert np.mean([error(0.1, s) for s in range(5)]) > 3 * np.mean([error(100.0, s) for s in range(5)])
    with pytest.raises(ValueError):
        LaplaceMarginals(epsilon=0, public=POPULATION)


def test_noisy_copies_memorises_and_sample_from_ignores_training(private):
    copies = NoisyCopies(noise=0.0, random_state=0).fit(private).sample(100)
    rows = set(map(tuple, private.to_numpy().tolist()))
    assert all(tuple(r) in rows for r in copies.to_numpy().tolist())
    other = SampleFrom(POPULATION, random_state=0).fit(private).sample(100)
    assert list(other.columns) == list(private.columns)
    assert not any(tuple(r) in rows for r in other.to_numpy().tolist())
    again = SampleFrom(POPULATION, random_state=0).fit(private.head(10)).sample(100)
    pd.testing.assert_frame_equal(other, again)
