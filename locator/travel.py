"""Estimated route distance and travel time from a straight-line distance.

These are ESTIMATES, not routes: route distance = geodesic distance × a detour
factor, and time = route distance / a typical speed. The factors are
assumptions, stated here and returned with every estimate:

* walk: detour 1.3 (road networks in Chinese cities are 1.2-1.4 times the
  straight line), 4.5 km/h;
* ebike (delivery riders): detour 1.3, 15 km/h (a typical urban average for
  e-bikes limited to 25 km/h, with traffic lights);
* truck: detour 1.4 (ring roads and truck restrictions), 40 km/h (a mix of
  urban roads and expressway approaches).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    name: str
    detour_factor: float
    speed_kmh: float


MODES = (Mode("walk", 1.3, 4.5), Mode("ebike", 1.3, 15.0), Mode("truck", 1.4, 40.0))
NOTE = "estimate: straight-line distance × detour factor ÷ typical speed; not a routed distance"


def estimate(distance_m: float, mode: Mode) -> tuple[float, float]:
    """Estimated (route metres, minutes) by ``mode`` for a geodesic ``distance_m``, unrounded."""
    route_m = distance_m * mode.detour_factor
    return route_m, route_m / (mode.speed_kmh * 1000 / 60)


def estimates(distance_m: float) -> dict[str, dict[str, float]]:
    """Estimated route metres (to 1 m) and minutes (to 0.1) per mode for ``distance_m``."""
    out = {}
    for mode in MODES:
        route_m, minutes = estimate(distance_m, mode)
        out[mode.name] = {"route_m": round(route_m), "minutes": round(minutes, 1)}
    return out
