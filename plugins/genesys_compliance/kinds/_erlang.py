"""Erlang C for a queue of ``agents`` servers offered ``load`` Erlangs (M/M/c).

The textbook form divides ``A**N / N!`` by a sum of such terms; both overflow a
float for a few hundred agents (and ``math.factorial`` grows without bound).
This uses the Erlang B recurrence instead, which stays in [0, 1] at every step::

    B(0) = 1,   B(k) = A·B(k-1) / (k + A·B(k-1))
    C(N, A) = N·B(N) / (N − A·(1 − B(N)))          for A < N

From C follow the mean queue length ``Lq = C·A / (N − A)`` and the service
level ``P(wait <= t) = 1 − C·exp(−(N − A)·t / h)`` for mean handle time ``h``.
"""

from __future__ import annotations

import math


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of an M/M/c/c system (Erlang B), by the stable recurrence."""
    if agents < 0:
        raise ValueError("agents must be >= 0")
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """Probability that an arrival waits; 1.0 for an unstable queue (``load >= agents``)."""
    if load <= 0:
        return 0.0
    if agents <= 0 or load >= agents:
        return 1.0
    blocking = erlang_b(agents, load)
    return agents * blocking / (agents - load * (1.0 - blocking))


def mean_queue_length(agents: int, load: float) -> float:
    """Mean number of callers waiting (Lq); infinite for an unstable queue."""
    if load <= 0:
        return 0.0
    if load >= agents:
        return math.inf
    return erlang_c(agents, load) * load / (agents - load)


def service_level(agents: int, load: float, handle_seconds: float, within_seconds: float) -> float:
    """Share of callers answered within ``within_seconds``; 0.0 for an unstable queue."""
    if load <= 0:
        return 1.0
    if load >= agents:
        return 0.0
    waiting = erlang_c(agents, load)
    return 1.0 - waiting * math.exp(-(agents - load) * within_seconds / handle_seconds)
