import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockModelServer, startMockModelServer } from '../src/index.js';

let mock: MockModelServer;
let openai: OpenAI;

beforeAll(async () => {
  mock = await startMockModelServer();
  openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
});
afterAll(() => mock.close());

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('POST /v1/embeddings', () => {
  it('returns deterministic 8-dimensional unit vectors with usage (client default: base64)', async () => {
    const first = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['the cat sat', 'a dog'],
    });
    // The client asked for base64 on its own and decoded it.
    const sent = mock.requests.at(-1)?.body as { encoding_format?: string };
    expect(sent.encoding_format).toBe('base64');

    expect(first.model).toBe('text-embedding-3-small');
    expect(first.data.map((d) => d.index)).toEqual([0, 1]);
    for (const d of first.data) {
      expect(d.embedding).toHaveLength(8);
      expect(norm(d.embedding)).toBeCloseTo(1, 5);
    }
    expect(first.data[0]?.embedding).not.toEqual(first.data[1]?.embedding);
    expect(first.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });

    const again = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'the cat sat',
    });
    expect(again.data[0]?.embedding).toEqual(first.data[0]?.embedding);
  });

  it('gives the same numbers as float and as explicit base64', async () => {
    const floats = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'same input',
      encoding_format: 'float',
    });
    const encoded = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'same input',
      encoding_format: 'base64',
    });
    const raw = encoded.data[0]?.embedding as unknown as string;
    expect(typeof raw).toBe('string');
    const bytes = Buffer.from(raw, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(decoded).toEqual(floats.data[0]?.embedding);
  });

  it('honours dimensions and accepts token arrays', async () => {
    const reply = await openai.embeddings.create({
      model: 'text-embedding-3-large',
      input: [
        [1, 2, 3],
        [4, 5],
      ],
      dimensions: 16,
      encoding_format: 'float',
    });
    expect(reply.data.map((d) => d.embedding.length)).toEqual([16, 16]);
    expect(reply.usage.prompt_tokens).toBe(5);
  });

  it('rejects a missing input with a 400 the client surfaces', async () => {
    await expect(
      openai.embeddings.create({ model: 'text-embedding-3-small', input: [] }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});
