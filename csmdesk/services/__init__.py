"""Use cases over the store and the domain: what the GUI, the CLI and scripts call."""
