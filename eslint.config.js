// Lint that reads code, not just types: a small rule set, and the dependency direction of
// DESIGN.md as import boundaries (no package imports koffi but sys; errors, elf, tracefs and btf
// import no native package; nothing reaches into another package's src/).
import tseslint from 'typescript-eslint';

const PACKAGES = ['errors', 'sys', 'elf', 'tracefs', 'netlink', 'btf', 'ebpf', 'link'];

/** The bpfkit packages each package may import (DESIGN.md "Dependency direction"). */
const ALLOWED = {
  errors: [],
  elf: ['errors'],
  tracefs: ['errors'],
  btf: ['errors'],
  // tracefs is pure TypeScript: sys's probes use its discovery.
  sys: ['errors', 'tracefs'],
  netlink: ['errors', 'sys'],
  ebpf: ['errors', 'sys', 'btf', 'elf'],
  link: ['errors', 'sys', 'elf', 'tracefs', 'netlink', 'btf', 'ebpf'],
};

/** Packages that load native code (koffi directly, or through sys). */
const NATIVE = new Set(['sys', 'netlink', 'ebpf', 'link']);

const SRC_REACH = {
  group: ['@bpfkit/*/src', '@bpfkit/*/src/**', '**/packages/*/src/**', '../../*/src/**', '../../../packages/**'],
  message: "import another package by its name, not from its src/ (DESIGN.md: no reaching into another package's src/)",
};

function boundaries(pkg) {
  const forbidden = PACKAGES.filter((p) => p !== pkg && !ALLOWED[pkg].includes(p));
  const paths = forbidden.map((p) => ({
    name: `@bpfkit/${p}`,
    message: NATIVE.has(p) && !NATIVE.has(pkg)
      ? `@bpfkit/${pkg} must not depend on native code; @bpfkit/${p} loads koffi (DESIGN.md)`
      : `@bpfkit/${pkg} may import only ${ALLOWED[pkg].map((a) => `@bpfkit/${a}`).join(', ') || 'no bpfkit package'} (DESIGN.md dependency direction)`,
  }));
  if (pkg !== 'sys') paths.push({ name: 'koffi', message: 'only @bpfkit/sys loads koffi; reach the kernel through @bpfkit/sys' });
  return {
    files: [`packages/${pkg}/src/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { paths, patterns: forbidden.length ? [SRC_REACH, { group: forbidden.map((p) => `@bpfkit/${p}/*`), message: 'see DESIGN.md dependency direction' }] : [SRC_REACH] }],
    },
  };
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'tools/vmtest/results/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'smart'],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-debugger': 'error',
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-require-imports': 'error',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description' }],
      'no-restricted-imports': ['error', { patterns: [SRC_REACH] }],
    },
  },
  ...PACKAGES.map(boundaries),
  {
    // Library code throws bpfkit's typed errors (from @bpfkit/errors), never a plain Error.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "ThrowStatement > NewExpression[callee.name='Error']", message: 'throw a typed error from @bpfkit/errors, not a plain Error' },
      ],
    },
  },
);
