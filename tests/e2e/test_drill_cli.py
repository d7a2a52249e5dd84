"""The drill commands of the CLI (a stable interface) and check-config's drill errors."""

from __future__ import annotations

from tests.conftest import REPO
from tests.support.cli import run_bot


def bot(*args, env=None):
    return run_bot(*args, env=env)


def test_drill_list_prints_one_scenario_per_line_name_first(tmp_path):
    done = bot("drill", "list", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    names = sorted(p.stem for p in (REPO / "drills").glob("*.yaml"))
    assert sorted(line.split()[0] for line in lines) == names and len(names) >= 5
    assert all(len(line.split(None, 1)) == 2 for line in lines), "each line has a description after the name"


def test_check_config_counts_the_shipped_drills(tmp_path):
    shipped = bot("check-config")
    shipped_files = len(list((REPO / "drills").glob("*.yaml")))
    assert shipped.returncode == 0 and f"Drill scenarios: {shipped_files}" in shipped.stdout


def test_a_broken_scenario_is_named_with_file_line_and_problem(tmp_path, settings):
    import pytest

    from core.drills.loader import load_scenarios
    from core.errors import ConfigError
    from core.playbooks.loader import load_playbooks

    text = (REPO / "drills" / "port-probe.yaml").read_text()
    (tmp_path / "port-probe.yaml").write_text(text.replace("severity: sev3", "severity: sev9"))
    cfg = settings.config
    with pytest.raises(ConfigError) as refused:
        load_scenarios(cfg.incidents, load_playbooks(cfg.playbooks.path, cfg.incidents), directory=tmp_path)
    problems = "\n".join(refused.value.problems)
    assert f"{tmp_path / 'port-probe.yaml'}:" in problems
    assert f"{tmp_path / 'port-probe.yaml'}:5: severity: unknown severity 'sev9'" in problems
    assert all(p.split(":")[1].isdigit() for p in refused.value.problems if p.startswith(str(tmp_path)))
