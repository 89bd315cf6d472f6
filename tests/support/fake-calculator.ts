import sharp from 'sharp';
import type { Point, Surface } from '../../engine/computer/replay/surface.ts';
import type { RgbaImage } from '../../native/image.ts';

/**
 * A drawn calculator "window" on a bigger screen, for fast, deterministic ladder tests with fault
 * injection: it can be moved, scaled, themed dark, and given a decoy button. It keeps ground
 * truth — every click lands on a named button or on nothing — so tests count wrong actions.
 * Drawn like testkit/fixtures/trajectories/calculator (the recording the skill is built from).
 */
export class FakeCalculator implements Surface {
  readonly kind = 'x11' as const;
  display = '0';
  readonly clicks: (string | undefined)[] = [];
  private operand = '';
  private pending: { value: number; operator: string } | undefined;
  constructor(
    private readonly options: { screen?: { width: number; height: number }; offset?: Point; scale?: number; dark?: boolean; decoy?: boolean; unreadable?: boolean; slowKey?: { label: string; afterMs: number }; relocated?: { label: string; x: number; y: number } } = {},
  ) {}

  /** When the last click landed: a `slowKey` is drawn only `afterMs` later (an app still drawing). */
  private lastClickAt = 0;

  private buttons() {
    const base = [
      { label: '7', x: 20, y: 80 },
      { label: '8', x: 80, y: 80 },
      { label: '+', x: 140, y: 80 },
      { label: '2', x: 20, y: 140 },
      { label: '=', x: 140, y: 140 },
      { label: 'Clear', x: 200, y: 80 },
    ];
    // The decoy: a second "+" that looks exactly like the first.
    if (this.options.decoy) base.push({ label: '+', x: 200, y: 140 });
    // A key whose symbol OCR cannot read (galculator's thin "-"), right under the "8": the text
    // nearest to a click on it is the 8's.
    if (this.options.unreadable) base.push({ label: 'unreadable', x: 80, y: 122 });
    // A layout that moved one button (another version of the app): the window-mapped point misses it.
    const relocated = this.options.relocated;
    if (relocated) for (const button of base) if (button.label === relocated.label) Object.assign(button, { x: relocated.x, y: relocated.y });
    const slow = this.options.slowKey;
    if (slow && Date.now() - this.lastClickAt < slow.afterMs) return base.filter((button) => button.label !== slow.label);
    return base;
  }

  private geometry() {
    const scale = this.options.scale ?? 1;
    const offset = this.options.offset ?? { x: 0, y: 0 };
    return { x: offset.x, y: offset.y, width: Math.round(320 * scale), height: Math.round(240 * scale), scale };
  }

  async capture(): Promise<RgbaImage> {
    const screen = this.options.screen ?? { width: 320, height: 240 };
    const { x, y, scale } = this.geometry();
    const dark = this.options.dark;
    const background = dark ? '#222' : '#dcdcdc';
    const key = dark ? '#3a3a3a' : '#f4f4f4';
    const ink = dark ? '#eee' : '#000';
    const keys = this.buttons()
      .map((button) => `<rect x="${button.x}" y="${button.y}" width="50" height="40" fill="${key}" stroke="#555"/><text x="${button.x + 25}" y="${button.y + 27}" font-family="Liberation Sans" font-size="18" fill="${ink}" text-anchor="middle">${button.label === 'unreadable' ? '' : button.label}</text>`)
      .join('');
    const window = `<g transform="translate(${x} ${y}) scale(${scale})"><rect width="320" height="240" fill="${background}"/><rect x="10" y="10" width="300" height="24" fill="#3050a0"/><text x="16" y="27" font-family="Liberation Sans" font-size="14" fill="white">Calculator</text><rect x="20" y="40" width="280" height="32" fill="${dark ? '#111' : 'white'}" stroke="#333"/><text x="290" y="63" font-family="Liberation Sans" font-size="20" fill="${ink}" text-anchor="end">${this.display}</text>${keys}</g>`;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${screen.width}" height="${screen.height}"><rect width="100%" height="100%" fill="#556"/>${window}</svg>`;
    const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  }

  async click(point: Point): Promise<void> {
    const { x, y, scale } = this.geometry();
    const local = { x: (point.x - x) / scale, y: (point.y - y) / scale };
    const hit = this.buttons().find((button) => local.x >= button.x && local.x < button.x + 50 && local.y >= button.y && local.y < button.y + 40);
    this.lastClickAt = Date.now();
    this.clicks.push(hit?.label);
    if (hit) this.pressKey(hit.label);
  }

  private pressKey(label: string) {
    if (/^\d$/.test(label)) {
      this.operand = this.operand === '0' ? label : this.operand + label;
      this.display = this.pending ? `${this.pending.value}${this.pending.operator}${this.operand}` : this.operand;
    } else if (label === '+') {
      this.pending = { value: Number(this.operand || this.display), operator: '+' };
      this.operand = '';
      this.display = `${this.pending.value}+`;
    } else if (label === '=') {
      const value = this.pending ? this.pending.value + Number(this.operand || 0) : Number(this.operand || this.display);
      this.pending = undefined;
      this.operand = '';
      this.display = String(value);
    } else if (label === 'unreadable') {
      this.display = `${this.display}-`;
    } else if (label === 'Clear') {
      this.pending = undefined;
      this.operand = '';
      this.display = '0';
    }
  }

  async type(text: string): Promise<void> {
    this.operand = '';
    for (const character of text) this.pressKey(character);
  }

  async press(): Promise<void> {}
  async scroll(): Promise<void> {}

  async window() {
    const { x, y, width, height } = this.geometry();
    return { title: 'Calculator', geometry: { x, y, width, height } };
  }

  async alive(): Promise<boolean> {
    return true;
  }

  async dispose(): Promise<void> {}
}
