"""The host side of running plugins: the startup gate (only plans reach the runtime) and the
long-running `serve` loop. Lives outside engine/runtime so the runtime never imports the rules."""
