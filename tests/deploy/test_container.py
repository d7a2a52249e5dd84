"""Dockerfile, .dockerignore and compose.yaml, checked without Docker: the instructions are
parsed, the compose file is read as YAML, and both are held to the Procfile's processes.
The image's HEALTHCHECK command itself is run against a real `bot.py serve`."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest
import yaml

from local.fake_slack import FakeSlack
from tests.conftest import REPO
from tests.support.slack import eventually

PROCFILE_TO_COMPOSE = {"release": "migrate", "web": "web", "worker": "worker", "clock": "clock"}
APP_SERVICES = ("migrate", "web", "worker", "clock")


# ------------------------------------------------------------------------------ parsing
def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; comments dropped, continuation lines joined."""
    instructions, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if pending and line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    assert not pending, "the Dockerfile ends inside a continued instruction"
    return instructions


def stages(instructions) -> list[list[tuple[str, str]]]:
    found = []
    for instruction in instructions:
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def procfile() -> dict[str, list[str]]:
    lines = (REPO / "Procfile").read_text(encoding="utf-8").splitlines()
    return {name.strip(): shlex.split(command) for name, _, command in (line.partition(":") for line in lines)
            if command.strip()}


@pytest.fixture(scope="module")
def dockerfile():
    return dockerfile_instructions((REPO / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runtime(dockerfile):
    return stages(dockerfile)[-1]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))


def last(stage, keyword: str) -> str:
    found = [args for kw, args in stage if kw == keyword]
    assert found, f"no {keyword} in the runtime stage"
    return found[-1]


# ------------------------------------------------------------------------------ Dockerfile
def test_the_parser_reads_instructions_as_docker_does():
    text = "# syntax=docker/dockerfile:1\nFROM python:3.12-slim AS x\nRUN a \\\n  # note\n  && b\nUSER 1:1\n"
    parsed = [(kw, " ".join(args.split())) for kw, args in dockerfile_instructions(text)]
    assert parsed == [("FROM", "python:3.12-slim AS x"), ("RUN", "a && b"), ("USER", "1:1")]


def test_every_stage_is_a_slim_python_at_least_3_11(dockerfile):
    images = [args.split()[0] for kw, args in dockerfile if kw == "FROM"]
    assert images
    for image in images:
        found = re.fullmatch(r"python:3\.(\d+)(?:\.\d+)?-slim(?:-[a-z]+)?", image)
        assert found and int(found.group(1)) >= 11, f"{image}: want python:3.11+-slim"


def test_the_image_runs_as_a_non_root_user_it_creates(runtime):
    users = [args for kw, args in runtime if kw == "USER"]
    assert users, "no USER: the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and (users[-1].split(":") + [""])[1] not in ("root", "0")
    created = " ".join(args for kw, args in runtime if kw == "RUN" and "useradd" in args)
    assert re.search(rf"--uid {re.escape(user)}\b", created) or re.search(rf"\b{re.escape(user)}\s*$", created), \
        f"USER {user} is not created by a useradd in the runtime stage"
    after = runtime[[i for i, (kw, _) in enumerate(runtime) if kw == "USER"][-1]:]
    assert not [kw for kw, _ in after if kw == "RUN"], "RUN after USER: put set-up before switching user"


def test_the_code_is_not_writable_by_the_process(runtime):
    copies = [args for kw, args in runtime if kw == "COPY" and args.split()[-2:] in (["."] * 2, [".", "/app"])]
    assert copies, "the source is not copied into the image"
    assert not [c for c in copies if "--chown" in c], "the code would belong to the runtime user"


def test_one_image_three_commands_run_bot_py(runtime):
    entrypoint = exec_form(last(runtime, "ENTRYPOINT"))
    assert entrypoint == ["python", "bot.py"]
    assert exec_form(last(runtime, "CMD")) == ["serve"]
    workdir = last(runtime, "WORKDIR")
    source = [i for i, (kw, args) in enumerate(runtime) if kw == "COPY" and args.split()[-2:] == [".", "."]]
    before = [args for kw, args in runtime[:source[0]] if kw == "WORKDIR"]
    assert before and before[-1] == workdir, "bot.py is not in the working directory the entrypoint runs in"
    for name, command in procfile().items():
        assert command[:2] == entrypoint, f"Procfile {name}: {command} does not run bot.py like the image"


