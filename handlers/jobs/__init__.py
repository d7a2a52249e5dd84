"""Durable work after Slack's ack, as typed commands.

The ack parses the Slack request once into a typed command (a pydantic model per unit of
work, handlers/<domain>/commands.py) and commits one JSON document — the route, the
command, and where to answer — as a job keyed by the Slack act (intake.py); only then is
Slack's ack sent. A worker reads the document back into the same model and hands it to
its route's handler with a reply port (dispatch.py, reply.py): no Slack request is
replayed and no Bolt app is needed to run a job."""
