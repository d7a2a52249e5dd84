"""Line numbers for YAML key paths, so configuration and playbook errors can say
`file:line: key.path: what is wrong` instead of leaving people to search."""

from __future__ import annotations

import copy
import functools

import yaml

# libyaml's parser (bundled in PyYAML's wheels) reads the shipped playbooks and drills about
# ten times faster than the pure-Python one; both build the same nodes, marks and data.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    """yaml.safe_load, on libyaml where the installation has it."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def load_with_lines(text: str) -> tuple[object, dict[tuple, int]]:
    """The document's data and its line index (see `line_index`) from one parse. The same
    shipped files are read by every bot built in a process (the tests build hundreds): a
    text read before is not parsed again, and each caller gets its own copy to change."""
    data, lines = _parsed(text)
    return copy.deepcopy(data), dict(lines)


@functools.lru_cache(maxsize=128)
def _parsed(text: str) -> tuple[object, dict[tuple, int]]:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return data, (_index(root) if root is not None else {})


def line_index(text: str) -> dict[tuple, int]:
    """Map each key path of a YAML document (keys and list indexes) to its 1-based line."""
    return load_with_lines(text)[1]


def _index(root: yaml.Node) -> dict[tuple, int]:
    index: dict[tuple, int] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        index.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = path + (key.value,)
                index[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                index[path + (i,)] = item.start_mark.line + 1
                walk(item, path + (i,))

    walk(root, ())
    return index


def locate(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of `path`, or of its nearest ancestor present in the file."""
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def syntax_problem(path, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark else str(path)
    return f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"


def load_model(path, model, expected: str):
    """Read one YAML data file (a playbook, a drill scenario) into a pydantic `model`.

    Returns (model or None, the raw data, its line index, problems as `file:line: key: what`),
    so a team fixing a file sees every mistake with its place, not a stack trace."""
    from pydantic import ValidationError

    try:
        text = path.read_text(encoding="utf-8")
        data, lines = load_with_lines(text)
    except OSError as exc:
        return None, None, {}, [f"{path}: cannot read: {exc.strerror or exc}"]
    except yaml.YAMLError as exc:
        return None, None, {}, [syntax_problem(path, exc)]
    if not isinstance(data, dict):
        return None, data, lines, [f"{path}:1: expected {expected}"]
    try:
        return model.model_validate(data), data, lines, []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"]
                        if not (isinstance(p, str) and (p == "[key]" or p.startswith(("function-", "literal")))))
            message = {"extra_forbidden": "unknown key", "missing": "required key is missing"}.get(
                err["type"], err["msg"].removeprefix("Value error, "))
            problems.append(f"{path}:{locate(lines, loc)}: {dotted(loc)}: {message}")
        return None, data, lines, problems
