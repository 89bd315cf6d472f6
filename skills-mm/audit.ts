import { SkillframeError } from '../core/index.ts';
import {
  tierRank,
  type AuditFinding,
  type AuditFindingCode,
  type AuditReport,
  type PermissionTier,
  type PlanFile,
  type RuntimeStateCardsFile,
  type SkillFrontmatter,
  type StateCardsFile,
} from '../core/schemas/skill.ts';
import { cleanText, findInvisible } from '../core/text.ts';
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
  for (const [where, text, recorded] of texts) scanInstructions(where, text, hosts, add, recorded);
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

/** [where, text, recorded]: recorded text is what a person typed (data), not prose addressed to an agent. */
function collectTexts(body: string, frontmatter?: SkillFrontmatter, cards?: StateCardsFile, runtime?: RuntimeStateCardsFile, plan?: PlanFile): [string, string, boolean][] {
  const texts: [string, string, boolean][] = [['SKILL.md', body, false]];
  if (frontmatter) texts.push(['SKILL.md', `${frontmatter.description}\n${frontmatter.compatibility ?? ''}`, false]);
  for (const card of cards?.states ?? []) {
    texts.push(['state_cards.json', [card.stage, card.when_to_use, card.when_not_to_use, card.verification_cue, card.visual_risk, ...card.visible_cues].join('\n'), false]);
  }
  for (const card of runtime?.states ?? []) texts.push(['runtime_state_cards.json', [card.stage, card.when_to_use, card.verification_cue, ...card.visible_cues].join('\n'), false]);
  for (const step of plan?.steps ?? []) {
    texts.push(['plan.json', `${step.description}\n${step.stage}`, false]);
    if (step.action === 'type') texts.push(['plan.json', step.text, true]);
  }
  for (const parameter of plan?.parameters ?? []) texts.push(['plan.json', parameter.default, true], ['plan.json', parameter.description, false]);
  return texts;
}

