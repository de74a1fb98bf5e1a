"""Command-line interface (`yoi`), one module per command group or command."""
