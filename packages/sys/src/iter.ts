import { AttrWriter } from './attr.js';
import { bpfFD } from './bpf.js';
import { Cmd } from './constants.js';
import { fdOf, type FD, type FdLike } from './fd.js';

/** BPF_ITER_CREATE: an fd that reads the iterator link's output. */
export function iterCreate(link: FdLike, flags?: number): FD {
  return bpfFD(Cmd.IterCreate, new AttrWriter(8).u32(0, fdOf(link, 'linkFd'), 'linkFd').u32(4, flags, 'flags').bytes, 'iter');
}
