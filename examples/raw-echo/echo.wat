;; example.raw-echo: a legacy raw core-wasm tool (ABI yoi-plugin-wasm-1, spec §6.8).
;;
;; The host calls `yoi_tool_call: () -> ()`. The guest reads the tool name and the input JSON
;; through the `yoi:tool` imports and writes one ToolOutput JSON object (spec §6.9):
;;   {"summary":"echo from <tool name>","content":"<input JSON as a JSON string>"}
;; The input is copied into the content string with JSON escaping (`"` and `\` are
;; backslash-escaped, control bytes become \u00XX), so the output is always valid JSON.
;; Rebuild with `python examples/build.py`.
(module
  (import "yoi:tool" "tool_name_len"  (func $tool_name_len  (result i32)))
  (import "yoi:tool" "tool_name_read" (func $tool_name_read (param i32 i32) (result i32)))
  (import "yoi:tool" "input_len"      (func $input_len      (result i32)))
  (import "yoi:tool" "input_read"     (func $input_read     (param i32 i32) (result i32)))
  (import "yoi:tool" "output_write"   (func $output_write   (param i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; layout: [16..32) hex digits, [32..160) fixed text, [1024..) name, input, output
  (data (i32.const 16) "0123456789abcdef")
  (data (i32.const 32) "{\"summary\":\"echo from ")              ;; 22 bytes
  (data (i32.const 64) "\",\"content\":\"")                      ;; 13 bytes
  (data (i32.const 96) "\"}")                                    ;; 2 bytes
  (data (i32.const 112) "{\"summary\":\"echo input too large\"}")  ;; 34 bytes

  ;; Grow memory so that [0, end) is addressable; 0 when the host refuses to grow.
  (func $ensure (param $end i32) (result i32)
    (local $have i32)
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.le_u (local.get $end) (local.get $have)) (then (return (i32.const 1))))
    (i32.ne
      (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (local.get $have)) (i32.const 16)) (i32.const 1)))
      (i32.const -1)))

  ;; Copy `len` bytes from `src` to `dst`; returns the end of the copy.
  (func $copy (param $dst i32) (param $src i32) (param $len i32) (result i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $len))
    (i32.add (local.get $dst) (local.get $len)))

  ;; Write the bytes [src, src+len) to dst as the inside of a JSON string; returns the new end.
  ;; Worst case 6 output bytes per input byte (\u00XX).
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

  (func (export "yoi_tool_call")
    (local $nlen i32) (local $ilen i32) (local $input i32) (local $out i32) (local $p i32)
    (local.set $nlen (call $tool_name_len))
    (local.set $ilen (call $input_len))
    (local.set $input (i32.add (i32.const 1024) (local.get $nlen)))
    (local.set $out (i32.add (local.get $input) (local.get $ilen)))
    (if (i32.eqz (call $ensure
          (i32.add (local.get $out)
            (i32.add (i32.mul (i32.add (local.get $nlen) (local.get $ilen)) (i32.const 6)) (i32.const 64)))))
      (then
        (drop (call $output_write (i32.const 112) (i32.const 34)))
        (return)))
    (drop (call $tool_name_read (i32.const 1024) (local.get $nlen)))
    (drop (call $input_read (local.get $input) (local.get $ilen)))
    (local.set $p (call $copy (local.get $out) (i32.const 32) (i32.const 22)))
    (local.set $p (call $escape (i32.const 1024) (local.get $nlen) (local.get $p)))
    (local.set $p (call $copy (local.get $p) (i32.const 64) (i32.const 13)))
    (local.set $p (call $escape (local.get $input) (local.get $ilen) (local.get $p)))
    (local.set $p (call $copy (local.get $p) (i32.const 96) (i32.const 2)))
    (drop (call $output_write (local.get $out) (i32.sub (local.get $p) (local.get $out)))))
)
