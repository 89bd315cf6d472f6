import { SkillframeError } from '../core/index.ts';
import type { PlanParameter, PlanStep, StepBranch, TargetDescriptor } from '../core/schemas/skill.ts';
import type { Demonstration, StepFrames, StepPlace } from './builder.ts';

/**
 * Several demonstrations of one task → one procedure (docs/ARCHITECTURE.md, build). The steps of
 * each recording are aligned to the ones before (Needleman–Wunsch over step likeness); in every
 * aligned column, clicks on different labels of one control group become a choice parameter whose
 * options are the recorded labels (each keeps its own target descriptors), a native <select> is a
 * choice over the labels its list showed (one recording is enough: the recorder stores them), typed
 * text stays a text parameter, and a step missing from some recordings becomes an optional branch —
 * tied to a choice value when the recordings say so, else to its target being on screen.
 */

type Column = (number | undefined)[];

const gap = -1;
const impossible = Number.NEGATIVE_INFINITY;

function labelOf(target: TargetDescriptor | undefined): string | undefined {
  const label = target?.locator?.name ?? target?.locator?.text ?? target?.ocr?.text;
  return label?.trim() || undefined;
}

function fieldOf(target: TargetDescriptor | undefined): string | undefined {
  return target?.locator?.css ?? target?.locator?.test_id ?? target?.locator?.name ?? target?.window?.title;
}

/** How alike two steps are: 3 the same, 1.5 the same control group with another option, -∞ unrelated. */
function likeness(a: PlanStep, placeA: StepPlace, b: PlanStep, placeB: StepPlace): number {
  if (a.action !== b.action) return impossible;
  switch (a.action) {
    case 'wait':
      return 2;
    case 'press':
      return b.action === 'press' && a.key === b.key ? 3 : impossible;
    case 'scroll':
      return 2;
    case 'type':
      return fieldOf(a.target) === fieldOf(b.target) ? 3 : placeA.key === placeB.key ? 1 : impossible;
    default: {
      const [labelA, labelB] = [labelOf(a.target), labelOf(b.target)];
      const sameTarget = labelA === labelB && (a.target?.locator?.css ?? '') === (b.target?.locator?.css ?? '');
      if (sameTarget) return 3;
      if (placeA.key !== placeB.key || !labelA || !labelB || labelA === labelB) return impossible;
      // Options of one group share a role on the web (radio, menuitem, option, row); on X11 the window.
      const roleA = a.target?.locator?.role;
      if (roleA !== b.target?.locator?.role) return impossible;
      if (roleA && ['button', 'link', 'textbox', 'checkbox'].includes(roleA)) return impossible;
      return 1.5;
    }
  }
}

/** Aligns one demonstration's steps to the columns so far; returns the new columns. */
function align(columns: Column[], demonstrations: Demonstration[], next: number): Column[] {
  const incoming = demonstrations[next];
  const score = (column: Column, stepIndex: number) => {
    let best = impossible;
    column.forEach((index, demo) => {
      if (index === undefined) return;
      best = Math.max(best, likeness(demonstrations[demo].steps[index], demonstrations[demo].places[index], incoming.steps[stepIndex], incoming.places[stepIndex]));
    });
    return best;
  };
  const rows = columns.length;
  const cols = incoming.steps.length;
  const table: number[][] = Array.from({ length: rows + 1 }, (_, i) => Array.from({ length: cols + 1 }, (_, j) => (i + j) * gap));
  for (let i = 1; i <= rows; i += 1) {
    for (let j = 1; j <= cols; j += 1) {
      table[i][j] = Math.max(table[i - 1][j - 1] + score(columns[i - 1], j - 1), table[i - 1][j] + gap, table[i][j - 1] + gap);
    }
  }
  const merged: Column[] = [];
  let [i, j] = [rows, cols];
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && table[i][j] === table[i - 1][j - 1] + score(columns[i - 1], j - 1) && Number.isFinite(score(columns[i - 1], j - 1))) {
      merged.unshift([...columns[i - 1].slice(0, next), j - 1]);
      i -= 1;
      j -= 1;
    } else if (i > 0 && (j === 0 || table[i][j] === table[i - 1][j] + gap)) {
      merged.unshift([...columns[i - 1].slice(0, next), undefined]);
      i -= 1;
    } else {
      const column: Column = Array.from({ length: next + 1 }, () => undefined);
      column[next] = j - 1;
      merged.unshift(column);
      j -= 1;
    }
  }
  return merged;
}

