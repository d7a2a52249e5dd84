"""Evidence with chain of custody: what `/evidence` collected, where it is kept, its SHA-256,
who asked and who approved, and the re-check (`bot.py evidence verify`)."""
