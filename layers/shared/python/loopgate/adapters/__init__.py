"""AWS adapters: small classes that take their boto3 clients as arguments."""
