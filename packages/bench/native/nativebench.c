// The native reference of `pnpm bench`: the same syscall sequences as the TypeScript cases, from C
// with raw syscalls (kernel UAPI headers only, no libbpf), so that each TS figure has a C figure of
// the same run beside it. The driver (src/native.ts) builds this file with gcc at run time.
//
//   nativebench CASE SAMPLES BATCH WARMUP [key=value...] [threads=N]
//
// prints one line per sample: "<cycle ns> <attach ns>", both means over BATCH iterations, after
// WARMUP untimed iterations; then "cpu <ns>", the user+system CPU time per timed iteration.
// threads=N starts N idle threads first, to see what being multi-threaded (as node is) costs. Set-up (program loads, sockets, setns) happens before the clock runs.
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// Newer than the 6.1 UAPI headers of Debian 12 (checked against this kernel's BTF).
#define K_BPF_PROG_TYPE_NETFILTER 32
#define K_BPF_NETFILTER 45
#define K_BPF_TCX_INGRESS 46
#define K_BPF_TRACE_UPROBE_MULTI 48
#define K_BPF_PERF_EVENT 41
#define K_BPF_TRACE_RAW_TP 23
#define K_BPF_XDP 37
#define K_BPF_TRACE_FENTRY 24
#define K_BPF_TRACE_KPROBE_MULTI 42

static void die(const char *what) {
  fprintf(stderr, "nativebench: %s: %s (errno %d)\n", what, strerror(errno), errno);
  exit(2);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long sys_bpf(int cmd, void *attr, unsigned size) { return syscall(__NR_bpf, cmd, attr, size); }

static const char *arg(int argc, char **argv, const char *key, const char *dflt) {
  size_t n = strlen(key);
  for (int i = 5; i < argc; i++)
    if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
  if (!dflt) {
    fprintf(stderr, "nativebench: missing %s=\n", key);
    exit(2);
  }
  return dflt;
}
#define ARG(key) arg(g_argc, g_argv, key, NULL)
#define ARGD(key, d) arg(g_argc, g_argv, key, d)
static int g_argc;
static char **g_argv;

// Instructions as hex (what the TS side encodes), so both sides load the very same bytes.
static struct bpf_insn *hex_insns(const char *hex, unsigned *cnt) {
  size_t n = strlen(hex) / 2;
  unsigned char *b = malloc(n);
  for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &b[i]);
  *cnt = n / 8;
  return (struct bpf_insn *)b;
}

static int prog_load(int type, int expected, const struct bpf_insn *insns, unsigned cnt, unsigned btf_id) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.prog_type = type;
  a.expected_attach_type = expected;
  a.insns = (uintptr_t)insns;
  a.insn_cnt = cnt;
  a.license = (uintptr_t) "GPL";
  a.attach_btf_id = btf_id;
  return sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
}

// r0 = verdict; exit
static int load_ret(int type, int expected, int verdict, unsigned btf_id) {
  struct bpf_insn insns[2] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = verdict},
      {.code = BPF_JMP | BPF_EXIT},
  };
  int fd = prog_load(type, expected, insns, 2, btf_id);
  if (fd < 0) die("BPF_PROG_LOAD");
  return fd;
}

// BPF_LINK_CREATE with the common header and up to 48 bytes of per-type union at @16.
static int link_create(int prog, int target, int attach_type, unsigned flags, const void *ext, size_t extlen) {
  unsigned char a[64] = {0};
  memcpy(a + 0, &prog, 4);
  memcpy(a + 4, &target, 4);
  memcpy(a + 8, &attach_type, 4);
  memcpy(a + 12, &flags, 4);
  if (ext) memcpy(a + 16, ext, extlen);
  return sys_bpf(BPF_LINK_CREATE, a, sizeof(a));
}

static int perf_open(uint32_t type, uint64_t config, uint64_t config1, uint64_t config2) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof(a));
  a.size = sizeof(a);
  a.type = type;
  a.config = config;
  a.config1 = config1;
  a.config2 = config2;
  a.sample_period = 1;
  a.wakeup_events = 1;
  return syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

