import { createRequire } from 'node:module';
import { SkillframeError } from '../../core/errors.ts';
import type { HookEvent, InputHooks, Modifiers } from './input.ts';
import { keyFromHookCode } from './keys.ts';

interface RawHookEvent {
  type: number;
  time: number;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  x?: number;
  y?: number;
  button?: number;
  clicks?: number;
  keycode?: number;
  rotation?: number;
  direction?: number;
  amount?: number;
}

interface Uiohook {
  on(event: 'input', listener: (event: RawHookEvent) => void): void;
  off(event: 'input', listener: (event: RawHookEvent) => void): void;
  start(): void;
  stop(): void;
}

// libuiohook event types.
const types = { keydown: 4, keyup: 5, mousedown: 7, mouseup: 8, mousemove: 9, mousedrag: 10, wheel: 11 } as const;
const buttons: Record<number, 'left' | 'right' | 'middle'> = { 1: 'left', 2: 'right', 3: 'middle' };
/** Pixels per wheel notch, so scroll amounts read like the web's deltaY. */
const pixelsPerNotch = 100;

/**
 * Global input hooks through uiohook-napi (XRecord on X11): hears a person's devices and any
 * XTEST input (xdotool, robotjs in another process) alike. One instance per process: the native
 * hook is a process-wide singleton.
 */
export class UiohookHooks implements InputHooks {
  private hook: Uiohook | undefined;
  private handler: ((event: RawHookEvent) => void) | undefined;
  private capsLock = false;
  private readonly clock = new ServerClock();
  private readonly env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.env = env;
  }

  async start(listener: (event: HookEvent) => void): Promise<void> {
    if (this.hook) throw new SkillframeError('internal', 'input hooks already started');
    if (!this.env.DISPLAY) throw new SkillframeError('unavailable', 'no X display: DISPLAY is not set');
    // The native hook opens this process's DISPLAY; it cannot be pointed elsewhere.
    if (this.env.DISPLAY !== process.env.DISPLAY) throw new SkillframeError('bad_input', `input hooks can only listen on this process's display ${JSON.stringify(process.env.DISPLAY)}, not ${JSON.stringify(this.env.DISPLAY)}`);
    const require = createRequire(import.meta.url);
    let module: { uIOhook: Uiohook };
    try {
      module = require('uiohook-napi') as { uIOhook: Uiohook };
    } catch (error) {
      throw new SkillframeError('unavailable', `uiohook-napi failed to load: ${(error as Error).message}`);
    }
    this.handler = (raw) => {
      const event = this.normalize(raw);
      if (event) listener(event);
    };
    module.uIOhook.on('input', this.handler);
    try {
      module.uIOhook.start();
    } catch (error) {
      module.uIOhook.off('input', this.handler);
      throw new SkillframeError('unavailable', `input hooks could not start: ${(error as Error).message}`);
    }
    this.hook = module.uIOhook;
  }

  private normalize(raw: RawHookEvent): HookEvent | undefined {
    const modifiers: Modifiers = { ctrl: raw.ctrlKey, alt: raw.altKey, shift: raw.shiftKey, meta: raw.metaKey };
    const at = this.clock.epochOf(raw.time, Date.now());
    switch (raw.type) {
      case types.mousedown:
      case types.mouseup: {
        const button = buttons[raw.button ?? 0];
        if (!button) return undefined;
        return { type: raw.type === types.mousedown ? 'mousedown' : 'mouseup', at, x: raw.x ?? 0, y: raw.y ?? 0, button, modifiers };
      }
      case types.mousemove:
      case types.mousedrag:
        return { type: 'mousemove', at, x: raw.x ?? 0, y: raw.y ?? 0, modifiers };
      case types.wheel: {
        // direction 3 = vertical, 4 = horizontal; rotation > 0 = down / right.
        const delta = (raw.rotation ?? 0) * pixelsPerNotch;
        const horizontal = raw.direction === 4;
        return { type: 'wheel', at, x: raw.x ?? 0, y: raw.y ?? 0, dx: horizontal ? delta : 0, dy: horizontal ? 0 : delta, modifiers };
      }
      case types.keydown:
      case types.keyup: {
        const code = raw.keycode ?? 0;
        const key = keyFromHookCode(code, raw.shiftKey, this.capsLock);
        if (raw.type === types.keydown && key.key === 'CapsLock') this.capsLock = !this.capsLock;
        return { type: raw.type === types.keydown ? 'keydown' : 'keyup', at, key: key.key, text: key.text, isModifier: key.isModifier, modifiers };
      }
      default:
        return undefined;
    }
  }

  stop(): void {
    if (!this.hook) return;
    if (this.handler) this.hook.off('input', this.handler);
    try {
      this.hook.stop();
    } catch {
      /* already stopped */
    }
    this.hook = undefined;
    this.handler = undefined;
  }

  dispose(): void {
    this.stop();
  }
}

/**
 * The X server's time of an event (XRecord's server_time, ms, wrapping at 2^32) on this process's
 * clock. An event reaches this thread late when the process is busy (frames, lookups), and a time
 * taken on arrival then puts it after frames that already show its effect. The offset between the
 * two clocks is the smallest arrival delay seen (events come at least that late); a jump of half
 * the range is the server clock wrapping, and starts over.
 */
export class ServerClock {
  private offset: number | undefined;

  epochOf(serverTime: number | undefined, received: number): number {
    if (serverTime === undefined || !Number.isFinite(serverTime) || serverTime <= 0) return received;
    const offset = received - serverTime;
    if (this.offset === undefined || offset < this.offset || offset - this.offset > 2 ** 31) this.offset = offset;
    return Math.min(received, serverTime + this.offset);
  }
}
