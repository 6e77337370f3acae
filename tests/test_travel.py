from locator.travel import estimates


def test_estimates_use_detour_factor_and_speed():
    # 1,000 m straight line: walk 1,300 m at 4.5 km/h = 17.3 min; e-bike 1,300 m at 15 km/h
    # = 5.2 min; truck 1,400 m at 40 km/h = 2.1 min.
    assert estimates(1000.0) == {
        "walk": {"route_m": 1300, "minutes": 17.3},
        "ebike": {"route_m": 1300, "minutes": 5.2},
        "truck": {"route_m": 1400, "minutes": 2.1},
    }
