// The demo's trigger process: a child that does, on request, what fires the hooks that only a
// separate process can fire (joining the demo cgroup, calling a known function of the node
// binary). One JSON request per line on stdin, one JSON reply per line on stdout; it exits when
// stdin closes, so it never outlives the demo.
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';

export type ChildRequest = { op: 'join'; cgroup: string } | { op: 'udp'; count: number; port: number } | { op: 'loadavg'; count: number };

function udp(count: number, port: number): Promise<void> {
  // A socket per datagram: each is one inet socket creation and one egress packet.
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const s = createSocket('udp4');
      s.send('bpfkit', port, '127.0.0.1', (err) => {
        s.close();
        if (err) reject(err);
        else resolve();
      });
    });
  return Array.from({ length: count }).reduce<Promise<void>>((p) => p.then(one), Promise.resolve());
}

async function handle(req: ChildRequest): Promise<void> {
  switch (req.op) {
    case 'join':
      writeFileSync(`${req.cgroup}/cgroup.procs`, String(process.pid));
      return;
    case 'udp':
      return udp(req.count, req.port);
    case 'loadavg':
      // os.loadavg() calls libuv's uv_loadavg each time: the uprobe rows' known function.
      for (let i = 0; i < req.count; i++) loadavg();
      return;
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  handle(JSON.parse(line) as ChildRequest).then(
    () => process.stdout.write('{"ok":true}\n'),
    (err: Error) => process.stdout.write(`${JSON.stringify({ error: err.message })}\n`),
  );
});
lines.on('close', () => process.exit(0));
// The demo went away mid-reply: nothing is left to report to.
process.stdout.on('error', () => process.exit(0));
