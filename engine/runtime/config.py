"""Host-side settings of a registry: where compiled artifacts are cached, how host APIs reach the
network, how often the epoch ticker runs, and which host paths no plugin may touch. Nothing here
can widen what a plan allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostConfig:
    cache_dir: Path | None = None  # None -> the user-owned private cache folder (engine.cache)
    https_ca_bundle: Path | None = None  # extra CA bundle for the https host API (tests)
    resolver: Callable[[str, int], list[str]] | None = None  # DNS hook for the https host API (tests)
    epoch_tick_ms: int = 10
    use_cache: bool = True  # False: never read or write compiled artifacts on disk
    # Host paths the fs API refuses to every plugin whatever its grants (issue 17 point 1): the
    # startup gate passes the config, stores and policy folders; the registry adds its caches.
    protected_paths: tuple[str, ...] = ()

    def compiled_folder(self) -> Path | None:
        """Where compiled artifacts are cached (None: in memory only)."""
        if not self.use_cache:
            return None
        if self.cache_dir is not None:
            return Path(self.cache_dir)
        from engine.compiled import default_folder

        return default_folder()

    def with_own_caches(self) -> HostConfig:
        """These settings with the compiled-artifact and derived-data cache folders protected."""
        from dataclasses import replace

        from engine.cache import derived_folders

        own = [self.compiled_folder(), *derived_folders()]
        added = tuple(str(folder.absolute()) for folder in own if folder is not None)
        return replace(self, protected_paths=tuple(dict.fromkeys((*self.protected_paths, *added))))
