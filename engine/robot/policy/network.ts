/**
 * A small MLP in plain typed arrays, with the hand-written backward pass and Adam needed to
 * train the action-chunk policy in TypeScript. Layout: weights[l] is [inputs × outputs]
 * row-major, so the inner loops run over contiguous outputs.
 */

/** Time features: t itself, then sin and cos at these frequencies (radians per unit t). */
export const timeFrequencies = [Math.PI, 2 * Math.PI, 4 * Math.PI, 8 * Math.PI];

export interface NetworkShape {
  observation: number;
  /** Flattened chunk size (chunk × 2). */
  action: number;
  hidden: number;
  layers: number;
}

export function inputSize(shape: NetworkShape): number {
  return shape.observation + shape.action + 1 + 2 * timeFrequencies.length;
}

export interface Network {
  shape: NetworkShape;
  weights: Float32Array[];
  biases: Float32Array[];
  /** Sizes of each layer boundary: [input, hidden…, output]. */
  sizes: number[];
}

export function createNetwork(shape: NetworkShape, random: () => number): Network {
  const sizes = [inputSize(shape), ...Array.from({ length: shape.layers }, () => shape.hidden), shape.action];
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let layer = 0; layer + 1 < sizes.length; layer += 1) {
    const fanIn = sizes[layer];
    const weight = new Float32Array(fanIn * sizes[layer + 1]);
    const bound = Math.sqrt(6 / fanIn) * (layer + 2 === sizes.length ? 0.3 : 1);
    for (let index = 0; index < weight.length; index += 1) weight[index] = (random() * 2 - 1) * bound * 0.5;
    weights.push(weight);
    biases.push(new Float32Array(sizes[layer + 1]));
  }
  return { shape, weights, biases, sizes };
}

export function parameterCount(network: Network): number {
  return network.weights.reduce((sum, weight) => sum + weight.length, 0) + network.biases.reduce((sum, bias) => sum + bias.length, 0);
}

/** Writes the network input row: [observation, noisy chunk, t, sin(f t)…, cos(f t)…]. */
export function writeFeatures(into: Float32Array, offset: number, observation: ArrayLike<number>, observationOffset: number, actions: ArrayLike<number>, actionOffset: number, time: number, shape: NetworkShape): void {
  let at = offset;
  for (let index = 0; index < shape.observation; index += 1) into[at++] = observation[observationOffset + index];
  for (let index = 0; index < shape.action; index += 1) into[at++] = actions[actionOffset + index];
  into[at++] = time;
  for (const frequency of timeFrequencies) into[at++] = Math.sin(frequency * time);
  for (const frequency of timeFrequencies) into[at++] = Math.cos(frequency * time);
}

/** Activations kept for the backward pass. */
export interface Trace {
  batch: number;
  /** pre[l]: pre-activation of layer l; post[l]: its output (input for l = 0). */
  pre: Float32Array[];
  post: Float32Array[];
}

function sigmoid(value: number): number {
  return 1 / (1 + Math.exp(-value));
}

export function forward(network: Network, input: Float32Array, batch: number): { output: Float32Array; trace: Trace } {
  const { sizes, weights, biases } = network;
  const pre: Float32Array[] = [];
  const post: Float32Array[] = [input];
  let current = input;
  for (let layer = 0; layer + 1 < sizes.length; layer += 1) {
    const inputs = sizes[layer];
    const outputs = sizes[layer + 1];
    const weight = weights[layer];
    const bias = biases[layer];
    const result = new Float32Array(batch * outputs);
    for (let row = 0; row < batch; row += 1) {
      const rowOffset = row * outputs;
      result.set(bias, rowOffset);
      for (let index = 0; index < inputs; index += 1) {
        const value = current[row * inputs + index];
        if (value === 0) continue;
        const weightOffset = index * outputs;
        for (let out = 0; out < outputs; out += 1) result[rowOffset + out] += value * weight[weightOffset + out];
      }
    }
    pre.push(result);
    const last = layer + 2 === sizes.length;
    if (last) {
      post.push(result);
      current = result;
    } else {
      const activated = new Float32Array(result.length);
      for (let index = 0; index < result.length; index += 1) activated[index] = result[index] * sigmoid(result[index]);
      post.push(activated);
      current = activated;
    }
  }
  return { output: current, trace: { batch, pre, post } };
}

/** Gradients of the parameters given dLoss/dOutput. */
export function backward(network: Network, trace: Trace, outputGradient: Float32Array): { weights: Float32Array[]; biases: Float32Array[] } {
  const { sizes, weights } = network;
  const batch = trace.batch;
  const weightGradients = weights.map((weight) => new Float32Array(weight.length));
  const biasGradients = network.biases.map((bias) => new Float32Array(bias.length));
  let gradient = outputGradient;
  for (let layer = sizes.length - 2; layer >= 0; layer -= 1) {
    const inputs = sizes[layer];
    const outputs = sizes[layer + 1];
    const weight = weights[layer];
    const input = trace.post[layer];
    const weightGradient = weightGradients[layer];
    const biasGradient = biasGradients[layer];
    const inputGradient = layer > 0 ? new Float32Array(batch * inputs) : undefined;
    for (let row = 0; row < batch; row += 1) {
      const gradientOffset = row * outputs;
      for (let out = 0; out < outputs; out += 1) biasGradient[out] += gradient[gradientOffset + out];
      for (let index = 0; index < inputs; index += 1) {
        const value = input[row * inputs + index];
        const weightOffset = index * outputs;
        let sum = 0;
        for (let out = 0; out < outputs; out += 1) {
          const g = gradient[gradientOffset + out];
          weightGradient[weightOffset + out] += value * g;
          sum += weight[weightOffset + out] * g;
        }
        if (inputGradient) inputGradient[row * inputs + index] = sum;
      }
    }
    if (inputGradient) {
      // Through SiLU: d/dx [x σ(x)] = σ(x) (1 + x (1 − σ(x))).
      const preActivation = trace.pre[layer - 1];
      for (let index = 0; index < inputGradient.length; index += 1) {
        const x = preActivation[index];
        const s = sigmoid(x);
        inputGradient[index] *= s * (1 + x * (1 - s));
      }
      gradient = inputGradient;
    }
  }
  return { weights: weightGradients, biases: biasGradients };
}

export class Adam {
  private readonly first: Float32Array[];
  private readonly second: Float32Array[];
  private step = 0;
  constructor(
    private readonly parameters: Float32Array[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {
    this.first = parameters.map((parameter) => new Float32Array(parameter.length));
    this.second = parameters.map((parameter) => new Float32Array(parameter.length));
  }
  update(gradients: Float32Array[], learningRate: number): void {
    this.step += 1;
    const correction1 = 1 - this.beta1 ** this.step;
    const correction2 = 1 - this.beta2 ** this.step;
    for (let group = 0; group < this.parameters.length; group += 1) {
      const parameter = this.parameters[group];
      const gradient = gradients[group];
      const first = this.first[group];
      const second = this.second[group];
      for (let index = 0; index < parameter.length; index += 1) {
        const g = gradient[index];
        first[index] = this.beta1 * first[index] + (1 - this.beta1) * g;
        second[index] = this.beta2 * second[index] + (1 - this.beta2) * g * g;
        parameter[index] -= (learningRate * (first[index] / correction1)) / (Math.sqrt(second[index] / correction2) + this.epsilon);
      }
    }
  }
}
