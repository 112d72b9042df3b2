"""The architecture diagram, derived from the synthesized app: a model (docs/architecture.json) and its drawing."""
