"""The SQL query pack behind `/investigate --source athena|lake`: one file per engine and
subject kind (<queries>/athena/<subject>.sql, <queries>/lake/<subject>.sql).

A pack file is plain SQL with two kinds of markers, found outside string literals, quoted
identifiers and comments:

  :start :end :value :name :account :region   what was asked (never written into the text
      for Athena: each becomes a `?` and its value an ExecutionParameter; CloudTrail Lake
      has no parameters for ad-hoc statements, so there each becomes a string literal,
      from a value the subject's pattern already validated and that may hold no quote)
  {table} {event_data_store} {limit}           from config (validated names, never input)

Every file must bound the read: the window (:start and :end), the subject (:value or
:name) and LIMIT {limit}. Columns are read by name: eventtime, eventname, eventsource,
principal, sourceip, useragent, errorcode, eventid."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SUBJECTS = ("principal", "ip", "key", "instance", "bucket")
PARAMETERS = ("start", "end", "value", "name", "account", "region")
TOKENS = {"athena": ("table", "limit"), "lake": ("event_data_store", "limit")}
UNSAFE = re.compile(r"['\\\x00-\x1f\x7f]")


class PackError(ValueError):
    """A pack file that cannot be used; the message starts with file:line."""


@dataclass(frozen=True)
class Segment:
    kind: str  # "text" | "param" | "token"
    text: str  # the SQL text, or the marker's name
    line: int = 0


@dataclass(frozen=True)
class Template:
    engine: str
    subject: str
    path: Path
    segments: tuple[Segment, ...]


def tokenize(sql: str, path: Path | str = "<sql>") -> list[Segment]:
    """Split SQL into text and markers, skipping literals, quoted identifiers and comments."""
    out: list[Segment] = []
    text, i, line, n = [], 0, 1, len(sql)

    def flush():
        if text:
            out.append(Segment("text", "".join(text)))
            text.clear()

    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            end = i + 1
            while True:
                end = sql.find(c, end)
                if end < 0:
                    raise PackError(f"{path}:{line}: unterminated {'string literal' if c == chr(39) else 'identifier'}")
                if end + 1 < n and sql[end + 1] == c:  # '' or "" escapes the quote
                    end += 2
                    continue
                break
            chunk = sql[i:end + 1]
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end  # comments are the pack's notes, not sent to the engine
            continue
        elif c == ":" and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] in "_:")) and \
                (m := re.match(r":([a-z_]+)\b", sql[i:])):
            flush()
            out.append(Segment("param", m.group(1), line))
            i += len(m.group(0))
            continue
        elif c == "{" and (m := re.match(r"\{([a-z_]+)\}", sql[i:])):
            flush()
            out.append(Segment("token", m.group(1), line))
            i += len(m.group(0))
            continue
        else:
            chunk = c
        text.append(chunk)
        line += chunk.count("\n")
        i += len(chunk)
    flush()
    return out


def _template(path: Path, engine: str, subject: str) -> Template:
    try:
        sql = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PackError(f"{path}: cannot read the {engine} query for {subject}: {exc.strerror or exc}") from None
    segments = tokenize(sql, path)
    for s in segments:
        if s.kind == "param" and s.text not in PARAMETERS:
            raise PackError(f"{path}:{s.line}: unknown parameter :{s.text} (known: "
                            + ", ".join(":" + p for p in PARAMETERS) + ")")
        if s.kind == "token" and s.text not in TOKENS[engine]:
            raise PackError(f"{path}:{s.line}: unknown {{{s.text}}} (known for {engine}: "
                            + ", ".join("{" + t + "}" for t in TOKENS[engine]) + ")")
    params = {s.text for s in segments if s.kind == "param"}
    tokens = {s.text for s in segments if s.kind == "token"}
    missing = [f":{p}" for p in ("start", "end") if p not in params]
    missing += [] if params & {"value", "name"} else [":value or :name"]
    missing += [f"{{{t}}}" for t in TOKENS[engine] if t not in tokens]
    if missing:
        raise PackError(f"{path}:1: the query must use {', '.join(missing)} (the window, the subject, the "
                        "source and LIMIT {limit} bound every read)")
    return Template(engine, subject, path, tuple(segments))


def _load(directory: Path, engines: tuple[str, ...]) -> dict[tuple[str, str], Template]:
    return {(engine, subject): _template(directory / engine / f"{subject}.sql", engine, subject)
            for engine in engines for subject in SUBJECTS}


def load(directory: Path, engines) -> dict[tuple[str, str], Template]:
    """Every engine's file for every subject kind, checked; PackError names the first problem."""
    return _load(Path(directory), tuple(sorted(engines)))


def literal(value: str) -> str:
    """A SQL string literal. Values reach here validated (no quote can be in them); one that
    holds a quote, backslash or control character anyway is refused, not escaped."""
    if UNSAFE.search(value):
        raise ValueError("a query parameter holds a quote, backslash or control character")
    return "'" + value + "'"


def render(template: Template, values: dict[str, str], tokens: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """The statement an engine receives: (SQL, ExecutionParameters). Athena: each parameter
    is a `?` and its literal goes into the parameters, in order. Lake: the literal is
    written in place (it takes no parameters for ad-hoc SQL)."""
    sql, parameters = [], []
    for s in template.segments:
        if s.kind == "text":
            sql.append(s.text)
        elif s.kind == "token":
            sql.append(tokens[s.text])
        elif template.engine == "athena":
            sql.append("?")
            parameters.append(literal(values[s.text]))
        else:
            sql.append(literal(values[s.text]))
    return "".join(sql).strip(), tuple(parameters)
