"""WCAG 2.x relative luminance and contrast ratio, and a hue for telling colours apart."""

from __future__ import annotations

import colorsys

RGB = tuple[float, float, float]


def rgb(hex_colour: str) -> RGB:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def luminance(colour: RGB) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def hue_degrees(colour: RGB) -> float:
    h, _, _ = colorsys.rgb_to_hls(*(c / 255 for c in colour))
    return h * 360


def hue_distance(a: RGB, b: RGB) -> float:
    d = abs(hue_degrees(a) - hue_degrees(b)) % 360
    return min(d, 360 - d)
