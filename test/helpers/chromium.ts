/**
 * Headless Chromium driven over the DevTools protocol (through `ws`, no browser library): a page
 * to navigate, a condition to wait for, and every console error, uncaught exception and failed
 * request the page saw. Start-ups and waits have generous deadlines; the browser is killed by PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import WebSocket from 'ws';
import { CHILD_DEADLINE_MS } from './cli.ts';
import { tempDir } from './engines.ts';

export const CHROMIUM = process.env.SIGHTLINE_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = () => (existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`);

type Message = {
  id?: number;
  method?: string;
  params?: any;
  result?: any;
  error?: { message: string };
  sessionId?: string;
};

export class Browser {
  private next = 1;
  private pending = new Map<number, { resolve: (r: any) => void; reject: (e: Error) => void }>();
  /** What went wrong on the page: console errors, exceptions, HTTP ≥ 400, failed loads. */
  readonly problems: string[] = [];
  private readonly child: ChildProcess;
  private readonly socket: WebSocket;
  private session = '';

  private constructor(child: ChildProcess, socket: WebSocket) {
    this.child = child;
    this.socket = socket;
  }

  static async launch(): Promise<Browser> {
    const child = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--remote-debugging-port=0',
        `--user-data-dir=${tempDir('chromium-')}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`Chromium did not start within ${CHILD_DEADLINE_MS / 1000} s:\n${err}`));
      }, CHILD_DEADLINE_MS);
      child.stderr!.on('data', (d) => {
        err += d;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`Chromium exited (${code}):\n${err}`)));
    });
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const b = new Browser(child, socket);
    socket.on('message', (data) => b.receive(JSON.parse(String(data)) as Message));
    const { targetId } = await b.send('Target.createTarget', { url: 'about:blank' });
    b.session = (await b.send('Target.attachToTarget', { targetId, flatten: true })).sessionId;
    for (const domain of ['Page', 'Runtime', 'Network', 'Log']) await b.send(`${domain}.enable`);
    return b;
  }

  private send(method: string, params: object = {}): Promise<any> {
    const id = this.next++;
    this.socket.send(JSON.stringify({ id, method, params, ...(this.session ? { sessionId: this.session } : {}) }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private receive(m: Message): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result);
      return;
    }
    const e = m.params;
    if (m.method === 'Runtime.consoleAPICalled' && e.type === 'error')
      this.problems.push(`console: ${e.args.map((a: any) => a.value ?? a.description).join(' ')}`);
    if (m.method === 'Runtime.exceptionThrown')
      this.problems.push(`exception: ${e.exceptionDetails.exception?.description ?? e.exceptionDetails.text}`);
    if (m.method === 'Log.entryAdded' && e.entry.level === 'error')
      this.problems.push(`log: ${e.entry.text} ${e.entry.url ?? ''}`);
    if (m.method === 'Network.responseReceived' && e.response.status >= 400)
      this.problems.push(`HTTP ${e.response.status}: ${e.response.url}`);
    if (m.method === 'Network.loadingFailed' && !e.canceled)
      this.problems.push(`failed: ${e.errorText} (${e.requestId})`);
  }

  async goto(url: string): Promise<void> {
    await this.send('Page.navigate', { url });
  }

  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true });
    return r.result.value as T;
  }

  /** Waits (polling) until `expression` is true on the page; fails with the page's text. */
  async until(expression: string, what: string, ms = CHILD_DEADLINE_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await this.evaluate<boolean>(expression))) {
      if (Date.now() > deadline) {
        const text = await this.evaluate<string>('document.body?.innerText ?? ""');
        throw new Error(
          `timed out after ${ms / 1000} s waiting for ${what}; the page shows:\n${text.slice(0, 2000)}\n${this.problems.join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    this.socket.close();
    this.child.kill('SIGKILL');
  }
}