static unsigned long read_number(const char *path) {
  char buf[32] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  if (read(fd, buf, sizeof(buf) - 1) <= 0) die(path);
  close(fd);
  return strtoul(buf, NULL, 10);
}

static uint64_t *read_offsets(const char *path, unsigned *k) {
  FILE *f = fopen(path, "r");
  if (!f) die(path);
  uint64_t *o = calloc(100000, sizeof(*o));
  unsigned n = 0;
  while (n < 100000 && fscanf(f, "%lu", &o[n]) == 1) n++;
  fclose(f);
  *k = n;
  return o;
}

// One name per line (kernel symbols for kprobe_multi), as an array of C strings.
static const char **read_lines(const char *path, unsigned *k) {
  FILE *f = fopen(path, "r");
  if (!f) die(path);
  const char **l = calloc(100000, sizeof(*l));
  char buf[256];
  unsigned n = 0;
  while (n < 100000 && fgets(buf, sizeof(buf), f)) {
    buf[strcspn(buf, "\n")] = 0;
    if (buf[0]) l[n++] = strdup(buf);
  }
  fclose(f);
  *k = n;
  return l;
}

// The config bit of a PMU's return probes ("config:0" in format/retprobe).
static unsigned read_retprobe_bit(const char *path) {
  char buf[32] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  if (read(fd, buf, sizeof(buf) - 1) <= 0) die(path);
  close(fd);
  unsigned bit;
  if (sscanf(buf, "config:%u", &bit) != 1) die(path);
  return bit;
}

// --- vmlinux BTF: read, walk the type section, linear search (what a minimal C loader does) ---

struct btf_blob {
  unsigned char *data;
  size_t len;
  const unsigned char *types;
  const char *strs;
  uint32_t type_len, str_len;
};

static void btf_read(struct btf_blob *b) {
  int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open vmlinux BTF");
  size_t cap = 1 << 23, len = 0;
  unsigned char *d = malloc(cap);
  for (;;) {
    if (len == cap) d = realloc(d, cap *= 2);
    ssize_t n = read(fd, d + len, cap - len);
    if (n < 0) die("read vmlinux BTF");
    if (n == 0) break;
    len += n;
  }
  close(fd);
  b->data = d;
  b->len = len;
  uint32_t hdr_len, type_off, type_len, str_off, str_len;
  memcpy(&hdr_len, d + 4, 4);
  memcpy(&type_off, d + 8, 4);
  memcpy(&type_len, d + 12, 4);
  memcpy(&str_off, d + 16, 4);
  memcpy(&str_len, d + 20, 4);
  b->types = d + hdr_len + type_off;
  b->type_len = type_len;
  b->strs = (const char *)d + hdr_len + str_off;
  b->str_len = str_len;
}

// Size of one type record, from its kind (include/uapi/linux/btf.h).
static size_t btf_type_size(const unsigned char *t) {
  uint32_t info;
  memcpy(&info, t + 4, 4);
  unsigned kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
  size_t base = 12;
  switch (kind) {
  case 1: case 14: case 17: return base + 4;            // INT, VAR, DECL_TAG
  case 3: return base + 12;                               // ARRAY
  case 4: case 5: return base + 12 * (size_t)vlen;        // STRUCT, UNION
  case 6: return base + 8 * (size_t)vlen;                 // ENUM
  case 13: return base + 8 * (size_t)vlen;                // FUNC_PROTO
  case 15: return base + 12 * (size_t)vlen;               // DATASEC
  case 19: return base + 12 * (size_t)vlen;               // ENUM64
  default: return base;                                   // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
  }
}

// Number of types (a full walk: what parsing the type section costs).
static unsigned btf_walk(const struct btf_blob *b) {
  unsigned n = 0;
  for (size_t off = 0; off < b->type_len; off += btf_type_size(b->types + off)) n++;
  return n;
}

