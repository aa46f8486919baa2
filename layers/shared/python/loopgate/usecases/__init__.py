"""Use cases: intake, reviews, customer steps, outcomes, deadlines. They depend on ports (loopgate.ports), never on an AWS SDK."""