/** Instruction patterns, checked on NFKC-folded lowercase text so look-alike letters do not slip by. */
const patterns: { code: AuditFindingCode; why: string; pattern: RegExp }[] = [
  { code: 'injection_exfiltration', why: 'asks to send secrets or personal data somewhere', pattern: /\b(?:send|upload|transmit|forward|leak|exfiltrat\w*)\b[^.\n]{0,80}\b(?:passwords?|credentials?|tokens?|api[ _-]?keys?|secrets?|cookies?|session|clipboard|private keys?|\.env|browser history|ssh keys?|contents? of)\b/ },
  { code: 'injection_exfiltration', why: 'asks to send data to an outside address', pattern: /\b(?:send|post|upload|transmit|forward|e-?mail|mail|share|copy|paste|submit)\b[^.\n]{0,80}\bto\b[^.\n]{0,40}(?:https?:\/\/|webhook|pastebin|\S+@\S+\.\w+)/ },
  { code: 'injection_exfiltration', why: 'names a credential file', pattern: /(?:~\/\.ssh|\bid_rsa\b|\bid_ed25519\b|\/etc\/passwd|\/etc\/shadow|\.aws\/credentials|\.netrc\b|\.git-credentials|\.npmrc\b)/ },
  { code: 'injection_exfiltration', why: 'names a data-collection service', pattern: /\b(?:webhook\.site|pastebin\.com|requestbin|ngrok\.(?:io|app)|burpcollaborator|interact\.sh|pipedream\.net)\b/ },
  { code: 'injection_exfiltration', why: 'uploads with curl/wget', pattern: /\b(?:curl|wget)\b[^\n]{0,120}(?:\s-d\b|--data|\s-f\b|--form|--upload-file|\s-t\b|--post-(?:data|file))/ },
  { code: 'injection_shell', why: 'runs shell commands', pattern: /(?:\brm\s+-[a-z]*[rf]|\bsudo\s|\bchmod\s+[0-7+]|\bchown\s|\bmkfs\b|\bdd\s+if=|\|\s*(?:ba|z)?sh\b|\bbash\s+-c\b|\bsh\s+-c\b|\bpowershell\b|\bcmd\.exe\b|\/bin\/(?:ba|z)?sh\b|\bpython[0-9.]*\s+-c\b|\bnode\s+-e\b|\bperl\s+-e\b|\bnc\s+-e\b|\bchild_process\b|\bos\.system\b|\bsubprocess\b|\beval\s*\(|\bcurl\s+\S|\bwget\s+\S)/ },
  { code: 'injection_shell', why: 'asks to run a command', pattern: /\b(?:run|execute|exec|invoke)\b[^.\n]{0,40}\b(?:commands?|shell|terminal|script|bash|one-liner)\b/ },
  { code: 'injection_shell', why: 'carries a shell code block', pattern: /```\s*(?:sh|bash|shell|zsh|console|powershell|ps1|cmd)\b/ },
  { code: 'injection_disable_confirmation', why: 'asks to skip confirmations', pattern: /\b(?:do not|don't|never|without)\s+(?:ask(?:ing)?|confirm(?:ing|ation)?|prompt(?:ing)?|wait(?:ing)? for (?:approval|confirmation))\b/ },
  { code: 'injection_disable_confirmation', why: 'asks to disable safety', pattern: /\b(?:skip|bypass|disable|turn off|suppress|override|ignore|circumvent)\b[^.\n]{0,40}\b(?:confirm\w*|safety|permissions?|kill[ -]?switch|audit|warnings?|guard\w*|approvals?|tier)\b/ },
  { code: 'injection_disable_confirmation', why: 'asks to auto-approve', pattern: /(?:auto[-_ ]?approv\w*|--yes\b|--force\b|\bconfirm\s*[:=]\s*["']?(?:auto|never)\b|settings\.set)/ },
  { code: 'injection_disable_confirmation', why: 'tries to override the agent\'s instructions', pattern: /\b(?:ignore|disregard|forget)\b[^.\n]{0,20}\b(?:previous|prior|above|earlier|system|all)\b[^.\n]{0,20}\b(?:instructions|rules|prompts?|messages)\b/ },
  { code: 'injection_outside_app', why: 'reaches for another app', pattern: /\b(?:open|launch|start|switch to|go to|navigate to|visit|focus)\b[^.\n]{0,30}\b(?:a terminal|the terminal|terminal window|xterm|another (?:app|application|window|program|tab)|a different (?:app|application|window|program)|file manager|system settings|control panel|email client|password manager|new browser)\b/ },
  { code: 'injection_outside_app', why: 'uses a chord that leaves the app', pattern: /\b(?:alt\+tab|ctrl\+alt\+t|super\+\w+|xdg-open|gnome-terminal|x-terminal-emulator)\b/ },
];

/** Codes whose patterns skip short quoted spans: the builder quotes UI labels ("Send password reset link"). */
const labelTolerant = new Set<AuditFindingCode>(['injection_exfiltration', 'injection_outside_app']);

function scanInstructions(where: string, raw: string, hosts: Set<string>, add: Add, recorded = false) {
  const text = raw.normalize('NFKC').toLowerCase().replace(/[ \t]+/g, ' ');
  const unquoted = text.replace(/"[^"\n]{1,80}"/g, '""');
  for (const { code, why, pattern } of patterns) {
    // Typed text (a URL, an e-mail) is data; only commands and safety overrides in it matter.
    if (recorded && labelTolerant.has(code)) continue;
    const match = pattern.exec(labelTolerant.has(code) ? unquoted : text);
    if (match) add(code, `${where} ${why}: ${JSON.stringify(match[0].trim().slice(0, 120))}`, where);
  }
  if (recorded) return;
  for (const match of unquoted.matchAll(/\b(?:https?|ftp|wss?|file):\/\/[^\s"'<>)\]]+/g)) {
    let host = '';
    try {
      host = new URL(match[0]).hostname;
    } catch {
      host = match[0];
    }
    if (!hosts.has(host)) add('injection_outside_app', `${where} points at ${JSON.stringify(match[0].slice(0, 120))}, outside the declared app`, where);
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

function leavesApp(key: string): boolean {
  return /^(?:alt\+tab|ctrl\+alt\+.+|meta\+.+|.*\bsuper\b.*|alt\+f[1-4]|ctrl\+alt)$/.test(key) || key === 'meta';
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
    if (step.action === 'press' && leavesApp(step.key)) add('injection_outside_app', `plan step ${step.id} presses ${step.key}, which leaves the app`, 'plan.json');
  }
  if (plan.app.command && /[;&|`$<>\n]|\$\(/.test(plan.app.command)) add('injection_shell', `plan.json app.command ${JSON.stringify(plan.app.command.slice(0, 120))} holds shell syntax`, 'plan.json');
  if (plan.app.command) {
    const program = plan.app.command.trim().split(/\s+/)[0].split('/').pop() ?? '';
    if (program && program !== plan.app.name) add('injection_outside_app', `plan.json launches ${JSON.stringify(program)} but the declared app is ${JSON.stringify(plan.app.name)}`, 'plan.json');
  }
  // A step that deletes, sends or pays must say so, or replay would not ask first.
  for (const step of plan.steps) {
    if (!step.destructive && destructiveReason(`${step.description} ${step.target?.ocr?.text ?? ''} ${step.target?.locator?.name ?? ''}`)) {
      add('tier_mismatch', `plan step ${step.id} (${JSON.stringify(step.description.slice(0, 80))}) looks destructive but is not marked destructive`, 'plan.json');
    }
  }
}

const destructiveWords = /\b(?:delete|remove|erase|discard|destroy|drop|wipe|format|send|submit payment|pay|purchase|buy|checkout|transfer|close without saving|don't save|do not save|uninstall|reset|empty trash|overwrite)\b/i;

/** Why a step's words mark it destructive (replay asks first), or undefined. */
export function destructiveReason(text: string): string | undefined {
  const match = destructiveWords.exec(text);
  return match ? `mentions "${match[0]}"` : undefined;
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