static unsigned btf_find(const struct btf_blob *b, const char *name, unsigned kind) {
  unsigned id = 1;
  for (size_t off = 0; off < b->type_len; off += btf_type_size(b->types + off), id++) {
    uint32_t name_off, info;
    memcpy(&name_off, b->types + off, 4);
    memcpy(&info, b->types + off + 4, 4);
    if (((info >> 24) & 0x1f) == kind && strcmp(b->strs + name_off, name) == 0) return id;
  }
  return 0;
}

// --- ELF: mmap, section headers, symbol tables (what a minimal libelf-free reader does) ---

struct elf_file {
  int fd;
  unsigned char *map;
  size_t len;
  const Elf64_Shdr *sh;
  unsigned shnum;
};

static void elf_open(struct elf_file *e, const char *path) {
  e->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (e->fd < 0) die(path);
  struct stat st;
  fstat(e->fd, &st);
  e->len = st.st_size;
  e->map = mmap(NULL, e->len, PROT_READ, MAP_PRIVATE, e->fd, 0);
  if (e->map == MAP_FAILED) die("mmap");
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->map;
  e->sh = (const Elf64_Shdr *)(e->map + eh->e_shoff);
  e->shnum = eh->e_shnum;
}

static void elf_close(struct elf_file *e) {
  munmap(e->map, e->len);
  close(e->fd);
}

// Visits the symbols of one table type (SHT_DYNSYM or SHT_SYMTAB); stops when fn returns nonzero.
static int elf_each(const struct elf_file *e, unsigned type, int (*fn)(const Elf64_Sym *, const char *, void *), void *ctx) {
  for (unsigned i = 0; i < e->shnum; i++) {
    if (e->sh[i].sh_type != type) continue;
    const Elf64_Sym *syms = (const Elf64_Sym *)(e->map + e->sh[i].sh_offset);
    const char *strs = (const char *)(e->map + e->sh[e->sh[i].sh_link].sh_offset);
    size_t n = e->sh[i].sh_size / sizeof(Elf64_Sym);
    for (size_t j = 1; j < n; j++)
      if (fn(&syms[j], strs + syms[j].st_name, ctx)) return 1;
  }
  return 0;
}

struct find_ctx { const char *name; uint64_t value; uint64_t addr; uint64_t acc; };
static int find_name(const Elf64_Sym *s, const char *name, void *c) {
  struct find_ctx *f = c;
  if (strcmp(name, f->name) != 0) return 0;
  f->value = s->st_value;
  return 1;
}
static int touch_all(const Elf64_Sym *s, const char *name, void *c) {
  ((struct find_ctx *)c)->acc += strlen(name) + (s->st_value & 1);
  return 0;
}
static int find_addr(const Elf64_Sym *s, const char *name, void *c) {
  struct find_ctx *f = c;
  (void)name;
  if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_value <= f->addr && f->addr < s->st_value + s->st_size) {
    f->value = s->st_value;
    return 1;
  }
  return 0;
}

// --- the cases ---

struct state {
  const char *name;
  int prog, fd, fd2, map;
  struct bpf_insn *insns;
  unsigned cnt, k;
  int type, expected;
  uint64_t *offsets;
  int *fds;
  const char *path, *idpath;
  const char **syms;
  uint64_t config;
  unsigned pmu, btf_id;
  struct btf_blob btf;
  struct elf_file elf;
  uint64_t t_attach;
};

static volatile uint64_t sink;

static void enter_netns(const char *path) {
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) die(path);
  if (setns(ns, CLONE_NEWNET) < 0) die("setns");
  close(ns);
}

// An Array map of one u64 (the counter program's).
static int array_map(void) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = 8;
  a.max_entries = 1;
  int fd = sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
  if (fd < 0) die("BPF_MAP_CREATE");
  return fd;
}

