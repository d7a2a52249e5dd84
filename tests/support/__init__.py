"""Test helpers in one place: `slack` (reading what the bot posted, waiting for work after
the ack), `fakes` (in-memory stand-ins for core's ports), `aws` (moto fixtures), and one
module per domain for building what its tests need."""
