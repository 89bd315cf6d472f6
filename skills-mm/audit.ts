import { SkillframeError } from '../core/index.ts';
import {
  tierRank,
  type AuditFinding,
  type AuditFindingCode,
  type AuditReport,
  type PermissionTier,
  type PlanFile,
  type PlanStep,
  type RuntimeStateCardsFile,
  type SkillFrontmatter,
  type StateCardsFile,
} from '../core/schemas/skill.ts';
import { cleanText, findInvisible } from '../core/text.ts';
import { parseChord, type ModifierName } from '../native/input/keys.ts';
import { mixedScriptWord, skeleton } from './confusables.ts';
import { loadPackageSource, parseCards, parseFrontmatter, parsePlan, parseRuntimeCards, requiredFiles, type LoadedPackage, type PackageFiles } from './format.ts';

/**
 * The audit gate. Packages are untrusted: this reads them into memory under caps (format.ts),
 * never writes anything, and answers with coded findings. A package is accepted only when no
 * finding has severity `refuse`. Every import into the library goes through here.
 */

export const imageLimits = { maxSide: 4096, maxPixels: 4096 * 4096 };
/** Rough tokens per character for English UI text; good enough for a budget check. */
const charsPerToken = 4;
export const stepTokenBudget = 500;

const allowedRootFiles = new Set<string>([...requiredFiles, 'README.md', 'LICENSE', 'LICENSE.txt', 'LICENSE.md']);

export function auditSource(source: string): AuditReport {
  const loaded = loadPackageSource(source);
  return auditLoaded(loaded, source);
}

export function auditLoaded(loaded: LoadedPackage, source: string): AuditReport {
  const findings: AuditFinding[] = [];
  const add = (code: AuditFindingCode, message: string, file?: string, severity: 'refuse' | 'warn' = 'refuse') => {
    // A flood of one code (400 bad images) would bury the rest; ten of a kind say enough.
    if (findings.length >= 200 || findings.filter((finding) => finding.code === code).length >= 10) return;
    findings.push({ code, severity, message: message.slice(0, 1000), ...(file === undefined ? {} : { file: file.slice(0, 300) }) });
  };
  for (const problem of loaded.problems) add(problem.code, problem.message, problem.file);
  checkPaths(loaded.names, add);

  const files = loaded.files;
  for (const name of files.keys()) {
    if (name.startsWith('Images/')) {
      if (!/^Images\/[A-Za-z0-9._-]+\.(?:png|webp)$/.test(name)) add('unexpected_file', `${name}: only .png and .webp files directly under Images/ belong in a skill`, name);
    } else if (!allowedRootFiles.has(name)) {
      add('unexpected_file', `${name}: a skill package carries only SKILL.md, the three JSON files, Images/ and a README/LICENSE`, name);
    }
  }
  for (const name of requiredFiles) if (!files.has(name)) add('missing_file', `${name} is missing`, name);

  const textFiles = [...files.keys()].filter((name) => /\.(md|json|txt)$/.test(name) || name === 'LICENSE');
  for (const name of textFiles) checkText(name, files.get(name)!, add);

  let frontmatter: SkillFrontmatter | undefined;
  let body = '';
  let cards: StateCardsFile | undefined;
  let runtime: RuntimeStateCardsFile | undefined;
  let plan: PlanFile | undefined;
  const attempt = <T>(name: string, parse: () => T): T | undefined => {
    if (!files.has(name)) return undefined;
    try {
      return parse();
    } catch (error) {
      add('schema_invalid', error instanceof SkillframeError ? error.message : `${name}: ${(error as Error).message}`, name);
      return undefined;
    }
  };
  const parsed = attempt('SKILL.md', () => parseFrontmatter(files));
  if (parsed) ({ frontmatter, body } = parsed);
  const skillName = frontmatter?.name ?? 'unknown';
  cards = attempt('state_cards.json', () => parseCards(files, skillName));
  runtime = attempt('runtime_state_cards.json', () => parseRuntimeCards(files, skillName));
  plan = attempt('plan.json', () => parsePlan(files, skillName));

  checkImages(files, add);
  if (frontmatter && cards && runtime && plan) checkConsistency(files, frontmatter, cards, runtime, plan, add);
  const hosts = declaredHosts(plan);
  const texts = collectTexts(body, frontmatter, cards, runtime, plan);
  // What a person typed may be quoted in prose ("Default: "see https://…""): data, not a link to follow.
  const typed = texts.filter((text) => text.reading === 'typed').map((text) => text.text);
  for (const text of texts) scanInstructions(text, hosts, typed, add);
  if (plan) checkPlan(plan, frontmatter, add);
  if (cards && plan && runtime) checkTokenBudget(cards, runtime, plan, add);

  const unique = dedupe(findings);
  return {
    accepted: !unique.some((finding) => finding.severity === 'refuse'),
    source,
    ...(frontmatter ? { name: frontmatter.name, permission_tier: frontmatter.metadata.permission_tier } : {}),
    files: files.size,
    bytes: loaded.bytes,
    findings: unique,
  };
}