static void setup(struct state *s) {
  const char *c = s->name;
  if (!strcmp(c, "floor.obj_info")) {
    // A map: its info has no pointer fields, so one buffer can be reused call after call.
    s->prog = array_map();
    s->cnt = atoi(ARG("infolen"));
    s->insns = calloc(1, s->cnt);
  } else if (!strcmp(c, "load")) {
    s->insns = hex_insns(ARG("insns"), &s->cnt);
    s->type = atoi(ARG("type"));
    if (atoi(ARGD("map", "0"))) {
      s->map = array_map();
      for (unsigned i = 0; i < s->cnt; i++)
        if (s->insns[i].code == (BPF_LD | BPF_DW | BPF_IMM) && s->insns[i].src_reg == BPF_PSEUDO_MAP_FD) s->insns[i].imm = s->map;
    }
  } else if (!strcmp(c, "sockfilter")) {
    s->prog = load_ret(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0, 0);
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) die("socket");
  } else if (!strcmp(c, "cgroup.link") || !strcmp(c, "cgroup.prog_attach")) {
    s->prog = load_ret(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1, 0);
    s->fd = open(ARG("cgroup"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->fd < 0) die("open cgroup");
  } else if (!strcmp(c, "netfilter")) {
    s->prog = load_ret(K_BPF_PROG_TYPE_NETFILTER, K_BPF_NETFILTER, 1, 0);
    s->k = atoi(ARG("priority"));
  } else if (!strcmp(c, "xdp.held")) {
    // The same program already attached to another device (lo of a second netns): no dispatcher
    // change, so no grace period; the cycle is the link's own cost.
    s->prog = load_ret(BPF_PROG_TYPE_XDP, K_BPF_XDP, 2, 0);
    enter_netns(ARG("holder"));
    s->fd2 = link_create(s->prog, 1, K_BPF_XDP, 0, NULL, 0);
    if (s->fd2 < 0) die("BPF_LINK_CREATE(xdp holder)");
    enter_netns(ARG("netns"));
    s->fd = 1;
  } else if (!strcmp(c, "xdp") || !strcmp(c, "tcx")) {
    enter_netns(ARG("netns"));
    int tcx = !strcmp(c, "tcx");
    s->prog = tcx ? load_ret(BPF_PROG_TYPE_SCHED_CLS, K_BPF_TCX_INGRESS, 0, 0) : load_ret(BPF_PROG_TYPE_XDP, K_BPF_XDP, 2, 0);
    s->fd = atoi(ARG("ifindex"));
  } else if (!strcmp(c, "tracepoint")) {
    s->prog = load_ret(BPF_PROG_TYPE_TRACEPOINT, 0, 0, 0);
    s->idpath = ARG("idpath");
  } else if (!strcmp(c, "raw_tp")) {
    s->prog = load_ret(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0, 0);
    s->path = ARG("tp");
  } else if (!strcmp(c, "tp_btf")) {
    s->prog = load_ret(BPF_PROG_TYPE_TRACING, K_BPF_TRACE_RAW_TP, 0, atoi(ARG("btfid")));
  } else if (!strcmp(c, "uprobe") || !strcmp(c, "uprobe_multi") || !strcmp(c, "uprobe_separate")) {
    int multi = !strcmp(c, "uprobe_multi");
    s->prog = load_ret(BPF_PROG_TYPE_KPROBE, multi ? K_BPF_TRACE_UPROBE_MULTI : 0, 0, 0);
    s->path = ARG("path");
    s->offsets = read_offsets(ARG("offsets"), &s->k);
    s->pmu = read_number("/sys/bus/event_source/devices/uprobe/type");
    s->fds = calloc(2 * s->k + 2, sizeof(int));
  } else if (!strcmp(c, "kprobe")) {
    // The TS side reads the PMU's type and retprobe bit once (memoised); so does this.
    s->prog = load_ret(BPF_PROG_TYPE_KPROBE, 0, 0, 0);
    s->path = ARG("symbol");
    s->pmu = read_number("/sys/bus/event_source/devices/kprobe/type");
    if (atoi(ARG("ret"))) s->config = 1ull << read_retprobe_bit("/sys/bus/event_source/devices/kprobe/format/retprobe");
  } else if (!strcmp(c, "kprobe_multi")) {
    s->prog = load_ret(BPF_PROG_TYPE_KPROBE, K_BPF_TRACE_KPROBE_MULTI, 0, 0);
    s->syms = read_lines(ARG("symbols"), &s->k);
  } else if (!strcmp(c, "fentry")) {
    s->prog = load_ret(BPF_PROG_TYPE_TRACING, K_BPF_TRACE_FENTRY, 0, atoi(ARG("btfid")));
    // 1: BPF_LINK_CREATE; 0: BPF_RAW_TRACEPOINT_OPEN (kernels without tracing links), as the library chose.
    s->k = atoi(ARG("link"));
  } else if (!strncmp(c, "btf.", 4)) {
    s->path = ARG("fn");
    if (strcmp(c, "btf.first")) btf_read(&s->btf);
  } else if (!strncmp(c, "elf.", 4)) {
    s->path = ARG("path");
    if (!strcmp(c, "elf.symbol_at_warm")) elf_open(&s->elf, s->path);
    s->idpath = ARGD("symbol", "uv_run");
    s->offsets = calloc(1, sizeof(uint64_t));
    s->offsets[0] = strtoull(ARGD("address", "0"), NULL, 0);
  } else if (strcmp(c, "floor.gettid")) {
    fprintf(stderr, "nativebench: unknown case %s\n", c);
    exit(2);
  }
}

