/**
 * The two families of action-chunk generators behind one sampler interface. Time runs from 0
 * (pure noise) to 1 (clean actions) for both, so samplers are written once.
 *  - flow: the network predicts a velocity v; x_t = (1 − t) ε + t a, v = a − ε; Euler steps.
 *  - ddpm: the network predicts the noise ε; x_t = √ᾱ(t) a + √(1 − ᾱ(t)) ε with a cosine
 *    schedule ᾱ(t) = sin²(π t / 2); deterministic DDIM steps.
 */
export type PolicyKind = 'flow' | 'ddpm';

export interface Scheme {
  readonly kind: PolicyKind;
  readonly steps: number;
  /** Network time input at step k (0 ≤ k < steps). */
  time(step: number): number;
  /** Predicted clean chunk from the state x and the network output at step k. */
  clean(x: Float32Array, output: Float32Array, step: number, into: Float32Array): void;
  /** The state at step k + 1. */
  advance(x: Float32Array, output: Float32Array, step: number, into: Float32Array): void;
  /** Adds `scale · gradient` (a gradient of the reward over the clean chunk) to the output, so the step climbs the reward. */
  guide(output: Float32Array, gradient: Float32Array, step: number, scale: number): void;
  /** The noisy state at step k for a given clean chunk and noise (used to inject a prior). */
  noiseTo(clean: Float32Array, noise: Float32Array, step: number, into: Float32Array): void;
}

export function alphaBar(time: number): number {
  const value = Math.sin((Math.PI * time) / 2) ** 2;
  return Math.min(0.9999, Math.max(1e-4, value));
}

export function createScheme(kind: PolicyKind, steps: number): Scheme {
  return kind === 'flow' ? flowScheme(steps) : ddpmScheme(steps);
}

function flowScheme(steps: number): Scheme {
  return {
    kind: 'flow',
    steps,
    time: (step) => step / steps,
    clean(x, output, step, into) {
      const remaining = 1 - step / steps;
      for (let index = 0; index < x.length; index += 1) into[index] = x[index] + remaining * output[index];
    },
    advance(x, output, _step, into) {
      const dt = 1 / steps;
      for (let index = 0; index < x.length; index += 1) into[index] = x[index] + dt * output[index];
    },
    guide(output, gradient, _step, scale) {
      for (let index = 0; index < output.length; index += 1) output[index] += scale * gradient[index];
    },
    noiseTo(clean, noise, step, into) {
      const t = step / steps;
      for (let index = 0; index < clean.length; index += 1) into[index] = (1 - t) * noise[index] + t * clean[index];
    },
  };
}

function ddpmScheme(steps: number): Scheme {
  const time = (step: number) => step / steps;
  return {
    kind: 'ddpm',
    steps,
    time,
    clean(x, output, step, into) {
      const alpha = alphaBar(time(step));
      const signal = Math.sqrt(alpha);
      const noise = Math.sqrt(1 - alpha);
      // Clipped: at the noisiest steps √ᾱ is tiny and the estimate would explode.
      for (let index = 0; index < x.length; index += 1) into[index] = Math.max(-3, Math.min(3, (x[index] - noise * output[index]) / signal));
    },
    advance(x, output, step, into) {
      const alpha = alphaBar(time(step));
      const next = step + 1 >= steps ? 1 : alphaBar(time(step + 1));
      const signal = Math.sqrt(alpha);
      const noise = Math.sqrt(1 - alpha);
      for (let index = 0; index < x.length; index += 1) {
        const clean = Math.max(-3, Math.min(3, (x[index] - noise * output[index]) / signal));
        into[index] = Math.sqrt(next) * clean + Math.sqrt(1 - next) * output[index];
      }
    },
    guide(output, gradient, step, scale) {
      // Move the clean estimate by c·g and take the noise consistent with it; c is chosen so the
      // DDIM state moves by scale·g/steps, like a guided Euler step of the flow. (Shifting ε alone
      // is undone by the clean-estimate clip at the noisiest steps.)
      const alpha = alphaBar(time(step));
      const next = step + 1 >= steps ? 1 : alphaBar(time(step + 1));
      const signal = Math.sqrt(alpha);
      const noise = Math.sqrt(1 - alpha);
      const gain = Math.sqrt(next) - (Math.sqrt(1 - next) * signal) / noise;
      const shift = scale / steps / Math.max(gain, 1e-3);
      for (let index = 0; index < output.length; index += 1) output[index] -= (signal / noise) * shift * gradient[index];
    },
    noiseTo(clean, noise, step, into) {
      const alpha = alphaBar(time(step));
      for (let index = 0; index < clean.length; index += 1) into[index] = Math.sqrt(alpha) * clean[index] + Math.sqrt(1 - alpha) * noise[index];
    },
  };
}
