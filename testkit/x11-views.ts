import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Ground truth of which view an X11 app shows, for the exploration benchmark: read from the
 * app's accessibility tree by a client apart from the product's (python3-pyatspi, Debian's
 * reference AT-SPI bindings, in testkit/x11-view-probe.py), so the explorer never sees it and its
 * own AT-SPI client cannot agree with itself by construction.
 *
 * A view (defined before any run) is:
 * - the windows the app shows: role and title of each showing top-level (main window, dialogs,
 *   popups);
 * - the menus that are open (a menu whose items are showing), named with their parent;
 * - the tab pages that are selected;
 * - the controls the showing part offers: role and name of each showing button, toggle, check
 *   box, radio button, combo box, menu, menu item, tab and link.
 * Not part of a view: values (texts, labels, sliders, progress, spin values, table cells),
 * checked or pressed states, focus and positions — they change with every keystroke or click
 * without showing anything new.
 */

/** One showing node as the reference client reports it. */
export interface ShownNode {
  r: string;
  n: string;
  s: string[];
  c: ShownNode[];
}
const ShownNode: z.ZodType<ShownNode> = z.lazy(() => z.object({ r: z.string(), n: z.string(), s: z.array(z.string()), c: z.array(ShownNode) }));
const ProbeReply = z.union([z.object({ id: z.string(), tree: ShownNode }), z.object({ id: z.string(), error: z.string() })]);

/** Roles whose role and name are the controls a view offers (their values are left out). */
const controlRoles = new Set(['push button', 'toggle button', 'check box', 'radio button', 'combo box', 'menu', 'menu item', 'check menu item', 'radio menu item', 'tear off menu item', 'page tab', 'link', 'tool bar', 'menu bar', 'page tab list']);

const clean = (name: string) => name.replace(/\s+/g, ' ').trim();

/** The view key of an app's showing tree (the application node at the root): a JSON text. */
export function viewOf(app: ShownNode): string {
  const windows = app.c.map((window) => `${window.r}|${clean(window.n)}`);
  const menus: string[] = [];
  const tabs: string[] = [];
  const controls = new Set<string>();
  const visit = (node: ShownNode, parent: ShownNode | undefined) => {
    if (node.r === 'menu' && node.c.length) menus.push(`${parent ? `${parent.r}|${clean(parent.n)}>` : ''}${clean(node.n)}`);
    if (node.r === 'page tab' && node.s.includes('selected')) tabs.push(clean(node.n));
    if (controlRoles.has(node.r)) controls.add(`${node.r}|${clean(node.n)}`);
    for (const child of node.c) visit(child, node);
  };
  for (const window of app.c) visit(window, undefined);
  return JSON.stringify({ windows: windows.sort(), menus: menus.sort(), tabs: tabs.sort(), controls: [...controls].sort() });
}

export const viewProbeScript = fileURLToPath(new URL('./x11-view-probe.py', import.meta.url));

/** A running reference client on an accessibility bus; `view(pid)` answers that app's view key. */
export class X11ViewProbe {
  private readonly child: ChildProcess;
  private readonly lines: Interface;
  private readonly waiting = new Map<string, (reply: z.infer<typeof ProbeReply>) => void>();
  private requests = 0;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return; // not an answer (a warning the bindings printed)
      }
      const reply = ProbeReply.safeParse(parsed);
      if (reply.success) this.waiting.get(reply.data.id)?.(reply.data);
    });
    child.once('exit', () => {
      for (const [id, resolve] of this.waiting) resolve({ id, error: 'the reference client exited' });
    });
  }

  /** Starts python3-pyatspi on the bus in `env` (DBUS_SESSION_BUS_ADDRESS of the accessibility session). */
  static start(env: NodeJS.ProcessEnv): X11ViewProbe {
    if (!existsSync('/usr/lib/python3/dist-packages/pyatspi')) throw new Error('the X11 view probe needs python3-pyatspi (apt-get install python3-pyatspi)');
    return new X11ViewProbe(spawn('/usr/bin/python3', ['-u', viewProbeScript], { env, stdio: ['pipe', 'pipe', 'ignore'] }));
  }

  /** The showing tree of the app with this pid. A late answer to a request that timed out is dropped by its id. */
  async tree(pid: number, timeoutMs = 20_000): Promise<ShownNode> {
    const id = String((this.requests += 1));
    const reply = await new Promise<z.infer<typeof ProbeReply>>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ id, error: `no answer in ${timeoutMs} ms` });
      }, timeoutMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(answer);
      });
      this.child.stdin?.write(`${id} ${pid}\n`);
    });
    if ('error' in reply) throw new Error(`X11 view probe, pid ${pid}: ${reply.error}`);
    return reply.tree;
  }

  async view(pid: number): Promise<string> {
    return viewOf(await this.tree(pid));
  }

  dispose(): void {
    this.lines.close();
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
  }
}