static int uprobe_open(struct state *s, unsigned i) {
  int pe = perf_open(s->pmu, 0, (uintptr_t)s->path, s->offsets[i]);
  if (pe < 0) die("perf_event_open(uprobe)");
  return pe;
}

// A perf link on an open perf event, the attach part timed from t0, then both closed.
static void perf_link_cycle(struct state *s, int pe, uint64_t t0) {
  int l = link_create(s->prog, pe, K_BPF_PERF_EVENT, 0, NULL, 0);
  if (l < 0) die("BPF_LINK_CREATE(perf_event)");
  s->t_attach += now_ns() - t0;
  close(l);
  close(pe);
}

static void one(struct state *s) {
  const char *c = s->name;
  uint64_t t0 = now_ns();
  if (!strcmp(c, "floor.gettid")) {
    sink += syscall(SYS_gettid);
  } else if (!strcmp(c, "floor.obj_info")) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.info.bpf_fd = s->prog;
    a.info.info_len = s->cnt;
    a.info.info = (uintptr_t)s->insns;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) < 0) die("BPF_OBJ_GET_INFO_BY_FD");
  } else if (!strcmp(c, "load")) {
    int fd = prog_load(s->type, 0, s->insns, s->cnt, 0);
    if (fd < 0) die("BPF_PROG_LOAD");
    s->t_attach += now_ns() - t0;
    close(fd);
  } else if (!strcmp(c, "sockfilter")) {
    if (setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_BPF, &s->prog, sizeof(int)) < 0) die("SO_ATTACH_BPF");
    s->t_attach += now_ns() - t0;
    int zero = 0;
    if (setsockopt(s->fd, SOL_SOCKET, SO_DETACH_BPF, &zero, sizeof(int)) < 0) die("SO_DETACH_BPF");
  } else if (!strcmp(c, "cgroup.link")) {
    int l = link_create(s->prog, s->fd, BPF_CGROUP_INET_INGRESS, 0, NULL, 0);
    if (l < 0) die("BPF_LINK_CREATE(cgroup)");
    s->t_attach += now_ns() - t0;
    close(l);
  } else if (!strcmp(c, "cgroup.prog_attach")) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.target_fd = s->fd;
    a.attach_bpf_fd = s->prog;
    a.attach_type = BPF_CGROUP_INET_INGRESS;
    a.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &a, sizeof(a)) < 0) die("BPF_PROG_ATTACH");
    s->t_attach += now_ns() - t0;
    a.attach_flags = 0;
    if (sys_bpf(BPF_PROG_DETACH, &a, sizeof(a)) < 0) die("BPF_PROG_DETACH");
  } else if (!strcmp(c, "netfilter")) {
    int32_t nf[4] = {2 /* NFPROTO_IPV4 */, 1 /* NF_INET_LOCAL_IN */, (int32_t)s->k, 0};
    int l = link_create(s->prog, 0, K_BPF_NETFILTER, 0, nf, sizeof(nf));
    if (l < 0) die("BPF_LINK_CREATE(netfilter)");
    s->t_attach += now_ns() - t0;
    close(l);
  } else if (!strcmp(c, "xdp") || !strcmp(c, "tcx") || !strcmp(c, "xdp.held")) {
    int tcx = !strcmp(c, "tcx");
    int l = link_create(s->prog, s->fd, tcx ? K_BPF_TCX_INGRESS : K_BPF_XDP, 0, NULL, 0);
    if (l < 0) die("BPF_LINK_CREATE(xdp/tcx)");
    s->t_attach += now_ns() - t0;
    close(l);
  } else if (!strcmp(c, "tracepoint")) {
    // The library reads the event id from tracefs on every attach; so does this.
    int pe = perf_open(PERF_TYPE_TRACEPOINT, read_number(s->idpath), 0, 0);
    if (pe < 0) die("perf_event_open(tracepoint)");
    perf_link_cycle(s, pe, t0);
  } else if (!strcmp(c, "raw_tp")) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.raw_tracepoint.name = (uintptr_t)s->path;
    a.raw_tracepoint.prog_fd = s->prog;
    int l = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
    if (l < 0) die("BPF_RAW_TRACEPOINT_OPEN");
    s->t_attach += now_ns() - t0;
    close(l);
  } else if (!strcmp(c, "tp_btf")) {
    int l = link_create(s->prog, 0, K_BPF_TRACE_RAW_TP, 0, NULL, 0);
    if (l < 0) die("BPF_LINK_CREATE(tp_btf)");
    s->t_attach += now_ns() - t0;
    close(l);
  } else if (!strcmp(c, "uprobe") || !strcmp(c, "uprobe_separate")) {
    unsigned k = strcmp(c, "uprobe") ? s->k : 1;
    for (unsigned i = 0; i < k; i++) {
      s->fds[2 * i] = uprobe_open(s, i);
      s->fds[2 * i + 1] = link_create(s->prog, s->fds[2 * i], K_BPF_PERF_EVENT, 0, NULL, 0);
      if (s->fds[2 * i + 1] < 0) die("BPF_LINK_CREATE(perf_event)");
    }
    s->t_attach += now_ns() - t0;
    for (unsigned i = 0; i < k; i++) {
      close(s->fds[2 * i + 1]);
      close(s->fds[2 * i]);
    }
  } else if (!strcmp(c, "uprobe_multi")) {
    // Zeroed whole: its 4 bytes of tail padding land in the attr, where the kernel wants zeros.
    struct { uint64_t path, offsets, ref_ctr, cookies; uint32_t cnt, flags, pid; } um;
    memset(&um, 0, sizeof(um));
    um.path = (uintptr_t)s->path;
    um.offsets = (uintptr_t)s->offsets;
    um.cnt = s->k;
    int l = link_create(s->prog, 0, K_BPF_TRACE_UPROBE_MULTI, 0, &um, sizeof(um));
    if (l < 0) die("BPF_LINK_CREATE(uprobe_multi)");
    s->t_attach += now_ns() - t0;
    close(l);
  } else if (!strcmp(c, "kprobe")) {
    int pe = perf_open(s->pmu, s->config, (uintptr_t)s->path, 0);
    if (pe < 0) die("perf_event_open(kprobe)");
    perf_link_cycle(s, pe, t0);
  } else if (!strcmp(c, "kprobe_multi")) {
    struct { uint32_t flags, cnt; uint64_t syms, addrs, cookies; } km = {0, s->k, (uintptr_t)s->syms, 0, 0};
    int l = link_create(s->prog, 0, K_BPF_TRACE_KPROBE_MULTI, 0, &km, sizeof(km));
    if (l < 0) die("BPF_LINK_CREATE(kprobe_multi)");
    s->t_attach += now_ns() - t0;
    close(l);
  } else if (!strcmp(c, "fentry")) {
    int l;
    if (s->k) {
      l = link_create(s->prog, 0, K_BPF_TRACE_FENTRY, 0, NULL, 0);
    } else {
      union bpf_attr a;
      memset(&a, 0, sizeof(a));
      a.raw_tracepoint.prog_fd = s->prog;
      l = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
    }
    if (l < 0) die("attach fentry");
    s->t_attach += now_ns() - t0;
    close(l);
  } else if (!strcmp(c, "btf.first")) {
    struct btf_blob b;
    btf_read(&b);
    sink += btf_walk(&b);
    if (!btf_find(&b, s->path, 12 /* FUNC */)) die("BTF function not found");
    free(b.data);
  } else if (!strcmp(c, "btf.lookup") || !strcmp(c, "btf.missing")) {
    unsigned id = btf_find(&s->btf, s->path, 12);
    if ((id == 0) != (c[4] == 'm')) die("unexpected BTF lookup result");
    sink += id;
  } else if (!strcmp(c, "elf.symbol")) {
    struct find_ctx f = {.name = s->idpath};
    elf_open(&s->elf, s->path);
    if (!elf_each(&s->elf, SHT_DYNSYM, find_name, &f) && !elf_each(&s->elf, SHT_SYMTAB, find_name, &f)) die("ELF symbol not found");
    sink += f.value;
    elf_close(&s->elf);
  } else if (!strcmp(c, "elf.all")) {
    struct find_ctx f = {0};
    elf_open(&s->elf, s->path);
    elf_each(&s->elf, SHT_SYMTAB, touch_all, &f);
    elf_each(&s->elf, SHT_DYNSYM, touch_all, &f);
    sink += f.acc;
    elf_close(&s->elf);
  } else if (!strcmp(c, "elf.symbol_at_warm")) {
    struct find_ctx f = {.addr = s->offsets[0]};
    if (!elf_each(&s->elf, SHT_SYMTAB, find_addr, &f) && !elf_each(&s->elf, SHT_DYNSYM, find_addr, &f)) die("no symbol at address");
    sink += f.value;
  } else if (!strcmp(c, "elf.symbol_at")) {
    struct find_ctx f = {.addr = s->offsets[0]};
    elf_open(&s->elf, s->path);
    if (!elf_each(&s->elf, SHT_SYMTAB, find_addr, &f) && !elf_each(&s->elf, SHT_DYNSYM, find_addr, &f)) die("no symbol at address");
    sink += f.value;
    elf_close(&s->elf);
  }
}

