import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { SkillframeError } from '../../core/index.ts';
import { createLlamaProvider, type VlmProvider } from '../../perception/models/index.ts';

/**
 * A tiny llama-architecture GGUF with random weights, written here byte by byte (GGUF v3): one
 * block, 32-wide embeddings, a SentencePiece vocabulary of the 256 byte tokens plus a few JSON
 * pieces. It talks nonsense, but through node-llama-cpp and a JSON-schema grammar the nonsense
 * has to be valid JSON of the requested shape — which is exactly what the provider promises.
 */
function writeTinyGguf(path: string): void {
  const parts: Buffer[] = [];
  const u32 = (value: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(value);
    return buffer;
  };
  const i32 = (value: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32LE(value);
    return buffer;
  };
  const u64 = (value: number) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64LE(BigInt(value));
    return buffer;
  };
  const f32 = (value: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeFloatLE(value);
    return buffer;
  };
  const text = (value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([u64(bytes.length), bytes]);
  };
  const types = { u32: 4, i32: 5, f32: 6, string: 8, array: 9 } as const;
  const metadata: Buffer[] = [];
  const put = (key: string, type: number, value: Buffer) => metadata.push(Buffer.concat([text(key), u32(type), value]));
  const putArray = (key: string, elementType: number, values: Buffer[]) => put(key, types.array, Buffer.concat([u32(elementType), u64(values.length), ...values]));

  const embedding = 32;
  const heads = 2;
  const feedForward = 64;
  const tokens = ['<unk>', '<s>', '</s>', ...Array.from({ length: 256 }, (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`), '▁', '{', '}', '"', ':', ',', 'yes', 'no', 'answer'];
  const tokenTypes = tokens.map((token, index) => (index === 0 ? 2 : index < 3 ? 3 : token.startsWith('<0x') ? 6 : 1));
  put('general.architecture', types.string, text('llama'));
  put('general.name', types.string, text('skillframe-tiny-test'));
  put('llama.context_length', types.u32, u32(512));
  put('llama.embedding_length', types.u32, u32(embedding));
  put('llama.block_count', types.u32, u32(1));
  put('llama.feed_forward_length', types.u32, u32(feedForward));
  put('llama.attention.head_count', types.u32, u32(heads));
  put('llama.attention.head_count_kv', types.u32, u32(heads));
  put('llama.rope.dimension_count', types.u32, u32(embedding / heads));
  put('llama.attention.layer_norm_rms_epsilon', types.f32, f32(1e-5));
  put('tokenizer.ggml.model', types.string, text('llama'));
  putArray('tokenizer.ggml.tokens', types.string, tokens.map(text));
  putArray('tokenizer.ggml.scores', types.f32, tokens.map((_, index) => f32(-index)));
  putArray('tokenizer.ggml.token_type', types.i32, tokenTypes.map(i32));
  put('tokenizer.ggml.unknown_token_id', types.u32, u32(0));
  put('tokenizer.ggml.bos_token_id', types.u32, u32(1));
  put('tokenizer.ggml.eos_token_id', types.u32, u32(2));

  // Deterministic pseudo-random weights.
  let state = 12345;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const vocabulary = tokens.length;
  const tensors: { name: string; dims: number[]; fill: 'one' | 'random' }[] = [
    { name: 'token_embd.weight', dims: [embedding, vocabulary], fill: 'random' },
    { name: 'output_norm.weight', dims: [embedding], fill: 'one' },
    { name: 'output.weight', dims: [embedding, vocabulary], fill: 'random' },
    { name: 'blk.0.attn_norm.weight', dims: [embedding], fill: 'one' },
    { name: 'blk.0.attn_q.weight', dims: [embedding, embedding], fill: 'random' },
    { name: 'blk.0.attn_k.weight', dims: [embedding, embedding], fill: 'random' },
    { name: 'blk.0.attn_v.weight', dims: [embedding, embedding], fill: 'random' },
    { name: 'blk.0.attn_output.weight', dims: [embedding, embedding], fill: 'random' },
    { name: 'blk.0.ffn_norm.weight', dims: [embedding], fill: 'one' },
    { name: 'blk.0.ffn_gate.weight', dims: [embedding, feedForward], fill: 'random' },
    { name: 'blk.0.ffn_up.weight', dims: [embedding, feedForward], fill: 'random' },
    { name: 'blk.0.ffn_down.weight', dims: [feedForward, embedding], fill: 'random' },
  ];
  const alignment = 32;
  const infos: Buffer[] = [];
  const data: Buffer[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    const count = tensor.dims.reduce((product, dim) => product * dim, 1);
    infos.push(Buffer.concat([text(tensor.name), u32(tensor.dims.length), ...tensor.dims.map(u64), u32(0 /* F32 */), u64(offset)]));
    const values = Buffer.alloc(count * 4);
    for (let index = 0; index < count; index += 1) values.writeFloatLE(tensor.fill === 'one' ? 1 : random() * 0.2, index * 4);
    const padded = Math.ceil(values.length / alignment) * alignment;
    data.push(values, Buffer.alloc(padded - values.length));
    offset += padded;
  }
  parts.push(Buffer.from('GGUF', 'latin1'), u32(3), u64(tensors.length), u64(metadata.length), ...metadata, ...infos);
  const headerLength = parts.reduce((total, part) => total + part.length, 0);
  parts.push(Buffer.alloc(Math.ceil(headerLength / alignment) * alignment - headerLength), ...data);
  writeFileSync(path, Buffer.concat(parts));
}

const directory = mkdtempSync(join(tmpdir(), 'sf-llama-'));
const modelPath = join(directory, 'tiny.gguf');
let provider: VlmProvider;

before(async () => {
  writeTinyGguf(modelPath);
  provider = await createLlamaProvider({ modelPath, contextSize: 512, maxTokens: 48, threads: 1, gpu: false, seed: 7 });
});
after(async () => {
  await provider?.dispose();
  rmSync(directory, { recursive: true, force: true });
});

test('a generated GGUF runs in llama.cpp and its grammar-constrained reply passes the schema', async () => {
  const schema = z.object({ answer: z.enum(['yes', 'no']), sure: z.boolean() });
  const result = await provider.complete({ system: 'Answer the question.', messages: [{ role: 'user', content: 'Is the OK button visible?' }], schema });
  assert.ok(result.value.answer === 'yes' || result.value.answer === 'no', result.raw);
  assert.equal(typeof result.value.sure, 'boolean');
  assert.ok(result.usage.completionTokens > 0);
  assert.ok(result.usage.promptTokens > 0);
  assert.equal(provider.kind, 'llama');
});

test('the llama provider refuses images and bad model files with coded errors', async () => {
  await assert.rejects(
    provider.complete({ messages: [{ role: 'user', content: [{ type: 'image', image: new Uint8Array([0x89, 0x50]) }] }], schema: z.object({ a: z.string() }) }),
    (error: SkillframeError) => error.code === 'unavailable' && /cannot read images/.test(error.message),
  );
  const notGguf = join(directory, 'not.gguf');
  writeFileSync(notGguf, 'definitely not a model');
  await assert.rejects(createLlamaProvider({ modelPath: notGguf }), (error: SkillframeError) => error.code === 'bad_input' && /not a GGUF model/.test(error.message));
});
