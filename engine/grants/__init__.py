"""Grants layer: enablement config (config.py, schema.py), records (model.py), source-qualified
refs (refs.py) and resolution of enablements against discovered packages (resolve.py), spec §3."""
