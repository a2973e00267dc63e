"""Cloud colours: each readable against the white page, each told apart from the others."""

from __future__ import annotations

from itertools import combinations

import pytest
from contrast import contrast, hue_distance, rgb

from functions.jobs.digest import OTHER_COLOUR, PROVIDER_COLOURS

WHITE = (255, 255, 255)
COLOURS = {**PROVIDER_COLOURS, "other": OTHER_COLOUR}


def test_the_contrast_formula_matches_known_ratios() -> None:
    assert contrast(WHITE, (0, 0, 0)) == pytest.approx(21.0)
    assert contrast(WHITE, rgb("#767676")) == pytest.approx(4.54, abs=0.01)
    assert contrast(WHITE, rgb("#ff9900")) < 3  # the old AWS orange failed on white


@pytest.mark.parametrize("cloud", sorted(COLOURS))
def test_each_cloud_colour_stands_out_from_white(cloud: str) -> None:
    # WCAG 1.4.11: bars and swatches need 3:1 against what is next to them.
    assert contrast(WHITE, rgb(COLOURS[cloud])) >= 3.0


def test_cloud_colours_differ_in_hue() -> None:
    # Similar lightness is wanted (all pass on white), so they differ by hue: at least
    # 45 degrees apart on the colour wheel (the old GCP and Azure blues were 11 apart).
    for a, b in combinations(sorted(COLOURS), 2):
        assert hue_distance(rgb(COLOURS[a]), rgb(COLOURS[b])) >= 45, (a, b)
