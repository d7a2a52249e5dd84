"""`bot.py ingest` pauses the cyclic garbage collector while it stores a file (cli/findings.py):
only while the file is ingested, and it leaves the collector as it found it."""

import gc

from cli.findings import collector_paused


def test_the_collector_is_paused_only_while_a_file_is_ingested_and_left_as_it_was_found():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # someone else had switched it off: not ours to switch on
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
