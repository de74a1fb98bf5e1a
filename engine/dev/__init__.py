"""`yoi plugin dev` and `yoi plugin call|ingress DIR`: a package folder run under an in-memory
development enablement. A stage above authoring (it builds) and the host (it judges and serves
the way the startup gate and `serve` do): engine/dev/session.py, engine/dev/grants.py."""
