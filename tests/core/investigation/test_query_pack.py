"""The SQL query pack and the `investigation:` config: the shipped pack loads for both
engines, values never become SQL text for Athena (they are ExecutionParameters), Lake gets
literals of validated values only, a broken pack or config block is an error with file:line,
and the ack refuses an engine that is not set up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.errors import ConfigError, UsageError
from core.investigation import pack, service
from core.investigation.config import InvestigationConfig
from core.investigation.model import Question, parse
from core.settings import load_config
from tests.conftest import REPO

AT = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
ATHENA = {"workgroup": "firebreak-ir", "database": "cloudtrail", "table": "cloudtrail_logs"}
LAKE = {"event_data_store": "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/0b7a2c3d-1111-2222-3333-4e5f6a7b8c9d"}


def write(tmp_path, text, name="firebreak.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


class Config:
    def __init__(self, **investigation):
        self.investigation = InvestigationConfig(**investigation)
        self.access = type("Access", (), {"responders": []})()


class Services:
    def __init__(self, **investigation):
        self.config = Config(**investigation)
        engines = [e for e in self.config.investigation.enabled() if e != "cloudtrail"]
        self.query_templates = pack.load(self.config.investigation.queries_path, engines)  # as the root loads it


def test_the_shipped_pack_loads_for_both_engines_and_every_subject():
    loaded = pack.load(REPO / "config" / "queries", ["athena", "lake"])
    assert set(loaded) == {(e, s) for e in ("athena", "lake") for s in pack.SUBJECTS}


def test_markers_inside_literals_identifiers_and_comments_are_text():
    segments = pack.tokenize("-- :value {table}\nSELECT 'arn:aws:s3:::' || :value, \"a:b\" FROM {table} x::int")
    assert [(s.kind, s.text) for s in segments if s.kind != "text"] == [("param", "value"), ("token", "table")]
    assert ":value {table}" not in "".join(s.text for s in segments if s.kind == "text"), "comments are dropped"


def statement(engine, question, **investigation):
    services = Services(**investigation)
    return service.statement_for(services, engine, question, AT - timedelta(hours=question.hours), AT)


def test_athena_gets_question_marks_and_the_values_as_execution_parameters():
    done = statement("athena", parse("principal arn:aws:iam::123456789012:role/Admin --hours 6 --region eu-west-1"),
                     athena=ATHENA)
    assert "arn:aws:iam::123456789012" not in done.sql and "Admin" not in done.sql and "eu-west-1" not in done.sql
    assert '"cloudtrail"."cloudtrail_logs"' in done.sql and "LIMIT 5001" in done.sql
    assert done.sql.count("?") == len(done.parameters)
    assert done.parameters[:2] == ("'2026-01-01T06:00:00Z'", "'2026-01-01T12:00:00Z'")
    assert "'arn:aws:iam::123456789012:role/Admin'" in done.parameters and "'Admin'" in done.parameters
    assert "'eu-west-1'" in done.parameters and "''" in done.parameters  # no --account: every account
    assert dict(done.asked)["name"] == "Admin" and dict(done.asked)["region"] == "eu-west-1"


def test_lake_gets_literals_of_validated_values():
    done = statement("lake", parse("ip 2001:DB8::1 --hours 1"), lake=LAKE)
    assert done.parameters == () and "FROM 0b7a2c3d-1111-2222-3333-4e5f6a7b8c9d" in done.sql
    assert "sourceIPAddress = '2001:db8::1'" in done.sql and "eventTime >= '2026-01-01 11:00:00'" in done.sql


@pytest.mark.parametrize("engine, config", [("athena", {"athena": ATHENA}), ("lake", {"lake": LAKE})])
def test_an_injection_attempt_never_reaches_the_engine(engine, config):
    with pytest.raises(UsageError, match="does not look like"):
        parse("principal x'OR'1'='1")
    sneaked = Question("principal", "x' OR '1'='1")  # built by code, not parsed: refused just the same
    with pytest.raises(UsageError, match="does not look like a principal"):
        statement(engine, sneaked, **config)
    with pytest.raises(ValueError):
        pack.literal("o'brien")


def test_a_broken_pack_is_named_with_file_and_line(tmp_path):
    for engine in ("athena", "lake"):
        (tmp_path / engine).mkdir()
        for subject in pack.SUBJECTS:
            source = (REPO / "config" / "queries" / engine / f"{subject}.sql").read_text()
            (tmp_path / engine / f"{subject}.sql").write_text(source)
    (tmp_path / "athena" / "ip.sql").write_text("SELECT 1\nFROM {table}\nWHERE x = :valeu AND :start < :end\n")
    with pytest.raises(pack.PackError, match=r"athena/ip.sql:3: unknown parameter :valeu"):
        pack.load(tmp_path, ["athena"])
    (tmp_path / "athena" / "ip.sql").write_text("SELECT * FROM {table} WHERE sourceipaddress = :value")
    with pytest.raises(pack.PackError, match=r"ip.sql:1: the query must use :start, :end, \{limit\}"):
        pack.load(tmp_path, ["athena"])
    (tmp_path / "lake" / "key.sql").unlink()
    with pytest.raises(pack.PackError, match="cannot read the lake query for key"):
        pack.load(tmp_path, ["lake"])


def test_check_config_rejects_a_bad_investigation_block_with_file_and_line(tmp_path):
    assert load_config()[0].investigation.enabled() == ("cloudtrail",), "off by default"
    bad = write(tmp_path, "investigation:\n  default_source: athena\n  timeout_seconds: 300\n")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert any(f"{bad}:2" in p or f"{bad}:1" in p for p in caught.value.problems)
    assert "no investigation.athena block" in str(caught.value)
    bad = write(tmp_path, "investigation:\n  athena:\n    workgroup: primary\n    database: cloudtrail\n"
                          "    table: cloudtrail_logs\n    output_location: s3://my-results/x/\n")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    problems = "\n".join(caught.value.problems)
    assert f"{bad}:3: investigation.athena.workgroup" in problems
    assert f"{bad}:6: investigation.athena.output_location" in problems
    broken = tmp_path / "pack"
    (broken / "athena").mkdir(parents=True)
    good = write(tmp_path, f"investigation:\n  queries: {broken}\n  athena: {{workgroup: firebreak-ir, "
                           "database: cloudtrail, table: cloudtrail_logs}\n")
    with pytest.raises(ConfigError, match="the query pack is broken: .*cannot read the athena query"):
        load_config(good)
    elsewhere = write(tmp_path, "investigation:\n  lake:\n    event_data_store: abc-123\n"
                                "    account: '111122223333'\n")
    with pytest.raises(ConfigError, match=f"{elsewhere}:4: investigation.lake.account: 111122223333 is not in "
                                          "containment.accounts"):
        load_config(elsewhere)
    fine = write(tmp_path, "investigation:\n  default_source: lake\n  lake:\n    event_data_store: "
                           f"{LAKE['event_data_store']}\n")
    assert load_config(fine)[0].investigation.default_source == "lake"


def test_the_ack_refuses_an_engine_that_is_not_set_up_and_a_window_it_does_not_keep():
    assert parse("key AKIAIOSFODNN7EXAMPLE --source ATHENA").source == "athena"
    with pytest.raises(UsageError, match="--source takes"):
        parse("key AKIAIOSFODNN7EXAMPLE --source splunk")
    with pytest.raises(UsageError, match="investigation.athena"):
        service.check(Services(), parse("key AKIAIOSFODNN7EXAMPLE --source athena"))
    with pytest.raises(UsageError, match="90 days"):
        service.check(Services(athena=ATHENA), parse("key AKIAIOSFODNN7EXAMPLE --hours 4000"))
    service.check(Services(athena=ATHENA), parse("key AKIAIOSFODNN7EXAMPLE --hours 4000 --source athena"))
    service.check(Services(athena=ATHENA, default_source="athena"), parse("key AKIAIOSFODNN7EXAMPLE --hours 4000"))
