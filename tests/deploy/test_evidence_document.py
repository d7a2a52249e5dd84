"""deploy/evidence-documents.yaml's firebreak-CollectMemory, run as SSM Run Command runs it:
each parameter with interpolationType ENV_VAR becomes the environment variable
SSM_<name> (AWS Systems Manager user guide, "Data elements and parameters"), any
`{{ name }}` left in the commands would be replaced by the value as text, and the commands
run as one shell script (`sh`, dash here, as strict as the instance's). The `aws` CLI and
AVML are stand-ins that record what they were asked to do; everything else is the real
shell and coreutils. Hostile values never become commands, and a file that is not the
pinned AVML never runs."""

from __future__ import annotations

import hashlib
import re
import stat
import subprocess
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from tests.conftest import REPO

TEMPLATE = REPO / "deploy" / "evidence-documents.yaml"
GOOD = {"Bucket": "firebreak-evidence-prod", "Prefix": "incident-7/E3/memory-i-0abc12345678"}
FAKE_AVML = "#!/bin/sh\necho \"avml $*\" >> \"$RECORD\"\n: > \"$2\"\n"
PINNED = hashlib.sha256(FAKE_AVML.encode()).hexdigest()


def document() -> dict:
    return cfn_yaml.loads(TEMPLATE.read_text(encoding="utf-8"))["Resources"]["CollectMemory"]["Properties"]["Content"]


def commands(content: dict, pinned: str = PINNED) -> list[str]:
    """runCommand with CloudFormation's !Sub resolved (the template's AvmlSha256)."""
    [step] = content["mainSteps"]
    lines = []
    for line in step["inputs"]["runCommand"]:
        if isinstance(line, dict):
            line = line["Fn::Sub"].replace("${AvmlSha256}", pinned)
        lines.append(str(line))
    return lines


def render(content: dict, values: dict[str, str], pinned: str = PINNED) -> tuple[str, dict[str, str]]:
    """The script and environment SSM hands the shell: ENV_VAR parameters as SSM_<name>,
    every `{{ name }}` replaced by the value's text (what SSM does without ENV_VAR)."""
    script = "\n".join(commands(content, pinned))
    env = {}
    for name, value in values.items():
        script = re.sub(r"\{\{\s*" + re.escape(name) + r"\s*\}\}", lambda _m, v=value: v, script)
        if content["parameters"].get(name, {}).get("interpolationType") == "ENV_VAR":
            env[f"SSM_{name}"] = value
    return script, env


def run(tmp_path: Path, content: dict, values: dict[str, str], avml: str = FAKE_AVML,
        pinned: str = PINNED) -> subprocess.CompletedProcess:
    """Run the rendered document; `aws s3 cp s3://…/firebreak-tools/avml DEST` delivers `avml`."""
    bin_dir, record = tmp_path / "bin", tmp_path / "record.log"
    bin_dir.mkdir(exist_ok=True)
    (tmp_path / "avml.src").write_text(avml)
    aws = bin_dir / "aws"
    aws.write_text('#!/bin/sh\n{ printf "aws"; for a in "$@"; do printf " [%s]" "$a"; done; printf "\\n"; } >> "$RECORD"\n'
                   'case "$3" in */firebreak-tools/avml) cp "$AVML_SOURCE" "$4";; esac\n')
    aws.chmod(aws.stat().st_mode | stat.S_IEXEC)
    script, env = render(content, values, pinned)
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30, cwd=tmp_path,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin", "RECORD": str(record), "TMPDIR": str(tmp_path),
                               "AVML_SOURCE": str(tmp_path / "avml.src"), "CANARY": str(tmp_path / "pwned"), **env})


def recorded(tmp_path: Path) -> str:
    record = tmp_path / "record.log"
    return record.read_text() if record.exists() else ""


def test_parameters_reach_the_script_as_environment_variables_never_as_text():
    content = document()
    assert set(content["parameters"]) == {"Bucket", "Prefix"}, "no AvmlUrl: AVML comes from the evidence bucket"
    assert all(p["interpolationType"] == "ENV_VAR" and p["allowedPattern"].startswith("^")
               and p["allowedPattern"].endswith("$") for p in content["parameters"].values())
    assert not [line for line in commands(content) if "{{" in line], "a parameter is substituted as text"


