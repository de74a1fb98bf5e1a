"""Package layer: archives, digests, manifests, input schemas and discovery (spec §1, §2, §5)."""