// Idle threads: a multi-threaded process shares its fd table, so the kernel takes the slow,
// reference-counting path of fdget() and defers the last fput() of close(), as it does for node.
static void *idle(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: nativebench CASE SAMPLES BATCH WARMUP [key=value...]\n");
    return 2;
  }
  g_argc = argc;
  g_argv = argv;
  struct state s = {.name = argv[1], .prog = -1, .fd = -1, .map = -1};
  int samples = atoi(argv[2]), batch = atoi(argv[3]), warmup = atoi(argv[4]);
  for (int i = atoi(ARGD("threads", "0")); i > 0; i--) {
    pthread_t t;
    if (pthread_create(&t, NULL, idle, NULL) != 0) die("pthread_create");
  }
  uint64_t start = now_ns();
  setup(&s);
  // A fresh process's first iteration, set-up included: the "cold" figure.
  one(&s);
  fprintf(stdout, "cold %.1f\n", (double)(now_ns() - start));
  for (int i = 1; i < warmup; i++) one(&s);
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  for (int i = 0; i < samples; i++) {
    s.t_attach = 0;
    uint64_t t0 = now_ns();
    for (int j = 0; j < batch; j++) one(&s);
    uint64_t t = now_ns() - t0;
    fprintf(stdout, "%.1f %.1f\n", (double)t / batch, (double)s.t_attach / batch);
  }
  getrusage(RUSAGE_SELF, &r1);
  double cpu_us = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e6 +
                  (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
  if (samples > 0) fprintf(stdout, "cpu %.1f\n", cpu_us * 1000 / ((double)samples * batch));
  return 0;
}
