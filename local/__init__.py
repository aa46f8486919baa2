"""The local engine (dev only, never deployed): template.yaml on moto, with the real ASL and handlers."""
