"""Authoring support: `yoi plugin new` (templates) and `yoi plugin build` (artifacts)."""
