// One event per getppid(2): to a ring buffer (to_ring) or a perf event array (to_perf).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event { __u64 seq; __u32 tgid; __u32 tid; };

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 22);
} ring SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} perf SEC(".maps");

// Only events of this process count: a tracepoint program runs for every task.
const volatile __u32 target_tgid = 0;
__u64 ring_seq = 0, ring_drops = 0, perf_seq = 0, perf_fails = 0;

static __always_inline struct event make(__u64 *seq) {
  __u64 id = bpf_get_current_pid_tgid();
  struct event e = { .seq = *seq, .tgid = id >> 32, .tid = (__u32)id };
  *seq = e.seq + 1;
  return e;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int to_ring(void *ctx) {
  if ((bpf_get_current_pid_tgid() >> 32) != target_tgid) return 0;
  struct event e = make(&ring_seq);
  if (bpf_ringbuf_output(&ring, &e, sizeof(e), 0)) ring_drops++;
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int to_perf(void *ctx) {
  if ((bpf_get_current_pid_tgid() >> 32) != target_tgid) return 0;
  struct event e = make(&perf_seq);
  if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &e, sizeof(e))) perf_fails++;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
