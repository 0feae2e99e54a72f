;; CRC-64/ISO, reflected, slicing-by-16 (the source of crc64-wasm.ts; scripts/build-crc64-wasm.mjs
;; compiles it). Memory: 16 tables of 256 little-endian i64 at 0..32767 (table k at k*2048: the
;; register after a byte followed by k zero bytes), filled by crc64.ts; the caller puts the bytes
;; to check at 32768. `update` takes and returns the register as it is (not inverted).
(module
  (memory (export "memory") 3)
  (func (export "update") (param $crc i64) (param $p i32) (param $n i32) (result i64)
    (local $end i32) (local $blocksEnd i32) (local $lo i64) (local $hi i64)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $blocksEnd (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -16))))
    ;; sixteen bytes at a time: byte j of the block looks up table 15-j (an index is the byte
    ;; shifted into place and masked: byte * 8, the size of an entry)
    (block $blocks
      (loop $block
        (br_if $blocks (i32.ge_u (local.get $p) (local.get $blocksEnd)))
        (local.set $lo (i64.xor (local.get $crc) (i64.load (local.get $p))))
        (local.set $hi (i64.load offset=8 (local.get $p)))
        (local.set $crc
          (i64.xor
            (i64.xor
              (i64.xor
                (i64.xor
                  (i64.load offset=30720 (i32.and (i32.shl (i32.wrap_i64 (local.get $lo)) (i32.const 3)) (i32.const 2040)))
                  (i64.load offset=28672 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 5))) (i32.const 2040))))
                (i64.xor
                  (i64.load offset=26624 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 13))) (i32.const 2040)))
                  (i64.load offset=24576 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 21))) (i32.const 2040)))))
              (i64.xor
                (i64.xor
                  (i64.load offset=22528 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 29))) (i32.const 2040)))
                  (i64.load offset=20480 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 37))) (i32.const 2040))))
                (i64.xor
                  (i64.load offset=18432 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 45))) (i32.const 2040)))
                  (i64.load offset=16384 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 53))) (i32.const 2040))))))
            (i64.xor
              (i64.xor
                (i64.xor
                  (i64.load offset=14336 (i32.and (i32.shl (i32.wrap_i64 (local.get $hi)) (i32.const 3)) (i32.const 2040)))
                  (i64.load offset=12288 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $hi) (i64.const 5))) (i32.const 2040))))
                (i64.xor
                  (i64.load offset=10240 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $hi) (i64.const 13))) (i32.const 2040)))
                  (i64.load offset=8192 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $hi) (i64.const 21))) (i32.const 2040)))))
              (i64.xor
                (i64.xor
                  (i64.load offset=6144 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $hi) (i64.const 29))) (i32.const 2040)))
                  (i64.load offset=4096 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $hi) (i64.const 37))) (i32.const 2040))))
                (i64.xor
                  (i64.load offset=2048 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $hi) (i64.const 45))) (i32.const 2040)))
                  (i64.load (i32.and (i32.wrap_i64 (i64.shr_u (local.get $hi) (i64.const 53))) (i32.const 2040))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    ;; the bytes left, one at a time, through table 0
    (block $bytes
      (loop $byte
        (br_if $bytes (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $crc
          (i64.xor
            (i64.shr_u (local.get $crc) (i64.const 8))
            (i64.load
              (i32.shl
                (i32.and
                  (i32.xor (i32.wrap_i64 (local.get $crc)) (i32.load8_u (local.get $p)))
                  (i32.const 255))
                (i32.const 3)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (local.get $crc)))
