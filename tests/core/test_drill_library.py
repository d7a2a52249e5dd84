"""Drill scenarios are loaded once, at start, by the composition root (not from disk at each
command); a broken scenario file does not stop the bot: drills are refused, naming the file."""

from __future__ import annotations

import pytest

from core.drills import runner
from core.drills.loader import library
from core.errors import ConfigError
from tests.support.fakes import fake_services


def test_the_shipped_scenarios_are_loaded_once_at_start(settings, clock):
    services = fake_services(settings, clock)
    try:
        names = set(runner.scenarios(services))
        assert {"crypto-mining", "exposed-access-key"} <= names
        assert runner.scenarios(services) is runner.scenarios(services), "no reload per call"
    finally:
        services.drain()


def test_a_broken_scenario_file_refuses_drills_with_file_and_line_and_the_bot_still_starts(settings, clock,
                                                                                            tmp_path):
    (tmp_path / "broken.yaml").write_text("name: broken\ndescription: x\nfindings: 3\n")
    broken = library(settings.config.incidents, {}, (), directory=tmp_path)
    assert broken.scenarios == {} and broken.problems
    services = fake_services(settings, clock, drills=broken)
    try:
        with pytest.raises(ConfigError) as refused:
            runner.scenarios(services)
        assert any(str(tmp_path / "broken.yaml") in p for p in refused.value.problems)
    finally:
        services.drain()