function parameterName(base: string, taken: Set<string>): string {
  const slug = base.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').replace(/^(?=[0-9])/, 'p_').slice(0, 32) || 'choice';
  let name = slug;
  for (let count = 2; taken.has(name); count += 1) name = `${slug}_${count}`;
  taken.add(name);
  return name;
}

/** The group's label ("Plan", "Shipping") or the name attribute in a recorded CSS selector. */
function groupName(present: { demo: number; index: number; step: PlanStep }[], demonstrations: Demonstration[]): string | undefined {
  for (const { demo, index } of present) {
    const group = demonstrations[demo].groups[index];
    if (group) return group;
  }
  for (const { step } of present) {
    const match = /\[name="([^"]{1,40})"\]/.exec(step.target?.locator?.css ?? '');
    if (match) return match[1];
  }
  return undefined;
}

function renameImages(target: TargetDescriptor | undefined, source: Demonstration, images: Map<string, Buffer>, file: string): TargetDescriptor | undefined {
  if (!target?.template) return target;
  const data = source.images.get(target.template.file);
  if (!data) return { ...target, template: undefined };
  images.set(file, data);
  return { ...target, template: { ...target.template, file: file as typeof target.template.file } };
}

export interface MergeReport {
  recordings: number;
  columns: number;
  choices: { name: string; options: string[] }[];
  branches: { step: number; when: string }[];
}

