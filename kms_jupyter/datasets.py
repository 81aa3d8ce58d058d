"""Data sets: the real movies data (from KMS_MOVIES_CSV) and an embedded movies-like generator.

The generator makes the demo and most tests run offline: same columns and dtypes as the
vignette's movies.csv, the same 17 imbalanced genres, a high-cardinality director column with
genre preferences, a unique title per row, and numeric columns whose distributions depend on the
genre so that a network has something real to learn.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from kms_jupyter.errors import KmsDataError

PUBLIC_MOVIES_URL = "http://s3.amazonaws.com/dcwoods2717/movies.csv"
MOVIES_ENV = "KMS_MOVIES_CSV"

# Genre counts of the vignette's 2,961 movies (sort(table(movies$genre))).
GENRE_COUNTS = {
    "Comedy": 848, "Action": 738, "Drama": 498, "Adventure": 288, "Crime": 202,
    "Biography": 135, "Horror": 131, "Animation": 35, "Fantasy": 28, "Documentary": 25,
    "Mystery": 16, "Sci-Fi": 7, "Family": 3, "Musical": 2, "Romance": 2, "Western": 2,
    "Thriller": 1,
}

# Per-genre shifts (in standard deviations) of: log budget, duration, rating, log votes, year.
_GENRE_PROFILE = {
    "Comedy": (-0.2, -0.5, -0.3, -0.2, 0.1), "Action": (0.9, 0.4, -0.2, 0.5, 0.2),
    "Drama": (-0.5, 0.5, 0.7, -0.1, -0.1), "Adventure": (1.0, 0.3, 0.0, 0.4, 0.0),
    "Crime": (-0.1, 0.3, 0.4, 0.1, 0.0), "Biography": (-0.3, 0.9, 0.8, -0.1, 0.3),
    "Horror": (-1.2, -0.9, -0.9, -0.3, 0.3), "Animation": (0.8, -1.5, 0.4, 0.2, 0.4),
    "Fantasy": (0.6, 0.2, -0.1, 0.0, 0.0), "Documentary": (-2.0, -0.8, 0.9, -1.5, 0.4),
    "Mystery": (-0.4, 0.1, 0.3, -0.2, -0.2), "Sci-Fi": (0.7, 0.2, 0.1, 0.2, 0.0),
    "Family": (0.2, -0.6, -0.2, -0.5, -0.3), "Musical": (-0.5, 0.3, 0.2, -0.8, -1.5),
    "Romance": (-0.6, 0.0, 0.2, -0.5, -0.5), "Western": (-0.3, 0.5, 0.5, -0.4, -1.5),
    "Thriller": (0.0, 0.0, 0.0, 0.0, 0.0),
}

_FIRST = ["Ann", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kara",
          "Luis", "Mina", "Noor", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Vik",
          "Wen", "Xavi", "Yara", "Zoe"]
_LAST = ["Abbott", "Baker", "Cruz", "Dunn", "Ellis", "Fox", "Gupta", "Hale", "Ito", "Jones",
         "Khan", "Lund", "Moreau", "Novak", "Ortiz", "Park", "Quist", "Reyes", "Stone", "Tran",
         "Ueda", "Vance", "Weber", "Xu", "Young", "Zeller"]
_WORDS = ["Night", "River", "Shadow", "Summer", "City", "Last", "Secret", "Broken", "Golden",
          "Silent", "Wild", "Lost", "Red", "Iron", "Paper", "Glass", "Storm", "Hidden", "Blue",
          "Long", "Road", "House", "Dream", "Fire", "Winter", "Heart", "Moon", "Edge"]


def movies_like(n: int = 2961, seed: int = 0) -> pd.DataFrame:
    """A synthetic data frame shaped like the vignette's movies.csv (offline, deterministic)."""
    if n < 1:
        raise KmsDataError(f"movies_like(n={n}): n must be at least 1.")
    rng = np.random.default_rng(seed)
    genres = np.array(list(GENRE_COUNTS))
    share = np.array(list(GENRE_COUNTS.values()), dtype=float)
    share /= share.sum()
    # exact proportions (largest remainder), so n=2961 gives the vignette's counts
    counts = np.floor(share * n).astype(int)
    counts[np.argsort(-(share * n - counts))[: n - counts.sum()]] += 1
    genre = np.repeat(genres, counts)
    rng.shuffle(genre)

    # Directors: a Zipf-like pool where most appear once, a few very often; each has a favourite
    # genre they pick 60% of the time, so director carries (noisy) information about genre.
    n_directors = max(1, int(n / 2.1))
    names = np.array([f"{_FIRST[i % 26]} {_LAST[(i // 26) % 26]}{'' if i < 676 else ' ' + str(i // 676)}"
                      for i in range(n_directors)])
    weights = 1.0 / np.arange(1, n_directors + 1) ** 0.9
    favourite = rng.choice(genres, size=n_directors, p=share)
    director = np.empty(n, dtype=object)
    for g in genres:
        rows = np.flatnonzero(genre == g)
        if rows.size == 0:
            continue
        w = weights * np.where(favourite == g, 6.0, 1.0)
        director[rows] = names[rng.choice(n_directors, size=rows.size, p=w / w.sum())]

    prof = np.array([_GENRE_PROFILE[g] for g in genre])
    noise = rng.normal(size=(n, 5))
    log_budget = 16.5 + 1.2 * (prof[:, 0] + noise[:, 0])
    duration = np.clip(107 + 14 * (prof[:, 1] + noise[:, 1]), 60, 280).round()
    rating = np.clip(6.4 + 0.8 * (prof[:, 2] + noise[:, 2]), 1.6, 9.3).round(1)
    log_votes = 11.0 + 1.2 * (prof[:, 3] + 0.6 * noise[:, 3]) + 0.4 * (rating - 6.4)
    year = np.clip(2002 + 9 * (prof[:, 4] + noise[:, 4]), 1920, 2016).round()
    budget = np.exp(log_budget).round(-3)
    gross = np.exp(log_budget + 0.3 + 0.4 * (rating - 6.4) + rng.normal(0, 1, n)).round()
    votes = np.exp(log_votes).round()
    reviews = np.maximum(1, votes / 100 * np.exp(rng.normal(0, 0.3, n))).round()
    likes = np.exp(8.5 + 0.5 * prof[:, 0] + rng.normal(0, 1.3, n)).round()
    title = [f"{_WORDS[i % 28]} {_WORDS[(i // 28) % 28]} {i}" for i in range(n)]

    return pd.DataFrame({
        "title": title, "genre": genre, "director": director.astype(str),
        "year": year.astype(int), "duration": duration.astype(int), "gross": gross.astype(np.int64),
        "budget": budget.astype(np.int64), "cast_facebook_likes": likes.astype(np.int64),
        "votes": votes.astype(np.int64), "reviews": reviews.astype(np.int64), "rating": rating,
    })


def load_movies(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The vignette's movies data: ``path``, else $KMS_MOVIES_CSV, else the public copy."""
    source = path or os.environ.get(MOVIES_ENV) or PUBLIC_MOVIES_URL
    if not str(source).startswith("http") and not Path(source).is_file():
        raise KmsDataError(f"movies file {str(source)!r} not found: set {MOVIES_ENV} to the path of "
                           "movies.csv, or use kms_jupyter.movies_like() for the embedded data set.")
    try:
        return pd.read_csv(source)
    except OSError as exc:  # offline and no local copy
        raise KmsDataError(f"could not read the movies data from {source}: {exc}. Set {MOVIES_ENV} "
                           "to a local movies.csv, or use kms_jupyter.movies_like().") from None
