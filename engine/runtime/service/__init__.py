"""The service runtime of current-format packages (yoi b12e0785, yoi-current-spec.md §6.4, §6.6,
§6.16-§6.18; the rule `current_format` in rules/runtime.rules decides which packages):

- envelope.py: the current ingress event envelope, filled in and validated in upstream's order;
- faults.py: the typed ingress errors (`InvalidEvent`, `QueueFull`, ... `DispatchFailed`);
- queue.py: the bounded FIFO of ingress events (32) and its counters;
- commands.py: service output commands (envelope, all-or-nothing validation, the three kinds);
- sockets.py: host-owned WebSocket ingress (the driver), with reconnects upstream lacks;
- runtime.py: `ServiceRuntime`, what an instance handle (engine/runtime/instance.py) delegates
  ingress, status and the driver to.

Packages that are not current-format keep the 43c9216e behaviour of instance.py and ingress.py.
"""
