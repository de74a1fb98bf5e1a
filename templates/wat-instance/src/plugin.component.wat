;; __PLUGIN_ID__: an instance component of world yoi:plugin/instance@1.0.0, hand-written in WAT.
;;
;; Exports the five instance functions and imports nothing; state lives in core globals for as
;; long as the instance lives (a fresh instance starts at zero):
;;   start(config-json)          -> {"state":"ready","data":{"count":N,"events":M}}
;;   handle-tool(name, input)    -> count += 1; ToolOutput {"summary":"counter is at N","content":"{\"count\":N}"}
;;   handle-ingress(name, event) -> events += 1; {"accepted":true,"count":N,"events":M}
;;   status()                    -> {"state":"idle|ready|stopped","data":{"count":N,"events":M}}
;;   stop()                      -> {"state":"stopped","data":{"count":N,"events":M}}
;; Build with `yoi plugin build .` (needs nothing but the engine: wasmtime assembles it).
(component
  (core module $m
    (memory (export "memory") 1)
    ;; layout: [32..35) state-word lengths, [64..448) fixed text, [1024..1032) return area,
    ;; [2048..2064) digit scratch, [4096..) per-call bump heap (reset by post-return)
    (global $heap (mut i32) (i32.const 4096))
    (global $out (mut i32) (i32.const 0))
    (global $cur (mut i32) (i32.const 0))
    (global $count (mut i32) (i32.const 0))   ;; STATE: tool calls handled
    (global $events (mut i32) (i32.const 0))  ;; STATE: ingress events handled
    (global $state (mut i32) (i32.const 0))   ;; STATE: 0 idle, 1 ready, 2 stopped
    (data (i32.const 32) "\04\05\07")                          ;; lengths of idle, ready, stopped
    (data (i32.const 64) "{\"state\":\"")                      ;; 10 bytes
    (data (i32.const 96) "idle")                               ;; state word 0
    (data (i32.const 128) "ready")                             ;; state word 1
    (data (i32.const 160) "stopped")                           ;; state word 2
    (data (i32.const 192) "\",\"data\":{\"count\":")           ;; 18 bytes
    (data (i32.const 224) ",\"events\":")                      ;; 10 bytes
    (data (i32.const 256) "}}")                                ;; 2 bytes
    (data (i32.const 288) "{\"summary\":\"counter is at ")     ;; 26 bytes
    (data (i32.const 320) "\",\"content\":\"{\\\"count\\\":")  ;; 24 bytes
    (data (i32.const 352) "}\"}")                              ;; 3 bytes
    (data (i32.const 384) "{\"accepted\":true,\"count\":")     ;; 25 bytes
    (data (i32.const 416) "}")                                 ;; 1 byte

    ;; Grow memory so that [0, end) is addressable; traps when the host refuses.
    (func $ensure (param $end i32)
      (local $have i32)
      (local.set $have (i32.mul (memory.size) (i32.const 65536)))
      (if (i32.gt_u (local.get $end) (local.get $have))
        (then
          (if (i32.eq
                (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (local.get $have)) (i32.const 16)) (i32.const 1)))
                (i32.const -1))
            (then unreachable)))))

    ;; Canonical ABI allocator: (old_ptr, old_size, align, new_size) -> ptr (bump allocation).
    (func (export "cabi_realloc") (param $optr i32) (param $osize i32) (param $align i32) (param $nsize i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (call $ensure (i32.add (local.get $p) (local.get $nsize)))
      (global.set $heap (i32.add (local.get $p) (local.get $nsize)))
      (if (local.get $optr) (then (memory.copy (local.get $p) (local.get $optr) (local.get $osize))))
      (local.get $p))

    ;; Output buffer: starts at the heap top, written by $emit, published by $finish.
    (func $begin
      (global.set $out (global.get $heap))
      (global.set $cur (global.get $heap)))
    (func $emit (param $src i32) (param $len i32)
      (call $ensure (i32.add (global.get $cur) (local.get $len)))
      (memory.copy (global.get $cur) (local.get $src) (local.get $len))
      (global.set $cur (i32.add (global.get $cur) (local.get $len))))
    (func $emit_u32 (param $v i32)
      (local $p i32)
      (local.set $p (i32.const 2064))
      (loop $digit
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
        (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
        (br_if $digit (local.get $v)))
      (call $emit (local.get $p) (i32.sub (i32.const 2064) (local.get $p))))
    (func $finish (result i32)
      (global.set $heap (global.get $cur))
      (i32.store (i32.const 1024) (global.get $out))
      (i32.store (i32.const 1028) (i32.sub (global.get $cur) (global.get $out)))
      (i32.const 1024))

    ;; {"state":"<word>","data":{"count":N,"events":M}}
    (func $lifecycle (result i32)
      (call $begin)
      (call $emit (i32.const 64) (i32.const 10))
      (call $emit (i32.add (i32.const 96) (i32.shl (global.get $state) (i32.const 5)))
                  (i32.load8_u offset=32 (global.get $state)))
      (call $emit (i32.const 192) (i32.const 18))
      (call $emit_u32 (global.get $count))
      (call $emit (i32.const 224) (i32.const 10))
      (call $emit_u32 (global.get $events))
      (call $emit (i32.const 256) (i32.const 2))
      (call $finish))

    ;; start: func(config-json: string) -> string
    (func (export "start") (param $cp i32) (param $cl i32) (result i32)
      (global.set $state (i32.const 1))
      (call $lifecycle))

    ;; handle-tool: func(name: string, input-json: string) -> string
    (func (export "handle-tool") (param $np i32) (param $nl i32) (param $ip i32) (param $il i32) (result i32)
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (call $begin)
      (call $emit (i32.const 288) (i32.const 26))
      (call $emit_u32 (global.get $count))
      (call $emit (i32.const 320) (i32.const 24))
      (call $emit_u32 (global.get $count))
      (call $emit (i32.const 352) (i32.const 3))
      (call $finish))

    ;; handle-ingress: func(name: string, event-json: string) -> string
    (func (export "handle-ingress") (param $np i32) (param $nl i32) (param $ep i32) (param $el i32) (result i32)
      (global.set $events (i32.add (global.get $events) (i32.const 1)))
      (call $begin)
      (call $emit (i32.const 384) (i32.const 25))
      (call $emit_u32 (global.get $count))
      (call $emit (i32.const 224) (i32.const 10))
      (call $emit_u32 (global.get $events))
      (call $emit (i32.const 416) (i32.const 1))
      (call $finish))

    ;; status: func() -> string
    (func (export "status") (result i32)
      (call $lifecycle))

    ;; stop: func() -> string
    (func (export "stop") (result i32)
      (global.set $state (i32.const 2))
      (call $lifecycle))

    ;; post-return: the per-call arena (arguments and result) is no longer needed.
    (func (export "cabi_post") (param i32)
      (global.set $heap (i32.const 4096))))

  (core instance $i (instantiate $m))

  (func (export "start") (param "config-json" string) (result string)
    (canon lift (core func $i "start")
      (memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc"))
      string-encoding=utf8 (post-return (core func $i "cabi_post"))))
  (func (export "handle-tool") (param "name" string) (param "input-json" string) (result string)
    (canon lift (core func $i "handle-tool")
      (memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc"))
      string-encoding=utf8 (post-return (core func $i "cabi_post"))))
  (func (export "handle-ingress") (param "name" string) (param "event-json" string) (result string)
    (canon lift (core func $i "handle-ingress")
      (memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc"))
      string-encoding=utf8 (post-return (core func $i "cabi_post"))))
  (func (export "status") (result string)
    (canon lift (core func $i "status")
      (memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc"))
      string-encoding=utf8 (post-return (core func $i "cabi_post"))))
  (func (export "stop") (result string)
    (canon lift (core func $i "stop")
      (memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc"))
      string-encoding=utf8 (post-return (core func $i "cabi_post"))))
)
