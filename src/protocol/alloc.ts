// Memory for encoded packets. Small packets come from Node's own Buffer pool (allocUnsafe
// slices an 8 KiB pool below 4 KiB); mid-sized ones, which Node would give a fresh
// ArrayBuffer each (about 1.5 µs, more than encoding the packet), are sliced from a slab of
// our own. The cost is the pool's: a live slice keeps its whole slab alive, so holding one
// mid-sized packet for long can pin up to SLAB_SIZE bytes. Large packets get their own memory.

const SLAB_SIZE = 128 * 1024;
/** Packets up to this size share slabs; above it, a slab would hold too few to pay off. */
const SLAB_MAX = 16 * 1024;
/** Slices start at 8-byte boundaries, as in Node's pool, so typed-array views stay aligned. */
const ALIGN = 7;

let slab = Buffer.alloc(0);
let slabOffset = 0;

/** An uninitialised Buffer of exactly `size` bytes. */
export function allocate(size: number): Buffer {
  if (size < Buffer.poolSize >>> 1 || size > SLAB_MAX) return Buffer.allocUnsafe(size);
  if (slabOffset + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabOffset = 0;
  }
  const buf = slab.subarray(slabOffset, slabOffset + size);
  slabOffset = (slabOffset + size + ALIGN) & ~ALIGN;
  return buf;
}