/** Merges aligned demonstrations into one; the first recording gives the frames of shared steps. */
export function mergeDemonstrations(demonstrations: Demonstration[]): { demonstration: Demonstration; report: MergeReport } {
  if (demonstrations.length < 2) throw new SkillframeError('internal', 'merge needs at least two demonstrations');
  const first = demonstrations[0];
  for (const [index, other] of demonstrations.entries()) {
    if (other.meta.kind !== first.meta.kind) throw new SkillframeError('bad_input', `input.moreTrajectoryDirs[${index - 1}]: a ${other.meta.kind} recording cannot merge with a ${first.meta.kind} one`);
    if (other.appName !== first.appName) throw new SkillframeError('bad_input', `input.moreTrajectoryDirs[${index - 1}]: it records ${other.appName}, the first recording ${first.appName}; one skill is one task in one app`);
  }
  let columns: Column[] = first.steps.map((_, index) => [index]);
  for (let next = 1; next < demonstrations.length; next += 1) columns = align(columns, demonstrations, next);
  if (columns.length > 200) throw new SkillframeError('bad_input', `the merged procedure has ${columns.length} steps; a skill holds at most 200`);

  const steps: PlanStep[] = [];
  const frames: StepFrames[] = [];
  const places: StepPlace[] = [];
  const groups: (string | undefined)[] = [];
  const listOptions: (string[] | undefined)[] = [];
  const images = new Map<string, Buffer>();
  const parameters: PlanParameter[] = [];
  const taken = new Set<string>();
  const report: MergeReport = { recordings: demonstrations.length, columns: columns.length, choices: [], branches: [] };
  /** Per recording, the value each parameter took there (branch conditions, agreed expectations). */
  const chosen: Map<string, string>[] = demonstrations.map(() => new Map());
  let textCount = 0;

  for (const [position, column] of columns.entries()) {
    const id = position + 1;
    const present = column.flatMap((index, demo) => (index === undefined ? [] : [{ demo, step: demonstrations[demo].steps[index], index }]));
    const source = present[0];
    const sourceDemo = demonstrations[source.demo];
    const step = structuredClone(source.step) as PlanStep;
    step.id = id;
    if ('target' in step && step.target) step.target = renameImages(step.target, sourceDemo, images, `Images/step-${String(id).padStart(2, '0')}-target.png`);

    // Typed text: one parameter for the column; the first recording's value is the default.
    if (step.action === 'type') {
      const values = present.map(({ demo, step: original }) => {
        const demoParameters = demonstrations[demo].parameters;
        const placeholder = original.action === 'type' ? /\{\{([^}]+)\}\}/.exec(original.text)?.[1] : undefined;
        return demoParameters.find((parameter) => parameter.name === placeholder);
      });
      const recorded = values[0];
      if (recorded) {
        const secret = recorded.name.startsWith('secret');
        const name = secret ? parameterName('secret', taken) : `text_${(textCount += 1)}`;
        taken.add(name);
        present.forEach(({ demo }, order) => chosen[demo].set(name, values[order]?.default ?? ''));
        const distinct = [...new Set(values.map((value) => value?.default ?? ''))].filter(Boolean);
        const field = step.target?.locator?.name ?? step.target?.locator?.text;
        parameters.push({
          name,
          default: recorded.default,
          description: (secret ? recorded.description : `Text typed in step ${id}${field ? ` into "${field.slice(0, 40)}"` : ''}${distinct.length > 1 ? `; recorded: ${distinct.map((value) => JSON.stringify(value.slice(0, 20))).join(', ')}` : ''}`).slice(0, 200),
          steps: [id],
          kind: 'text',
        });
        step.text = step.text.replace(`{{${recorded.name}}}`, `{{${name}}}`);
        step.description = step.description.replace(`{{${recorded.name}}}`, `{{${name}}}`);
      }
    }

    // A native <select>: a choice parameter over its options (module doc), when it has more than one.
    if (step.action === 'select') {
      const values = present.map(({ step: original }) => (original.action === 'select' ? original.value.slice(0, 200) : ''));
      const listed = present.map(({ demo, index }) => demonstrations[demo].listOptions[index]);
      const parameter = selectChoice(step, values, listed, groupName(present, demonstrations), taken);
      if (parameter) {
        present.forEach(({ demo }, order) => chosen[demo].set(parameter.name, values[order]));
        parameters.push(parameter);
        report.choices.push({ name: parameter.name, options: parameter.options ?? [] });
      }
    }

    // Clicks on different labels of one group: a choice parameter with the labels as options.
    const labels = present.map(({ step: original }) => labelOf(original.target));
    if (step.action !== 'type' && step.target && new Set(labels).size > 1 && labels.every(Boolean)) {
      const group = groupName(present, demonstrations);
      const name = parameterName(group ?? 'choice', taken);
      const options: { value: string; target: TargetDescriptor }[] = [];
      for (const [order, { demo, step: original }] of present.entries()) {
        const value = labels[order]!.slice(0, 200);
        chosen[demo].set(name, value);
        if (options.some((option) => option.value === value)) continue;
        const target = renameImages(original.target, demonstrations[demo], images, `Images/step-${String(id).padStart(2, '0')}-option-${options.length + 1}.png`)!;
        options.push({ value, target });
      }
      step.choice = { parameter: name, options };
      step.target = options[0].target;
      const label = options[0].value;
      step.description = step.description.split(JSON.stringify(label.slice(0, 80))).join(`"{{${name}}}"`);
      parameters.push({ name, default: label, description: `Which ${group ? `${JSON.stringify(group.slice(0, 40))} ` : ''}option to pick in step ${id}`, steps: [id], kind: 'choice', options: options.map((option) => option.value) });
      report.choices.push({ name, options: options.map((option) => option.value) });
    }

    steps.push(step);
    frames.push(sourceDemo.frames[source.index]);
    places.push(sourceDemo.places[source.index]);
    groups.push(sourceDemo.groups[source.index]);
    listOptions.push(sourceDemo.listOptions[source.index]);
  }
  // Expectations every recording agrees on (with its own values) are kept; the others were timing
  // accidents of one recording (a snapshot taken after the next action) and would fail a replay.
  for (const [position, column] of columns.entries()) {
    const present = column.flatMap((index, demo) => (index === undefined ? [] : [{ demo, step: demonstrations[demo].steps[index] }]));
    const expected = steps[position].expected;
    if (!expected || present.length < 2) continue;
    const agreed = (texts: string[], field: 'dom_text_appears' | 'ocr_text_appears') =>
      texts.filter((text) => present.slice(1).every(({ demo, step }) => (step.expected?.[field] ?? []).includes(swapValues(text, chosen[present[0].demo], chosen[demo]))));
    steps[position].expected = { ...expected, dom_text_appears: agreed(expected.dom_text_appears, 'dom_text_appears'), ocr_text_appears: agreed(expected.ocr_text_appears, 'ocr_text_appears') };
  }

  // A step only some recordings have: an optional branch (after the loop: a later choice may explain it).
  for (const [position, column] of columns.entries()) {
    const withStep = new Set(column.flatMap((index, demo) => (index === undefined ? [] : [demo])));
    if (withStep.size === demonstrations.length) continue;
    const step = steps[position];
    step.optional = branchCondition(step, withStep, chosen, parameters);
    report.branches.push({ step: step.id, when: step.optional.when });
  }
  return { demonstration: { ...first, steps, frames, places, groups, listOptions, parameters, images }, report };
}

