"""Pure policy: journeys, signals, judges, routing, planning, sampling, authority. No I/O."""
