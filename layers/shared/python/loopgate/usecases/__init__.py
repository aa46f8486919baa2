"""Use cases: intake, reviews, customer steps, outcomes, deadlines. They depend on ports, not on boto3."""
