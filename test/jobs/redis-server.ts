// A throwaway redis-server for tests and benchmarks: a free port, a temporary folder, no persistence; and the
// few commands the tests read BullMQ's state with, over a bare socket.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type WorkerProcess, startWorkerProcess } from '../../src/jobs/worker-process.js';
import { REPO_ROOT } from '../helpers.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One command, one reply (integers and simple strings; enough for PING, ZCARD, LLEN, HGET). */
export function redisCommand(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection({ port, host: '127.0.0.1' });
    let buf = '';
    c.on('error', reject);
    c.on('data', (d) => {
      buf += d.toString();
      const m = /^[:+-]([^\r]*)\r\n|^\$(-1)\r\n|^\$\d+\r\n([^\r]*)\r\n/.exec(buf);
      if (m) {
        c.end();
        if (buf.startsWith('-')) reject(new Error(m[1]));
        else resolve(m[1] ?? m[3] ?? '');
      }
    });
    c.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

export interface RedisServer {
  port: number;
  url: string;
  stop(): void;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hwq-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const proc: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  const stop = () => {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      if ((await redisCommand(port, 'PING')) === 'PONG') break;
    } catch (e) {
      if (i > 100) {
        stop();
        throw e;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { port, url: `redis://127.0.0.1:${port}`, stop };
}

/** Jobs BullMQ has marked completed on hwq's queue. */
export async function completedJobs(port: number): Promise<number> {
  return Number(await redisCommand(port, 'ZCARD', 'hwq:hwq-jobs:completed'));
}

/**
 * A test file's redis-server and `hwq worker` processes, all killed once its tests are done (`after` is uvu's
 * test.after): start() the server, then worker() as many as the test needs.
 */
export function redisWithWorkers(after: (fn: () => void) => void, lockMs: number) {
  const workers: WorkerProcess[] = [];
  let redis: RedisServer | undefined;
  after(() => {
    for (const w of workers) w.child.kill('SIGKILL');
    redis?.stop();
  });
  return {
    workers,
    async start(): Promise<RedisServer> {
      redis = await startRedis();
      return redis;
    },
    worker(cache: string): WorkerProcess {
      if (!redis) throw new Error('start redis before its workers');
      const w = startWorkerProcess(join(REPO_ROOT, 'bin', 'hwq.js'), redis.url, cache, lockMs);
      workers.push(w);
      return w;
    },
  };
}
