"""Use cases: intake, reviews, customer steps, outcomes, deadlines; they depend on ports, never on an AWS SDK."""
