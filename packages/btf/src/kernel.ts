import { readdirSync, readFileSync } from 'node:fs';
import { InvalidArgumentError, NotSupportedError, SymbolNotFoundError } from '@bpfkit/errors';
import { kindName, kindNumber, type KindLike } from './kind.js';
import { Spec } from './spec.js';

export const KERNEL_BTF_DIR = '/sys/kernel/btf';

let vmlinux: Spec | undefined;
const modules = new Map<string, Spec>();

function readBlob(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && what === 'vmlinux') {
      throw new NotSupportedError('kernel BTF', {
        minimumKernel: '5.4',
        missingConfig: 'CONFIG_DEBUG_INFO_BTF',
        detail: `${path} does not exist`,
        cause: err,
      });
    }
    if (code === 'ENOENT') {
      throw new SymbolNotFoundError(what, { path: KERNEL_BTF_DIR, detail: 'no BTF for this module (not loaded, or built without CONFIG_DEBUG_INFO_BTF_MODULES)', cause: err });
    }
    throw err;
  }
}

/** The running kernel's BTF (`/sys/kernel/btf/vmlinux`), read and parsed once per process. */
export function loadKernelBTF(): Spec {
  vmlinux ??= Spec.parse(readBlob(`${KERNEL_BTF_DIR}/vmlinux`, 'vmlinux'), { name: 'vmlinux' });
  return vmlinux;
}

/** A kernel module's BTF, split on top of vmlinux; read and parsed once per module. */
export function loadModuleBTF(module: string): Spec {
  if (typeof module !== 'string' || !/^[\w-]+$/.test(module) || module === 'vmlinux') {
    throw new InvalidArgumentError('module', `${JSON.stringify(module)} is not a kernel module name`);
  }
  let spec = modules.get(module);
  if (!spec) {
    const base = loadKernelBTF();
    spec = Spec.parse(readBlob(`${KERNEL_BTF_DIR}/${module}`, module), { base, name: module });
    modules.set(module, spec);
  }
  return spec;
}

/** Names of the loaded kernel modules that have BTF, sorted. */
export function kernelModulesWithBTF(): string[] {
  try {
    return readdirSync(KERNEL_BTF_DIR).filter((n) => n !== 'vmlinux').sort();
  } catch {
    return [];
  }
}

/** Where a kernel type lives: vmlinux (`module` undefined) or a module's split BTF. */
export interface KernelType {
  spec: Spec;
  typeId: number;
  /** The module whose BTF object holds the type; its BTF object fd goes into attach_btf_obj_fd. */
  module?: string;
}

/**
 * Find a named type in the kernel: vmlinux first, then each module's own types. Several matches
 * in vmlinux resolve to the first (the kernel attaches by name); matches in more than one module
 * are ambiguous and rejected, as cilium/ebpf does.
 */
export function findKernelType(name: string, kind: KindLike, options: { modules?: boolean } = {}): KernelType {
  const k = kindNumber(kind);
  if (k === undefined) throw new InvalidArgumentError('kind', `unknown BTF kind ${String(kind)}`);
  const base = loadKernelBTF();
  const ids = base.findTypeIds(name, k);
  if (ids.length > 0) return { spec: base, typeId: ids[0]! };
  if (options.modules !== false) {
    const found: KernelType[] = [];
    for (const module of kernelModulesWithBTF()) {
      let spec: Spec;
      try {
        spec = loadModuleBTF(module);
      } catch (err) {
        // A module unloaded between readdir and read is simply not there.
        if (err instanceof SymbolNotFoundError) continue;
        throw err;
      }
      const own = spec.findTypeIds(name, k).filter((id) => id >= spec.firstTypeId);
      if (own.length > 0) found.push({ spec, typeId: own[0]!, module });
    }
    if (found.length > 1) {
      throw new InvalidArgumentError('name', `${kindName(k)} ${name} is ambiguous: defined by modules ${found.map((f) => f.module).join(', ')}`);
    }
    if (found.length === 1) return found[0]!;
  }
  throw new SymbolNotFoundError(name, { path: 'kernel BTF', detail: `no ${kindName(k)} of that name in vmlinux${options.modules === false ? '' : ' or module'} BTF` });
}
