;; __PLUGIN_ID__: a Tool-only component of world yoi:plugin/tool@1.0.0, hand-written in WAT.
;;
;; Exports `call: func(tool-name: string, input-json: string) -> string` and imports nothing.
;; It answers every call with ToolOutput JSON (spec §6.9) echoing the input:
;;   {"summary":"component echo from <tool name>","content":"<input JSON as a JSON string>"}
;; Canonical ABI by hand: string params arrive as (ptr, len) allocated through `cabi_realloc`;
;; the string result is a pointer to an 8-byte {ptr, len} return area; `cabi_post`
;; (post-return) frees the per-call bump arena. Build with `yoi plugin build .`.
(component
  (core module $m
    (memory (export "memory") 1)
    ;; layout: [16..32) hex digits, [32..128) fixed text, [1024..1032) return area, [4096..) heap
    (global $heap (mut i32) (i32.const 4096))
    (data (i32.const 16) "0123456789abcdef")
    (data (i32.const 32) "{\"summary\":\"component echo from ")  ;; 32 bytes
    (data (i32.const 64) "\",\"content\":\"")                     ;; 13 bytes
    (data (i32.const 96) "\"}")                                   ;; 2 bytes

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

    (func $copy (param $dst i32) (param $src i32) (param $len i32) (result i32)
      (memory.copy (local.get $dst) (local.get $src) (local.get $len))
      (i32.add (local.get $dst) (local.get $len)))

    ;; Write the bytes [src, src+len) to dst as the inside of a JSON string; returns the new end.
    (func $escape (param $src i32) (param $len i32) (param $dst i32) (result i32)
      (local $end i32) (local $c i32)
      (local.set $end (i32.add (local.get $src) (local.get $len)))
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
          (local.set $c (i32.load8_u (local.get $src)))
          (local.set $src (i32.add (local.get $src) (i32.const 1)))
          (if (i32.or (i32.eq (local.get $c) (i32.const 34)) (i32.eq (local.get $c) (i32.const 92)))
            (then
              (i32.store8 (local.get $dst) (i32.const 92))
              (i32.store8 offset=1 (local.get $dst) (local.get $c))
              (local.set $dst (i32.add (local.get $dst) (i32.const 2)))
              (br $next)))
          (if (i32.lt_u (local.get $c) (i32.const 32))
            (then
              (i32.store (local.get $dst) (i32.const 0x3030755c))  ;; the bytes \u00
              (i32.store8 offset=4 (local.get $dst) (i32.load8_u offset=16 (i32.shr_u (local.get $c) (i32.const 4))))
              (i32.store8 offset=5 (local.get $dst) (i32.load8_u offset=16 (i32.and (local.get $c) (i32.const 15))))
              (local.set $dst (i32.add (local.get $dst) (i32.const 6)))
              (br $next)))
          (i32.store8 (local.get $dst) (local.get $c))
          (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
          (br $next)))
      (local.get $dst))

    ;; call: func(tool-name: string, input-json: string) -> string
    (func (export "call") (param $np i32) (param $nl i32) (param $ip i32) (param $il i32) (result i32)
      (local $out i32) (local $p i32)
      (local.set $out (global.get $heap))
      (call $ensure (i32.add (local.get $out)
        (i32.add (i32.mul (i32.add (local.get $nl) (local.get $il)) (i32.const 6)) (i32.const 64))))
      (local.set $p (call $copy (local.get $out) (i32.const 32) (i32.const 32)))
      (local.set $p (call $escape (local.get $np) (local.get $nl) (local.get $p)))
      (local.set $p (call $copy (local.get $p) (i32.const 64) (i32.const 13)))
      (local.set $p (call $escape (local.get $ip) (local.get $il) (local.get $p)))
      (local.set $p (call $copy (local.get $p) (i32.const 96) (i32.const 2)))
      (global.set $heap (local.get $p))
      (i32.store (i32.const 1024) (local.get $out))
      (i32.store (i32.const 1028) (i32.sub (local.get $p) (local.get $out)))
      (i32.const 1024))

    ;; post-return: the per-call arena (arguments and result) is no longer needed.
    (func (export "cabi_post") (param i32)
      (global.set $heap (i32.const 4096))))

  (core instance $i (instantiate $m))

  (func (export "call") (param "tool-name" string) (param "input-json" string) (result string)
    (canon lift (core func $i "call")
      (memory (core memory $i "memory")) (realloc (core func $i "cabi_realloc"))
      string-encoding=utf8 (post-return (core func $i "cabi_post"))))
)