def test_a_valid_request_fetches_the_pinned_avml_from_the_evidence_bucket_and_uploads_the_image(tmp_path):
    done = run(tmp_path, document(), GOOD)
    assert done.returncode == 0, done.stderr
    calls = recorded(tmp_path).splitlines()
    assert calls[0].startswith("aws [s3] [cp] [s3://firebreak-evidence-prod/firebreak-tools/avml] ")
    assert calls[1].startswith("avml --compress ")
    assert "[s3://firebreak-evidence-prod/incident-7/E3/memory-i-0abc12345678/memory.lime]" in calls[2]
    assert "[s3://firebreak-evidence-prod/incident-7/E3/memory-i-0abc12345678/memory.lime.sha256]" in calls[3]


HOSTILE = {
    "quote breaks out": {"Bucket": "firebreak-evidence-x'; touch \"$CANARY\"; echo '"},
    "newline after a valid name": {"Bucket": "firebreak-evidence-x\ntouch \"$CANARY\""},
    "tab and command substitution": {"Prefix": "incident-7/E3/memory-i-0abc1234\t$(touch \"$CANARY\")"},
    "backticks": {"Prefix": "incident-7/E3/memory-i-0abc1234`touch \"$CANARY\"`"},
    "path traversal": {"Prefix": "incident-7/E3/memory-i-0abc1234/../../../firebreak-tools"},
    "semicolon in the bucket": {"Bucket": "firebreak-evidence-x;touch${IFS}$CANARY"},
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_parameter_values_run_no_command_and_nothing_is_fetched(tmp_path, case):
    """Even where a value got past allowedPattern (a `$` anchor admits a trailing newline in
    Java's and Python's regexes alike), it reaches the shell only as data: nothing runs from
    it, and the script's own check refuses it before anything is fetched or run."""
    done = run(tmp_path, document(), {**GOOD, **HOSTILE[case]})
    assert not (tmp_path / "pwned").exists(), f"{case}: the value ran as a command"
    assert done.returncode == 2 and "refused" in done.stderr, (done.returncode, done.stderr)
    assert recorded(tmp_path) == "", "nothing may be fetched or run for a refused value"


def test_the_old_way_text_substitution_would_have_run_the_hostile_value(tmp_path):
    """The renderer and the canary can fail: the pre-fix document's `'{{ AvmlUrl }}'` in
    single quotes, given a value with a quote, runs the attacker's command."""
    old = {"parameters": {"AvmlUrl": {"type": "String", "allowedPattern": "^https://[^ ;&|$`]+$"}},
           "mainSteps": [{"inputs": {"runCommand": ["curl -fsSL -o /dev/null '{{ AvmlUrl }}' || true"]}}]}
    value = "https://x'\ntouch\t\"${CANARY}\"\n'"
    assert re.search(old["parameters"]["AvmlUrl"]["allowedPattern"], value.split("\n")[0])
    run(tmp_path, old, {"AvmlUrl": value})
    assert (tmp_path / "pwned").exists()


def test_a_file_that_is_not_the_pinned_avml_is_never_run(tmp_path):
    tampered = FAKE_AVML + "touch \"$CANARY\"\n"
    done = run(tmp_path, document(), GOOD, avml=tampered)
    assert done.returncode == 3 and "not the pinned AVML" in done.stderr
    assert not (tmp_path / "pwned").exists()
    assert [c for c in recorded(tmp_path).splitlines() if c.startswith("avml")] == []
    assert not list(tmp_path.glob("tmp.*")), "the work directory is removed"


def test_the_template_demands_a_sha256_and_has_no_download_url():
    parameters = cfn_yaml.loads(TEMPLATE.read_text(encoding="utf-8"))["Parameters"]
    assert set(parameters) == {"AvmlSha256"}
    assert "Default" not in parameters["AvmlSha256"]
    assert parameters["AvmlSha256"]["AllowedPattern"] == "^[0-9a-f]{64}$"