type Add = (code: AuditFindingCode, message: string, file?: string, severity?: 'refuse' | 'warn') => void;

function dedupe(findings: AuditFinding[]): AuditFinding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.code}\u0000${finding.file ?? ''}\u0000${finding.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function checkPaths(names: readonly string[], add: Add) {
  const seen = new Map<string, string>();
  for (const name of names) {
    if (name.includes('\u0000')) add('path_traversal', `entry name contains a NUL byte: ${JSON.stringify(name)}`, name);
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\')) add('absolute_path', `${JSON.stringify(name)} is absolute or uses backslashes`, name);
    if (name.split(/[\\/]/).some((part) => part === '..')) add('path_traversal', `${JSON.stringify(name)} climbs out of the package with ..`, name);
    const folded = name.replace(/\/$/, '').normalize('NFC').toLowerCase();
    const previous = seen.get(folded);
    if (previous !== undefined && previous !== name) add('duplicate_path', `${JSON.stringify(name)} and ${JSON.stringify(previous)} are the same path on case-insensitive disks`, name);
    seen.set(folded, name);
  }
}

const codePoint = (character: string) => `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

function checkText(name: string, data: Buffer, add: Add) {
  const text = data.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(data)) add('schema_invalid', `${name} is not valid UTF-8`, name);
  if (text.includes('\u0000')) add('schema_invalid', `${name} contains NUL bytes`, name);
  // Invisible characters hide instructions from the person reviewing a skill (core/text.ts lists them).
  const hidden = findInvisible(text.replace(/^\uFEFF/, ''));
  if (hidden) add('hidden_text', `${name} contains invisible character ${codePoint(hidden.character)} at offset ${hidden.index}`, name);
  if (name.endsWith('.json')) checkEscapedInvisible(name, text, add);
  if (name.endsWith('.md') && /<!--[\s\S]*?-->/.test(text)) add('hidden_text', `${name} contains an HTML comment, which hides text from a reader of the rendered page`, name);
}

/**
 * JSON can also spell an invisible character as a \u escape. The one place a package may hold
 * one is a locator's `raw_name` / `raw_text` (the app's exact string, see LocatorDescriptor), and
 * only when cleaning it gives the locator's `name` / `text`: then every reader sees the same words.
 */
function checkEscapedInvisible(file: string, text: string, add: Add) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return; // reported as schema_invalid by the parser
  }
  const visit = (node: unknown, path: string, parent?: Record<string, unknown>, key?: string) => {
    if (typeof node === 'string') {
      const hidden = findInvisible(node);
      if (!hidden) return;
      const explained = (key === 'raw_name' || key === 'raw_text') && path.includes('.locator.') && typeof parent?.[key.slice(4)] === 'string' && cleanText(node) === parent[key.slice(4)];
      if (!explained) add('hidden_text', `${file} ${path} holds invisible character ${codePoint(hidden.character)}`, file);
      return;
    }
    if (Array.isArray(node)) node.forEach((item, index) => visit(item, `${path}[${index}]`));
    else if (node && typeof node === 'object') for (const [name, item] of Object.entries(node)) visit(item, `${path}.${name}`, node as Record<string, unknown>, name);
  };
  visit(parsed, '$');
}

function checkImages(files: PackageFiles, add: Add) {
  for (const [name, data] of files) {
    if (!name.startsWith('Images/')) continue;
    const size = imageSize(data);
    if (!size) {
      add('image_invalid', `${name} is not a PNG or WebP image`, name);
      continue;
    }
    if (size.width === 0 || size.height === 0) add('image_invalid', `${name} has no pixels (${size.width}×${size.height})`, name);
    else if (size.width > imageLimits.maxSide || size.height > imageLimits.maxSide || size.width * size.height > imageLimits.maxPixels) {
      add('image_too_large', `${name} is ${size.width}×${size.height}, more than the cap of ${imageLimits.maxSide} px a side`, name);
    }
    if (name.endsWith('.png') && size.format !== 'png') add('image_invalid', `${name} is named .png but holds ${size.format}`, name);
    if (name.endsWith('.webp') && size.format !== 'webp') add('image_invalid', `${name} is named .webp but holds ${size.format}`, name);
  }
}

/** Reads dimensions from the header alone, so a decompression bomb is caught before decoding. */
export function imageSize(data: Buffer): { format: 'png' | 'webp'; width: number; height: number } | undefined {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47 && data.readUInt32BE(4) === 0x0d0a1a0a && data.toString('latin1', 12, 16) === 'IHDR') {
    return { format: 'png', width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  if (data.length >= 30 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = data.toString('latin1', 12, 16);
    if (chunk === 'VP8X') return { format: 'webp', width: 1 + data.readUIntLE(24, 3), height: 1 + data.readUIntLE(27, 3) };
    if (chunk === 'VP8L') {
      const bits = data.readUInt32LE(21);
      return { format: 'webp', width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
    }
    if (chunk === 'VP8 ') return { format: 'webp', width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff };
  }
  return undefined;
}

function checkConsistency(files: PackageFiles, frontmatter: SkillFrontmatter, cards: StateCardsFile, runtime: RuntimeStateCardsFile, plan: PlanFile, add: Add) {
  const name = frontmatter.name;
  if (cards.skill !== name) add('inconsistent', `state_cards.json names skill ${JSON.stringify(cards.skill)}, SKILL.md names ${JSON.stringify(name)}`, 'state_cards.json');
  if (runtime.skill !== name) add('inconsistent', `runtime_state_cards.json names skill ${JSON.stringify(runtime.skill)}, SKILL.md names ${JSON.stringify(name)}`, 'runtime_state_cards.json');
  if (plan.skill !== name) add('inconsistent', `plan.json names skill ${JSON.stringify(plan.skill)}, SKILL.md names ${JSON.stringify(name)}`, 'plan.json');
  if (plan.platform !== frontmatter.metadata.platform) add('inconsistent', `plan.json platform ${plan.platform} differs from SKILL.md metadata.platform ${frontmatter.metadata.platform}`, 'plan.json');
  if (plan.app.name !== frontmatter.metadata.app) add('inconsistent', `plan.json app ${JSON.stringify(plan.app.name)} differs from SKILL.md metadata.app ${JSON.stringify(frontmatter.metadata.app)}`, 'plan.json');
  const stateIds = new Set(cards.states.map((card) => card.state_id));
  if (stateIds.size !== cards.states.length) add('inconsistent', 'state_cards.json repeats a state_id', 'state_cards.json');
  for (const card of runtime.states) if (!stateIds.has(card.state_id)) add('inconsistent', `runtime card ${card.state_id} has no full state card`, 'runtime_state_cards.json');
  for (const step of plan.steps) if (!stateIds.has(step.state_id)) add('inconsistent', `plan step ${step.id} refers to unknown state ${step.state_id}`, 'plan.json');
  for (const card of cards.states) {
    for (const view of card.available_views) if (!files.has(view.file)) add('missing_file', `state ${card.state_id} view ${view.view} points at missing ${view.file}`, 'state_cards.json');
  }
  for (const step of plan.steps) {
    // A choice step's options carry targets (and crops) of their own.
    for (const target of [step.target, ...(step.choice?.options.map((option) => option.target) ?? [])]) {
      const template = target?.template;
      if (template && !files.has(template.file)) add('missing_file', `plan step ${step.id} template points at missing ${template.file}`, 'plan.json');
    }
  }
}

function declaredHosts(plan: PlanFile | undefined): Set<string> {
  const hosts = new Set<string>();
  if (plan?.app.url) {
    try {
      hosts.add(new URL(plan.app.url).hostname.toLowerCase());
    } catch {
      /* schema allows any text; a bad URL just declares nothing */
    }
  }
  return hosts;
}

/**
 * How a consumer reads a string of the package, which decides the checks it gets:
 * - `prose`: words addressed to an agent or a person (SKILL.md, descriptions, cards): every
 *   pattern, and every URL must point at the declared app;
 * - `label`: what the app showed (locator names and text, test ids, CSS, OCR labels, anchors,
 *   window titles, expected text): the strong patterns (shell, credential files, collection
 *   services, instruction overrides, auto-approval); UI wording such as "Send password reset
 *   link" or "Don't ask again" is normal there;
 * - `typed`: what a person typed (type steps, parameter defaults): data, only commands and safety
 *   overrides matter.
 */
type Reading = 'prose' | 'label' | 'typed';

interface PackageText {
  where: string;
  text: string;
  reading: Reading;
}

/** Keys whose strings are identifiers, paths or enums of the format, not text anyone reads as words. */
const structuralKeys = new Set(['format_version', 'skill', 'platform', 'permission_tier', 'state_id', 'image_role', 'view', 'file', 'marks', 'preferred_view', 'preferred_view_order', 'action', 'key', 'url', 'name', 'version', 'built_at', 'steps']);
const labelKeys = new Set(['role', 'text', 'test_id', 'css', 'raw_name', 'raw_text', 'anchor_text', 'texts', 'title', 'window_title', 'dom_text_appears', 'ocr_text_appears']);

/**
 * Every string a consumer reads (replay, consult, MCP get_skill, a person reading SKILL.md), with
 * the path it sits at. Locator and effect names are labels; parameter names and enums are not text.
 */
function collectTexts(body: string, frontmatter?: SkillFrontmatter, cards?: StateCardsFile, runtime?: RuntimeStateCardsFile, plan?: PlanFile): PackageText[] {
  const texts: PackageText[] = [{ where: 'SKILL.md', text: body, reading: 'prose' }];
  if (frontmatter) {
    texts.push({ where: 'SKILL.md description', text: frontmatter.description, reading: 'prose' });
    for (const [key, value] of Object.entries({ compatibility: frontmatter.compatibility, license: frontmatter.license, source: frontmatter.metadata.source })) {
      if (value) texts.push({ where: `SKILL.md ${key}`, text: value, reading: 'prose' });
    }
    texts.push({ where: 'SKILL.md metadata.app', text: frontmatter.metadata.app, reading: 'label' });
  }
  const walk = (file: string, node: unknown, path: string, key: string | undefined, parentKey: string | undefined) => {
    if (typeof node === 'string') {
      if (!node.trim()) return;
      const inLocator = path.includes('.locator.') || path.includes('.shown[');
      if (key === 'name' && inLocator) texts.push({ where: `${file} ${path}`, text: node, reading: 'label' });
      else if (key === 'name' && path.startsWith('$.app.')) texts.push({ where: `${file} ${path}`, text: node, reading: 'label' });
      else if (key !== undefined && structuralKeys.has(key)) return;
      else if (file === 'plan.json' && ((key === 'text' && /^\$\.steps\[\d+\]\.text$/.test(path)) || key === 'default')) texts.push({ where: `${file} ${path}`, text: node, reading: 'typed' });
      else if ((key !== undefined && labelKeys.has(key)) || (parentKey !== undefined && labelKeys.has(parentKey)) || path.includes('.anchors[') || path.includes('.ocr.') || path.includes('.window.')) texts.push({ where: `${file} ${path}`, text: node, reading: 'label' });
      else texts.push({ where: `${file} ${path}`, text: node, reading: 'prose' });
      return;
    }
    if (Array.isArray(node)) node.forEach((item, index) => walk(file, item, `${path}[${index}]`, key, key));
    else if (node && typeof node === 'object') for (const [name, item] of Object.entries(node)) walk(file, item, `${path}.${name}`, name, key);
  };
  if (cards) walk('state_cards.json', cards, '$', undefined, undefined);
  if (runtime) walk('runtime_state_cards.json', runtime, '$', undefined, undefined);
  if (plan) walk('plan.json', plan, '$', undefined, undefined);
  return texts;
}

interface InstructionPattern {
  code: AuditFindingCode;
  why: string;
  pattern: RegExp;
  /** Wording a real app's own labels use ("Send password reset link", "Don't ask again"): checked in prose only. */
  proseOnly?: boolean;
  /** Quoted spans (the builder quotes UI labels) are skipped, except for the URLs inside them. */
  skipQuoted?: boolean;
}

/** Instruction patterns, checked on the skeleton of the text (confusables.ts), so look-alike letters do not slip by. */
const patterns: InstructionPattern[] = [
  { code: 'injection_exfiltration', why: 'asks to send secrets or personal data somewhere', proseOnly: true, skipQuoted: true, pattern: /\b(?:send|upload|transmit|forward|leak|exfiltrat\w*|share|post|e-?mail|paste)\b[^.\n]{0,80}\b(?:passwords?|passphrases?|credentials?|tokens?|api[ _-]?keys?|secrets?|cookies?|session|clipboard|private keys?|\.env|browser history|ssh keys?|contents? of|what (?:you|was|is) (?:copied|typed|on the clipboard))\b/ },
  { code: 'injection_exfiltration', why: 'asks to send data to an outside address', proseOnly: true, skipQuoted: true, pattern: /\b(?:send|post|upload|transmit|forward|e-?mail|mail|share|copy|paste|submit|type|enter)\b[^.\n]{0,80}\b(?:to|into|at|on)\b[^.\n]{0,40}(?:https?:\/\/|webhook|pastebin|\S+@\S+\.\w+)/ },
  { code: 'injection_exfiltration', why: 'names a credential file', pattern: /(?:~\/\.ssh|\bid_rsa\b|\bid_ed25519\b|\bid_ecdsa\b|\/etc\/passwd|\/etc\/shadow|\.aws\/credentials|\.netrc\b|\.git-credentials|\.npmrc\b|\.pgpass\b|\.docker\/config\.json|\.kube\/config|cookies\.sqlite)/ },
  { code: 'injection_exfiltration', why: 'names a data-collection service', pattern: /\b(?:webhook\.site|pastebin\.com|paste\.ee|hastebin|requestbin|ngrok\.(?:io|app)|burpcollaborator|interact\.sh|oast\.(?:fun|me|live|pro|site)|pipedream\.net|transfer\.sh|discord(?:app)?\.com\/api\/webhooks)\b/ },
  { code: 'injection_exfiltration', why: 'uploads with curl/wget', pattern: /\b(?:curl|wget)\b[^\n]{0,120}(?:\s-d\b|--data|\s-f\b|--form|--upload-file|\s-t\b|--post-(?:data|file))/ },
  { code: 'injection_shell', why: 'runs shell commands', pattern: /(?:\brm\s+-[a-z]*[rf]|\bsudo\b\s|\bsu\s+-|\bchmod\s+[0-7+]|\bchown\s|\bmkfs\b|\bdd\s+if=|\|\s*(?:ba|z|da|k)?sh\b|\bbash\s+-[ci]\b|\bsh\s+-c\b|\bpowershell\b|\bpwsh\b|\bcmd(?:\.exe)?\s+\/c\b|\bcmd\.exe\b|\/bin\/(?:ba|z|da)?sh\b|\bpython[0-9.]*\s+-c\b|\bnode\s+-e\b|\bperl\s+-e\b|\bruby\s+-e\b|\bnc\s+-e\b|\bncat\b|\bchild_process\b|\bos\.system\b|\bsubprocess\b|\beval\s*\(|\bexec\s*\(|\bcurl\s+\S|\bwget\s+\S|\bcrontab\b|\bsystemctl\b|\bchmod\b|\$\([^)]*\)|`[^`\n]*\b(?:rm|curl|wget|bash|sh|sudo)\b[^`\n]*`)/ },
  { code: 'injection_shell', why: 'asks to run a command', proseOnly: true, skipQuoted: true, pattern: /\b(?:run|execute|exec|invoke|launch|type|paste|enter)\b[^.\n]{0,40}\b(?:commands?|shell|terminal|console|script|bash|one-liner|in the run dialog)\b/ },
  { code: 'injection_shell', why: 'carries a shell code block', pattern: /```\s*(?:sh|bash|shell|zsh|console|powershell|ps1|cmd|bat)\b/ },
  { code: 'injection_disable_confirmation', why: 'asks to skip confirmations', proseOnly: true, pattern: /\b(?:do not|don't|dont|never|without|no need to|needn't|need not|don't bother to|do not bother to|there is no need to)\s+(?:ask(?:ing)?|confirm(?:ing|ation)?|prompt(?:ing)?|check(?:ing)? with|wait(?:ing)? for (?:approval|confirmation|the (?:user|person))|verify(?:ing)? with)\b/ },
  { code: 'injection_disable_confirmation', why: 'asks to disable safety', proseOnly: true, pattern: /\b(?:skip|bypass|disable|turn off|switch off|suppress|override|ignore|circumvent|get around|work around)\b[^.\n]{0,40}\b(?:confirm\w*|safety|permissions?|kill[ -]?switch|audit|warnings?|guard\w*|approvals?|tier|prompts?|dialogs? asking)\b/ },
  { code: 'injection_disable_confirmation', why: 'asks to auto-approve', pattern: /(?:auto[-_ ]?approv\w*|--yes\b|--force\b|\bconfirm\s*[:=]\s*["']?(?:auto|never)\b|settings\.set|autoapprovetier|"?confirm"?\s*:\s*"auto")/ },
  { code: 'injection_disable_confirmation', why: "tries to override the agent's instructions", pattern: /\b(?:ignore|disregard|forget|override|pay no attention to|set aside|throw out|abandon|discard)\b[^.\n]{0,30}\b(?:previous|prior|above|earlier|system|all|original|other|your)\b[^.\n]{0,20}\b(?:instructions?|rules|prompts?|messages|guidance|directions|directives|guidelines|constraints)\b/ },
  { code: 'injection_disable_confirmation', why: 'claims an authority or approval the package cannot give', pattern: /\b(?:new (?:instructions?|system prompt|task|objective)s?\s*:|(?:you are|you're) now (?:in )?(?:developer|admin|god|unrestricted|jailbreak)|the (?:user|person|owner|admin(?:istrator)?) (?:has )?already (?:approved|confirmed|authori[sz]ed|agreed|consented)|(?:pre-?approved|pre-?authori[sz]ed) by the (?:user|person|owner|admin))/ },
  { code: 'injection_outside_app', why: 'reaches for another app', proseOnly: true, skipQuoted: true, pattern: /\b(?:open|launch|start|switch to|go to|navigate to|visit|focus|bring up)\b[^.\n]{0,30}\b(?:a terminal|the terminal|terminal window|terminal app|xterm|konsole|console window|run dialog|another (?:app|application|window|program|tab|site|website)|a different (?:app|application|window|program|site)|file manager|system settings|control panel|email client|mail app|password manager|new browser|a browser|the browser|private window|incognito)\b/ },
  { code: 'injection_outside_app', why: 'names a chord or program that leaves the app', pattern: /\b(?:alt\s*\+\s*(?:shift\s*\+\s*)?tab|ctrl\s*\+\s*alt\s*\+\s*(?:t|del|delete|f\d+|arrow\w*|left|right|up|down)|alt\s*\+\s*f[1-4]\b|(?:super|win|windows|meta|cmd|command)\s*\+\s*\w+|xdg-open|gnome-terminal|x-terminal-emulator|xterm|konsole|gnome-control-center)\b/ },
];

/** Hosts a URL may point at: the app's own, and loopback addresses only when the app is local. */
function urlHost(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return url;
  }
}

/**
 * Why the audit would refuse `text` where a package holds an app's own words (a label, an
 * expected line of page text), or undefined. The builder leaves such page text out of a step's
 * expectations (an API console showing `curl -X GET …`) instead of building a package this audit
 * then refuses; the audit itself stays as strict.
 */
export function labelRefusal(text: string): string | undefined {
  let found: string | undefined;
  scanInstructions({ where: 'text', text, reading: 'label' }, new Set(), [], (code, message, _file, severity = 'refuse') => {
    if (severity === 'refuse') found ??= `${code}: ${message}`;
  });
  return found;
}

function scanInstructions(entry: PackageText, hosts: Set<string>, typed: readonly string[], add: Add) {
  const { where, reading } = entry;
  const text = skeleton(entry.text);
  // Quoted labels are skipped by the tolerant patterns, but URLs inside them are kept (and checked).
  const unquoted = text.replace(/"([^"\n]{1,80})"/g, (_quoted, inner: string) => (/\b(?:https?|ftp|wss?|file):\/\//.test(inner) ? ` ${inner} ` : '""'));
  for (const { code, why, pattern, proseOnly, skipQuoted } of patterns) {
    if (proseOnly && reading !== 'prose') continue;
    // Typed text (a URL, an e-mail) is data: only commands and safety overrides in it matter.
    if (reading === 'typed' && (code === 'injection_exfiltration' || code === 'injection_outside_app')) continue;
    const match = pattern.exec(skipQuoted ? unquoted : text);
    if (match) add(code, `${where} ${why}: ${JSON.stringify(match[0].trim().slice(0, 120))}`, where.split(' ')[0]);
  }
  if (reading !== 'typed') {
    const disguised = mixedScriptWord(entry.text);
    if (disguised) add('hidden_text', `${where} mixes look-alike letters of two scripts in ${JSON.stringify(disguised.slice(0, 60))}`, where.split(' ')[0]);
  }
  if (reading !== 'prose') return;
  // Hosts are checked on the whole text, quotes included: "paste what you copied into "https://x""
  // is still a way out. Only a quotation of typed data (exactly as the builder writes it) is left out.
  let linked = text;
  for (const value of typed) {
    for (const form of [JSON.stringify(value.slice(0, 80)), JSON.stringify(value)]) linked = linked.split(skeleton(form)).join('""');
  }
  for (const match of linked.matchAll(/\b(?:https?|ftp|wss?|file|javascript|data):\/{0,2}[^\s"'<>)\]]+/g)) {
    const host = urlHost(match[0]);
    if (!hosts.has(host)) add('injection_outside_app', `${where} points at ${JSON.stringify(match[0].slice(0, 120))}, outside the declared app`, where.split(' ')[0]);
  }
}

/** The lowest tier that allows a plan step. Chords that leave the app need `system`. */
export function requiredTier(plan: PlanFile): PermissionTier {
  let tier: PermissionTier = 'read';
  const raise = (next: PermissionTier) => {
    if (tierRank[next] > tierRank[tier]) tier = next;
  };
  for (const step of plan.steps) {
    if (step.action === 'wait') continue;
    raise('input');
    if (step.action === 'press' && leavesApp(step.key)) raise('system');
  }
  return tier;
}

const modifierKeys: Record<string, ModifierName> = { ctrl: 'ctrl', control: 'ctrl', alt: 'alt', shift: 'shift', meta: 'meta', super: 'meta', win: 'meta', cmd: 'meta', hyper: 'meta', os: 'meta', super_l: 'meta', super_r: 'meta', meta_l: 'meta', meta_r: 'meta', alt_l: 'alt', alt_r: 'alt', control_l: 'ctrl', control_r: 'ctrl' };

/**
 * Why a key chord leaves the app, judged on its meaning, not its spelling: modifiers in any
 * order (alt+ctrl+t is ctrl+alt+t), a modifier given as the key (ctrl+super), the super/meta key
 * in any role, window switching (alt+tab, alt+shift+tab, ctrl+alt+tab, alt+esc), desktop chords
 * (ctrl+alt+anything: terminal, workspaces, lock, logout), the run dialog and window menu
 * (alt+f1…f4, alt+space), and the start menu or task manager (ctrl+esc, ctrl+shift+esc).
 */
export function chordLeavesApp(key: string): string | undefined {
  const chord = parseChord(key);
  if (!chord) return `${JSON.stringify(key)} is not a key chord replay understands`;
  const modifiers = new Set(chord.modifiers);
  const name = chord.key.toLowerCase();
  const keyAsModifier = modifierKeys[name];
  if (keyAsModifier) modifiers.add(keyAsModifier);
  if (modifiers.has('meta')) return 'uses the super/meta key, which belongs to the desktop';
  if (modifiers.has('ctrl') && modifiers.has('alt')) return 'ctrl+alt chords belong to the desktop (terminal, workspaces, lock, log out)';
  if (modifiers.has('alt') && (name === 'tab' || name === 'escape' || name === 'space' || name === 'grave' || name === '`')) return 'switches windows or opens the window menu';
  if (modifiers.has('alt') && /^f[1-4]$/i.test(name)) return 'opens the run dialog or the desktop menu, or closes the window';
  if (modifiers.has('ctrl') && name === 'escape') return 'opens the start menu or the task manager';
  if (name === 'menu' || name === 'print' || name === 'printscreen' || name === 'sysrq') return 'is handled by the desktop';
  return undefined;
}

function leavesApp(key: string): boolean {
  return chordLeavesApp(key) !== undefined;
}

function checkPlan(plan: PlanFile, frontmatter: SkillFrontmatter | undefined, add: Add) {
  const declared = plan.permission_tier;
  if (frontmatter && frontmatter.metadata.permission_tier !== declared) {
    add('tier_mismatch', `SKILL.md declares tier ${frontmatter.metadata.permission_tier} but plan.json declares ${declared}`, 'plan.json');
  }
  const needed = requiredTier(plan);
  const claimed = frontmatter ? (tierRank[frontmatter.metadata.permission_tier] < tierRank[declared] ? frontmatter.metadata.permission_tier : declared) : declared;
  if (tierRank[needed] > tierRank[claimed]) add('tier_mismatch', `the plan needs tier ${needed} but declares ${claimed}`, 'plan.json');
  for (const step of plan.steps) {
    if (step.action !== 'press') continue;
    const why = chordLeavesApp(step.key);
    if (why) add('injection_outside_app', `plan step ${step.id} presses ${step.key}, which leaves the app: it ${why}`, 'plan.json');
  }
  if (plan.app.command && /[;&|`$<>\n]|\$\(/.test(plan.app.command)) add('injection_shell', `plan.json app.command ${JSON.stringify(plan.app.command.slice(0, 120))} holds shell syntax`, 'plan.json');
  if (plan.app.command) {
    const program = plan.app.command.trim().split(/\s+/)[0].split('/').pop() ?? '';
    if (program && program !== plan.app.name) add('injection_outside_app', `plan.json launches ${JSON.stringify(program)} but the declared app is ${JSON.stringify(plan.app.name)}`, 'plan.json');
  }
  // A step that deletes, sends or pays must say so, or replay would not ask first.
  for (const step of plan.steps) {
    const reason = stepDestructiveReason(step);
    if (!step.destructive && reason) {
      add('tier_mismatch', `plan step ${step.id} (${JSON.stringify(step.description.slice(0, 80))}) looks destructive (${reason}) but is not marked destructive`, 'plan.json');
    }
  }
}

/**
 * Word stems of actions that lose data, send something or spend money, matched at the start of a
 * word (so "deletes", "Deletion", "removing" count) after camelCase, kebab and snake case are
 * split ("deleteAccount", "btn-delete", "#remove_user"). "Sent", "paid" and "dropped" name what
 * already happened (a mail app's Sent folder, an invoice marked paid), not an action: the explorer
 * judges its controls by this list too, and held back every "Open Sent" and "Sent entry".
 */
const destructiveStems = /^(?:delet|remov|eras(?:e|es|ed|ing|ure)$|discard|destr(?:oy|uct)|wipe|purg|truncat|overwrit|uninstall|revok|deactivat|unsubscrib|terminat|obliterat|shred|nuke)/;
const destructiveWords = /^(?:drop|drops|dropping|send|sends|sending|pay|pays|paying|payment|purchase|purchases|purchasing|buy|buys|buying|checkout|transfer|transfers|transferring|reset|resets|resetting|kill|kills|killing)$/;
// "Format" alone is a menu of most editors and calculators (SpeedCrunch's Settings › Result Format
// was asked about at every replay); formatting a disk, drive or card is what loses data.
const destructivePhrases = /\b(?:format(?:s|ted|ting)? (?:the |this |a |your )?(?:disk|drive|partition|volume|(?:sd |memory )?card|device|usb|storage|hard ?disk)|(?:quick|full|low[- ]level) format|close without saving|don'?t save|do not save|discard changes|empty (?:the )?trash|submit (?:the )?(?:payment|order)|place (?:the |an )?order|order now|close (?:my |the )?account|cancel (?:my |the )?(?:subscription|account|order))\b/;

/** Why a step's words mark it destructive (replay asks first), or undefined. */
export function destructiveReason(text: string): string | undefined {
  const folded = skeleton(text.replace(/([a-z])([A-Z])/g, '$1 $2'));
  const phrase = destructivePhrases.exec(folded);
  if (phrase) return `mentions "${phrase[0]}"`;
  for (const word of folded.split(/[^a-z']+/)) {
    if (destructiveStems.test(word) || destructiveWords.test(word)) return `mentions "${word}"`;
  }
  return undefined;
}

/** The strings of a step that replay can act on, or that say what it does. */
function actionableStrings(step: { description: string; target?: PlanStep['target'] }): string[] {
  const target = step.target;
  const locator = target?.locator;
  return [
    step.description,
    ...(locator ? [locator.name, locator.text, locator.raw_name, locator.raw_text, locator.test_id, locator.css, locator.role] : []),
    target?.ocr?.text,
    ...(target?.anchors ?? []).map((anchor) => anchor.text),
  ].filter((value): value is string => typeof value === 'string' && value.length > 0);
}

/** Why a plan step (as the builder drafts it, or as a package carries it) is destructive, or undefined. */
export function stepDestructiveReason(step: { description: string; target?: PlanStep['target']; action?: string; key?: string }): string | undefined {
  return controlDestructiveReason(actionableStrings(step), step.action === 'press' ? step.key : undefined);
}

/**
 * The one definition of destructive: why acting on a control is destructive, judged from every
 * string that names or locates it (label, text, CSS or accessible path, the option or text it
 * carries) and the chord it presses, or undefined. The audit and the builder judge a plan step by
 * it, and the explorer judges a control by it before clicking (engine/computer/explore/safety.ts),
 * so a step exploration takes freely is never one that replay then refuses as destructive.
 */
export function controlDestructiveReason(texts: readonly (string | undefined)[], pressed?: string): string | undefined {
  for (const text of texts) {
    const reason = text ? destructiveReason(text) : undefined;
    if (reason) return reason;
  }
  if (pressed) {
    const chord = parseChord(pressed);
    const closes = chord && ((chord.modifiers.join('+') === 'ctrl' && (chord.key === 'w' || chord.key === 'q')) || (chord.modifiers.join('+') === 'alt' && chord.key === 'F4'));
    if (closes) return `presses ${pressed}, which closes`;
  }
  return undefined;
}

function checkTokenBudget(cards: StateCardsFile, runtime: RuntimeStateCardsFile, plan: PlanFile, add: Add) {
  const cardById = new Map(cards.states.map((card) => [card.state_id, card]));
  const runtimeById = new Map(runtime.states.map((card) => [card.state_id, card]));
  for (const step of plan.steps) {
    const card = cardById.get(step.state_id);
    const compact = runtimeById.get(step.state_id);
    const text = [step.description, JSON.stringify(compact ?? {}), card ? [card.when_to_use, card.when_not_to_use, card.verification_cue, card.visual_risk, ...card.visible_cues].join(' ') : ''].join(' ');
    const tokens = Math.ceil(text.length / charsPerToken);
    if (tokens > stepTokenBudget) add('token_budget', `plan step ${step.id} needs about ${tokens} tokens of text, more than ${stepTokenBudget}`, 'plan.json', 'warn');
  }
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / charsPerToken);
}
