"""The periodic sweep, run by one instance at a time: ends expired sessions and those whose absent
role outlived the grace period, marks roles whose client vanished without a close (a dead instance, a
silent REST phone) as left, and keeps paired sessions alive while a role is present (the code's TTL
bounds pairing, not a running stream)."""

from __future__ import annotations

from signaling.logs import log_event
from signaling.protocol import Role
from signaling.service import SignalingService
from signaling.tasks import every


class Sweeper:
    """Sweeps a service's sessions every sweep_interval seconds, on the service's clock."""

    def __init__(self, service: SignalingService) -> None:
        self.service = service
        self.config = service.config
        self.store = service.store

    async def sweep(self) -> None:
        """One sweep over every session (skipped if another instance holds this round's lock)."""
        if not await self.store.try_lock("sweep", self.config.sweep_interval * 0.8):
            return
        now = self.service.clock()
        live = 0
        # Every session and every connection in a few round trips, not a few per session.
        sessions = [s for s in await self.store.get_many(await self.store.codes()) if s is not None]
        bound = [s.slot(r).conn_id for s in sessions for r in Role]
        open_conns = await self.service.hub.live_among([c for c in bound if c is not None])
        for session in sessions:
            present = [r for r in Role if self.service.present_among(session.slot(r), open_conns)]
            for role in Role:
                slot = session.slot(role)
                if slot.joined and slot.left_at is None and role not in present:
                    await self.service.mark_left(session.code, role, slot.conn_id)
                    slot.left_at = now
            overdue = [r for r in Role if now - (session.slot(r).left_at or now) > self.config.grace]
            if overdue:
                reason = f"the {overdue[0]} did not come back within {self.config.grace:g} s"
                await self.service.end_session(session, reason)
            elif session.phone.joined and present:
                # Extended once half the TTL is used, not on every sweep: a write per session per
                # sweep is what a shared store feels most.
                if session.expires_at - now < self.config.code_ttl / 2:
                    await self.store.update(session.code, lambda s: s.extend(now, self.config.code_ttl))
                live += 1
            elif session.expired(now):
                await self.service.end_session(session, "the code expired")
            else:
                live += 1
        self.service.metrics.sessions.set(live)

    async def run(self) -> None:
        """Sweeps every sweep_interval until cancelled (at shutdown)."""
        await every(self.config.sweep_interval, self._sweep_logging_failures)

    async def _sweep_logging_failures(self) -> None:
        try:
            await self.sweep()
        except Exception as exc:  # a failed sweep must not stop the next one
            log_event("sweep-failed", 40, error=repr(exc))
