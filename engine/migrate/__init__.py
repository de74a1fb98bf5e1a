"""`yoi plugin migrate`: rewrite a yoi 43c9216e package folder and its enablements in the yoi
b12e0785 format (docs/authoring.md, "Migrating a package"). Only this command imports tomlkit.

    migration = migrate(folder, config=None)   # reads only; MigrateError for unusable inputs
    migration.diff(); migration.notes; migration.needs_action
    write(migration)                            # atomic, only files that still hold what was read
"""

from engine.migrate.run import FileChange, MigrateError, Migration, Note, migrate, write

__all__ = ["FileChange", "MigrateError", "Migration", "Note", "migrate", "write"]
