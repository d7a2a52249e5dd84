"""The audit head file is found by the database it protects, however its URL is spelled:
`bot.py audit verify` run with `postgres://…` must read the file the bot wrote for
`postgresql://…`, or a keyed chain looks cut."""

from store.audit.head_file import default_path


def test_every_spelling_of_one_postgresql_url_names_one_head_file():
    spellings = ["postgres://fb@db:5432/firebreak", "postgresql://fb@db:5432/firebreak",
                 "postgresql+psycopg://fb@db:5432/firebreak"]
    assert len({default_path(url) for url in spellings}) == 1
    assert default_path("postgresql://fb@db:5432/other") != default_path(spellings[0])


def test_the_password_never_names_the_file():
    assert default_path("postgresql://fb:secret@db/firebreak") == default_path("postgresql://fb:other@db/firebreak")
