"""What a material's carbon is made of: its route (how the metal was made), and the
vocabulary every share in the outputs is computed from. One definition: the instance
validates against it, the arrays, the declaration and the labels read it. No substring
matching of free text anywhere: ``kind`` is for people.
"""

from __future__ import annotations

from typing import Literal

#: How a material's metal was made. Every share in outputs and declarations (recycled
#: post-/pre-consumer, inert-anode, primary) comes from this.
Route = Literal["post-consumer scrap", "pre-consumer scrap", "carbon-anode primary",
                "inert-anode primary", "scrap electrolysis", "master alloy", "other"]
ROUTES: tuple[str, ...] = Route.__args__  # type: ignore[attr-defined]
#: The scrap routes and the recycled class each one is.
SCRAP_ROUTES = {"post-consumer scrap": "post-consumer", "pre-consumer scrap": "pre-consumer"}
#: Routes whose metal is primary (smelted from alumina).
PRIMARY_ROUTES = ("carbon-anode primary", "inert-anode primary")
#: How a route was known: given, taken from ``recycled``, from a ``kind`` that is exactly a
#: route's name, or not known at all (then "other", and the declaration says so).
RouteFrom = Literal["given", "recycled", "kind", "unknown"]


def infer_route(route: str | None, recycled: str | None, kind: str) -> tuple[str, RouteFrom]:
    """The route of a material and how it was known (for files written before routes)."""
    if route is not None:
        return route, "given"
    if recycled is not None:
        return f"{recycled} scrap", "recycled"
    if kind.strip().lower() in ROUTES:
        return kind.strip().lower(), "kind"
    return "other", "unknown"


def route_conflict(route: str | None, recycled: str | None) -> str | None:
    """Why ``recycled`` contradicts ``route``, or None. Scrap routes are their own recycled
    class; scrap electrolysis may name the class of its feed; other routes are not
    recycled."""
    if route is None or recycled is None:
        return None
    if route in SCRAP_ROUTES:
        return (None if SCRAP_ROUTES[route] == recycled else
                f"recycled {recycled!r} contradicts route {route!r}")
    if route == "scrap electrolysis":
        return None
    return (f"recycled {recycled!r} contradicts route {route!r} (only scrap, or metal "
            "electrolysed from scrap, is recycled)")


def recycled_class(route: str, recycled: str | None) -> str | None:
    """'post-consumer', 'pre-consumer' or None, from the route (and the feed's class for
    scrap electrolysis)."""
    if route in SCRAP_ROUTES:
        return SCRAP_ROUTES[route]
    return recycled if route == "scrap electrolysis" else None
