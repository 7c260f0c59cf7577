import { describe, expect, it } from 'vitest';
import { decodeEpollEvents, encodeEpollEvent, epollAdd, epollCreate, EpollEvents, epollWait, eventfd, eventfdSignal } from './epoll.js';
import { mmap, pageSize, Prot } from './mmap.js';

describe('struct epoll_event', () => {
  it('is packed to 12 bytes on x86_64', () => {
    expect([...encodeEpollEvent(EpollEvents.In, 0x0102030405, 'x64')]).toEqual([1, 0, 0, 0, 5, 4, 3, 2, 1, 0, 0, 0]);
  });
  it('is 16 bytes with data at 8 on arm64', () => {
    expect([...encodeEpollEvent(EpollEvents.In | EpollEvents.Err, 7, 'arm64')]).toEqual([9, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
  });
  it('decodes what it encodes', () => {
    const two = new Uint8Array([...encodeEpollEvent(1, 3, 'x64'), ...encodeEpollEvent(0x10, 9, 'x64')]);
    expect(decodeEpollEvents(two, 2, 'x64')).toEqual([{ events: 1, data: 3 }, { events: 0x10, data: 9 }]);
  });
});

describe('epollWait', () => {
  it('waits on the thread pool and wakes when an eventfd is signalled', async () => {
    using ep = epollCreate();
    using ev = eventfd();
    epollAdd(ep.fd, ev.fd, EpollEvents.In, 42);
    expect(await epollWait(ep.fd, 4, 0)).toEqual([]);
    const pending = epollWait(ep.fd, 4, -1);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await new Promise((r) => setTimeout(r, 30));
    eventfdSignal(ev.fd);
    const ready = await pending;
    clearInterval(timer);
    expect(ready).toEqual([{ events: EpollEvents.In, data: 42 }]);
    // The event loop kept running while epoll_wait blocked a pool thread.
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('mmap', () => {
  it('refuses offsets that are not page-aligned before any syscall', () => {
    expect(() => mmap(0, pageSize(), Prot.Read, 1)).toThrow(/multiple of the page size/);
    expect(() => mmap(0, 0, Prot.Read)).toThrow(/not a positive size/);
  });
  it('reports the errno of a failed mapping', () => {
    expect(() => mmap(-1, pageSize(), Prot.Read)).toThrow(/mmap: EBADF/);
  });
});
