"""Each region's default demand model is built once and shared."""

from __future__ import annotations

from locator.planning import demand_cache
from locator.planning.demand_cache import DemandCache
from tests.conftest import DATA


def test_demand_models_are_built_once_per_region(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(demand_cache.demand, "default_model", lambda d, r: calls.append(r) or r)
    cache = DemandCache(DATA)
    assert [cache.get("beijing"), cache.get("beijing"), cache.get("shaanxi")] == [
        "beijing",
        "beijing",
        "shaanxi",
    ]
    assert calls == ["beijing", "shaanxi"]
