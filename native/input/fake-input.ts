import type { Point } from '../../core/schemas/trajectory.ts';
import type { HookEvent, InputDriver, InputHooks, Modifiers } from './input.ts';
import { parseChord } from './keys.ts';

export type FakeInputCall =
  | { action: 'move'; x: number; y: number }
  | { action: 'click'; x: number; y: number; button: 'left' | 'right' | 'middle'; double: boolean }
  | { action: 'type'; text: string }
  | { action: 'press'; chord: string }
  | { action: 'scroll'; dx: number; dy: number; at?: Point };

const noModifiers: Modifiers = { ctrl: false, alt: false, shift: false, meta: false };

/**
 * Records every call, and (when given hooks) echoes each action into them as the OS would, so a
 * recorder can be unit-tested end to end without a display.
 */
export class FakeInput implements InputDriver {
  readonly calls: FakeInputCall[] = [];
  private position: Point = { x: 0, y: 0 };
  private readonly hooks: FakeHooks | undefined;
  constructor(hooks?: FakeHooks) {
    this.hooks = hooks;
  }
  async move(x: number, y: number): Promise<void> {
    this.position = { x, y };
    this.calls.push({ action: 'move', x, y });
    this.hooks?.emit({ type: 'mousemove', at: Date.now(), x, y, modifiers: noModifiers });
  }
  async click(x: number, y: number, options: { button?: 'left' | 'right' | 'middle'; double?: boolean } = {}): Promise<void> {
    this.position = { x, y };
    const button = options.button ?? 'left';
    this.calls.push({ action: 'click', x, y, button, double: options.double ?? false });
    for (let index = 0; index < (options.double ? 2 : 1); index += 1) {
      this.hooks?.emit({ type: 'mousedown', at: Date.now(), x, y, button, modifiers: noModifiers });
      this.hooks?.emit({ type: 'mouseup', at: Date.now(), x, y, button, modifiers: noModifiers });
    }
  }
  async type(text: string): Promise<void> {
    this.calls.push({ action: 'type', text });
    for (const char of text) {
      const shift = char !== char.toLowerCase();
      this.hooks?.emit({ type: 'keydown', at: Date.now(), key: char.toLowerCase(), text: char, isModifier: false, modifiers: { ...noModifiers, shift } });
      this.hooks?.emit({ type: 'keyup', at: Date.now(), key: char.toLowerCase(), text: char, isModifier: false, modifiers: { ...noModifiers, shift } });
    }
  }
  async press(chord: string): Promise<void> {
    this.calls.push({ action: 'press', chord });
    const parsed = parseChord(chord);
    if (!parsed) return;
    const modifiers: Modifiers = { ctrl: parsed.modifiers.includes('ctrl'), alt: parsed.modifiers.includes('alt'), shift: parsed.modifiers.includes('shift'), meta: parsed.modifiers.includes('meta') };
    this.hooks?.emit({ type: 'keydown', at: Date.now(), key: parsed.key, isModifier: false, modifiers });
    this.hooks?.emit({ type: 'keyup', at: Date.now(), key: parsed.key, isModifier: false, modifiers });
  }
  async scroll(dx: number, dy: number, at?: Point): Promise<void> {
    this.calls.push({ action: 'scroll', dx, dy, at });
    const point = at ?? this.position;
    this.hooks?.emit({ type: 'wheel', at: Date.now(), x: point.x, y: point.y, dx: dx * 100, dy: dy * 100, modifiers: noModifiers });
  }
  async pointer(): Promise<Point> {
    return this.position;
  }
  dispose(): void {}
}

export class FakeHooks implements InputHooks {
  private listener: ((event: HookEvent) => void) | undefined;
  async start(listener: (event: HookEvent) => void): Promise<void> {
    this.listener = listener;
  }
  emit(event: HookEvent): void {
    this.listener?.(event);
  }
  stop(): void {
    this.listener = undefined;
  }
  dispose(): void {
    this.stop();
  }
}
