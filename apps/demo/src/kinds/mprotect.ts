// Node's type definitions leave WebAssembly out; this is the part used.
declare const WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { grow(pages: number): number } };

/**
 * The mprotect trigger: V8 reserves a WebAssembly memory's address space inaccessible and makes
 * each page it grows by accessible with one mprotect(2) on the calling thread.
 */
export function mprotectCalls(count: number): void {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 + count });
  for (let i = 0; i < count; i++) memory.grow(1);
}
