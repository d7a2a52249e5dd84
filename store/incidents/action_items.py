"""Action items from post-incident reviews."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from core.incidents.model import ActionItem
from store.db import Database, utc
from store.models import ActionItemRow


def _item(row: ActionItemRow) -> ActionItem:
    return ActionItem(row.id, row.incident_id, row.text, row.owner, row.due, row.created_by, utc(row.created_at),
                      row.done_by, utc(row.done_at))


class SqlActionItemRepository:
    def __init__(self, db: Database):
        self.db = db

    def add(self, incident_id: int, *, text: str, owner: str | None, due: date | None, created_by: str,
            at: datetime) -> ActionItem:
        with self.db.session() as session:
            row = ActionItemRow(incident_id=incident_id, text=text, owner=owner, due=due, created_by=created_by,
                                created_at=at)
            session.add(row)
            session.flush()
            return _item(row)

    def get(self, item_id: int) -> ActionItem | None:
        with self.db.read() as session:
            row = session.get(ActionItemRow, item_id)
            return _item(row) if row else None

    def for_incident(self, incident_id: int) -> list[ActionItem]:
        with self.db.read() as session:
            rows = session.scalars(select(ActionItemRow).where(ActionItemRow.incident_id == incident_id)
                                   .order_by(ActionItemRow.id))
            return [_item(r) for r in rows]

    def complete(self, item_id: int, *, by: str, at: datetime) -> bool:
        """Mark done if still open (a conditional update: a double click completes it once)."""
        with self.db.session() as session:
            result = session.execute(update(ActionItemRow)
                                     .where(ActionItemRow.id == item_id, ActionItemRow.done_at.is_(None))
                                     .values(done_by=by, done_at=at))
            return result.rowcount == 1

    def update(self, item_id: int, **fields) -> ActionItem | None:
        """Change an open item's text, owner or due date; None if it is gone or done."""
        with self.db.session() as session:
            row = session.get(ActionItemRow, item_id, with_for_update=True)
            if row is None or row.done_at is not None:
                return None
            for name, value in fields.items():
                setattr(row, name, value)
            session.flush()
            return _item(row)

    def delete(self, item_id: int) -> ActionItem | None:
        with self.db.session() as session:
            row = session.get(ActionItemRow, item_id, with_for_update=True)
            if row is None:
                return None
            item = _item(row)
            session.delete(row)
            return item

    def open_due_before(self, day: date) -> list[ActionItem]:
        """Open items whose due date has passed (for reminders)."""
        with self.db.read() as session:
            rows = session.scalars(select(ActionItemRow).where(ActionItemRow.done_at.is_(None),
                                                               ActionItemRow.due < day).order_by(ActionItemRow.due))
            return [_item(r) for r in rows]