def test_healthcheck_asks_healthz_with_python_not_curl(runtime):
    [check] = [args for kw, args in runtime if kw == "HEALTHCHECK"]
    options, _, command = check.partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = exec_form(command)
    assert argv[0] == "python" and "/healthz" in " ".join(argv)
    assert not re.search(r"\b(curl|wget)\b", check)


def test_port_is_the_one_serve_binds_and_compose_publishes(runtime, compose):
    env = " ".join(args for kw, args in runtime if kw == "ENV")
    assert re.search(r"\bPORT=3000\b", env) and "3000" in last(runtime, "EXPOSE").split()
    [published] = compose["services"]["web"]["ports"]
    assert published.endswith(":3000")


@pytest.mark.slow
def test_the_healthcheck_command_passes_on_a_live_server_and_fails_on_none(runtime, clean_db, tmp_path):
    [check] = [args for kw, args in runtime if kw == "HEALTHCHECK"]
    argv = [sys.executable] + exec_form(check.partition(" CMD ")[2])[1:]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_"))}
    slack = FakeSlack(token="xoxb-health").serve()
    env.update({"PORT": str(port), "DATABASE_URL": clean_db, "SLACK_BOT_TOKEN": slack.token,
                "SLACK_SIGNING_SECRET": "health-secret", "SLACK_API_URL": slack.api_url})
    nothing = subprocess.run(argv, env=env, capture_output=True, timeout=30)
    assert nothing.returncode != 0, "healthy with nothing listening"
    server = subprocess.Popen([sys.executable, str(REPO / "bot.py"), "serve", "--host", "127.0.0.1"], cwd=REPO,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def up():
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
            except OSError:
                return False
        eventually(up, timeout=30, interval=0.2)
        live = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
        assert live.returncode == 0, live.stderr
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        slack.stop()


# ------------------------------------------------------------------------------ .dockerignore
def ignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    pattern = pattern.strip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: a path is left out if it or a directory above it matches a pattern
    (relative to the context root; no `!` exceptions are used, see the test below)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return any(_regex(p).fullmatch(prefix) for p in patterns for prefix in prefixes)


def test_the_matcher_follows_docker_semantics():
    assert ignored("tests/x.py", ["tests"]) and not ignored("core/tests.py", ["tests"])
    assert ignored("a/b/__pycache__/m.pyc", ["**/__pycache__"]) and ignored("m.pyc", ["**/*.pyc"])
    assert ignored("firebreak.egg-info/PKG-INFO", ["*.egg-info"]) and not ignored("core/x.egg-info", ["*.egg-info"])


def context_files() -> list[str]:
    patterns, files = ignore_patterns(), []
    for root, dirs, names in os.walk(REPO):
        rel = Path(root).relative_to(REPO).as_posix()
        rel = "" if rel == "." else rel + "/"
        dirs[:] = [d for d in dirs if not ignored(rel + d, patterns)]
        files += [rel + n for n in names if not ignored(rel + n, patterns)]
    return files


def test_dockerignore_uses_no_exceptions():
    assert not [p for p in ignore_patterns() if p.startswith("!")], "the matcher in this test ignores `!`"


def test_the_context_holds_everything_the_bot_runs_and_nothing_it_does_not():
    sent = set(context_files())
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    modules = project["tool"]["setuptools"]["py-modules"]
    for needed in [f"{m}.py" for m in modules] + ["pyproject.toml", "config/default.yaml",
                                                   "config/cloudtrail-rules.yaml"]:
        assert needed in sent, f"{needed} would not reach the image"
    for package in packages:
        shipped = {p for p in sent if p.startswith(package + "/")}
        on_disk = {p.relative_to(REPO).as_posix() for p in (REPO / package).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts}
        assert shipped and shipped == on_disk, f"{package}/ would reach the image incomplete"
    assert {p.name for p in (REPO / "playbooks").glob("*.yaml")} <= {Path(p).name for p in sent
                                                                      if p.startswith("playbooks/")}
    assert any(p.startswith("store/migrations/") for p in sent)
    patterns = ignore_patterns()
    for kept_out in (".git/config", ".venv/bin/python", ".env", ".env.production", "var/firebreak.db",
                     "tests/conftest.py", "bench/ingest.py", "core/__pycache__/settings.cpython-312.pyc",
                     "firebreak.yaml", "firebreak.egg-info/PKG-INFO", "compose.yaml", "deploy/intake.yaml"):
        assert ignored(kept_out, patterns), f"{kept_out} would be sent into the image"
    assert not [p for p in sent if p.startswith((".git/", ".venv/", "tests/", "var/"))]


# ------------------------------------------------------------------------------ compose.yaml
def test_compose_has_the_database_migrate_and_the_procfiles_processes(compose):
    assert set(compose["services"]) == {"db", *APP_SERVICES}
    assert compose["services"]["db"]["image"].startswith("postgres:")
    db_check = compose["services"]["db"]["healthcheck"]["test"]
    assert "pg_isready" in " ".join(db_check)


def test_compose_commands_are_the_procfiles(compose, runtime):
    entrypoint = exec_form(last(runtime, "ENTRYPOINT"))
    processes = procfile()
    assert set(processes) == set(PROCFILE_TO_COMPOSE), "Procfile processes changed: update compose.yaml"
    for name, service in PROCFILE_TO_COMPOSE.items():
        spec = compose["services"][service]
        assert "entrypoint" not in spec, f"{service} overrides the image's entrypoint"
        assert entrypoint + spec["command"] == processes[name], f"{service} does not run the Procfile's {name}"


def test_compose_runs_one_image_as_non_root_with_a_read_only_root(compose):
    images = {compose["services"][s].get("image") for s in APP_SERVICES}
    builds = {json.dumps(compose["services"][s].get("build"), sort_keys=True) for s in APP_SERVICES}
    assert len(images) == 1 and len(builds) == 1 and None not in images
    for name in APP_SERVICES:
        spec = compose["services"][name]
        assert str(spec.get("user", "10001")).split(":")[0] not in ("root", "0"), f"{name} runs as root"
        assert spec.get("read_only") is True and "ALL" in spec.get("cap_drop", [])
        assert "no-new-privileges:true" in spec.get("security_opt", [])


def test_compose_starts_processes_only_after_a_successful_migration(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "clock"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"] == {"condition": "service_healthy"}, name
        assert services[name]["restart"] in ("unless-stopped", "always"), name


def test_only_web_keeps_the_http_healthcheck(compose):
    services = compose["services"]
    assert not services["web"].get("healthcheck", {}).get("disable")
    for name in ("migrate", "worker", "clock"):
        assert services[name]["healthcheck"] == {"disable": True}, f"{name} would be marked unhealthy"


def test_compose_environment_follows_the_design_and_holds_no_secret_values(compose):
    services = compose["services"]
    common = {"SLACK_BOT_TOKEN", "DATABASE_URL", "AWS_DEFAULT_REGION", "FIREBREAK_CONFIG"}
    for name in APP_SERVICES:
        assert common <= set(services[name]["environment"]), name
        assert "@db:5432/" in services[name]["environment"]["DATABASE_URL"]
    assert "SLACK_SIGNING_SECRET" in services["web"]["environment"]
    assert "FINDINGS_QUEUE_URL" in services["worker"]["environment"]
    for name, spec in services.items():
        for key, value in (spec.get("environment") or {}).items():
            if re.search(r"TOKEN|SECRET|PASSWORD", key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:[?-][^}]*)?\}", str(value)), f"{name}.{key} is a literal secret"
    config = services["web"]["environment"]["FIREBREAK_CONFIG"]
    assert [v for v in services["web"]["volumes"] if v["target"] == config and v["read_only"]]


def test_web_is_published_on_loopback_for_the_reverse_proxy(compose):
    [published] = compose["services"]["web"]["ports"]
    assert published.startswith("${FIREBREAK_HTTP_BIND:-127.0.0.1}:")
    assert not [s for s in ("db", "migrate", "worker", "clock") if compose["services"][s].get("ports")]