/**
 * A native <select> becomes a choice over the labels its recordings show: the options the recorder
 * saw in the list (every recording's, in page order) and the ones chosen. With two or more, the step
 * chooses `{{name}}` and replay picks that option by its label (replay swaps the recorded value in
 * the step's expectations for the chosen one). The first recording's choice is the default.
 */
function selectChoice(step: PlanStep, values: string[], listed: (string[] | undefined)[], group: string | undefined, taken: Set<string>): PlanParameter | undefined {
  if (step.action !== 'select' || !values.every(Boolean)) return undefined;
  const options = [...new Set([...listed.flatMap((list) => list ?? []), ...values])].filter(Boolean);
  if (options.length < 2) return undefined;
  const listBox = labelOf(step.target);
  const name = parameterName(listBox ?? group ?? 'choice', taken);
  step.description = step.description.split(JSON.stringify(step.value.slice(0, 80))).join(`"{{${name}}}"`);
  step.value = `{{${name}}}`;
  const where = `${listBox ? ` in the ${JSON.stringify(listBox.slice(0, 40))} list box` : ''} in step ${step.id}`;
  // A long list (countries, time zones) is more than a plan lists as allowed values: the choice then
  // takes any label, and replay finds it in the live list or stops there.
  if (options.length > maxListedOptions) return { name, default: values[0], description: `Which of the list's ${options.length} options to choose${where}, by its label`, steps: [step.id], kind: 'choice' };
  return { name, default: values[0], description: `Which option to choose${where}`, steps: [step.id], kind: 'choice', options };
}

/** PlanParameter.options holds at most this many (core/schemas/skill.ts). */
const maxListedOptions = 50;

/** One recording: each native <select> whose options were recorded becomes a choice parameter. */
export function listChoices(demonstration: Demonstration): MergeReport['choices'] {
  const taken = new Set(demonstration.parameters.map((parameter) => parameter.name));
  const choices: MergeReport['choices'] = [];
  demonstration.steps.forEach((step, index) => {
    if (step.action !== 'select') return;
    const group = groupName([{ demo: 0, index, step }], [demonstration]);
    const parameter = selectChoice(step, [step.value.slice(0, 200)], [demonstration.listOptions[index]], group, taken);
    if (!parameter) return;
    demonstration.parameters.push(parameter);
    choices.push({ name: parameter.name, options: parameter.options ?? [] });
  });
  return choices;
}

/** A recorded text with one recording's parameter values replaced by another's. */
function swapValues(text: string, from: Map<string, string>, to: Map<string, string>): string {
  let swapped = text;
  for (const [name, value] of from) {
    const other = to.get(name);
    if (value && other !== undefined) swapped = swapped.split(value).join(other);
  }
  return swapped;
}

/**
 * When a branch runs. If the recordings that have it are exactly those where one choice took
 * certain values, the branch follows that choice; otherwise it runs when its target is visible.
 */
function branchCondition(step: PlanStep, withStep: Set<number>, chosen: Map<string, string>[], parameters: PlanParameter[]): StepBranch {
  for (const parameter of parameters.filter((candidate) => candidate.kind === 'choice')) {
    const values = new Set<string>();
    const others = new Set<string>();
    chosen.forEach((choices, demo) => {
      const value = choices.get(parameter.name);
      if (value !== undefined) (withStep.has(demo) ? values : others).add(value);
    });
    if (!values.size || [...values].some((value) => others.has(value))) continue;
    if (chosen.some((choices, demo) => !choices.has(parameter.name) && withStep.has(demo))) continue;
    const list = [...values];
    return { when: `only when ${parameter.name} is ${list.map((value) => JSON.stringify(value.slice(0, 40))).join(' or ')}`.slice(0, 300), parameter: parameter.name, values: list };
  }
  const label = labelOf(step.target);
  return { when: (label ? `only when ${JSON.stringify(label.slice(0, 60))} is on screen (seen in some recordings)` : 'only when its target is on screen (seen in some recordings)').slice(0, 300) };
}
