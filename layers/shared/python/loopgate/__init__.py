"""Loopgate's domain: cases, journeys, routing, review tasks, customer links and overrides."""
